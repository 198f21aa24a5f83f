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

// SaveEvaluations stores findings and tags and marks the events evaluated,
// in one transaction.
func (s *Store) SaveEvaluations(ctx context.Context, evals []store.Evaluation) error {
	if len(evals) == 0 {
		return nil
	}
	return s.WithTx(ctx, func(tx store.Tx) error { return tx.SaveEvaluations(ctx, evals) })
}

const alertCols = `id, integration_id, policy, detector, severity, action, status, user_id, user_email, chat_id, event_kind, event_id, entity, excerpt, count, first_seen, last_seen, updated_by, updated_at, comment, suppressed, assignee`

func scanAlert(row interface{ Scan(...any) error }) (*store.Alert, error) {
	var a store.Alert
	var first, last, upd int64
	var sup int
	if err := row.Scan(&a.ID, &a.IntegrationID, &a.Policy, &a.Detector, &a.Severity, &a.Action, &a.Status, &a.UserID, &a.UserEmail,
		&a.ChatID, &a.EventKind, &a.EventID, &a.Entity, &a.Excerpt, &a.Count, &first, &last, &a.UpdatedBy, &upd, &a.Comment, &sup, &a.Assignee); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, store.ErrNotFound
		}
		return nil, err
	}
	a.FirstSeen, a.LastSeen, a.UpdatedAt, a.Suppressed = tm(first), tm(last), tm(upd), sup != 0
	return &a, nil
}

// alertWhere is the WHERE clause of an alert filter.
func alertWhere(f store.AlertFilter) *where {
	w := &where{}
	if f.IntegrationID != 0 {
		w.add("integration_id = ?", f.IntegrationID)
	}
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	if f.Severity != "" {
		w.add("severity = ?", f.Severity)
	}
	if f.Policy != "" {
		w.add("policy = ?", f.Policy)
	}
	if f.User != "" {
		w.add("(user_id = ? OR user_email = ?)", f.User, f.User)
	}
	switch f.Assignee {
	case "":
	case "-":
		w.add("assignee = ''")
	default:
		w.add("assignee = ?", f.Assignee)
	}
	if !f.From.IsZero() {
		w.add("last_seen >= ?", us(f.From))
	}
	if !f.To.IsZero() {
		w.add("first_seen < ?", us(f.To))
	}
	return w
}

// alertOrder is the ORDER BY of a sort; the id breaks ties so pages are stable.
func alertOrder(sort string, asc bool) (string, error) {
	var col string
	switch sort {
	case "", "last_seen":
		col = "last_seen"
	case "first_seen", "count", "status", "policy", "assignee":
		col = sort
	case "user":
		col = "user_email"
	case "severity":
		col = "CASE severity WHEN 'critical' THEN 5 WHEN 'high' THEN 4 WHEN 'medium' THEN 3 WHEN 'low' THEN 2 WHEN 'info' THEN 1 ELSE 0 END"
	default:
		return "", fmt.Errorf("alert sort %q is not one of %s", sort, strings.Join(store.AlertSorts, ", "))
	}
	dir := " DESC"
	if asc {
		dir = " ASC"
	}
	return col + dir + ", last_seen DESC, id" + dir, nil
}

// Alerts lists alerts, most recent activity first unless sorted otherwise.
func (s *Store) Alerts(ctx context.Context, f store.AlertFilter) ([]store.Alert, error) {
	w := alertWhere(f)
	order, err := alertOrder(f.Sort, f.Asc)
	if err != nil {
		return nil, err
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT `+alertCols+` FROM alerts`+w.sql()+` ORDER BY `+order+` LIMIT ? OFFSET ?`), append(w.args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	defer rows.Close()
	var out []store.Alert
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, rows.Err()
}

// CountAlerts counts the alerts a filter selects.
func (s *Store) CountAlerts(ctx context.Context, f store.AlertFilter) (int, error) {
	w := alertWhere(f)
	var n int
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM alerts`+w.sql()), w.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count alerts: %w", err)
	}
	return n, nil
}

// AlertByID reads one alert.
func (s *Store) AlertByID(ctx context.Context, id int64) (*store.Alert, error) {
	a, err := scanAlert(s.r.QueryRowContext(ctx, s.q(`SELECT `+alertCols+` FROM alerts WHERE id = ?`), id))
	if err != nil {
		return nil, fmt.Errorf("read alert %d: %w", id, err)
	}
	return a, nil
}

// SetAlertStatus moves an alert through open → acknowledged → resolved / false_positive.
func (s *Store) SetAlertStatus(ctx context.Context, id int64, status, by, comment string) error {
	switch status {
	case store.AlertOpen, store.AlertAcknowledged, store.AlertResolved, store.AlertFalsePositive:
	default:
		return fmt.Errorf("alert status %q is not one of open, acknowledged, resolved, false_positive", status)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var from, assignee string
		err := tx.QueryRowContext(ctx, s.q(`SELECT status, assignee FROM alerts WHERE id = ?`), id).Scan(&from, &assignee)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("alert %d: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("read alert %d: %w", id, err)
		}
		now := us(s.now())
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE alerts SET status = ?, updated_by = ?, updated_at = ?, comment = ? WHERE id = ?`),
			status, by, now, comment, id); err != nil {
			return fmt.Errorf("update alert %d: %w", id, err)
		}
		return s.addAlertChange(ctx, tx, id, now, by, from, status, assignee, assignee, comment)
	})
}

// AssignAlert sets an alert's assignee.
func (s *Store) AssignAlert(ctx context.Context, id int64, assignee, by string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var status, from string
		err := tx.QueryRowContext(ctx, s.q(`SELECT status, assignee FROM alerts WHERE id = ?`), id).Scan(&status, &from)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("alert %d: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("read alert %d: %w", id, err)
		}
		if from == assignee {
			return nil
		}
		now := us(s.now())
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE alerts SET assignee = ?, updated_by = ?, updated_at = ? WHERE id = ?`), assignee, by, now, id); err != nil {
			return fmt.Errorf("assign alert %d: %w", id, err)
		}
		return s.addAlertChange(ctx, tx, id, now, by, status, status, from, assignee, "")
	})
}

func (s *Store) addAlertChange(ctx context.Context, tx *sql.Tx, id, at int64, by, fromStatus, toStatus, fromAssignee, toAssignee, comment string) error {
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO alert_history (alert_id, at, by_email, from_status, to_status, from_assignee, to_assignee, comment)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), id, at, by, fromStatus, toStatus, fromAssignee, toAssignee, comment); err != nil {
		return fmt.Errorf("record change of alert %d: %w", id, err)
	}
	return nil
}

// AlertHistory lists an alert's changes, oldest first.
func (s *Store) AlertHistory(ctx context.Context, id int64) ([]store.AlertChange, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT at, by_email, from_status, to_status, from_assignee, to_assignee, comment FROM alert_history WHERE alert_id = ? ORDER BY id`), id)
	if err != nil {
		return nil, fmt.Errorf("read history of alert %d: %w", id, err)
	}
	defer rows.Close()
	var out []store.AlertChange
	for rows.Next() {
		var c store.AlertChange
		var at int64
		if err := rows.Scan(&at, &c.By, &c.FromStatus, &c.ToStatus, &c.FromAssignee, &c.ToAssignee, &c.Comment); err != nil {
			return nil, err
		}
		c.At = tm(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

func (s *Store) activeSuppressions(ctx context.Context, tx *sql.Tx, now time.Time) ([]store.Suppression, error) {
	rows, err := tx.QueryContext(ctx, s.q(`SELECT id, policy, user_ref, pattern, until_ts, reason, created_by, created_at FROM suppressions WHERE until_ts > ?`), us(now))
	if err != nil {
		return nil, fmt.Errorf("read suppressions: %w", err)
	}
	defer rows.Close()
	return scanSuppressions(rows)
}

func scanSuppressions(rows *sql.Rows) ([]store.Suppression, error) {
	var out []store.Suppression
	for rows.Next() {
		var sp store.Suppression
		var until, created int64
		if err := rows.Scan(&sp.ID, &sp.Policy, &sp.User, &sp.Pattern, &until, &sp.Reason, &sp.CreatedBy, &created); err != nil {
			return nil, err
		}
		sp.Until, sp.CreatedAt = tm(until), tm(created)
		out = append(out, sp)
	}
	return out, rows.Err()
}

// Suppressions lists every suppression rule.
func (s *Store) Suppressions(ctx context.Context) ([]store.Suppression, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, policy, user_ref, pattern, until_ts, reason, created_by, created_at FROM suppressions ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list suppressions: %w", err)
	}
	defer rows.Close()
	return scanSuppressions(rows)
}

// AddSuppression stores a rule; it needs a future Until and at least one criterion.
func (s *Store) AddSuppression(ctx context.Context, sp *store.Suppression) error {
	if sp.Policy == "" && sp.User == "" && sp.Pattern == "" {
		return fmt.Errorf("a suppression needs a policy, a user or a pattern")
	}
	if !sp.Until.After(s.now()) {
		return fmt.Errorf("a suppression's until must be in the future")
	}
	sp.CreatedAt = s.now()
	return s.w.QueryRowContext(ctx, s.q(`INSERT INTO suppressions (policy, user_ref, pattern, until_ts, reason, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		sp.Policy, sp.User, sp.Pattern, us(sp.Until), sp.Reason, sp.CreatedBy, us(sp.CreatedAt)).Scan(&sp.ID)
}

// DeleteSuppression removes a rule.
func (s *Store) DeleteSuppression(ctx context.Context, id int64) error {
	_, err := s.w.ExecContext(ctx, s.q(`DELETE FROM suppressions WHERE id = ?`), id)
	return err
}

// ---- outbox ----

func (s *Store) enqueue(ctx context.Context, tx *sql.Tx, items []store.OutboxItem, now time.Time) error {
	for _, it := range items {
		next := it.NextAttempt
		if next.IsZero() {
			next = now
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO outbox (sink, kind, payload, status, next_attempt_at, created_at) VALUES (?, ?, ?, 'pending', ?, ?)`),
			it.Sink, it.Kind, string(it.Payload), us(next), us(now)); err != nil {
			return fmt.Errorf("queue delivery to %s: %w", it.Sink, err)
		}
	}
	return nil
}

// Enqueue adds deliveries in one transaction.
func (s *Store) Enqueue(ctx context.Context, items []store.OutboxItem) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return s.enqueue(ctx, tx, items, s.now()) })
}

const outboxCols = `id, sink, kind, payload, status, attempts, next_attempt_at, last_error, created_at, delivered_at`

func scanOutbox(row interface{ Scan(...any) error }) (store.OutboxItem, error) {
	var it store.OutboxItem
	var payload string
	var next, created, delivered int64
	err := row.Scan(&it.ID, &it.Sink, &it.Kind, &payload, &it.Status, &it.Attempts, &next, &it.LastError, &created, &delivered)
	it.Payload, it.NextAttempt, it.CreatedAt, it.DeliveredAt = []byte(payload), tm(next), tm(created), tm(delivered)
	return it, err
}

// ClaimOutbox leases due rows; a row whose lease expired (its worker died) is due again.
// Due times are the process clock's (the deliverer sets them); leases are
// the database clock's.
func (s *Store) ClaimOutbox(ctx context.Context, worker string, n int, lease time.Duration) ([]store.OutboxItem, error) {
	due := s.now()
	var out []store.OutboxItem
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		out = nil
		now, err := s.dbNow(ctx, tx)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, s.q(`SELECT `+outboxCols+` FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? AND claimed_until < ?
			ORDER BY next_attempt_at, id LIMIT ?`+s.d.SkipLocked), us(due), us(now), n)
		if err != nil {
			return fmt.Errorf("select outbox: %w", err)
		}
		for rows.Next() {
			it, err := scanOutbox(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, it)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, it := range out {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE id = ?`), worker, us(now.Add(lease)), it.ID); err != nil {
				return fmt.Errorf("claim outbox %d: %w", it.ID, err)
			}
		}
		return nil
	})
	return out, err
}

// ExtendOutbox renews the leases worker holds on rows still being sent
// (a slow sink), so no other worker claims and sends them again.
func (s *Store) ExtendOutbox(ctx context.Context, ids []int64, worker string, lease time.Duration) error {
	if len(ids) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		now, err := s.dbNow(ctx, tx)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE outbox SET claimed_until = ? WHERE id = ? AND claimed_by = ? AND status = 'pending'`),
				us(now.Add(lease)), id, worker); err != nil {
				return fmt.Errorf("extend outbox %d: %w", id, err)
			}
		}
		return nil
	})
}

// CompleteOutbox marks a row delivered.
func (s *Store) CompleteOutbox(ctx context.Context, id int64, worker string) error {
	_, err := s.w.ExecContext(ctx, s.q(`UPDATE outbox SET status = 'delivered', delivered_at = ?, attempts = attempts + 1, last_error = '', claimed_by = '', claimed_until = 0 WHERE id = ?`),
		us(s.now()), id)
	if err != nil {
		return fmt.Errorf("complete outbox %d: %w", id, err)
	}
	return nil
}

// FailOutbox records a failed attempt.
func (s *Store) FailOutbox(ctx context.Context, id int64, worker, errText string, next time.Time, dead bool) error {
	status := store.OutboxPending
	if dead {
		status = store.OutboxDead
	}
	_, err := s.w.ExecContext(ctx, s.q(`UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?, claimed_by = '', claimed_until = 0 WHERE id = ?`),
		status, errText, us(next), id)
	if err != nil {
		return fmt.Errorf("fail outbox %d: %w", id, err)
	}
	return nil
}

// OutboxItems lists rows, newest first.
func (s *Store) OutboxItems(ctx context.Context, status string, limit int) ([]store.OutboxItem, error) {
	if limit <= 0 {
		limit = 100
	}
	w := &where{}
	if status != "" {
		w.add("status = ?", status)
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT `+outboxCols+` FROM outbox`+w.sql()+` ORDER BY id DESC LIMIT ?`), append(w.args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	defer rows.Close()
	var out []store.OutboxItem
	for rows.Next() {
		it, err := scanOutbox(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// RetryDead requeues dead rows.
func (s *Store) RetryDead(ctx context.Context, id int64) (int64, error) {
	q, args := `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ? WHERE status = 'dead'`, []any{us(s.now())}
	if id != 0 {
		q, args = q+` AND id = ?`, append(args, id)
	}
	r, err := s.w.ExecContext(ctx, s.q(q), args...)
	if err != nil {
		return 0, fmt.Errorf("retry dead deliveries: %w", err)
	}
	return r.RowsAffected()
}

// InstallID reads the database's random id, made by a migration.
func (s *Store) InstallID(ctx context.Context) (string, error) {
	var id string
	if err := s.r.QueryRowContext(ctx, `SELECT id FROM install WHERE singleton = 1`).Scan(&id); err != nil {
		return "", fmt.Errorf("read install id: %w", err)
	}
	return id, nil
}

// OutboxCounts counts rows by status.
func (s *Store) OutboxCounts(ctx context.Context) (map[string]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT status, COUNT(*) FROM outbox GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("count outbox: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}
