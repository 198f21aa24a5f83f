// Package postgres opens claudit's store on PostgreSQL 15 through pgx:
// the same SQL as SQLite (store/sqlstore) with tsvector full-text search,
// monthly range partitions of the message and activity tables, a retention
// that drops whole partitions, and row claims with FOR UPDATE SKIP LOCKED so
// several claudit processes share one database.
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib" // also registers the "pgx" driver

	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// partitionedTables are range-partitioned by created_at (µs) per month.
var partitionedTables = []string{"activities", "messages"}

// Store is the PostgreSQL store.
type Store struct {
	*sqlstore.Store
	db    *sql.DB
	parts *partitions
}

// Options tune OpenWith; zero values take the defaults.
type Options struct {
	// ApplicationName labels the connections in pg_stat_activity (default
	// "claudit <pid>"). An application_name in the DSN, or PGAPPNAME, wins.
	ApplicationName string
	// MaxConns caps this process's connections (default 16).
	MaxConns int
}

// maxApplicationName is PostgreSQL's limit (NAMEDATALEN - 1 bytes).
const maxApplicationName = 63

// Open connects with the default options, migrates and returns the store.
func Open(ctx context.Context, dsn string) (*Store, error) {
	return OpenWith(ctx, dsn, Options{})
}

// OpenWith connects, migrates and returns the store.
func OpenWith(ctx context.Context, dsn string, o Options) (*Store, error) {
	if o.ApplicationName == "" {
		o.ApplicationName = "claudit " + strconv.Itoa(os.Getpid())
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 16
	}
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if _, set := cc.RuntimeParams["application_name"]; !set {
		cc.RuntimeParams["application_name"] = truncateName(o.ApplicationName)
	}
	// pgx prepares each statement once per connection; after five runs the
	// server may switch to a generic plan, blind to the search words, which
	// intersects a user's messages with the full-text index even for a word
	// in every message (150 ms of server CPU at 1 M messages instead of 4).
	// Planning each run costs a fraction of a millisecond.
	if _, set := cc.RuntimeParams["plan_cache_mode"]; !set {
		cc.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	}
	db := stdlib.OpenDB(*cc)
	db.SetMaxOpenConns(o.MaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to postgres: %w (is the server running and the DSN right?)", err)
	}
	// Migrations run once at a time across processes. A session lock
	// belongs to one connection: take and release it on a dedicated one, or
	// the unlock may run on another pooled connection and leave it held.
	lock, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("lock migrations: %w", err)
	}
	if _, err := lock.ExecContext(ctx, `SELECT pg_advisory_lock(7311001)`); err != nil {
		lock.Close()
		db.Close()
		return nil, fmt.Errorf("lock migrations: %w", err)
	}
	sub, _ := fs.Sub(migrations, "migrations")
	p := &partitions{known: map[string]bool{}}
	inner, err := sqlstore.New(ctx, db, db, sqlstore.Dialect{
		Name:            "postgres",
		Numbered:        true,
		Migrations:      sub,
		FTS:             func() string { return "m.tsv @@ plainto_tsquery('simple', ?)" },
		FTSQuery:        func(q string) string { return q },
		SkipLocked:      " FOR UPDATE SKIP LOCKED",
		EnsurePartition: p.ensure,
		Retryable:       conflict,
		Now:             `SELECT (EXTRACT(EPOCH FROM now()) * 1000000)::bigint`,
	})
	if _, uerr := lock.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(7311001)`); uerr != nil {
		// Drop the connection so the lock cannot outlive this start.
		_ = lock.Raw(func(any) error { return driver.ErrBadConn })
	}
	lock.Close()
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate postgres: %w", err)
	}
	return &Store{Store: inner, db: db, parts: p}, nil
}

// truncateName keeps an application name within PostgreSQL's limit
// without splitting a UTF-8 character.
func truncateName(s string) string {
	if len(s) <= maxApplicationName {
		return s
	}
	s = s[:maxApplicationName]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// MaxConns is the most connections this process opens.
func (s *Store) MaxConns() int { return s.db.Stats().MaxOpenConnections }

// conflict reports deadlocks and serialization failures, which PostgreSQL
// resolves by aborting one transaction that may simply run again.
func conflict(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// partitions creates monthly partitions before rows land in them.
type partitions struct {
	mu    sync.Mutex
	known map[string]bool
}

func monthBounds(t time.Time) (time.Time, time.Time) {
	start := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	return start, start.AddDate(0, 1, 0)
}

func partitionName(table string, start time.Time) string {
	return fmt.Sprintf("%s_y%04dm%02d", table, start.Year(), int(start.Month()))
}

// ensure creates the month partitions of table that the times fall in.
// A partition counts as known only once it is seen committed in the
// catalog: one created by this transaction may still be rolled back, and
// trusting it would send that month's rows to the default partition, where
// they would later block creating the month's partition.
func (p *partitions) ensure(ctx context.Context, tx *sql.Tx, table string, times []time.Time) error {
	need := map[string]time.Time{}
	p.mu.Lock()
	for _, t := range times {
		start, _ := monthBounds(t.UTC())
		name := partitionName(table, start)
		if !p.known[name] {
			need[name] = start
		}
	}
	p.mu.Unlock()
	if len(need) == 0 {
		return nil
	}
	// Serialise partition creation across processes for this transaction.
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7311002)`); err != nil {
		return fmt.Errorf("lock partitions: %w", err)
	}
	var committed []string
	for name, start := range need {
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_class WHERE relname = $1 AND xmin::text::bigint <> txid_current() % 4294967296)`, name).Scan(&exists); err != nil {
			return fmt.Errorf("look up partition %s: %w", name, err)
		}
		if exists {
			committed = append(committed, name)
			continue
		}
		if err := createPartition(ctx, tx, table, name, start); err != nil {
			return err
		}
	}
	p.mu.Lock()
	for _, name := range committed {
		p.known[name] = true
	}
	p.mu.Unlock()
	return nil
}

// createPartition creates the month partition name of table starting at
// start. Rows of that month may wait in the default partition: inserted by
// a process that still believed in a partition another process's retention
// had dropped. PostgreSQL refuses the new partition while they are there,
// so they move into it in the same transaction.
func createPartition(ctx context.Context, tx *sql.Tx, table, name string, start time.Time) error {
	_, end := monthBounds(start)
	from, to := start.UnixMicro(), end.UnixMicro()
	create := fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s PARTITION OF %s FOR VALUES FROM (%d) TO (%d)`, name, table, from, to)
	def := table + "_default"
	var waiting bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM `+def+` WHERE created_at >= $1 AND created_at < $2)`, from, to).Scan(&waiting); err != nil {
		return fmt.Errorf("create partition %s: look in %s: %w", name, def, err)
	}
	if !waiting {
		if _, err := tx.ExecContext(ctx, create); err != nil {
			return fmt.Errorf("create partition %s: %w", name, err)
		}
		return nil
	}
	// Generated columns (the full-text vector) are computed again on insert.
	var cols string
	if err := tx.QueryRowContext(ctx, `SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position)
		FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER'`, table).Scan(&cols); err != nil {
		return fmt.Errorf("create partition %s: columns of %s: %w", name, table, err)
	}
	moving := "moving_" + name
	for _, q := range []string{
		fmt.Sprintf(`CREATE TEMP TABLE %s ON COMMIT DROP AS SELECT %s FROM %s WHERE created_at >= %d AND created_at < %d`, moving, cols, def, from, to),
		fmt.Sprintf(`DELETE FROM %s WHERE created_at >= %d AND created_at < %d`, def, from, to),
		create,
		fmt.Sprintf(`INSERT INTO %s (%s) SELECT %s FROM %s`, table, cols, cols, moving),
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create partition %s, moving its rows out of %s: %w", name, def, err)
		}
	}
	return nil
}

// forget makes ensure look a partition up again (after retention dropped it).
func (p *partitions) forget(names []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, n := range names {
		delete(p.known, n)
	}
}

// DropBefore drops whole monthly partitions that end at or before cutoff and
// returns their names (the retention setting).
func (s *Store) DropBefore(ctx context.Context, cutoff time.Time) ([]string, error) {
	var dropped []string
	for _, table := range partitionedTables {
		rows, err := s.db.QueryContext(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
			JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = $1`, table)
		if err != nil {
			return dropped, fmt.Errorf("list partitions of %s: %w", table, err)
		}
		var names []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return dropped, err
			}
			names = append(names, n)
		}
		rows.Close()
		for _, n := range names {
			var y, m int
			if _, err := fmt.Sscanf(n, table+"_y%04dm%02d", &y, &m); err != nil {
				continue
			}
			end := time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 1, 0)
			if end.After(cutoff) {
				continue
			}
			if _, err := s.db.ExecContext(ctx, `DROP TABLE `+n); err != nil {
				return dropped, fmt.Errorf("drop partition %s: %w", n, err)
			}
			dropped = append(dropped, n)
		}
		// Rows of those months can also sit in the default partition (see
		// createPartition): they go too.
		monthStart, _ := monthBounds(cutoff.UTC())
		if _, err := s.db.ExecContext(ctx, `DELETE FROM `+table+`_default WHERE created_at < $1`, monthStart.UnixMicro()); err != nil {
			return dropped, fmt.Errorf("drop old rows of %s_default: %w", table, err)
		}
	}
	s.parts.forget(dropped)
	return dropped, nil
}

// Leadership is a held leadership lease: a session advisory lock on one
// dedicated connection. It is lost when that connection is: cut by
// pg_terminate_backend, a network failure or a server restart.
type Leadership struct {
	conn *sql.Conn
	key  int64
	once sync.Once
}

// TryLeader takes the leadership lease key if no live process holds it.
func (s *Store) TryLeader(ctx context.Context, key int64) (store.Lease, bool, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, false, err
	}
	var ok bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok); err != nil || !ok {
		conn.Close()
		return nil, false, err
	}
	return &Leadership{conn: conn, key: key}, true, nil
}

// ErrLeadershipLost says the lease is no longer this process's.
var ErrLeadershipLost = errors.New("leadership lost: this process no longer holds the lease")

// Confirm asks the server whether this session still holds the lock; it
// fails when the connection is gone or the lock was released.
func (l *Leadership) Confirm(ctx context.Context) error {
	var held bool
	// A bigint advisory key shows in pg_locks as classid (high 32 bits),
	// objid (low 32 bits) and objsubid 1.
	err := l.conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
		AND granted AND objsubid = 1 AND classid = ($1::bigint >> 32)::oid AND objid = ($1::bigint & 4294967295)::oid)`, l.key).Scan(&held)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrLeadershipLost, err)
	}
	if !held {
		return ErrLeadershipLost
	}
	return nil
}

// Release gives the lease up (safe to call more than once).
func (l *Leadership) Release() {
	l.once.Do(func() {
		_, _ = l.conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, l.key)
		l.conn.Close()
	})
}
