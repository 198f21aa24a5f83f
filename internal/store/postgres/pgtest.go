package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"testing"
)

// TestDSNEnv names the variable with an admin DSN for tests; CI sets it.
const TestDSNEnv = "CLAUDIT_TEST_POSTGRES"

// NewTestDatabase creates a fresh database for one test and drops it after.
// Without a server it skips the test with a clear message, unless
// CLAUDIT_REQUIRE_POSTGRES=1 (CI), where it fails.
func NewTestDatabase(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(TestDSNEnv)
	if admin == "" {
		admin = "postgres://postgres:claudit@127.0.0.1:5432/postgres?sslmode=disable"
	}
	db, err := sql.Open("pgx", admin)
	if err == nil {
		err = db.PingContext(context.Background())
	}
	if err != nil {
		if db != nil {
			db.Close()
		}
		if os.Getenv("CLAUDIT_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("PostgreSQL required but not reachable at %s: %v", TestDSNEnv, err)
		}
		t.Skipf("PostgreSQL not reachable (%v): set %s to an admin DSN, or run .ci/run which starts PostgreSQL 15", err, TestDSNEnv)
	}
	name := fmt.Sprintf("claudit_test_%d", rand.Int64N(1<<40))
	if _, err := db.Exec(`CREATE DATABASE ` + name); err != nil {
		db.Close()
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		_, _ = db.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
		db.Close()
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
