package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/claudit/claudit/internal/ingest"
	"github.com/claudit/claudit/internal/store"
)

// Workers runs everything `serve` does besides HTTP: scheduled syncs,
// backfill jobs (started here or from the UI), evaluation, delivery and
// policy hot reload. It returns when ctx ends and every worker has stopped.
func (a *App) Workers(ctx context.Context, p *Pipeline) error {
	if len(a.Config.Integrations) == 0 {
		a.Log.Warn("no integrations in the configuration: add one in the dashboard or under integrations: in the config file")
	}
	reports, err := a.ReportScheduler(ctx, p)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	run := func(name string, fn func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn()
			a.Log.Debug("worker stopped", "worker", name)
		}()
	}
	// Scheduling and evaluation run in one process at a time (the leader);
	// backfill batches and outbox rows are claimed by every process.
	run("leader", func() {
		a.lead(ctx, func(ctx context.Context) {
			var lw sync.WaitGroup
			lw.Add(1)
			go func() { defer lw.Done(); _ = a.RunScheduler(ctx, nil) }()
			a.evaluateLoop(ctx, 5*time.Second)
			lw.Wait()
		})
	})
	run("backfills", func() { a.runBackfills(ctx, 2*time.Second) })
	run("deliver", func() { _ = p.Deliverer.Run(ctx) })
	if reports != nil {
		// Every process may run it: each period is claimed in the store first.
		run("reports", func() { reports.Run(ctx, time.Minute) })
	}
	if a.Config.RetentionDays > 0 {
		run("retention", func() { a.retentionLoop(ctx, time.Duration(a.Config.RetentionDays)*24*time.Hour) })
	}
	if a.Config.PoliciesFile != "" {
		run("policy-reload", func() { p.Policies.Watch(ctx, a.Config.PoliciesFile, 2*time.Second) })
	}
	wg.Wait()
	return nil
}

// retentionLoop applies retention_days once an hour.
func (a *App) retentionLoop(ctx context.Context, keep time.Duration) {
	for {
		dropped, err := a.Store.DropBefore(ctx, time.Now().Add(-keep))
		if err != nil && ctx.Err() == nil {
			a.Log.Error("retention", "err", err)
		} else if len(dropped) > 0 {
			a.Log.Info("retention applied", "keep_days", int(keep.Hours()/24), "dropped", dropped)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Hour):
		}
	}
}

// lead runs fn while this process holds leadership. On a store without
// leader election (SQLite: one process) it simply runs fn. A leader
// confirms its lease before every sync cycle and every leaseCheck in
// between; the moment it cannot, fn's context ends and this process goes
// back to waiting for the lease, so two processes never sync at once.
func (a *App) lead(ctx context.Context, fn func(context.Context)) {
	for ctx.Err() == nil {
		l, ok, err := a.Store.TryLeader(ctx, leaderKey)
		if err != nil && ctx.Err() == nil {
			a.Log.Error("leader election", "err", err)
		}
		if ok && l == nil { // one process owns the store: nothing to elect
			fn(ctx)
			return
		}
		if ok {
			a.Log.Info("this process is the scheduling leader")
			a.holdLease(ctx, l, fn)
			l.Release()
			if ctx.Err() != nil {
				return
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
		}
	}
}

// holdLease runs fn under lease l until fn returns or the lease is lost.
func (a *App) holdLease(ctx context.Context, l store.Lease, fn func(context.Context)) {
	lctx, lose := context.WithCancel(ctx)
	defer lose()
	var once sync.Once
	confirm := func(cctx context.Context) error {
		err := l.Confirm(cctx)
		if err != nil && ctx.Err() == nil {
			once.Do(func() { a.Log.Error("lost the scheduling leadership; stopping syncs and evaluation", "err", err) })
			lose()
		}
		return err
	}
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			select {
			case <-lctx.Done():
				return
			case <-time.After(leaseCheck):
			}
			_ = confirm(lctx)
		}
	}()
	fn(withLease(lctx, confirm))
	lose()
	<-watched
}

func (a *App) evaluateLoop(ctx context.Context, every time.Duration) {
	for {
		if confirmLease(ctx) != nil {
			return
		}
		if a.Evaluate != nil {
			if err := a.Evaluate(ctx); err != nil && ctx.Err() == nil {
				a.Log.Error("evaluate policies", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// runBackfills works on every running job; several processes can share a job.
func (a *App) runBackfills(ctx context.Context, poll time.Duration) {
	var mu sync.Mutex
	active := map[int64]bool{}
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		jobs, err := a.Store.Backfills(ctx, 0)
		if err != nil && ctx.Err() == nil {
			a.Log.Error("list backfills", "err", err)
		}
		for _, j := range jobs {
			mu.Lock()
			busy := active[j.ID]
			mu.Unlock()
			if j.Status != store.BackfillRunning || busy {
				continue
			}
			in, err := a.Store.IntegrationByID(ctx, j.IntegrationID)
			if err != nil {
				continue
			}
			s, err := a.Syncer(ctx, in.Name)
			if err != nil {
				a.Log.Error("backfill cannot start", "backfill", j.ID, "err", err)
				_ = a.Store.SetBackfillStatus(ctx, j.ID, store.BackfillFailed, err.Error())
				continue
			}
			mu.Lock()
			active[j.ID] = true
			mu.Unlock()
			wg.Add(1)
			go func(id int64) {
				defer wg.Done()
				job, err := a.Backfiller(s).Run(ctx, id)
				switch {
				case err == nil:
					a.Log.Info("backfill done", "backfill", id, "activities", job.Activities, "messages", job.Messages)
				case errors.Is(err, ingest.ErrStopped), ctx.Err() != nil:
				default:
					a.Log.Error("backfill", "backfill", id, "err", err)
				}
				mu.Lock()
				delete(active, id)
				mu.Unlock()
			}(j.ID)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(poll):
		}
	}
}

// Backfiller works on backfill jobs with the configured concurrency,
// attempts and lease (backfill: in the config), for serve and the CLI alike.
func (a *App) Backfiller(s *ingest.Syncer) *ingest.Backfiller {
	return &ingest.Backfiller{Syncer: s, Concurrency: a.Config.Backfill.Concurrency, MaxAttempts: a.Config.Backfill.MaxAttempts,
		Lease: a.Config.Backfill.Lease.Duration}
}

// ServeHTTP listens on addr with h until ctx ends, then shuts down gracefully.
func ServeHTTP(ctx context.Context, addr string, h http.Handler, ready func(addr string)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another claudit running? use --listen or listen: in the config)", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
