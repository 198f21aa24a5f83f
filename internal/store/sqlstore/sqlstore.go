// Package sqlstore implements store.Store over database/sql. The SQL is
// portable between SQLite and PostgreSQL; what differs (placeholders,
// full-text search, row locking, migrations) comes from a Dialect.
package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
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
	// limit FTSDenseAt). Up to FTSInlineMax matches, those ids are the filter;
	// up to FTSDenseAt, FTS fetches the matches to be sorted; past it FTSDense
	// is used: a clause checked row by row while walking the time index.
	FTSProbe     string
	FTSDense     func() string
	FTSDenseAt   int
	FTSInlineMax int
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
	// Retryable reports a transaction conflict (deadlock, serialization
	// failure) after which the whole transaction should simply run again.
	Retryable func(error) bool
	// AfterCommit, when set, runs after each committed write transaction
	// (SQLite: wake the background WAL checkpointer).
	AfterCommit func()
	// Close, when set, runs before the pools are closed.
	Close func() error
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
}

// New wraps opened pools and applies migrations.
func New(ctx context.Context, w, r *sql.DB, d Dialect) (*Store, error) {
	s := &Store{w: w, r: r, d: d, now: time.Now}
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

// Close closes both pools.
func (s *Store) Close() error {
	var err error
	if s.d.Close != nil {
		err = s.d.Close()
	}
	err = errors.Join(err, s.w.Close())
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

// ---- integrations ----

const integrationCols = `id, name, base_url, project, interval_us, paused, mode, source, rate_limit, created_at, last_synced_at, last_error, last_failure`

func scanIntegration(row interface{ Scan(...any) error }) (*store.Integration, error) {
	var in store.Integration
	var interval, created, synced int64
	var paused int
	if err := row.Scan(&in.ID, &in.Name, &in.BaseURL, &in.Project, &interval, &paused, &in.Mode, &in.Source,
		&in.RateLimit, &created, &synced, &in.LastError, &in.LastFailure); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, store.ErrNotFound
		}
		return nil, err
	}
	in.Interval, in.Paused = time.Duration(interval)*time.Microsecond, paused != 0
	in.CreatedAt, in.LastSyncedAt = tm(created), tm(synced)
	return &in, nil
}

// UpsertIntegration creates or updates by name; pause state and mode survive updates from config.
func (s *Store) UpsertIntegration(ctx context.Context, in *store.Integration) error {
	if in.Mode == "" {
		in.Mode = "full"
	}
	if in.Source == "" {
		in.Source = "config"
	}
	now := s.now()
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO integrations (name, base_url, project, interval_us, paused, mode, source, rate_limit, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET base_url = excluded.base_url, project = excluded.project,
		  interval_us = excluded.interval_us, source = excluded.source, rate_limit = excluded.rate_limit`),
		in.Name, in.BaseURL, in.Project, in.Interval.Microseconds(), b2i(in.Paused), in.Mode, in.Source, in.RateLimit, us(now))
	if err != nil {
		return fmt.Errorf("save integration %s: %w", in.Name, err)
	}
	got, err := s.Integration(ctx, in.Name)
	if err != nil {
		return err
	}
	key := in.APIKey
	*in = *got
	in.APIKey = key
	return nil
}

// Integration reads one integration by name.
func (s *Store) Integration(ctx context.Context, name string) (*store.Integration, error) {
	in, err := scanIntegration(s.r.QueryRowContext(ctx, s.q(`SELECT `+integrationCols+` FROM integrations WHERE name = ?`), name))
	if err != nil {
		return nil, fmt.Errorf("read integration %s: %w", name, err)
	}
	return in, nil
}

// IntegrationByID reads one integration by id.
func (s *Store) IntegrationByID(ctx context.Context, id int64) (*store.Integration, error) {
	in, err := scanIntegration(s.r.QueryRowContext(ctx, s.q(`SELECT `+integrationCols+` FROM integrations WHERE id = ?`), id))
	if err != nil {
		return nil, fmt.Errorf("read integration %d: %w", id, err)
	}
	return in, nil
}

// Integrations lists all integrations by name.
func (s *Store) Integrations(ctx context.Context) ([]store.Integration, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+integrationCols+` FROM integrations ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list integrations: %w", err)
	}
	defer rows.Close()
	var out []store.Integration
	for rows.Next() {
		in, err := scanIntegration(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *in)
	}
	return out, rows.Err()
}

// SetIntegrationState sets pause and mode.
func (s *Store) SetIntegrationState(ctx context.Context, id int64, paused bool, mode string) error {
	_, err := s.w.ExecContext(ctx, s.q(`UPDATE integrations SET paused = ?, mode = ? WHERE id = ?`), b2i(paused), mode, id)
	if err != nil {
		return fmt.Errorf("update integration %d: %w", id, err)
	}
	return nil
}

// MarkSynced records a cycle's end.
func (s *Store) MarkSynced(ctx context.Context, id int64, at time.Time, errText string) error {
	var err error
	if errText == "" {
		_, err = s.w.ExecContext(ctx, s.q(`UPDATE integrations SET last_synced_at = ?, last_error = '', last_failure = '' WHERE id = ?`), us(at), id)
	} else {
		_, err = s.w.ExecContext(ctx, s.q(`UPDATE integrations SET last_error = ?, last_failure = 'error' WHERE id = ?`), errText, id)
	}
	if err != nil {
		return fmt.Errorf("mark integration %d synced: %w", id, err)
	}
	return nil
}

// SetIntegrationFailure records the last error and its kind.
func (s *Store) SetIntegrationFailure(ctx context.Context, id int64, kind, errText string) error {
	if errText != "" && kind == "" {
		kind = "error"
	}
	_, err := s.w.ExecContext(ctx, s.q(`UPDATE integrations SET last_error = ?, last_failure = ? WHERE id = ?`), errText, kind, id)
	if err != nil {
		return fmt.Errorf("record failure of integration %d: %w", id, err)
	}
	return nil
}

// DeleteIntegration removes an integration and its data.
func (s *Store) DeleteIntegration(ctx context.Context, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, t := range []string{"checkpoints", "activities", "users", "projects", "chats", "messages", "files", "sync_runs", "findings", "quarantined_items", "file_texts", "integration_scopes", "org_roles", "org_groups", "group_members", "org_settings"} {
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM `+t+` WHERE integration_id = ?`), id); err != nil {
				return fmt.Errorf("delete %s of integration %d: %w", t, id, err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM backfill_batches WHERE backfill_id IN (SELECT id FROM backfills WHERE integration_id = ?)`), id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM backfills WHERE integration_id = ?`), id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`DELETE FROM integrations WHERE id = ?`), id)
		return err
	})
}

// ---- checkpoints and ingest ----

// Checkpoint reads a stream position.
func (s *Store) Checkpoint(ctx context.Context, integrationID int64, stream string) (store.Checkpoint, error) {
	cp := store.Checkpoint{IntegrationID: integrationID, Stream: stream}
	var hw, upd int64
	err := s.r.QueryRowContext(ctx, s.q(`SELECT cursor, high_water, updated_at FROM checkpoints WHERE integration_id = ? AND stream = ?`),
		integrationID, stream).Scan(&cp.Cursor, &hw, &upd)
	if errors.Is(err, sql.ErrNoRows) {
		return cp, nil
	}
	if err != nil {
		return cp, fmt.Errorf("read checkpoint %s: %w", stream, err)
	}
	cp.HighWater, cp.UpdatedAt = tm(hw), tm(upd)
	return cp, nil
}

func (s *Store) saveCheckpoint(ctx context.Context, tx *sql.Tx, cp *store.Checkpoint) error {
	if cp == nil {
		return nil
	}
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO checkpoints (integration_id, stream, cursor, high_water, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (integration_id, stream) DO UPDATE SET cursor = excluded.cursor,
		high_water = CASE WHEN excluded.high_water > checkpoints.high_water THEN excluded.high_water ELSE checkpoints.high_water END,
		updated_at = excluded.updated_at`),
		cp.IntegrationID, cp.Stream, cp.Cursor, us(cp.HighWater), us(s.now()))
	if err != nil {
		return fmt.Errorf("save checkpoint %s: %w", cp.Stream, err)
	}
	return nil
}

func (s *Store) saveBatchProgress(ctx context.Context, tx *sql.Tx, p *store.BatchProgress) error {
	if p == nil {
		return nil
	}
	set := []string{"activities = activities + ?", "messages = messages + ?"}
	args := []any{p.Activities, p.Messages}
	if p.ActivityCursor != nil {
		set, args = append(set, "activity_cursor = ?"), append(args, *p.ActivityCursor)
	}
	if p.ChatCursor != nil {
		set, args = append(set, "chat_cursor = ?"), append(args, *p.ChatCursor)
	}
	if !p.SyncedUpTo.IsZero() {
		set, args = append(set, "synced_up_to = CASE WHEN synced_up_to > ? THEN synced_up_to ELSE ? END"), append(args, us(p.SyncedUpTo), us(p.SyncedUpTo))
	}
	args = append(args, p.BatchID)
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE backfill_batches SET `+strings.Join(set, ", ")+` WHERE id = ?`), args...); err != nil {
		return fmt.Errorf("save batch %d progress: %w", p.BatchID, err)
	}
	return nil
}

func (s *Store) saveUsers(ctx context.Context, tx *sql.Tx, integrationID int64, users []store.User) error {
	if len(users) == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, s.q(`INSERT INTO users (integration_id, id, email, full_name, role, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (integration_id, id) DO UPDATE SET
		  email = CASE WHEN excluded.email <> '' THEN excluded.email ELSE users.email END,
		  full_name = CASE WHEN excluded.full_name <> '' THEN excluded.full_name ELSE users.full_name END,
		  role = CASE WHEN excluded.role <> '' THEN excluded.role ELSE users.role END,
		  first_seen = CASE WHEN excluded.first_seen < users.first_seen THEN excluded.first_seen ELSE users.first_seen END,
		  last_seen = CASE WHEN excluded.last_seen > users.last_seen THEN excluded.last_seen ELSE users.last_seen END`))
	if err != nil {
		return fmt.Errorf("prepare users: %w", err)
	}
	defer st.Close()
	for _, u := range dedupeUsers(users) {
		if u.ID == "" {
			continue
		}
		if _, err := st.ExecContext(ctx, integrationID, u.ID, u.Email, u.FullName, u.Role, us(u.FirstSeen), us(u.LastSeen)); err != nil {
			return fmt.Errorf("save user %s: %w", u.ID, err)
		}
	}
	return nil
}

// dedupeUsers merges repeated users of a page so each is written once, in id
// order: concurrent pages then lock user rows in the same order (no deadlock).
func dedupeUsers(in []store.User) []store.User {
	out := mergeUsers(in)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func mergeUsers(in []store.User) []store.User {
	idx := make(map[string]int, len(in))
	out := make([]store.User, 0, len(in))
	for _, u := range in {
		i, ok := idx[u.ID]
		if !ok {
			idx[u.ID] = len(out)
			out = append(out, u)
			continue
		}
		o := &out[i]
		if o.Email == "" {
			o.Email = u.Email
		}
		if o.FullName == "" {
			o.FullName = u.FullName
		}
		if u.FirstSeen.Before(o.FirstSeen) {
			o.FirstSeen = u.FirstSeen
		}
		if u.LastSeen.After(o.LastSeen) {
			o.LastSeen = u.LastSeen
		}
	}
	return out
}

// SaveActivityPage stores a page of activities, its users and the checkpoint in one transaction.
func (s *Store) SaveActivityPage(ctx context.Context, p store.ActivityPage) (store.SaveResult, error) {
	res, err := s.SavePages(ctx, []store.Page{{Activities: &p}})
	if err != nil {
		return store.SaveResult{}, err
	}
	return res[0], nil
}

// SaveChatPage stores hydrated chats, users, projects and the checkpoint in one transaction.
// Text already stored is never replaced by the empty content of a chat deleted in claude.ai.
func (s *Store) SaveChatPage(ctx context.Context, p store.ChatPage) (store.SaveResult, error) {
	res, err := s.SavePages(ctx, []store.Page{{Chats: &p}})
	if err != nil {
		return store.SaveResult{}, err
	}
	return res[0], nil
}

// SavePages stores activity and chat pages in one transaction, in order.
func (s *Store) SavePages(ctx context.Context, pages []store.Page) ([]store.SaveResult, error) {
	res := make([]store.SaveResult, len(pages))
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		clear(res)
		// Partitions first, before any row lock is held (no lock-order cycle).
		if err := s.ensurePagePartitions(ctx, tx, pages); err != nil {
			return err
		}
		for i, p := range pages {
			var err error
			switch {
			case p.Activities != nil:
				res[i], err = s.saveActivityPage(ctx, tx, p.Activities)
			case p.Chats != nil:
				res[i], err = s.saveChatPage(ctx, tx, p.Chats)
			}
			if err != nil {
				if len(pages) > 1 {
					return fmt.Errorf("page %d of %d: %w", i+1, len(pages), err)
				}
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// ensurePagePartitions makes sure every activity and message of the pages has a partition.
func (s *Store) ensurePagePartitions(ctx context.Context, tx *sql.Tx, pages []store.Page) error {
	if s.d.EnsurePartition == nil {
		return nil
	}
	var acts, msgs []time.Time
	for _, p := range pages {
		if p.Activities != nil {
			for _, a := range p.Activities.Activities {
				acts = append(acts, a.CreatedAt)
			}
		}
		if p.Chats != nil {
			for _, hc := range p.Chats.Chats {
				for _, m := range hc.Messages {
					msgs = append(msgs, m.CreatedAt)
				}
			}
		}
	}
	if err := s.ensurePartition(ctx, tx, "activities", acts); err != nil {
		return err
	}
	return s.ensurePartition(ctx, tx, "messages", msgs)
}

func (s *Store) saveActivityPage(ctx context.Context, tx *sql.Tx, p *store.ActivityPage) (store.SaveResult, error) {
	var res store.SaveResult
	// Many rows per statement: each statement costs the driver far more
	// than a row does (100 k activities: 17 000 -> 20 000 messages/s).
	const cols = 13
	now := us(s.now())
	for start := 0; start < len(p.Activities); start += activitiesPerInsert {
		rows := p.Activities[start:min(start+activitiesPerInsert, len(p.Activities))]
		args := make([]any, 0, len(rows)*cols)
		for _, a := range rows {
			args = append(args, p.IntegrationID, a.ID, us(a.CreatedAt), a.Type, a.ActorType, a.ActorUserID,
				a.ActorEmail, a.IP, a.UserAgent, a.OrganizationUUID, a.ChatID, string(a.Raw), now)
		}
		r, err := tx.ExecContext(ctx, s.q(insertActivities(len(rows))), args...)
		if err != nil {
			return res, fmt.Errorf("save activities %s to %s: %w", rows[0].ID, rows[len(rows)-1].ID, err)
		}
		n, _ := r.RowsAffected()
		res.Activities += int(n)
	}
	if err := s.saveUsers(ctx, tx, p.IntegrationID, p.Users); err != nil {
		return res, err
	}
	if p.BatchProgress != nil {
		p.BatchProgress.Activities = res.Activities
	}
	if err := s.saveBatchProgress(ctx, tx, p.BatchProgress); err != nil {
		return res, err
	}
	return res, s.saveCheckpoint(ctx, tx, p.Checkpoint)
}

// messagesPerInsert is how many messages one INSERT statement carries.
const messagesPerInsert = 64

// saveMessages inserts msgs (ChatID set) many per statement, skipping ids
// already stored, and returns how many it inserted. When a statement
// inserted fewer rows than it carried, some were stored already: each row
// of it then gets the update (a no-op unless its content changed, so also
// for the rows just inserted).
func (s *Store) saveMessages(ctx context.Context, tx *sql.Tx, integrationID int64, msgs []store.Message, now int64, updMsg, markRemoved *sql.Stmt) (int, error) {
	const cols = 15
	query := func(n int) string {
		return s.q(multiRowInsert(`INSERT INTO messages (integration_id, id, chat_id, seq, role, text, model, user_id, user_email, created_at, tokens, content_removed, files, tool_calls, ingested_at) VALUES `,
			cols, n, " ON CONFLICT DO NOTHING"))
	}
	var full *sql.Stmt
	if len(msgs) >= messagesPerInsert {
		st, err := tx.PrepareContext(ctx, query(messagesPerInsert))
		if err != nil {
			return 0, fmt.Errorf("prepare messages: %w", err)
		}
		defer st.Close()
		full = st
	}
	inserted := 0
	for start := 0; start < len(msgs); start += messagesPerInsert {
		rows := msgs[start:min(start+messagesPerInsert, len(msgs))]
		args := make([]any, 0, len(rows)*cols)
		for _, m := range rows {
			args = append(args, integrationID, m.ID, m.ChatID, m.Seq, m.Role, m.Text, m.Model, m.UserID, m.UserEmail,
				us(m.CreatedAt), m.Tokens, b2i(m.ContentRemoved), encodeJSONList(m.Files), encodeJSONList(m.ToolCalls), now)
		}
		var r sql.Result
		var err error
		if len(rows) == messagesPerInsert {
			r, err = full.ExecContext(ctx, args...)
		} else {
			r, err = tx.ExecContext(ctx, query(len(rows)), args...)
		}
		if err != nil {
			return inserted, fmt.Errorf("save messages %s to %s: %w", rows[0].ID, rows[len(rows)-1].ID, err)
		}
		n, _ := r.RowsAffected()
		inserted += int(n)
		if int(n) == len(rows) {
			continue
		}
		for _, m := range rows {
			if m.ContentRemoved {
				if _, err := markRemoved.ExecContext(ctx, integrationID, m.ID); err != nil {
					return inserted, fmt.Errorf("mark message %s removed: %w", m.ID, err)
				}
				continue
			}
			files, tools := encodeJSONList(m.Files), encodeJSONList(m.ToolCalls)
			if _, err := updMsg.ExecContext(ctx, m.Seq, m.Text, m.Tokens, files, tools, integrationID, m.ID, m.Text, files, tools); err != nil {
				return inserted, fmt.Errorf("update message %s: %w", m.ID, err)
			}
		}
	}
	return inserted, nil
}

// multiRowInsert returns prefix followed by n groups of cols placeholders
// and suffix.
func multiRowInsert(prefix string, cols, n int, suffix string) string {
	group := "(" + strings.Repeat("?, ", cols-1) + "?)"
	var b strings.Builder
	b.Grow(len(prefix) + n*(len(group)+1) + len(suffix))
	b.WriteString(prefix)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(group)
	}
	b.WriteString(suffix)
	return b.String()
}

// activitiesPerInsert is how many activities one INSERT statement carries.
const activitiesPerInsert = 64

// insertActivities returns the INSERT of n activities, which skips ids
// already stored.
func insertActivities(n int) string {
	return multiRowInsert(`INSERT INTO activities (integration_id, id, created_at, type, actor_type, actor_user_id, actor_email, ip, user_agent, organization_uuid, chat_id, raw, ingested_at) VALUES `,
		13, n, " ON CONFLICT DO NOTHING")
}

func encodeJSONList[T any](v []T) string {
	if len(v) == 0 {
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func decodeJSONList[T any](s string) []T {
	if s == "" {
		return nil
	}
	var v []T
	_ = json.Unmarshal([]byte(s), &v)
	return v
}

func (s *Store) saveChatPage(ctx context.Context, tx *sql.Tx, p *store.ChatPage) (store.SaveResult, error) {
	var res store.SaveResult
	err := func() error {
		if err := s.saveUsers(ctx, tx, p.IntegrationID, withMessageUsers(p)); err != nil {
			return err
		}
		for _, pr := range p.Projects {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO projects (integration_id, id, name, user_id, is_private, created_at, updated_at, deleted_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (integration_id, id) DO UPDATE SET name = excluded.name,
				is_private = excluded.is_private, updated_at = excluded.updated_at, deleted_at = excluded.deleted_at`),
				p.IntegrationID, pr.ID, pr.Name, pr.UserID, b2i(pr.IsPrivate), us(pr.CreatedAt), us(pr.UpdatedAt), usPtr(pr.DeletedAt)); err != nil {
				return fmt.Errorf("save project %s: %w", pr.ID, err)
			}
		}
		if err := s.saveFileTexts(ctx, tx, p.IntegrationID, p.FileTexts); err != nil {
			return err
		}
		if len(p.Chats) == 0 {
			return s.finishChatPage(ctx, tx, p, res)
		}
		chatSt, err := tx.PrepareContext(ctx, s.q(`INSERT INTO chats (integration_id, id, name, user_id, user_email, model, project_id, organization_uuid, href, created_at, updated_at, deleted_at, message_count)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (integration_id, id) DO UPDATE SET
			  name = CASE WHEN excluded.name = '' AND excluded.deleted_at IS NOT NULL THEN chats.name ELSE excluded.name END,
			  user_id = excluded.user_id, user_email = excluded.user_email, model = excluded.model,
			  project_id = excluded.project_id, href = excluded.href, updated_at = excluded.updated_at,
			  deleted_at = excluded.deleted_at,
			  message_count = CASE WHEN excluded.message_count > chats.message_count THEN excluded.message_count ELSE chats.message_count END`))
		if err != nil {
			return fmt.Errorf("prepare chats: %w", err)
		}
		defer chatSt.Close()
		// An update only touches a message whose content really changed, and
		// keeps earlier text when the API now returns the message without content.
		updMsg, err := tx.PrepareContext(ctx, s.q(`UPDATE messages SET seq = ?, text = ?, tokens = ?, files = ?, tool_calls = ?, eval_version = ''
			WHERE integration_id = ? AND id = ? AND (text <> ? OR files <> ? OR tool_calls <> ?)`))
		if err != nil {
			return fmt.Errorf("prepare message update: %w", err)
		}
		defer updMsg.Close()
		markRemoved, err := tx.PrepareContext(ctx, s.q(`UPDATE messages SET content_removed = 1 WHERE integration_id = ? AND id = ? AND content_removed = 0`))
		if err != nil {
			return fmt.Errorf("prepare message removal: %w", err)
		}
		defer markRemoved.Close()
		now := us(s.now())
		var floor int64
		if s.d.IndexMessagesAfter != nil {
			if floor, err = s.d.LastMessageRowID(ctx, tx); err != nil {
				return fmt.Errorf("index new messages: %w", err)
			}
		}
		var msgs []store.Message
		for _, hc := range p.Chats {
			c := hc.Chat
			if _, err := chatSt.ExecContext(ctx, p.IntegrationID, c.ID, store.CleanText(c.Name), c.UserID, c.UserEmail, c.Model, c.ProjectID,
				c.OrganizationUUID, c.Href, us(c.CreatedAt), us(c.UpdatedAt), usPtr(c.DeletedAt), len(hc.Messages)); err != nil {
				return fmt.Errorf("save chat %s: %w", c.ID, err)
			}
			res.Chats++
			for _, m := range hc.Messages {
				m.Text, m.ChatID = store.CleanText(m.Text), c.ID
				msgs = append(msgs, m)
			}
			if err := s.saveFiles(ctx, tx, p.IntegrationID, hc); err != nil {
				return err
			}
			if hc.GoneAt != nil {
				if err := s.markChatHardDeleted(ctx, tx, p.IntegrationID, c.ID, *hc.GoneAt); err != nil {
					return err
				}
			}
		}
		n, err := s.saveMessages(ctx, tx, p.IntegrationID, msgs, now, updMsg, markRemoved)
		if err != nil {
			return err
		}
		res.Messages += n
		if s.d.IndexMessagesAfter != nil && n > 0 {
			if err := s.d.IndexMessagesAfter(ctx, tx, floor); err != nil {
				return fmt.Errorf("index new messages: %w", err)
			}
		}
		return s.finishChatPage(ctx, tx, p, res)
	}()
	return res, err
}

// withMessageUsers returns the page's users plus the user of every message
// the page does not list, so that the users table knows each message's
// user: prompt events are found by email through it. saveUsers merges the
// repeats (earliest first seen, latest last seen).
func withMessageUsers(p *store.ChatPage) []store.User {
	users := append([]store.User(nil), p.Users...)
	listed := make(map[string]bool, len(p.Users))
	for _, u := range p.Users {
		listed[u.ID] = true
	}
	for _, hc := range p.Chats {
		for _, m := range hc.Messages {
			if m.UserID != "" && !listed[m.UserID] {
				users = append(users, store.User{ID: m.UserID, Email: m.UserEmail, FirstSeen: m.CreatedAt, LastSeen: m.CreatedAt})
			}
		}
	}
	return users
}

func (s *Store) finishChatPage(ctx context.Context, tx *sql.Tx, p *store.ChatPage, res store.SaveResult) error {
	if p.BatchProgress != nil {
		p.BatchProgress.Messages = res.Messages
	}
	if err := s.saveBatchProgress(ctx, tx, p.BatchProgress); err != nil {
		return err
	}
	return s.saveCheckpoint(ctx, tx, p.Checkpoint)
}

func (s *Store) saveFiles(ctx context.Context, tx *sql.Tx, integrationID int64, hc store.HydratedChat) error {
	for _, m := range hc.Messages {
		for _, f := range m.Files {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO files (integration_id, id, kind, filename, mime_type, size_bytes, md5, chat_id, message_id, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (integration_id, id) DO NOTHING`),
				integrationID, f.ID, f.Kind, f.Filename, f.MimeType, f.SizeBytes, f.MD5, hc.Chat.ID, m.ID, us(m.CreatedAt)); err != nil {
				return fmt.Errorf("save file %s: %w", f.ID, err)
			}
		}
	}
	return nil
}

// MarkChatHardDeleted keeps the stored chat but records that the API lost it.
func (s *Store) MarkChatHardDeleted(ctx context.Context, integrationID int64, chatID string, at time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return s.markChatHardDeleted(ctx, tx, integrationID, chatID, at) })
}

func (s *Store) markChatHardDeleted(ctx context.Context, tx *sql.Tx, integrationID int64, chatID string, at time.Time) error {
	_, err := tx.ExecContext(ctx, s.q(`UPDATE chats SET hard_deleted = 1, deleted_at = COALESCE(deleted_at, ?) WHERE integration_id = ? AND id = ?`),
		us(at), integrationID, chatID)
	if err != nil {
		return fmt.Errorf("mark chat %s deleted: %w", chatID, err)
	}
	return nil
}

// ---- runs ----

// StartRun inserts a run row and sets its ID.
func (s *Store) StartRun(ctx context.Context, r *store.Run) error {
	if r.StartedAt.IsZero() {
		r.StartedAt = s.now()
	}
	return s.w.QueryRowContext(ctx, s.q(`INSERT INTO sync_runs (integration_id, kind, started_at) VALUES (?, ?, ?) RETURNING id`),
		r.IntegrationID, r.Kind, us(r.StartedAt)).Scan(&r.ID)
}

// FinishRun records a run's outcome.
func (s *Store) FinishRun(ctx context.Context, r *store.Run) error {
	if r.FinishedAt.IsZero() {
		r.FinishedAt = s.now()
	}
	_, err := s.w.ExecContext(ctx, s.q(`UPDATE sync_runs SET finished_at = ?, activities = ?, chats = ?, messages = ?, errors = ?, error = ? WHERE id = ?`),
		us(r.FinishedAt), r.Activities, r.Chats, r.Messages, r.Errors, r.Error, r.ID)
	if err != nil {
		return fmt.Errorf("finish run %d: %w", r.ID, err)
	}
	return nil
}

// Runs lists the latest runs of an integration.
func (s *Store) Runs(ctx context.Context, integrationID int64, limit int) ([]store.Run, error) {
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT id, integration_id, kind, started_at, finished_at, activities, chats, messages, errors, error
		FROM sync_runs WHERE integration_id = ? ORDER BY id DESC LIMIT ?`), integrationID, limit)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	var out []store.Run
	for rows.Next() {
		var r store.Run
		var st, fin int64
		if err := rows.Scan(&r.ID, &r.IntegrationID, &r.Kind, &st, &fin, &r.Activities, &r.Chats, &r.Messages, &r.Errors, &r.Error); err != nil {
			return nil, err
		}
		r.StartedAt, r.FinishedAt = tm(st), tm(fin)
		out = append(out, r)
	}
	return out, rows.Err()
}

// ---- cursors for event lists ----

func encodeCursor(t time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(us(t), 10) + ":" + id))
}

func decodeCursor(c string) (int64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, "", fmt.Errorf("invalid cursor")
	}
	ts, id, ok := strings.Cut(string(b), ":")
	if !ok {
		return 0, "", fmt.Errorf("invalid cursor")
	}
	v, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return 0, "", fmt.Errorf("invalid cursor")
	}
	return v, id, nil
}
