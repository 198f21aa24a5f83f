package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// This file implements store.WebStore: accounts, browser sessions, the
// access audit, datasets, sealed integration keys and overview aggregates.

// isUnique reports whether err is a unique-constraint violation on either backend.
func isUnique(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint") || strings.Contains(msg, "duplicate key")
}

// ---- accounts ----

const accountCols = `id, email, role, password_hash, disabled, created_at, last_login_at`

func scanAccount(row interface{ Scan(...any) error }) (*store.Account, error) {
	var a store.Account
	var disabled int
	var created, last int64
	if err := row.Scan(&a.ID, &a.Email, &a.Role, &a.PasswordHash, &disabled, &created, &last); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, store.ErrNotFound
		}
		return nil, err
	}
	a.Disabled, a.CreatedAt, a.LastLoginAt = disabled != 0, tm(created), tm(last)
	return &a, nil
}

// CreateAccount inserts an account; emails are stored lower-cased.
func (s *Store) CreateAccount(ctx context.Context, a *store.Account) error {
	a.Email = strings.ToLower(strings.TrimSpace(a.Email))
	if a.CreatedAt.IsZero() {
		a.CreatedAt = s.now()
	}
	err := s.w.QueryRowContext(ctx, s.q(`INSERT INTO accounts (email, role, password_hash, disabled, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`),
		a.Email, a.Role, a.PasswordHash, b2i(a.Disabled), us(a.CreatedAt)).Scan(&a.ID)
	if isUnique(err) {
		return fmt.Errorf("account %s: %w", a.Email, store.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("create account %s: %w", a.Email, err)
	}
	return nil
}

// AccountByEmail reads an account by (case-insensitive) email.
func (s *Store) AccountByEmail(ctx context.Context, email string) (*store.Account, error) {
	a, err := scanAccount(s.r.QueryRowContext(ctx, s.q(`SELECT `+accountCols+` FROM accounts WHERE email = ?`), strings.ToLower(strings.TrimSpace(email))))
	if err != nil {
		return nil, fmt.Errorf("read account %s: %w", email, err)
	}
	return a, nil
}

// AccountByID reads an account by id.
func (s *Store) AccountByID(ctx context.Context, id int64) (*store.Account, error) {
	a, err := scanAccount(s.r.QueryRowContext(ctx, s.q(`SELECT `+accountCols+` FROM accounts WHERE id = ?`), id))
	if err != nil {
		return nil, fmt.Errorf("read account %d: %w", id, err)
	}
	return a, nil
}

// Accounts lists accounts by email.
func (s *Store) Accounts(ctx context.Context) ([]store.Account, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+accountCols+` FROM accounts ORDER BY email`)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	defer rows.Close()
	var out []store.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, rows.Err()
}

// CountAccounts counts accounts.
func (s *Store) CountAccounts(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count accounts: %w", err)
	}
	return n, nil
}

// UpdateAccount saves role, password hash and the disabled flag.
func (s *Store) UpdateAccount(ctx context.Context, a *store.Account) error {
	r, err := s.w.ExecContext(ctx, s.q(`UPDATE accounts SET role = ?, password_hash = ?, disabled = ? WHERE id = ?`),
		a.Role, a.PasswordHash, b2i(a.Disabled), a.ID)
	if err != nil {
		return fmt.Errorf("update account %d: %w", a.ID, err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return fmt.Errorf("account %d: %w", a.ID, store.ErrNotFound)
	}
	return nil
}

// TouchAccountLogin records a successful sign-in.
func (s *Store) TouchAccountLogin(ctx context.Context, id int64, at time.Time) error {
	if _, err := s.w.ExecContext(ctx, s.q(`UPDATE accounts SET last_login_at = ? WHERE id = ?`), us(at), id); err != nil {
		return fmt.Errorf("record login of account %d: %w", id, err)
	}
	return nil
}

// ---- browser sessions ----

// CreateWebSession stores a session.
func (s *Store) CreateWebSession(ctx context.Context, ws *store.WebSession) error {
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO web_sessions (id, account_id, csrf_token, ip, user_agent, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		ws.ID, ws.AccountID, ws.CSRFToken, ws.IP, ws.UserAgent, us(ws.CreatedAt), us(ws.LastSeenAt), us(ws.ExpiresAt))
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// WebSession reads a session by id.
func (s *Store) WebSession(ctx context.Context, id string) (*store.WebSession, error) {
	var ws store.WebSession
	var created, seen, expires int64
	err := s.r.QueryRowContext(ctx, s.q(`SELECT id, account_id, csrf_token, ip, user_agent, created_at, last_seen_at, expires_at FROM web_sessions WHERE id = ?`), id).
		Scan(&ws.ID, &ws.AccountID, &ws.CSRFToken, &ws.IP, &ws.UserAgent, &created, &seen, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	ws.CreatedAt, ws.LastSeenAt, ws.ExpiresAt = tm(created), tm(seen), tm(expires)
	return &ws, nil
}

// TouchWebSession slides a session's expiry.
func (s *Store) TouchWebSession(ctx context.Context, id string, seen, expires time.Time) error {
	if _, err := s.w.ExecContext(ctx, s.q(`UPDATE web_sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?`), us(seen), us(expires), id); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteWebSession signs one session out.
func (s *Store) DeleteWebSession(ctx context.Context, id string) error {
	if _, err := s.w.ExecContext(ctx, s.q(`DELETE FROM web_sessions WHERE id = ?`), id); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteAccountSessions signs an account out everywhere.
func (s *Store) DeleteAccountSessions(ctx context.Context, accountID int64) error {
	if _, err := s.w.ExecContext(ctx, s.q(`DELETE FROM web_sessions WHERE account_id = ?`), accountID); err != nil {
		return fmt.Errorf("delete sessions of account %d: %w", accountID, err)
	}
	return nil
}

// PruneWebSessions deletes sessions that expired before t.
func (s *Store) PruneWebSessions(ctx context.Context, t time.Time) (int64, error) {
	r, err := s.w.ExecContext(ctx, s.q(`DELETE FROM web_sessions WHERE expires_at < ?`), us(t))
	if err != nil {
		return 0, fmt.Errorf("prune sessions: %w", err)
	}
	n, _ := r.RowsAffected()
	return n, nil
}

// ---- sign-in throttling ----

// AddLoginFailure counts a failed sign-in against key in one statement, so
// processes sharing the database count every failure.
func (s *Store) AddLoginFailure(ctx context.Context, key string, at, since time.Time) (store.LoginThrottle, error) {
	lt := store.LoginThrottle{Key: key}
	var last, locked int64
	err := s.w.QueryRowContext(ctx, s.q(`INSERT INTO login_throttle (key, failures, last_failure_at, locked_until) VALUES (?, 1, ?, 0)
		ON CONFLICT (key) DO UPDATE SET
		  failures = CASE WHEN login_throttle.last_failure_at < ? THEN 1 ELSE login_throttle.failures + 1 END,
		  last_failure_at = excluded.last_failure_at
		RETURNING failures, last_failure_at, locked_until`), key, us(at), us(since)).Scan(&lt.Failures, &last, &locked)
	if err != nil {
		return lt, fmt.Errorf("count failed sign-in: %w", err)
	}
	lt.LastFailure, lt.LockedUntil = tm(last), tm(locked)
	return lt, nil
}

// LockLogin refuses sign-ins for key until the given time; an earlier
// time never shortens a lock already set.
func (s *Store) LockLogin(ctx context.Context, key string, until time.Time) error {
	_, err := s.w.ExecContext(ctx, s.q(`UPDATE login_throttle SET locked_until = ? WHERE key = ? AND locked_until < ?`), us(until), key, us(until))
	if err != nil {
		return fmt.Errorf("lock sign-in: %w", err)
	}
	return nil
}

// LoginThrottles reads the rows of those keys that have one.
func (s *Store) LoginThrottles(ctx context.Context, keys []string) ([]store.LoginThrottle, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	return s.loginThrottles(ctx, `SELECT key, failures, last_failure_at, locked_until FROM login_throttle WHERE key IN (?`+strings.Repeat(", ?", len(keys)-1)+`)`, args...)
}

// LoginLocks lists the keys locked past t, latest lock first.
func (s *Store) LoginLocks(ctx context.Context, t time.Time) ([]store.LoginThrottle, error) {
	return s.loginThrottles(ctx, `SELECT key, failures, last_failure_at, locked_until FROM login_throttle WHERE locked_until > ? ORDER BY locked_until DESC, key`, us(t))
}

func (s *Store) loginThrottles(ctx context.Context, query string, args ...any) ([]store.LoginThrottle, error) {
	rows, err := s.r.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("read sign-in throttles: %w", err)
	}
	defer rows.Close()
	var out []store.LoginThrottle
	for rows.Next() {
		var lt store.LoginThrottle
		var last, locked int64
		if err := rows.Scan(&lt.Key, &lt.Failures, &last, &locked); err != nil {
			return nil, fmt.Errorf("read sign-in throttles: %w", err)
		}
		lt.LastFailure, lt.LockedUntil = tm(last), tm(locked)
		out = append(out, lt)
	}
	return out, rows.Err()
}

// ClearLoginThrottle forgets key's failures and lock.
func (s *Store) ClearLoginThrottle(ctx context.Context, key string) error {
	if _, err := s.w.ExecContext(ctx, s.q(`DELETE FROM login_throttle WHERE key = ?`), key); err != nil {
		return fmt.Errorf("clear sign-in throttle: %w", err)
	}
	return nil
}

// PruneLoginThrottles forgets keys whose last failure and lock both ended before t.
func (s *Store) PruneLoginThrottles(ctx context.Context, t time.Time) (int64, error) {
	r, err := s.w.ExecContext(ctx, s.q(`DELETE FROM login_throttle WHERE last_failure_at < ? AND locked_until < ?`), us(t), us(t))
	if err != nil {
		return 0, fmt.Errorf("prune sign-in throttles: %w", err)
	}
	n, _ := r.RowsAffected()
	return n, nil
}

// ---- audit ----

// AppendAudit records one audit entry and sets its ID.
func (s *Store) AppendAudit(ctx context.Context, e *store.AuditEntry) error {
	if e.At.IsZero() {
		e.At = s.now()
	}
	err := s.w.QueryRowContext(ctx, s.q(`INSERT INTO audit_log (at, account_id, actor, role, action, object, object_id, detail, ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		us(e.At), e.AccountID, e.Actor, e.Role, e.Action, e.Object, e.ObjectID, e.Detail, e.IP).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("append audit entry: %w", err)
	}
	return nil
}

// AuditLog lists audit entries, newest first.
func (s *Store) AuditLog(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error) {
	w := &where{}
	if f.Actor != "" {
		w.add("actor = ?", strings.ToLower(f.Actor))
	}
	if f.Action != "" {
		w.add("action = ?", f.Action)
	}
	if f.Object != "" {
		w.add("object = ?", f.Object)
	}
	if f.ObjectID != "" {
		w.add("object_id = ?", f.ObjectID)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		like := containing(strings.ToLower(q))
		w.add(`(LOWER(actor) LIKE ? ESCAPE '\' OR LOWER(object_id) LIKE ? ESCAPE '\' OR LOWER(detail) LIKE ? ESCAPE '\')`, like, like, like)
	}
	if !f.From.IsZero() {
		w.add("at >= ?", us(f.From))
	}
	if !f.To.IsZero() {
		w.add("at < ?", us(f.To))
	}
	if f.BeforeID > 0 {
		w.add("id < ?", f.BeforeID)
	}
	limit := f.Limit
	if limit <= 0 || limit > 10000 {
		limit = 100
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT id, at, account_id, actor, role, action, object, object_id, detail, ip FROM audit_log`+w.sql()+` ORDER BY id DESC LIMIT ?`),
		append(w.args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	defer rows.Close()
	var out []store.AuditEntry
	for rows.Next() {
		var e store.AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.AccountID, &e.Actor, &e.Role, &e.Action, &e.Object, &e.ObjectID, &e.Detail, &e.IP); err != nil {
			return nil, err
		}
		e.At = tm(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// ---- datasets ----

// CreateDataset stores a dataset with its items; ErrExists when the name is taken.
func (s *Store) CreateDataset(ctx context.Context, d *store.Dataset, items []store.DatasetItem) error {
	if d.CreatedAt.IsZero() {
		d.CreatedAt = s.now()
	}
	d.Items = len(items)
	return s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO datasets (name, description, filter, items, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
			d.Name, d.Description, d.Filter, d.Items, d.CreatedBy, us(d.CreatedAt)).Scan(&d.ID)
		if isUnique(err) {
			return fmt.Errorf("dataset %q: %w", d.Name, store.ErrExists)
		}
		if err != nil {
			return fmt.Errorf("create dataset %q: %w", d.Name, err)
		}
		st, err := tx.PrepareContext(ctx, s.q(`INSERT INTO dataset_items (dataset_id, seq, integration_id, message_id) VALUES (?, ?, ?, ?)`))
		if err != nil {
			return fmt.Errorf("prepare dataset items: %w", err)
		}
		defer st.Close()
		for i, it := range items {
			if _, err := st.ExecContext(ctx, d.ID, i, it.IntegrationID, it.MessageID); err != nil {
				return fmt.Errorf("save dataset item %s: %w", it.MessageID, err)
			}
		}
		return nil
	})
}

const datasetCols = `id, name, description, filter, items, created_by, created_at`

func scanDataset(row interface{ Scan(...any) error }) (*store.Dataset, error) {
	var d store.Dataset
	var created int64
	if err := row.Scan(&d.ID, &d.Name, &d.Description, &d.Filter, &d.Items, &d.CreatedBy, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, store.ErrNotFound
		}
		return nil, err
	}
	d.CreatedAt = tm(created)
	return &d, nil
}

// Datasets lists datasets, newest first.
func (s *Store) Datasets(ctx context.Context) ([]store.Dataset, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+datasetCols+` FROM datasets ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list datasets: %w", err)
	}
	defer rows.Close()
	var out []store.Dataset
	for rows.Next() {
		d, err := scanDataset(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *d)
	}
	return out, rows.Err()
}

// Dataset reads one dataset.
func (s *Store) Dataset(ctx context.Context, id int64) (*store.Dataset, error) {
	d, err := scanDataset(s.r.QueryRowContext(ctx, s.q(`SELECT `+datasetCols+` FROM datasets WHERE id = ?`), id))
	if err != nil {
		return nil, fmt.Errorf("read dataset %d: %w", id, err)
	}
	return d, nil
}

// DatasetMessages reads a window of a dataset's messages in saved order;
// messages deleted since (with their integration) are skipped.
func (s *Store) DatasetMessages(ctx context.Context, id int64, offset, limit int) ([]store.Message, error) {
	if limit <= 0 {
		limit = 500
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT `+messageCols+` FROM dataset_items di
		JOIN messages m ON m.integration_id = di.integration_id AND m.id = di.message_id
		WHERE di.dataset_id = ? AND di.seq >= ? AND di.seq < ? ORDER BY di.seq`), id, offset, offset+limit)
	if err != nil {
		return nil, fmt.Errorf("read dataset %d: %w", id, err)
	}
	defer rows.Close()
	var out []store.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// DeleteDataset removes a dataset and its items.
func (s *Store) DeleteDataset(ctx context.Context, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM dataset_items WHERE dataset_id = ?`), id); err != nil {
			return fmt.Errorf("delete dataset %d items: %w", id, err)
		}
		r, err := tx.ExecContext(ctx, s.q(`DELETE FROM datasets WHERE id = ?`), id)
		if err != nil {
			return fmt.Errorf("delete dataset %d: %w", id, err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return fmt.Errorf("dataset %d: %w", id, store.ErrNotFound)
		}
		return nil
	})
}

// ---- integration keys ----

// SetIntegrationKey stores a sealed API key.
func (s *Store) SetIntegrationKey(ctx context.Context, integrationID int64, sealed string) error {
	r, err := s.w.ExecContext(ctx, s.q(`UPDATE integrations SET api_key_enc = ? WHERE id = ?`), sealed, integrationID)
	if err != nil {
		return fmt.Errorf("store key of integration %d: %w", integrationID, err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return fmt.Errorf("integration %d: %w", integrationID, store.ErrNotFound)
	}
	return nil
}

// IntegrationKey reads a sealed API key ("" when none is stored).
func (s *Store) IntegrationKey(ctx context.Context, integrationID int64) (string, error) {
	var k string
	err := s.r.QueryRowContext(ctx, s.q(`SELECT api_key_enc FROM integrations WHERE id = ?`), integrationID).Scan(&k)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("integration %d: %w", integrationID, store.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("read key of integration %d: %w", integrationID, err)
	}
	return k, nil
}

// ---- sessions list, batch findings, overview ----

// Chats lists sessions, most recently updated first.
func (s *Store) Chats(ctx context.Context, f store.ChatFilter) ([]store.Chat, error) {
	w := chatWhere(f)
	order := "updated_at DESC, id DESC"
	switch f.Sort {
	case "", "updated":
	case "violations":
		order = "violations DESC, updated_at DESC, id DESC"
	default:
		return nil, fmt.Errorf("session sort %q is not updated or violations", f.Sort)
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 50
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT integration_id, id, name, user_id, user_email, model, project_id, organization_uuid, href, created_at, updated_at, deleted_at, hard_deleted, message_count,
		(SELECT COUNT(*) FROM findings f WHERE f.integration_id = chats.integration_id AND f.chat_id = chats.id AND f.effective_action = 'alert') AS violations
		FROM chats`+w.sql()+` ORDER BY `+order+` LIMIT ? OFFSET ?`), append(w.args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, fmt.Errorf("list chats: %w", err)
	}
	defer rows.Close()
	var out []store.Chat
	for rows.Next() {
		var c store.Chat
		var created, updated int64
		var deleted sql.NullInt64
		var hard int
		if err := rows.Scan(&c.IntegrationID, &c.ID, &c.Name, &c.UserID, &c.UserEmail, &c.Model, &c.ProjectID, &c.OrganizationUUID, &c.Href,
			&created, &updated, &deleted, &hard, &c.MessageCount, &c.Violations); err != nil {
			return nil, err
		}
		c.CreatedAt, c.UpdatedAt, c.DeletedAt, c.HardDeleted = tm(created), tm(updated), tmPtr(deleted), hard != 0
		out = append(out, c)
	}
	return out, rows.Err()
}

func chatWhere(f store.ChatFilter) *where {
	w := &where{}
	if f.IntegrationID != 0 {
		w.add("integration_id = ?", f.IntegrationID)
	}
	if f.User != "" {
		w.add("(user_id = ? OR user_email = ?)", f.User, f.User)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		w.add(`LOWER(name) LIKE ? ESCAPE '\'`, containing(strings.ToLower(q)))
	}
	if !f.From.IsZero() {
		w.add("updated_at >= ?", us(f.From))
	}
	if !f.To.IsZero() {
		w.add("created_at < ?", us(f.To))
	}
	return w
}

// CountChats counts the sessions a filter selects.
func (s *Store) CountChats(ctx context.Context, f store.ChatFilter) (int, error) {
	w := chatWhere(f)
	var n int
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM chats`+w.sql()), w.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count chats: %w", err)
	}
	return n, nil
}

// EventFindings reads the findings of many events of one kind, in chunks.
func (s *Store) EventFindings(ctx context.Context, kind string, refs []store.EventRef) ([]store.Finding, error) {
	var out []store.Finding
	const chunk = 200
	for start := 0; start < len(refs); start += chunk {
		part := refs[start:min(start+chunk, len(refs))]
		conds := make([]string, 0, len(part))
		args := []any{kind}
		for _, r := range part {
			conds = append(conds, "(integration_id = ? AND event_id = ?)")
			args = append(args, r.IntegrationID, r.ID)
		}
		rows, err := s.r.QueryContext(ctx, s.q(`SELECT id, integration_id, event_kind, event_id, chat_id, user_id, user_email, policy, detector, entity, severity, action, effective_action, score, span_start, span_end, excerpt, policy_version, created_at, event_time
			FROM findings WHERE event_kind = ? AND (`+strings.Join(conds, " OR ")+`) ORDER BY event_time, id`), args...)
		if err != nil {
			return nil, fmt.Errorf("list findings: %w", err)
		}
		for rows.Next() {
			var f store.Finding
			var created, evt int64
			if err := rows.Scan(&f.ID, &f.IntegrationID, &f.EventKind, &f.EventID, &f.ChatID, &f.UserID, &f.UserEmail, &f.Policy, &f.Detector,
				&f.Entity, &f.Severity, &f.Action, &f.EffectiveAction, &f.Score, &f.Start, &f.End, &f.Excerpt, &f.PolicyVersion, &created, &evt); err != nil {
				rows.Close()
				return nil, err
			}
			f.CreatedAt, f.EventTime = tm(created), tm(evt)
			out = append(out, f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

const dayUS = int64(24 * time.Hour / time.Microsecond)

// Overview aggregates a time range for the dashboard.
func (s *Store) Overview(ctx context.Context, integrationID int64, from, to time.Time, top int) (*store.Overview, error) {
	if top <= 0 {
		top = 10
	}
	o := &store.Overview{From: from, To: to}
	scope := func(alias, col string) (string, []any) {
		cond := " WHERE " + alias + col + " >= ? AND " + alias + col + " < ?"
		args := []any{us(from), us(to)}
		if integrationID != 0 {
			cond += " AND " + alias + "integration_id = ?"
			args = append(args, integrationID)
		}
		return cond, args
	}
	days := map[int64]*store.DayCount{}
	day := func(d int64) *store.DayCount {
		if dc, ok := days[d]; ok {
			return dc
		}
		dc := &store.DayCount{Day: time.UnixMicro(d * dayUS).UTC()}
		days[d] = dc
		return dc
	}
	mcond, margs := scope("", "created_at")
	for _, q := range []struct {
		table string
		set   func(dc *store.DayCount, n, v int)
	}{
		{"messages", func(dc *store.DayCount, n, v int) { dc.Prompts += n; dc.Violations += v }},
		{"activities", func(dc *store.DayCount, n, v int) { dc.Access += n; dc.Violations += v }},
	} {
		rows, err := s.r.QueryContext(ctx, s.q(`SELECT created_at / `+fmt.Sprint(dayUS)+` AS d, COUNT(*), COALESCE(SUM(CASE WHEN violations > 0 THEN 1 ELSE 0 END), 0)
			FROM `+q.table+mcond+` GROUP BY created_at / `+fmt.Sprint(dayUS)), margs...)
		if err != nil {
			return nil, fmt.Errorf("overview %s per day: %w", q.table, err)
		}
		for rows.Next() {
			var d int64
			var n, v int
			if err := rows.Scan(&d, &n, &v); err != nil {
				rows.Close()
				return nil, err
			}
			q.set(day(d), n, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	// Every day of the range appears, empty ones too, so charts keep their time axis.
	first, last := from.UnixMicro()/dayUS, (to.UnixMicro()-1)/dayUS
	if last-first > 400 {
		first = last - 400
	}
	for d := first; d <= last; d++ {
		dc := day(d)
		o.Days = append(o.Days, *dc)
		o.Prompts += dc.Prompts
		o.Access += dc.Access
		o.Violations += dc.Violations
	}
	fcond, fargs := scope("", "event_time")
	var err error
	if o.ByPolicy, err = s.namedCounts(ctx, `SELECT policy, COUNT(*) FROM findings`+fcond+` AND effective_action = 'alert' GROUP BY policy ORDER BY COUNT(*) DESC, policy LIMIT ?`, append(fargs, top)); err != nil {
		return nil, fmt.Errorf("overview by policy: %w", err)
	}
	if o.TopUsers, err = s.namedCounts(ctx, `SELECT CASE WHEN user_email <> '' THEN user_email ELSE user_id END AS u, COUNT(*) FROM messages`+mcond+` AND role = 'user'
		GROUP BY CASE WHEN user_email <> '' THEN user_email ELSE user_id END ORDER BY COUNT(*) DESC, u LIMIT ?`, append(margs, top)); err != nil {
		return nil, fmt.Errorf("overview top users: %w", err)
	}
	if o.Models, err = s.namedCounts(ctx, `SELECT model, COUNT(*) FROM messages`+mcond+` AND model <> '' GROUP BY model ORDER BY COUNT(*) DESC, model LIMIT ?`, append(margs, top)); err != nil {
		return nil, fmt.Errorf("overview models: %w", err)
	}
	return o, nil
}

func (s *Store) namedCounts(ctx context.Context, query string, args []any) ([]store.NamedCount, error) {
	rows, err := s.r.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.NamedCount
	for rows.Next() {
		var nc store.NamedCount
		if err := rows.Scan(&nc.Name, &nc.Count); err != nil {
			return nil, err
		}
		out = append(out, nc)
	}
	return out, rows.Err()
}
