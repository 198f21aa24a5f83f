package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// DropBefore deletes prompt and access events (and their findings) older than
// cutoff; the PostgreSQL store overrides it with whole-partition drops.
func (s *Store) DropBefore(ctx context.Context, cutoff time.Time) ([]string, error) {
	var out []string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		out = nil
		for _, t := range []string{"messages", "activities", "findings"} {
			col := "created_at"
			if t == "findings" {
				col = "event_time"
			}
			r, err := tx.ExecContext(ctx, s.q(`DELETE FROM `+t+` WHERE `+col+` < ?`), us(cutoff))
			if err != nil {
				return fmt.Errorf("retention on %s: %w", t, err)
			}
			n, _ := r.RowsAffected()
			out = append(out, fmt.Sprintf("%s: %d rows", t, n))
		}
		return nil
	})
	return out, err
}
