// Package sqlite opens claudit's embedded store: SQLite through the pure-Go
// modernc.org/sqlite driver, in WAL mode, with an FTS5 index over message text.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/claudit/claudit/internal/store/sqlstore"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// Open opens (creating if needed) the database at path and migrates it.
func Open(ctx context.Context, path string) (*sqlstore.Store, error) {
	if err := createPrivate(path); err != nil {
		return nil, err
	}
	// A new database gets pages of 8 KiB rather than SQLite's 4 KiB. A
	// commit writes each page it changed into the WAL with two writes (frame
	// header, page) and the checkpointer copies it back with one, and during
	// ingest most changed pages are index leaves that take a few new rows
	// each: with half as many pages to a database, a sync made half the
	// write and read syscalls (100 k activities: 3.2 -> 1.6 writes and
	// 1.9 -> 1.0 reads a message; with policies 7.3 -> 3.8 and 4.5 -> 2.3).
	// The size only takes on a new database, before its first page is
	// written, which setting the journal mode does: the driver runs the
	// _pragma list sorted by name (journal_mode before page_size), so WAL
	// mode comes through _journal_mode, which it applies after the list. An
	// existing database keeps its page size.
	pragmas := url.Values{}
	for _, p := range []string{"page_size(8192)", "busy_timeout(10000)", "synchronous(NORMAL)", "foreign_keys(ON)", "temp_store(MEMORY)"} {
		pragmas.Add("_pragma", p)
	}
	base := "file:" + path + "?" + pragmas.Encode() + "&_journal_mode=WAL"
	// A cached page costs more than its size in RSS: SQLite allocates it
	// with its headers (8 KiB and some 300 bytes), which the C allocator
	// under the pure-Go driver (modernc.org/memory) serves from a 16 KiB
	// slot, three to a 64 KiB region: 2.7 bytes of RSS a byte of cache,
	// where 4 KiB pages took 8 KiB slots, seven to a region (2.3). The
	// caches are sized for the RSS the 4 KiB caches had (16 MiB for a
	// reader, 2 for a bulk reader) or less (the writer's, below). The
	// readers (the dashboard's and API's queries) keep 14 MiB each.
	dsn := base + "&_pragma=cache_size(-14336)"
	// The writer checkpoints the WAL itself only once it is 80 MB (10 000
	// pages) long (the background checkpointer has fallen behind); below
	// that, commits leave it to the checkpointer. Its page cache is 16 MiB:
	// at a million messages the indexes are hundreds of megabytes and every
	// insert descends into them, so the cache saves page reads (1 M sync,
	// 4 KiB pages: with the writer's queue bounded by rows, 273 -> 208 µs
	// of CPU per message, peak RSS 317 -> 271 MB), but it is also most of
	// what the peak RSS can still give: a 1 M sync with policies on peaked
	// at 313.6, 301.9 and 293.4 MB with 24, 20 and 16 MiB (8 KiB pages, one
	// run each, CPU within the runs' noise of 152-201 CPU-s).
	w, err := sql.Open("sqlite", base+"&_pragma=wal_autocheckpoint(10000)&_pragma=cache_size(-16384)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// SQLite has one writer: a single connection serialises writes without busy errors.
	w.SetMaxOpenConns(1)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	// The evaluation pipeline reads through connections of its own with
	// 1.75 MiB caches (2 MiB with 4 KiB pages; sqlstore.Dialect.Bulk). Its reads pick rows all over the
	// store (the chats a batch touched, their findings and messages, users'
	// histories), and at a million events they filled the 16 MiB caches of
	// the readers they used to go through: about 100 MB of RSS, the part of
	// the peak that grew with the database; four connections of 4 MiB
	// still held 30 MB (docs/PERFORMANCE.md). A larger cache would save it
	// few page reads in any case: a connection's cache starts over whenever
	// another one has committed since its last read (WAL mode), every few
	// hundred milliseconds while ingest or the pipeline writes.
	bulk, err := sql.Open("sqlite", base+"&_pragma=cache_size(-1792)")
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	bulk.SetMaxOpenConns(4)
	// The checkpointer copies WAL frames without its page cache, which holds
	// little more than the schema.
	cp, err := newCheckpointer(base + "&_pragma=cache_size(-256)")
	if err != nil {
		w.Close()
		r.Close()
		bulk.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	sub, _ := fs.Sub(migrations, "migrations")
	s, err := sqlstore.New(ctx, w, r, sqlstore.Dialect{
		Name:          "sqlite",
		Migrations:    sub,
		FTS:           func() string { return "m.rowid IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)" },
		FTSQuery:      ftsQuery,
		FTSProbe:      "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? LIMIT ?",
		FTSProbeLast:  "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rowid DESC LIMIT ?",
		FTSDenseShare: 0.25,
		FTSCount:      "SELECT COUNT(*) FROM (SELECT 1 FROM messages_fts WHERE messages_fts MATCH ? LIMIT ?) AS matched",
		// The unary + keeps the planner from driving the query by rowid
		// from the set: it walks the time or user index and tests each row.
		FTSSet: func() string { return "+m.rowid IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)" },
		FTSDense: func() string {
			return "EXISTS (SELECT 1 FROM messages_fts WHERE messages_fts MATCH ? AND rowid = m.rowid)"
		},
		// Measured at 1 M messages (docs/PERFORMANCE.md): fetching and sorting
		// the matches wins below about a thousand; building the set costs
		// about 0.4 µs a match and a row-by-row look-up about 100 µs, so the
		// set wins until some 15 % of messages match.
		FTSDenseAt:         150000,
		FTSInlineMax:       1000,
		UserIDsFirst:       true,
		IndexMessagesAfter: indexMessagesAfter,
		LastMessageRowID:   lastMessageRowID,
		ReuseWriterStmts:   true,
		InsertOrIgnore:     true,
		AfterCommit:        cp.wake,
		Now:                `SELECT CAST(unixepoch('subsec') * 1000000 AS INTEGER)`,
		Close:              cp.close,
		Bulk:               bulk,
	})
	if err != nil {
		cp.close()
		w.Close()
		r.Close()
		bulk.Close()
		return nil, fmt.Errorf("migrate sqlite %s: %w", path, err)
	}
	return s, nil
}

// checkpointer copies the WAL back into the database on a connection of its
// own, woken after each commit. Checkpointing in the committing writer (SQLite's
// default) took a fifth of the single writer's time during ingest, fsyncs
// included; here it overlaps with the writer's next transaction. The writer
// restarts the WAL once a checkpoint has caught up (at the latest when its own
// autocheckpoint runs).
type checkpointer struct {
	db   *sql.DB
	wake func()
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

func newCheckpointer(dsn string) (*checkpointer, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	kick := make(chan struct{}, 1)
	c := &checkpointer{db: db, stop: make(chan struct{}), done: make(chan struct{})}
	c.wake = func() {
		select {
		case kick <- struct{}{}:
		default: // a checkpoint is already due
		}
	}
	go c.run(kick)
	return c, nil
}

func (c *checkpointer) run(kick <-chan struct{}) {
	defer close(c.done)
	for {
		select {
		case <-c.stop:
			return
		case <-kick:
			// PASSIVE never waits for the writer or readers; what it cannot copy
			// now, the next wake-up will.
			_, _ = c.db.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}

// close stops the checkpointer; closing a store twice is harmless.
func (c *checkpointer) close() error {
	c.once.Do(func() { close(c.stop) })
	<-c.done
	return c.db.Close()
}

// ftsQuery quotes each word so user input is never parsed as FTS5 syntax;
// the words must all occur (implicit AND).
// createPrivate creates a missing database file readable by the owner only
// (it holds every prompt); SQLite gives the WAL and shared-memory files the
// database file's mode. An existing file keeps the mode its owner chose.
func createPrivate(path string) error {
	if path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create sqlite %s: %w", path, err)
	}
	return f.Close()
}

func ftsQuery(q string) string {
	var parts []string
	for _, w := range strings.Fields(q) {
		w = strings.ReplaceAll(w, `"`, `""`)
		parts = append(parts, `"`+w+`"`)
	}
	return strings.Join(parts, " ")
}

// indexMessagesAfter adds the messages stored after rowid to the full-text
// index, in rowid order.
func indexMessagesAfter(ctx context.Context, tx *sql.Tx, rowid int64) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO messages_fts(rowid, text) SELECT rowid, text FROM messages WHERE rowid > ? ORDER BY rowid", rowid)
	return err
}

// lastMessageRowID is the largest message rowid, 0 for none.
func lastMessageRowID(ctx context.Context, tx *sql.Tx) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(rowid), 0) FROM messages").Scan(&id)
	return id, err
}
