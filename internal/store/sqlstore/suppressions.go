package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/claudit/claudit/internal/store"
)

const suppressionCols = `id, policy, user_ref, pattern, until_ts, reason, created_by, created_at`

func scanSuppression(row scanner) (store.Suppression, error) {
	var sp store.Suppression
	var until, created int64
	if err := row.Scan(&sp.ID, &sp.Policy, &sp.User, &sp.Pattern, &until, &sp.Reason, &sp.CreatedBy, &created); err != nil {
		return sp, err
	}
	sp.Until, sp.CreatedAt = tm(until), tm(created)
	return sp, nil
}

// activeSuppressions lists the rules in force at now, inside a transaction.
func (s *Store) activeSuppressions(ctx context.Context, tx *sql.Tx, now time.Time) ([]store.Suppression, error) {
	out, err := queryRows(ctx, tx, scanSuppression, s.q(`SELECT `+suppressionCols+` FROM suppressions WHERE until_ts > ?`), us(now))
	if err != nil {
		return nil, fmt.Errorf("read suppressions: %w", err)
	}
	return out, nil
}

// Suppressions lists every suppression rule.
func (s *Store) Suppressions(ctx context.Context) ([]store.Suppression, error) {
	out, err := queryRows(ctx, s.r, scanSuppression, `SELECT `+suppressionCols+` FROM suppressions ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list suppressions: %w", err)
	}
	return out, nil
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
