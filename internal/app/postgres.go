package app

import (
	"context"
	"os"
	"strconv"

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

// leaderElector is implemented by stores that several processes share.
type leaderElector interface {
	TryLeader(ctx context.Context, key int64) (release func(), ok bool, err error)
}

// leaderKey is the advisory lock that makes one process the scheduler.
const leaderKey = 7311000
