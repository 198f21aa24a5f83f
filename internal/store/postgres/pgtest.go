package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"testing"

	"github.com/claudit/claudit/internal/testenv"
)

// TestDSNEnv names the variable with an admin DSN for tests; CI sets it.
const TestDSNEnv = "CLAUDIT_TEST_POSTGRES"

// NewTestDatabase creates a fresh database for one test and drops it after.
// Without a server it skips the test with a clear message, unless
// CLAUDIT_REQUIRE_POSTGRES=1 (CI), where it fails. Either way it notes for
// make test's summary whether the test ran against PostgreSQL.
func NewTestDatabase(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(TestDSNEnv)
	why := "not reachable at " + TestDSNEnv
	if admin == "" {
		admin = "postgres://postgres:claudit@127.0.0.1:5432/postgres?sslmode=disable"
		why = TestDSNEnv + " unset, no server at 127.0.0.1:5432"
	}
	db, err := sql.Open("pgx", admin)
	if err == nil {
		err = db.PingContext(context.Background())
	}
	if err != nil {
		if db != nil {
			db.Close()
		}
		testenv.Skip(t, testenv.Postgres, why,
			fmt.Sprintf("%v; set %s to an admin DSN, or run .ci/run which starts PostgreSQL 15", err, TestDSNEnv))
		return ""
	}
	testenv.Ran(t, testenv.Postgres)
	name := fmt.Sprintf("claudit_test_%d", rand.Int64N(1<<40))
	if _, err := db.Exec(`CREATE DATABASE ` + name); err != nil {
		db.Close()
		t.Fatalf("create test database: %v", err)
	}
	// A test database need not survive a crash of the server: commits that
	// do not wait for the disk keep the suites fast on a busy machine.
	if _, err := db.Exec(`ALTER DATABASE ` + name + ` SET synchronous_commit = off`); err != nil {
		db.Close()
		t.Fatalf("configure test database: %v", err)
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
