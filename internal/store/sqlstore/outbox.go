package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/claudit/claudit/internal/store"
)

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

func scanOutbox(row scanner) (store.OutboxItem, error) {
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
	out, err := queryRows(ctx, s.r, scanOutbox, s.q(`SELECT `+outboxCols+` FROM outbox`+w.sql()+` ORDER BY id DESC LIMIT ?`), append(w.args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	return out, nil
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
