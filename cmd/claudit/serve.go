package main

import (
	"context"
	"fmt"
	"os"

	"github.com/claudit/claudit/internal/app"
)

func init() {
	register("serve", "run the scheduler, policies, alerting and the dashboard", cmdServe)
}

func cmdServe(ctx context.Context, args []string) error {
	fs := newFlags("serve", "[--config FILE] [--listen ADDR]", `
Runs claudit as a service: syncs every integration on its interval, works on
backfill jobs, evaluates new events against the policies (hot-reloading the
policies file), delivers alerts from the durable outbox, and serves the
dashboard and JSON API. Stops gracefully on SIGINT/SIGTERM.`)
	cfgPath := configFlag(fs)
	listen := fs.String("listen", "", "dashboard address (default: listen: in the config, 127.0.0.1:8080)")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := openApp(ctx, fs, *cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	if *listen != "" {
		a.Config.Listen = *listen
	}
	return serve(ctx, a, nil)
}

// serve runs workers and HTTP together; banner is printed once listening.
func serve(ctx context.Context, a *app.App, banner func(addr string)) error {
	p, err := a.OpenPipeline(ctx)
	if err != nil {
		return err
	}
	h, err := a.Handler(ctx, p)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.Workers(ctx, p) }()
	err = app.ServeHTTP(ctx, a.Config.Listen, h, func(addr string) {
		if banner != nil {
			banner(addr)
			return
		}
		fmt.Fprintf(os.Stderr, "claudit %s serving http://%s\n", app.Version, addr)
	})
	cancel()
	<-done
	return err
}
