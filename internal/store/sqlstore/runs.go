package sqlstore

import (
	"context"
	"fmt"

	"github.com/claudit/claudit/internal/store"
)

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
	out, err := queryRows(ctx, s.r, func(rows scanner) (store.Run, error) {
		var r store.Run
		var st, fin int64
		if err := rows.Scan(&r.ID, &r.IntegrationID, &r.Kind, &st, &fin, &r.Activities, &r.Chats, &r.Messages, &r.Errors, &r.Error); err != nil {
			return store.Run{}, err
		}
		r.StartedAt, r.FinishedAt = tm(st), tm(fin)
		return r, nil
	}, s.q(`SELECT id, integration_id, kind, started_at, finished_at, activities, chats, messages, errors, error
		FROM sync_runs WHERE integration_id = ? ORDER BY id DESC LIMIT ?`), integrationID, limit)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return out, nil
}
