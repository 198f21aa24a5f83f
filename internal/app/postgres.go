package app

import (
	"context"
	"fmt"

	"github.com/claudit/claudit/internal/store"
)

// openPostgres is replaced when the PostgreSQL backend is built in.
var openPostgres = func(ctx context.Context, dsn string) (store.Store, error) {
	return nil, fmt.Errorf("the PostgreSQL backend is not available in this build; use database: sqlite://./claudit.db")
}
