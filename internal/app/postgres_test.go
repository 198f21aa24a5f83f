package app_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"testing"

	"github.com/claudit/claudit/internal/app"
	"github.com/claudit/claudit/internal/config"
	"github.com/claudit/claudit/internal/store/postgres"
)

// TestPostgresConnectionsNamedAndSized opens the configured PostgreSQL store
// and wants its connections named for the process in pg_stat_activity
// (claudit, the command and the pid) and its pool of the configured size.
func TestPostgresConnectionsNamedAndSized(t *testing.T) {
	ctx := context.Background()
	dsn := postgres.NewTestDatabase(t)
	cfg, err := config.Parse("c.yaml", []byte(fmt.Sprintf("database: %s\ndatabase_pool: 5\n", dsn)))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Process = "serve"
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Integrations(ctx); err != nil {
		t.Fatal(err)
	}
	pg, ok := st.(*postgres.Store)
	if !ok {
		t.Fatalf("store is %T", st)
	}
	if n := pg.MaxConns(); n != 5 {
		t.Fatalf("pool of %d connections, want 5", n)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	want := fmt.Sprintf("claudit serve %d", os.Getpid())
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`, want).Scan(&n); err != nil || n == 0 {
		var names []string
		rows, _ := db.QueryContext(ctx, `SELECT application_name FROM pg_stat_activity WHERE datname = current_database()`)
		for rows != nil && rows.Next() {
			var s string
			_ = rows.Scan(&s)
			names = append(names, s)
		}
		t.Fatalf("no connection named %q (%v); names: %q", want, err, names)
	}
}
