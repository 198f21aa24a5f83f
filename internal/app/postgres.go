package app

import (
	"context"
	"os"
	"strconv"
	"time"

	"github.com/claudit/claudit/internal/config"

	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/store/postgres"
)

// openPostgres opens the store with the configured pool, its connections
// named "claudit <command> <pid>" so operators can tell processes apart in
// pg_stat_activity.
func openPostgres(ctx context.Context, cfg *config.Config) (store.Store, error) {
	name := "claudit"
	if cfg.Process != "" {
		name += " " + cfg.Process
	}
	name += " " + strconv.Itoa(os.Getpid())
	return postgres.OpenWith(ctx, cfg.Database, postgres.Options{ApplicationName: name, MaxConns: cfg.DatabasePool})
}

// leaseCheck is how often a leader confirms its lease between cycles.
const leaseCheck = time.Second

type leaseKey struct{}

// withLease marks ctx as the context of a leader whose lease confirm checks.
func withLease(ctx context.Context, confirm func(context.Context) error) context.Context {
	return context.WithValue(ctx, leaseKey{}, confirm)
}

// confirmLease checks, on a leader's context, that the lease is still held;
// outside leadership (SQLite, sync --once) there is nothing to confirm.
func confirmLease(ctx context.Context) error {
	if confirm, ok := ctx.Value(leaseKey{}).(func(context.Context) error); ok {
		return confirm(ctx)
	}
	return nil
}

// leaderKey is the advisory lock that makes one process the scheduler.
const leaderKey = 7311000
