package main

import (
	"context"
	"fmt"
	"os"
)

func init() {
	register("sync", "pull new activity, chats and messages from the Compliance API", cmdSync)
}

func cmdSync(ctx context.Context, args []string) error {
	fs := newFlags("sync", "--once [--integration NAME] [--config FILE]", `
Runs sync cycles: reads the Activity Feed forward from the stored cursor,
hydrates new or updated chats with their messages, walks Claude Code and Cowork
sessions with their transcripts, extracts the text of uploaded and generated
files, chat artifacts, project files and documents and code artifacts (within
a size budget; unreadable ones are recorded with the reason), stores each page
with its checkpoint in one transaction, and evaluates new events against the
policies as their pages are stored (a cycle ends with its events evaluated).
With --once it runs one cycle for every integration (or --integration) and
exits non-zero on failure; without it, it repeats on each integration's interval.`)
	cfgPath := configFlag(fs)
	once := fs.Bool("once", false, "run one cycle and exit")
	only := fs.String("integration", "", "only this integration")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := openApp(ctx, fs, *cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	names, err := a.IntegrationNames(*only)
	if err != nil {
		return err
	}
	p, err := a.OpenPipeline(ctx)
	if err != nil {
		return err
	}
	if !*once {
		return a.RunScheduler(ctx, names)
	}
	var failed []error
	for _, name := range names {
		run, err := a.SyncOnceAndEvaluate(ctx, name)
		if err != nil {
			fmt.Fprintf(os.Stderr, "claudit sync: %v\n", err)
			failed = append(failed, err)
			continue
		}
		fmt.Printf("%s: %d new activities, %d chats, %d new messages\n", name, run.Activities, run.Chats, run.Messages)
	}
	a.DeliverQueued(ctx, p)
	if len(failed) > 0 {
		return exitCode(1)
	}
	return nil
}
