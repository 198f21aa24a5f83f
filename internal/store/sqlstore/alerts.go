package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/claudit/claudit/internal/store"
)

const alertCols = `id, integration_id, policy, detector, severity, action, status, user_id, user_email, chat_id, event_kind, event_id, entity, excerpt, count, first_seen, last_seen, updated_by, updated_at, comment, suppressed, assignee`

func scanAlert(row scanner) (*store.Alert, error) {
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
	inGroup(w, "user_id", "alerts.integration_id", f.Group)
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
	out, err := queryRows(ctx, s.r, value(scanAlert), s.q(`SELECT `+alertCols+` FROM alerts`+w.sql()+` ORDER BY `+order+` LIMIT ? OFFSET ?`), append(w.args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	return out, nil
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
	out, err := queryRows(ctx, s.r, func(rows scanner) (store.AlertChange, error) {
		var c store.AlertChange
		var at int64
		if err := rows.Scan(&at, &c.By, &c.FromStatus, &c.ToStatus, &c.FromAssignee, &c.ToAssignee, &c.Comment); err != nil {
			return store.AlertChange{}, err
		}
		c.At = tm(at)
		return c, nil
	}, s.q(`SELECT at, by_email, from_status, to_status, from_assignee, to_assignee, comment FROM alert_history WHERE alert_id = ? ORDER BY id`), id)
	if err != nil {
		return nil, fmt.Errorf("read history of alert %d: %w", id, err)
	}
	return out, nil
}
