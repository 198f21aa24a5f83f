package postgres_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/store/postgres"
	"github.com/claudit/claudit/internal/store/storetest"
)

func TestStoreSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := postgres.Open(context.Background(), postgres.NewTestDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// open opens a store on dsn, closed when the test ends.
func open(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// addIntegration stores an integration named acme.
func addIntegration(t *testing.T, s *postgres.Store) *store.Integration {
	t.Helper()
	in := &store.Integration{Name: "acme", BaseURL: "http://x"}
	if err := s.UpsertIntegration(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	return in
}

func TestRetentionDropsWholeMonths(t *testing.T) {
	ctx := context.Background()
	s := open(t, postgres.NewTestDatabase(t))
	in := addIntegration(t, s)
	old := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	recent := time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)
	page := store.ActivityPage{IntegrationID: in.ID, Activities: []store.Activity{
		{ID: "activity_old", CreatedAt: old, Type: "user_logged_out", Raw: []byte(`{}`)},
		{ID: "activity_new", CreatedAt: recent, Type: "user_logged_out", Raw: []byte(`{}`)}}}
	if _, err := s.SaveActivityPage(ctx, page); err != nil {
		t.Fatal(err)
	}
	dropped, err := s.DropBefore(ctx, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || len(dropped) != 1 || dropped[0] != "activities_y2025m03" {
		t.Fatalf("dropped %v %v", dropped, err)
	}
	c, _ := s.Counts(ctx, 0)
	if c.Activities != 1 {
		t.Fatalf("activities left: %d", c.Activities)
	}
}

func TestLeaderLock(t *testing.T) {
	ctx := context.Background()
	dsn := postgres.NewTestDatabase(t)
	a, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	first, ok, err := a.TryLeader(ctx, 42)
	if err != nil || !ok {
		t.Fatalf("first leader: %v %v", ok, err)
	}
	if err := first.Confirm(ctx); err != nil {
		t.Fatalf("confirm a held lease: %v", err)
	}
	if _, ok, _ := b.TryLeader(ctx, 42); ok {
		t.Fatalf("two leaders")
	}
	first.Release() // the leader dies
	if err := first.Confirm(ctx); err == nil {
		t.Fatalf("a released lease confirms")
	}
	second, ok, err := b.TryLeader(ctx, 42)
	if err != nil || !ok {
		t.Fatalf("leadership did not move: %v %v", ok, err)
	}
	second.Release()
}

// march2025 is a month the partition tests drop with retention.
var march2025 = time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)

// saveOldActivity stores one activity of march2025 through s.
func saveOldActivity(s *postgres.Store, in *store.Integration, id string) error {
	_, err := s.SaveActivityPage(context.Background(), store.ActivityPage{IntegrationID: in.ID, Activities: []store.Activity{
		{ID: id, CreatedAt: march2025, Type: "user_logged_out", Raw: []byte(`{}`)}}})
	return err
}

// TestInsertAfterPartitionDroppedElsewhere: a process that created a
// month's partition can still insert into that month after another
// process's retention dropped it; the row is kept (in the default partition,
// as this process does not know of the drop) rather than refused, and moves
// into the month's partition when one is created again.
func TestInsertAfterPartitionDroppedElsewhere(t *testing.T) {
	ctx := context.Background()
	dsn := postgres.NewTestDatabase(t)
	a, b := open(t, dsn), open(t, dsn)
	in := addIntegration(t, a)
	// The second save sees the partition the first one created, committed.
	for _, id := range []string{"activity_0", "activity_1"} {
		if err := saveOldActivity(a, in, id); err != nil {
			t.Fatal(err)
		}
	}
	if dropped, err := b.DropBefore(ctx, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil || len(dropped) != 1 {
		t.Fatalf("dropped %v %v", dropped, err)
	}
	if err := saveOldActivity(a, in, "activity_2"); err != nil {
		t.Fatalf("insert into a month whose partition was dropped elsewhere: %v", err)
	}
	if n := countRows(t, dsn, "activities_default"); n != 1 {
		t.Fatalf("%d rows in the default partition, want 1", n)
	}
	if c, _ := a.Counts(ctx, 0); c.Activities != 1 {
		t.Fatalf("activities: %d, want the one saved after the drop", c.Activities)
	}
	// A process that knows nothing of the month creates its partition
	// again: the row waiting in the default partition moves into it.
	if err := saveOldActivity(open(t, dsn), in, "activity_3"); err != nil {
		t.Fatalf("create a partition while the default one holds rows of its month: %v", err)
	}
	if n := countRows(t, dsn, "activities_default"); n != 0 {
		t.Fatalf("%d rows left in the default partition", n)
	}
	if n := countRows(t, dsn, "activities_y2025m03"); n != 2 {
		t.Fatalf("%d rows in the recreated partition, want 2", n)
	}
}

// TestMessagesMoveOutOfTheDefaultPartition: moved messages keep their
// full-text vector (a generated column, computed again on the move).
func TestMessagesMoveOutOfTheDefaultPartition(t *testing.T) {
	ctx := context.Background()
	dsn := postgres.NewTestDatabase(t)
	a, b := open(t, dsn), open(t, dsn)
	in := addIntegration(t, a)
	old := march2025
	save := func(s *postgres.Store, id, text string) {
		t.Helper()
		if _, err := s.SaveChatPage(ctx, store.ChatPage{IntegrationID: in.ID, Chats: []store.HydratedChat{{
			Chat:     store.Chat{ID: "claude_chat_" + id, CreatedAt: old, UpdatedAt: old},
			Messages: []store.Message{{ID: id, Role: "user", Text: text, CreatedAt: old}},
		}}}); err != nil {
			t.Fatal(err)
		}
	}
	save(a, "m0", "first")
	save(a, "m1", "second") // now a knows the partition
	if _, err := b.DropBefore(ctx, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	save(a, "m2", "zanzibar quarterly numbers") // into the default partition
	if n := countRows(t, dsn, "messages_default"); n != 1 {
		t.Fatalf("%d messages in the default partition, want 1", n)
	}
	save(open(t, dsn), "m3", "third") // creates the partition again
	if n := countRows(t, dsn, "messages_default"); n != 0 {
		t.Fatalf("%d messages left in the default partition", n)
	}
	evs, _, err := a.PromptEvents(ctx, store.EventFilter{Query: "zanzibar", Limit: 10})
	if err != nil || len(evs) != 1 || evs[0].ID != "m2" {
		t.Fatalf("search after the move: %v %v", evs, err)
	}
}

// TestRetentionCoversTheDefaultPartition: rows that landed in the default
// partition are dropped by retention like the rest of their month.
func TestRetentionCoversTheDefaultPartition(t *testing.T) {
	ctx := context.Background()
	dsn := postgres.NewTestDatabase(t)
	a, b := open(t, dsn), open(t, dsn)
	in := addIntegration(t, a)
	save := func(id string) {
		t.Helper()
		if err := saveOldActivity(a, in, id); err != nil {
			t.Fatal(err)
		}
	}
	save("activity_0")
	save("activity_1") // now a knows the partition
	if _, err := b.DropBefore(ctx, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	save("activity_2") // a does not know of the drop: the default partition
	if n := countRows(t, dsn, "activities_default"); n != 1 {
		t.Fatalf("%d rows in the default partition, want 1", n)
	}
	if _, err := b.DropBefore(ctx, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if c, _ := a.Counts(ctx, 0); c.Activities != 0 {
		t.Fatalf("%d activities older than the retention cutoff kept", c.Activities)
	}
}

func countRows(t *testing.T, dsn, table string) int {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestConcurrentOpenMigratesOnce opens several stores at once on a new
// database: each must open, the migrations must be recorded once, and the
// migration lock must not stay held by any store's pooled connections.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	ctx := context.Background()
	dsn := postgres.NewTestDatabase(t)
	const n = 4
	type opened struct {
		s   *postgres.Store
		err error
	}
	ch := make(chan opened, n)
	for range n {
		go func() {
			s, err := postgres.Open(ctx, dsn)
			ch <- opened{s, err}
		}()
	}
	for range n {
		o := <-ch
		if o.err != nil {
			t.Fatal(o.err)
		}
		t.Cleanup(func() { o.s.Close() })
		if _, err := o.s.InstallID(ctx); err != nil {
			t.Fatal(err)
		}
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var dup, held int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) - COUNT(DISTINCT version) FROM schema_migrations`).Scan(&dup); err != nil || dup != 0 {
		t.Fatalf("migrations recorded twice: %d (%v)", dup, err)
	}
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 7311001 AND granted
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&held); err != nil || held != 0 {
		t.Fatalf("migration lock still held by %d sessions (%v)", held, err)
	}
}
