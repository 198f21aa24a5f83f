package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/ingest"
	"github.com/claudit/claudit/internal/store"
)

// SyncOnceAndEvaluate verifies an integration and runs one sync cycle, then
// evaluates what arrived against the policies.
func (a *App) SyncOnceAndEvaluate(ctx context.Context, name string) (store.Run, error) {
	in, err := a.Store.Integration(ctx, name)
	if err != nil {
		return store.Run{}, err
	}
	if in.Paused {
		return store.Run{}, fmt.Errorf("integration %s is paused: nothing synced (resume it in the dashboard or set paused: false)", name)
	}
	s, err := a.Syncer(ctx, name)
	if err != nil {
		return store.Run{}, err
	}
	finish := a.FollowIngest(ctx, s, true)
	run, err := s.SyncOnce(ctx)
	if ferr := finish(); ferr != nil && err == nil {
		err = fmt.Errorf("evaluate policies: %w", ferr)
	}
	return run, err
}

// RunScheduler syncs each integration on its interval until ctx ends. An
// integration that fails verification is retried on its interval with one
// log line per failure, never a crash loop. With no names it schedules every
// stored integration and picks up ones added from the dashboard.
func (a *App) RunScheduler(ctx context.Context, names []string) error {
	var wg sync.WaitGroup
	running := map[string]bool{}
	start := func(name string) {
		if running[name] {
			return
		}
		running[name] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.scheduleOne(ctx, name)
		}()
	}
	for _, name := range names {
		start(name)
	}
	for len(names) == 0 && ctx.Err() == nil {
		ins, err := a.Store.Integrations(ctx)
		if err == nil {
			for _, in := range ins {
				start(in.Name)
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Second):
		}
	}
	wg.Wait()
	if errors.Is(ctx.Err(), context.Canceled) {
		return nil
	}
	return ctx.Err()
}

func (a *App) scheduleOne(ctx context.Context, name string) {
	var s *ingest.Syncer
	for {
		interval := 5 * time.Minute
		in, err := a.Store.Integration(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			a.Log.Info("integration deleted; no longer syncing", "integration", name)
			return
		}
		if err == nil && in.Interval > 0 {
			interval = in.Interval
		}
		switch {
		case err != nil:
			a.Log.Error("read integration", "integration", name, "err", err)
		case in.Paused:
			a.Log.Debug("integration paused; skipping cycle", "integration", name)
		default:
			if s == nil {
				s, err = a.Syncer(ctx, name)
				if err != nil {
					a.Log.Error("integration not ready; will retry", "integration", name, "err", err, "retry_in", interval)
					_ = a.Store.SetIntegrationFailure(ctx, in.ID, compliance.FailureKind(err), err.Error())
				}
			}
			if err := confirmLease(ctx); err != nil {
				return // no longer the leader: another process syncs now
			}
			if s != nil {
				s.Integration.Paused = false
				finish := a.FollowIngest(ctx, s, true)
				if _, err := s.SyncOnce(ctx); err != nil && ctx.Err() == nil {
					a.Log.Error("sync cycle failed; will retry", "integration", name, "err", err, "retry_in", interval)
				}
				if err := finish(); err != nil && ctx.Err() == nil {
					a.Log.Error("evaluate policies", "err", err)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}
