// Package sqlstore implements store.Store over database/sql. The SQL is
// portable between SQLite and PostgreSQL; what differs (placeholders,
// full-text search, row locking, migrations) comes from a Dialect.
//
// Files are named by resource (accounts.go, activities.go, alerts.go,
// backfills.go, chats.go, messages.go, outbox.go, ...); query.go holds
// what they share: the WHERE builder, event cursors and queryRows and
// queryPage, the one query-scan loop every list goes through.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// Dialect captures what differs between backends.
type Dialect struct {
	Name string
	// Numbered placeholders ($1) instead of ?.
	Numbered bool
	// Migrations holds NNNN_name.sql files applied in order.
	Migrations fs.FS
	// FTS returns a boolean SQL clause matching messages aliased m against
	// one placeholder bound to the already sanitised query.
	FTS func() string
	// FTSQuery turns user input into the backend's query syntax.
	FTSQuery func(q string) string
	// FTSProbe, when set, selects matching row ids (placeholders: query,
	// limit); FTSCount counts them up to a limit. Up to FTSInlineMax
	// matches, those ids are the filter; below FTSDenseAt, FTSSet, a
	// membership test in the set of matches built once, is checked while an
	// index walks the rows in order; from FTSDenseAt on, FTSDense, a clause
	// that looks each row up in the full-text index, is checked instead (the
	// walk stops after a page, before the set of matches could be built).
	FTSProbe string
	// FTSProbeLast selects the matching row ids from the largest down
	// (placeholders: query, limit). When the probe's ids and these both
	// hold at least FTSDenseShare of the row ids they span, the search is
	// taken as dense without counting.
	FTSProbeLast  string
	FTSDenseShare float64
	FTSCount      string
	FTSSet        func() string
	FTSDense      func() string
	FTSDenseAt    int
	FTSInlineMax  int
	// UserIDsFirst resolves a prompt filter's email to user ids before the
	// query: on SQLite a single id lets the user index give rows in time
	// order. PostgreSQL keeps the subquery, with which its planner reads the
	// user's rows instead of intersecting them with the full-text index.
	UserIDsFirst bool
	// SkipLocked is appended to claim selects ("FOR UPDATE SKIP LOCKED" on PostgreSQL).
	SkipLocked string
	// EnsurePartition, when set, makes sure rows of table at these times have
	// a partition to land in (PostgreSQL monthly partitions).
	EnsurePartition func(ctx context.Context, tx *sql.Tx, table string, times []time.Time) error
	// IndexMessagesAfter, when set, adds the messages inserted after rowid
	// (LastMessageRowID before the inserts) to the full-text index (SQLite
	// FTS5); the single writer makes every later rowid one of this page's.
	IndexMessagesAfter func(ctx context.Context, tx *sql.Tx, rowid int64) error
	LastMessageRowID   func(ctx context.Context, tx *sql.Tx) (int64, error)
	// ReuseWriterStmts keeps the ingest statements prepared on the writer
	// pool across transactions (SQLite: one writer connection, and its
	// driver caches no statements).
	ReuseWriterStmts bool
	// InsertOrIgnore writes the ingest's multi-row inserts as INSERT OR
	// IGNORE (SQLite) instead of ON CONFLICT DO NOTHING.
	InsertOrIgnore bool
	// Retryable reports a transaction conflict (deadlock, serialization
	// failure) after which the whole transaction should simply run again.
	Retryable func(error) bool
	// AfterCommit, when set, runs after each committed write transaction
	// (SQLite: wake the background WAL checkpointer).
	AfterCommit func()
	// Close, when set, runs before the pools are closed.
	Close func() error
	// Bulk, when set, is the pool that Store.Bulk's view reads through:
	// the evaluation pipeline's reads (pending events, the chats' findings
	// and messages for the session policies, users' groups, places and
	// history) pick rows all over the store, and go to connections of their
	// own so that they do not fill the page caches of the readers that the
	// dashboard's queries use. Store.Close closes it.
	Bulk *sql.DB
	// Now is a query returning the database's clock in microseconds since
	// the epoch. Leases are compared with it, not with each process's
	// clock, so a process whose clock runs ahead cannot take a live lease.
	Now string
}

func (s *Store) ensurePartition(ctx context.Context, tx *sql.Tx, table string, times []time.Time) error {
	if s.d.EnsurePartition == nil || len(times) == 0 {
		return nil
	}
	return s.d.EnsurePartition(ctx, tx, table, times)
}

// Both backends are this one type.
var _ store.Store = (*Store)(nil)

// Store is the database/sql implementation of store.Store.
type Store struct {
	w, r *sql.DB // writer (one connection on SQLite) and readers
	d    Dialect
	now  func() time.Time
	ws   *writerStmts // shared with Bulk views: one writer, one set of statements
	es   *evalStmts   // whether evaluation's statements are in ws
	view bool         // a view of another Store (Bulk): Close leaves the pools open
}

// New wraps opened pools and applies migrations.
func New(ctx context.Context, w, r *sql.DB, d Dialect) (*Store, error) {
	s := &Store{w: w, r: r, d: d, now: time.Now, ws: &writerStmts{}, es: &evalStmts{}}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// SetClock replaces the process clock the store stamps rows with (tests: a
// process whose clock runs ahead or behind). Leases keep the database clock.
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// dbNow reads the database clock through q (a transaction or a pool).
func (s *Store) dbNow(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}) (time.Time, error) {
	if s.d.Now == "" {
		return time.Now(), nil
	}
	var v int64
	if err := q.QueryRowContext(ctx, s.d.Now).Scan(&v); err != nil {
		return time.Time{}, fmt.Errorf("read the database clock: %w", err)
	}
	return tm(v), nil
}

// Bulk returns a view of the store that reads through Dialect.Bulk (the
// store itself when there is none) and writes as the store does; the
// evaluation pipeline works through it. Closing the view closes nothing.
func (s *Store) Bulk() store.Store {
	if s.d.Bulk == nil {
		return s
	}
	v := *s
	v.r = s.d.Bulk
	v.now = func() time.Time { return s.now() } // SetClock on s still applies
	v.view = true
	return &v
}

// Close closes the pools.
func (s *Store) Close() error {
	if s.view {
		return nil
	}
	var err error
	if s.d.Close != nil {
		err = s.d.Close()
	}
	s.closeWriterStmts()
	err = errors.Join(err, s.w.Close())
	if s.d.Bulk != nil {
		err = errors.Join(err, s.d.Bulk.Close())
	}
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	return err
}

// SingleWriter reports whether writes go through one connection (SQLite), so
// that concurrent writers gain nothing over one that groups their pages.
func (s *Store) SingleWriter() bool { return s.w.Stats().MaxOpenConnections == 1 }

// Backend names the dialect.
func (s *Store) Backend() string { return s.d.Name }

// TryLeader implements store.Store for a store one process owns: no
// election, a nil lease (PostgreSQL overrides it).
func (s *Store) TryLeader(context.Context, int64) (store.Lease, bool, error) { return nil, true, nil }

// CompactLog truncates SQLite's write-ahead log into the database file.
func (s *Store) CompactLog(ctx context.Context) error {
	if s.d.Name != "sqlite" {
		return nil
	}
	if _, err := s.w.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return fmt.Errorf("checkpoint the write-ahead log: %w", err)
	}
	return nil
}

// DB exposes the writer pool for backend-specific maintenance (retention, VACUUM).
func (s *Store) DB() *sql.DB { return s.w }

// q rewrites ? placeholders for dialects with numbered ones.
func (s *Store) q(query string) string {
	if !s.d.Numbered {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	entries, err := fs.ReadDir(s.d.Migrations, ".")
	if err != nil {
		return fmt.Errorf("read migrations: %w", err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number", name)
		}
		var n int
		if err := s.w.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), v).Scan(&n); err != nil {
			return fmt.Errorf("check migration %s: %w", name, err)
		}
		if n > 0 {
			continue
		}
		body, err := fs.ReadFile(s.d.Migrations, name)
		if err != nil {
			return err
		}
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("apply migration %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`), v, name, us(s.now())); err != nil {
			tx.Rollback()
			return fmt.Errorf("record migration %s: %w", name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("commit migration %s: %w", name, err)
		}
	}
	return nil
}

// us converts a time to stored microseconds; the zero time is 0.
func us(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// tm converts stored microseconds back; 0 is the zero time.
func tm(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

func usPtr(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

func tmPtr(v sql.NullInt64) *time.Time {
	if !v.Valid || v.Int64 == 0 {
		return nil
	}
	t := tm(v.Int64)
	return &t
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// inTx runs fn in a transaction, again (a few times, with a short pause)
// when the database reports a conflict; fn must reset its outputs on entry.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.txOnce(ctx, fn)
		if err == nil || s.d.Retryable == nil || !s.d.Retryable(err) || attempt >= 8 {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
		}
	}
}

func (s *Store) txOnce(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if s.d.AfterCommit != nil {
		s.d.AfterCommit()
	}
	return nil
}
