package main

import (
	"context"
	"fmt"
)

func init() {
	register("reevaluate", "evaluate stored history again under the current policies", cmdReevaluate)
}

func cmdReevaluate(ctx context.Context, args []string) error {
	fs := newFlags("reevaluate", "[--config FILE]", `
Every event is evaluated once per policy version: after a policy change, new
events use the new policies and history keeps its findings. This command
clears the evaluation of every event evaluated under another policy version
and evaluates them again now (findings and tags are replaced; alerts count
each event once, so nothing is double-counted).`)
	cfgPath := configFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := openApp(ctx, fs, *cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	p, err := a.OpenPipeline(ctx)
	if err != nil {
		return err
	}
	n, err := a.Store.ResetEvaluations(ctx, p.Policies.Version())
	if err != nil {
		return err
	}
	fmt.Printf("%d events were evaluated under older policies; evaluating them under version %s\n", n, p.Policies.Version())
	if err := a.Evaluate(ctx); err != nil {
		return err
	}
	a.DeliverQueued(ctx, p)
	return nil
}
