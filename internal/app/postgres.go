package app

import (
	"context"

	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/store/postgres"
)

func openPostgres(ctx context.Context, dsn string) (store.Store, error) {
	return postgres.Open(ctx, dsn)
}

// leaderElector is implemented by stores that several processes share.
type leaderElector interface {
	TryLeader(ctx context.Context, key int64) (release func(), ok bool, err error)
}

// leaderKey is the advisory lock that makes one process the scheduler.
const leaderKey = 7311000
