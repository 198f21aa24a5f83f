package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// tx is a write transaction's plain reads and writes (store.Tx).
type tx struct {
	s   *Store
	tx  *sql.Tx
	st  *txStmts
	now time.Time
}

// WithTx runs fn in one write transaction, again when the backend reports a conflict.
func (s *Store) WithTx(ctx context.Context, fn func(store.Tx) error) error {
	if err := s.warmEvalStmts(ctx); err != nil {
		return err
	}
	return s.inTx(ctx, func(sqlTx *sql.Tx) error {
		t := &tx{s: s, tx: sqlTx, st: s.stmts(sqlTx), now: s.now()}
		defer t.st.close()
		return fn(t)
	})
}

func (t *tx) Now() time.Time { return t.now }

func (t *tx) SaveEvaluations(ctx context.Context, evals []store.Evaluation) error {
	return t.s.saveEvaluations(ctx, t.st, evals)
}

func (t *tx) ActiveSuppressions(ctx context.Context) ([]store.Suppression, error) {
	return t.s.activeSuppressions(ctx, t.tx, t.now)
}

func (t *tx) OpenAlertID(ctx context.Context, integrationID int64, policy, userID, chatID string, since time.Time) (int64, error) {
	var id int64
	err := t.st.queryRow(ctx, openAlertIDSQL,
		integrationID, policy, userID, chatID, us(since)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, store.ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("find alert group: %w", err)
	}
	return id, nil
}

// InsertAlert writes the alert as AddAlertEvent would leave it after
// counting its first event: an UPDATE of the row just inserted (and of two
// of its indexes) was a statement per new alert, most alerts having one
// event.
func (t *tx) InsertAlert(ctx context.Context, a *store.Alert) error {
	if err := t.st.queryRow(ctx, t.s.orFail(`INSERT`)+insertAlertSQL,
		a.IntegrationID, a.Policy, a.Detector, a.Severity, a.Action, a.UserID, a.UserEmail, a.ChatID, a.EventKind, a.EventID,
		a.Entity, a.Excerpt, us(a.FirstSeen), us(a.FirstSeen), us(t.now), b2i(a.Suppressed)).Scan(&a.ID); err != nil {
		return fmt.Errorf("open alert: %w", err)
	}
	if _, err := t.st.exec(ctx, t.s.orFail(`INSERT`)+linkAlertEventSQL, a.ID, a.EventKind, a.EventID); err != nil {
		return fmt.Errorf("link alert event: %w", err)
	}
	return nil
}

func (t *tx) AddAlertEvent(ctx context.Context, alertID int64, kind, eventID string, at time.Time, excerpt, entity string) (bool, error) {
	r, err := t.st.exec(ctx, linkAlertEventIgnoringSQL, alertID, kind, eventID)
	if err != nil {
		return false, fmt.Errorf("link alert event: %w", err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return false, nil
	}
	if _, err := t.st.exec(ctx, countAlertEventSQL,
		us(at), us(at), us(at), us(at), kind, eventID, excerpt, entity, us(t.now), alertID); err != nil {
		return false, fmt.Errorf("update alert %d: %w", alertID, err)
	}
	return true, nil
}

func (t *tx) AlertByID(ctx context.Context, id int64) (*store.Alert, error) {
	a, err := scanAlert(t.st.queryRow(ctx, alertByIDSQL, id))
	if err != nil {
		return nil, fmt.Errorf("read alert %d: %w", id, err)
	}
	return a, nil
}

func (t *tx) Enqueue(ctx context.Context, items []store.OutboxItem) error {
	return t.s.enqueue(ctx, t.tx, items, t.now)
}

// The statements of a transaction that raises alerts (evalQueries). A new
// alert's two INSERTs (insertAlertSQL and linkAlertEventSQL) follow the
// verb orFail gives: with SQLite's default OR ABORT each kept a statement
// journal of the pages it changed (the alert's AUTOINCREMENT writes a second
// table, the link has a unique key).
const (
	openAlertIDSQL = `SELECT id FROM alerts WHERE integration_id = ? AND policy = ? AND user_id = ? AND chat_id = ?
		AND status IN ('open', 'acknowledged') AND last_seen >= ? ORDER BY last_seen DESC LIMIT 1`
	insertAlertSQL = ` INTO alerts (integration_id, policy, detector, severity, action, status, user_id, user_email, chat_id, event_kind, event_id, entity, excerpt, count, first_seen, last_seen, updated_at, suppressed)
		VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?) RETURNING id`
	linkAlertEventSQL         = ` INTO alert_events (alert_id, event_kind, event_id) VALUES (?, ?, ?)`
	linkAlertEventIgnoringSQL = `INSERT INTO alert_events (alert_id, event_kind, event_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`
	countAlertEventSQL        = `UPDATE alerts SET count = count + 1,
		last_seen = CASE WHEN last_seen > ? THEN last_seen ELSE ? END,
		first_seen = CASE WHEN first_seen < ? THEN first_seen ELSE ? END,
		event_kind = ?, event_id = ?, excerpt = ?, entity = ?, updated_at = ? WHERE id = ?`
	alertByIDSQL = `SELECT ` + alertCols + ` FROM alerts WHERE id = ?`
)
