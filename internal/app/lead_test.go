package app

import (
	"context"
	"database/sql"
	"log/slog"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/config"
	"github.com/claudit/claudit/internal/store/postgres"
)

// TestLeaderStopsWhenItsConnectionIsCut cuts the leader's database
// connection with pg_terminate_backend while its process lives on: the
// leader stops its work (it used to keep syncing, never re-checking its
// lease), and the other process takes over.
func TestLeaderStopsWhenItsConnectionIsCut(t *testing.T) {
	dsn := postgres.NewTestDatabase(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	open := func() *App {
		st, err := postgres.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return &App{Config: &config.Config{}, Store: st, Log: slog.New(slog.DiscardHandler)}
	}
	first, second := open(), open()

	type lead struct {
		id      string
		started bool
	}
	events := make(chan lead, 8)
	work := func(id string) func(context.Context) {
		return func(ctx context.Context) {
			if err := confirmLease(ctx); err != nil {
				t.Errorf("%s: a fresh lease does not confirm: %v", id, err)
			}
			events <- lead{id, true}
			<-ctx.Done() // a leader's work runs until its lease ends
			events <- lead{id, false}
		}
	}
	go first.lead(ctx, work("first"))
	if ev := <-events; ev.id != "first" || !ev.started {
		t.Fatalf("unexpected %+v", ev)
	}
	go second.lead(ctx, work("second"))

	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var n int
	if err := admin.QueryRowContext(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND objid = $1 AND granted
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`, leaderKey).Scan(&n); err != nil || n != 1 {
		t.Fatalf("terminate the leader's connection: %d %v", n, err)
	}

	// The first leader stops and the second takes over (in either order:
	// the lock is free the moment the connection dies). A leader that never
	// re-checks its lease never stops: give up near the test binary's own
	// deadline (go test -timeout), not after a guess at how long is enough.
	var giveUp <-chan time.Time
	if d, ok := t.Deadline(); ok {
		giveUp = time.After(time.Until(d) * 9 / 10)
	}
	stopped, took := false, false
	for !stopped || !took {
		select {
		case ev := <-events:
			switch {
			case ev.id == "first" && !ev.started:
				stopped = true
			case ev.id == "second" && ev.started:
				took = true
			default:
				t.Fatalf("unexpected %+v", ev)
			}
		case <-giveUp:
			t.Fatalf("near the test deadline: first leader stopped %v, second took over %v", stopped, took)
		}
	}
}
