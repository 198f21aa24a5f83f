package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"

	"github.com/claudit/claudit/internal/store"
)

// SaveQuarantined upserts undecodable API items.
func (s *Store) SaveQuarantined(ctx context.Context, items []store.Quarantined) error {
	if len(items) == 0 {
		return nil
	}
	now := us(s.now())
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, it := range items {
			key := it.ItemID
			if key == "" {
				sum := sha256.Sum256(it.Raw)
				key = "sha256:" + hex.EncodeToString(sum[:])
			}
			_, err := tx.ExecContext(ctx, s.q(`INSERT INTO quarantined_items (integration_id, stream, item_key, item_id, raw, reason, first_seen, last_seen, seen)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)
				ON CONFLICT (integration_id, stream, item_key) DO UPDATE SET raw = excluded.raw, reason = excluded.reason,
				last_seen = excluded.last_seen, seen = quarantined_items.seen + 1`),
				it.IntegrationID, it.Stream, key, it.ItemID, string(it.Raw), it.Reason, now, now)
			if err != nil {
				return fmt.Errorf("quarantine %s item %s: %w", it.Stream, key, err)
			}
		}
		return nil
	})
}

// QuarantinedItems lists quarantined items, most recently seen first.
func (s *Store) QuarantinedItems(ctx context.Context, integrationID int64, limit int) ([]store.Quarantined, error) {
	if limit <= 0 {
		limit = 100
	}
	out, err := queryRows(ctx, s.r, func(rows scanner) (store.Quarantined, error) {
		var q store.Quarantined
		var raw string
		var first, last int64
		if err := rows.Scan(&q.IntegrationID, &q.Stream, &q.ItemID, &raw, &q.Reason, &first, &last, &q.Seen); err != nil {
			return store.Quarantined{}, err
		}
		q.Raw, q.FirstSeen, q.LastSeen = []byte(raw), tm(first), tm(last)
		return q, nil
	}, s.q(`SELECT integration_id, stream, item_id, raw, reason, first_seen, last_seen, seen
		FROM quarantined_items WHERE integration_id = ? ORDER BY last_seen DESC, item_key LIMIT ?`), integrationID, limit)
	if err != nil {
		return nil, fmt.Errorf("list quarantined items: %w", err)
	}
	return out, nil
}
