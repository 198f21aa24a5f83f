// Package sqlite opens claudit's embedded store: SQLite through the pure-Go
// modernc.org/sqlite driver, in WAL mode, with an FTS5 index over message text.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"net/url"
	"strings"

	"github.com/claudit/claudit/internal/store/sqlstore"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// Open opens (creating if needed) the database at path and migrates it.
func Open(ctx context.Context, path string) (*sqlstore.Store, error) {
	pragmas := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(ON)", "cache_size(-16384)", "temp_store(MEMORY)"} {
		pragmas.Add("_pragma", p)
	}
	dsn := "file:" + path + "?" + pragmas.Encode()
	w, err := sql.Open("sqlite", dsn+"&_txlock=immediate")
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
	sub, _ := fs.Sub(migrations, "migrations")
	s, err := sqlstore.New(ctx, w, r, sqlstore.Dialect{
		Name:       "sqlite",
		Migrations: sub,
		FTS:        func() string { return "m.rowid IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)" },
		FTSQuery:   ftsQuery,
		FTSProbe:   "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? LIMIT ?",
		FTSDense: func() string {
			return "EXISTS (SELECT 1 FROM messages_fts WHERE messages_fts MATCH ? AND rowid = m.rowid)"
		},
		FTSDenseAt:       100000,
		FTSInlineMax:     5000,
		IndexNewMessages: indexNewMessages,
	})
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("migrate sqlite %s: %w", path, err)
	}
	return s, nil
}

// ftsQuery quotes each word so user input is never parsed as FTS5 syntax;
// the words must all occur (implicit AND).
func ftsQuery(q string) string {
	var parts []string
	for _, w := range strings.Fields(q) {
		w = strings.ReplaceAll(w, `"`, `""`)
		parts = append(parts, `"`+w+`"`)
	}
	return strings.Join(parts, " ")
}

// indexNewMessages adds messages to the FTS5 index in a few statements per
// transaction instead of one per row (see migration 0005), in rowid order:
// FTS5 flushes its pending terms whenever a rowid is not larger than the last.
func indexNewMessages(ctx context.Context, tx *sql.Tx, integrationID int64, ids []string) error {
	const chunk = 500
	for len(ids) > 0 {
		n := min(chunk, len(ids))
		args := make([]any, 0, n+1)
		args = append(args, integrationID)
		for _, id := range ids[:n] {
			args = append(args, id)
		}
		q := "INSERT INTO messages_fts(rowid, text) SELECT rowid, text FROM messages WHERE integration_id = ? AND id IN (?" +
			strings.Repeat(",?", n-1) + ") ORDER BY rowid"
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}
