package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// CreateBackfill stores a job and its batches in one transaction.
func (s *Store) CreateBackfill(ctx context.Context, b *store.Backfill, batches []store.Batch) error {
	now := s.now()
	if b.Status == "" {
		b.Status = store.BackfillRunning
	}
	b.CreatedAt, b.UpdatedAt = now, now
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO backfills (integration_id, from_ts, to_ts, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
			b.IntegrationID, us(b.From), us(b.To), b.Status, us(now), us(now)).Scan(&b.ID); err != nil {
			return fmt.Errorf("create backfill: %w", err)
		}
		st, err := tx.PrepareContext(ctx, s.q(`INSERT INTO backfill_batches (backfill_id, seq, from_ts, to_ts, status) VALUES (?, ?, ?, ?, ?)`))
		if err != nil {
			return fmt.Errorf("prepare batches: %w", err)
		}
		defer st.Close()
		for i, bt := range batches {
			if _, err := st.ExecContext(ctx, b.ID, i, us(bt.From), us(bt.To), store.BatchPending); err != nil {
				return fmt.Errorf("create batch %d: %w", i, err)
			}
		}
		b.Batches = len(batches)
		return nil
	})
}

const backfillSelect = `SELECT b.id, b.integration_id, b.from_ts, b.to_ts, b.status, b.created_at, b.updated_at, b.error,
	COUNT(bb.id),
	COALESCE(SUM(CASE WHEN bb.status = 'done' THEN 1 ELSE 0 END), 0),
	COALESCE(SUM(CASE WHEN bb.status = 'failed' THEN 1 ELSE 0 END), 0),
	COALESCE(SUM(bb.activities), 0), COALESCE(SUM(bb.messages), 0), COALESCE(MAX(bb.synced_up_to), 0)
	FROM backfills b LEFT JOIN backfill_batches bb ON bb.backfill_id = b.id`

const backfillGroup = ` GROUP BY b.id, b.integration_id, b.from_ts, b.to_ts, b.status, b.created_at, b.updated_at, b.error`

func scanBackfill(row scanner) (*store.Backfill, error) {
	var b store.Backfill
	var from, to, created, updated, upTo int64
	if err := row.Scan(&b.ID, &b.IntegrationID, &from, &to, &b.Status, &created, &updated, &b.Error,
		&b.Batches, &b.BatchesDone, &b.Failed, &b.Activities, &b.Messages, &upTo); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, store.ErrNotFound
		}
		return nil, err
	}
	b.From, b.To, b.CreatedAt, b.UpdatedAt, b.SyncedUpTo = tm(from), tm(to), tm(created), tm(updated), tm(upTo)
	return &b, nil
}

// Backfill reads a job with progress derived from its batches.
func (s *Store) Backfill(ctx context.Context, id int64) (*store.Backfill, error) {
	b, err := scanBackfill(s.r.QueryRowContext(ctx, s.q(backfillSelect+` WHERE b.id = ?`+backfillGroup), id))
	if err != nil {
		return nil, fmt.Errorf("read backfill %d: %w", id, err)
	}
	return b, nil
}

// Backfills lists jobs, newest first.
func (s *Store) Backfills(ctx context.Context, integrationID int64) ([]store.Backfill, error) {
	w := &where{}
	if integrationID != 0 {
		w.add("b.integration_id = ?", integrationID)
	}
	out, err := queryRows(ctx, s.r, value(scanBackfill), s.q(backfillSelect+w.sql()+backfillGroup+` ORDER BY b.id DESC`), w.args...)
	if err != nil {
		return nil, fmt.Errorf("list backfills: %w", err)
	}
	return out, nil
}

const batchCols = `id, backfill_id, seq, from_ts, to_ts, status, attempts, activities, messages, activity_cursor, chat_cursor, synced_up_to, error, claimed_by, claimed_until, started_at, finished_at`

func scanBatch(row scanner) (store.Batch, error) {
	var b store.Batch
	var from, to, upTo, until, started, finished int64
	err := row.Scan(&b.ID, &b.BackfillID, &b.Seq, &from, &to, &b.Status, &b.Attempts, &b.Activities, &b.Messages,
		&b.ActivityCursor, &b.ChatCursor, &upTo, &b.Error, &b.ClaimedBy, &until, &started, &finished)
	b.From, b.To, b.SyncedUpTo, b.ClaimedUntil, b.StartedAt, b.FinishedAt = tm(from), tm(to), tm(upTo), tm(until), tm(started), tm(finished)
	return b, err
}

// Batches lists a job's batches by sequence.
func (s *Store) Batches(ctx context.Context, backfillID int64) ([]store.Batch, error) {
	out, err := queryRows(ctx, s.r, scanBatch, s.q(`SELECT `+batchCols+` FROM backfill_batches WHERE backfill_id = ? ORDER BY seq`), backfillID)
	if err != nil {
		return nil, fmt.Errorf("list batches: %w", err)
	}
	return out, nil
}

// SetBackfillStatus changes a job's status.
func (s *Store) SetBackfillStatus(ctx context.Context, id int64, status, errText string) error {
	r, err := s.w.ExecContext(ctx, s.q(`UPDATE backfills SET status = ?, error = ?, updated_at = ? WHERE id = ?`), status, errText, us(s.now()), id)
	if err != nil {
		return fmt.Errorf("set backfill %d %s: %w", id, status, err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return fmt.Errorf("backfill %d: %w", id, store.ErrNotFound)
	}
	return nil
}

// ClaimBatches leases runnable batches of a running job to worker.
func (s *Store) ClaimBatches(ctx context.Context, backfillID int64, worker string, n int, lease time.Duration, maxAttempts int) ([]store.Batch, error) {
	var out []store.Batch
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		out = nil
		now, err := s.dbNow(ctx, tx)
		if err != nil {
			return err
		}
		var status string
		if err := tx.QueryRowContext(ctx, s.q(`SELECT status FROM backfills WHERE id = ?`), backfillID).Scan(&status); err != nil {
			return fmt.Errorf("read backfill %d: %w", backfillID, err)
		}
		if status != store.BackfillRunning {
			return nil
		}
		rows, err := tx.QueryContext(ctx, s.q(`SELECT `+batchCols+` FROM backfill_batches WHERE backfill_id = ? AND (
			status = 'pending' OR (status = 'failed' AND attempts < ?) OR (status = 'running' AND claimed_until < ?))
			ORDER BY seq LIMIT ?`+s.d.SkipLocked), backfillID, maxAttempts, us(now), n)
		if err != nil {
			return fmt.Errorf("select batches: %w", err)
		}
		for rows.Next() {
			b, err := scanBatch(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, b)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range out {
			b := &out[i]
			b.Status, b.ClaimedBy, b.ClaimedUntil, b.Attempts = store.BatchRunning, worker, now.Add(lease), b.Attempts+1
			if b.StartedAt.IsZero() {
				b.StartedAt = now
			}
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE backfill_batches SET status = 'running', claimed_by = ?, claimed_until = ?, attempts = ?, started_at = ? WHERE id = ?`),
				worker, us(b.ClaimedUntil), b.Attempts, us(b.StartedAt), b.ID); err != nil {
				return fmt.Errorf("claim batch %d: %w", b.ID, err)
			}
		}
		return nil
	})
	return out, err
}

// ExtendClaim renews a lease held by worker.
func (s *Store) ExtendClaim(ctx context.Context, batchID int64, worker string, lease time.Duration) error {
	now, err := s.dbNow(ctx, s.w)
	if err != nil {
		return fmt.Errorf("extend batch %d: %w", batchID, err)
	}
	r, err := s.w.ExecContext(ctx, s.q(`UPDATE backfill_batches SET claimed_until = ? WHERE id = ? AND claimed_by = ? AND status = 'running'`),
		us(now.Add(lease)), batchID, worker)
	if err != nil {
		return fmt.Errorf("extend batch %d: %w", batchID, err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return fmt.Errorf("batch %d: lease lost", batchID)
	}
	return nil
}

// FinishBatch marks a batch done or failed.
func (s *Store) FinishBatch(ctx context.Context, batchID int64, worker string, errText string) error {
	status := store.BatchDone
	if errText != "" {
		status = store.BatchFailed
	}
	_, err := s.w.ExecContext(ctx, s.q(`UPDATE backfill_batches SET status = ?, error = ?, finished_at = ?, claimed_by = '', claimed_until = 0 WHERE id = ? AND claimed_by = ?`),
		status, errText, us(s.now()), batchID, worker)
	if err != nil {
		return fmt.Errorf("finish batch %d: %w", batchID, err)
	}
	return nil
}

// ReleaseBatches returns a worker's running batches to pending.
func (s *Store) ReleaseBatches(ctx context.Context, backfillID int64, worker string) error {
	_, err := s.w.ExecContext(ctx, s.q(`UPDATE backfill_batches SET status = 'pending', claimed_by = '', claimed_until = 0, attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END
		WHERE backfill_id = ? AND claimed_by = ? AND status = 'running'`), backfillID, worker)
	if err != nil {
		return fmt.Errorf("release batches of backfill %d: %w", backfillID, err)
	}
	return nil
}
