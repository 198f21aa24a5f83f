package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/claudit/claudit/internal/store"
)

const deletionCols = `id, integration_id, kind, object_id, reason, findings, status, requested_by, requested_email, requested_at,
	decided_by, decided_email, decided_at, comment, result_type, error, finished_at`

func scanDeletion(row scanner) (*store.DeletionRequest, error) {
	var d store.DeletionRequest
	var req, dec, fin int64
	err := row.Scan(&d.ID, &d.IntegrationID, &d.Kind, &d.ObjectID, &d.Reason, &d.Findings, &d.Status, &d.RequestedBy, &d.RequestedEmail, &req,
		&d.DecidedBy, &d.DecidedEmail, &dec, &d.Comment, &d.ResultType, &d.Error, &fin)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	d.RequestedAt, d.DecidedAt, d.FinishedAt = tm(req), tm(dec), tm(fin)
	return &d, nil
}

// CreateDeletionRequest stores a pending request.
func (s *Store) CreateDeletionRequest(ctx context.Context, d *store.DeletionRequest) error {
	if d.RequestedAt.IsZero() {
		d.RequestedAt = s.now()
	}
	d.Status = store.DeletionPending
	err := s.w.QueryRowContext(ctx, s.q(`INSERT INTO deletion_requests (integration_id, kind, object_id, reason, findings, status, requested_by, requested_email, requested_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		d.IntegrationID, d.Kind, store.CleanText(d.ObjectID), store.CleanText(d.Reason), d.Findings, d.Status, d.RequestedBy, d.RequestedEmail, us(d.RequestedAt)).Scan(&d.ID)
	if err != nil {
		return fmt.Errorf("create deletion request for %s %s: %w", d.Kind, d.ObjectID, err)
	}
	return nil
}

// DeletionRequest reads one request.
func (s *Store) DeletionRequest(ctx context.Context, id int64) (*store.DeletionRequest, error) {
	d, err := scanDeletion(s.r.QueryRowContext(ctx, s.q(`SELECT `+deletionCols+` FROM deletion_requests WHERE id = ?`), id))
	if err != nil {
		return nil, fmt.Errorf("read deletion request %d: %w", id, err)
	}
	return d, nil
}

// DeletionRequests lists requests, newest first.
func (s *Store) DeletionRequests(ctx context.Context, status string, limit int) ([]store.DeletionRequest, error) {
	if limit <= 0 {
		limit = 100
	}
	w := &where{}
	if status != "" {
		w.add("status = ?", status)
	}
	out, err := queryRows(ctx, s.r, value(scanDeletion), s.q(`SELECT `+deletionCols+` FROM deletion_requests`+w.sql()+` ORDER BY id DESC LIMIT ?`), append(w.args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list deletion requests: %w", err)
	}
	return out, nil
}

// DecideDeletion approves or rejects a pending request, once.
func (s *Store) DecideDeletion(ctx context.Context, id int64, status string, by int64, email, comment string, at time.Time) error {
	if status != store.DeletionApproved && status != store.DeletionRejected {
		return fmt.Errorf("decide deletion request %d: status %q is not approved or rejected", id, status)
	}
	res, err := s.w.ExecContext(ctx, s.q(`UPDATE deletion_requests SET status = ?, decided_by = ?, decided_email = ?, decided_at = ?, comment = ?
		WHERE id = ? AND status = ?`), status, by, email, us(at), store.CleanText(comment), id, store.DeletionPending)
	if err != nil {
		return fmt.Errorf("decide deletion request %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.DeletionRequest(ctx, id); err != nil {
			return err
		}
		return fmt.Errorf("deletion request %d is no longer pending: %w", id, store.ErrConflict)
	}
	return nil
}

// FinishDeletion records an approved request's outcome.
func (s *Store) FinishDeletion(ctx context.Context, id int64, status, resultType, errText string, at time.Time) error {
	if status != store.DeletionDeleted && status != store.DeletionFailed {
		return fmt.Errorf("finish deletion request %d: status %q is not deleted or failed", id, status)
	}
	res, err := s.w.ExecContext(ctx, s.q(`UPDATE deletion_requests SET status = ?, result_type = ?, error = ?, finished_at = ? WHERE id = ? AND status = ?`),
		status, store.CleanText(resultType), store.CleanText(errText), us(at), id, store.DeletionApproved)
	if err != nil {
		return fmt.Errorf("finish deletion request %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("deletion request %d is not approved: %w", id, store.ErrConflict)
	}
	return nil
}

// ObjectFindings counts the findings an object holds.
func (s *Store) ObjectFindings(ctx context.Context, integrationID int64, kind, id string) (int, error) {
	var query string
	var args []any
	switch kind {
	case store.DeleteChat:
		query, args = `SELECT COUNT(*) FROM findings WHERE integration_id = ? AND chat_id = ?`, []any{integrationID, id}
	case store.DeleteFile:
		query = `SELECT COUNT(*) FROM findings WHERE integration_id = ? AND (event_id = ? OR event_id IN (SELECT message_id FROM files WHERE integration_id = ? AND id = ? AND message_id <> ''))`
		args = []any{integrationID, id, integrationID, id}
	case store.DeleteProject:
		query = `SELECT COUNT(*) FROM findings WHERE integration_id = ? AND chat_id IN (SELECT id FROM chats WHERE integration_id = ? AND project_id = ?)`
		args = []any{integrationID, integrationID, id}
	default:
		return 0, fmt.Errorf("count findings of %s %s: not a chat, file or project", kind, id)
	}
	var n int
	if err := s.r.QueryRowContext(ctx, s.q(query), args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count findings of %s %s: %w", kind, id, err)
	}
	return n, nil
}
