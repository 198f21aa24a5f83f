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

// Checkpoint reads a stream position.
func (s *Store) Checkpoint(ctx context.Context, integrationID int64, stream string) (store.Checkpoint, error) {
	cp := store.Checkpoint{IntegrationID: integrationID, Stream: stream}
	var hw, upd int64
	err := s.r.QueryRowContext(ctx, s.q(`SELECT cursor, high_water, updated_at FROM checkpoints WHERE integration_id = ? AND stream = ?`),
		integrationID, stream).Scan(&cp.Cursor, &hw, &upd)
	if errors.Is(err, sql.ErrNoRows) {
		return cp, nil
	}
	if err != nil {
		return cp, fmt.Errorf("read checkpoint %s: %w", stream, err)
	}
	cp.HighWater, cp.UpdatedAt = tm(hw), tm(upd)
	return cp, nil
}

func (s *Store) saveCheckpoint(ctx context.Context, tx *sql.Tx, cp *store.Checkpoint) error {
	if cp == nil {
		return nil
	}
	if _, err := s.txExec(ctx, tx, saveCheckpointSQL, cp.IntegrationID, cp.Stream, cp.Cursor, us(cp.HighWater), us(s.now())); err != nil {
		return fmt.Errorf("save checkpoint %s: %w", cp.Stream, err)
	}
	return nil
}

const saveCheckpointSQL = `INSERT INTO checkpoints (integration_id, stream, cursor, high_water, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (integration_id, stream) DO UPDATE SET cursor = excluded.cursor,
		high_water = CASE WHEN excluded.high_water > checkpoints.high_water THEN excluded.high_water ELSE checkpoints.high_water END,
		updated_at = excluded.updated_at`

func (s *Store) saveBatchProgress(ctx context.Context, tx *sql.Tx, p *store.BatchProgress) error {
	if p == nil {
		return nil
	}
	set := []string{"activities = activities + ?", "messages = messages + ?"}
	args := []any{p.Activities, p.Messages}
	if p.ActivityCursor != nil {
		set, args = append(set, "activity_cursor = ?"), append(args, *p.ActivityCursor)
	}
	if p.ChatCursor != nil {
		set, args = append(set, "chat_cursor = ?"), append(args, *p.ChatCursor)
	}
	if !p.SyncedUpTo.IsZero() {
		set, args = append(set, "synced_up_to = CASE WHEN synced_up_to > ? THEN synced_up_to ELSE ? END"), append(args, us(p.SyncedUpTo), us(p.SyncedUpTo))
	}
	args = append(args, p.BatchID)
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE backfill_batches SET `+strings.Join(set, ", ")+` WHERE id = ?`), args...); err != nil {
		return fmt.Errorf("save batch %d progress: %w", p.BatchID, err)
	}
	return nil
}

// SaveActivityPage stores a page of activities, its users and the checkpoint in one transaction.
func (s *Store) SaveActivityPage(ctx context.Context, p store.ActivityPage) (store.SaveResult, error) {
	res, err := s.SavePages(ctx, []store.Page{{Activities: &p}})
	if err != nil {
		return store.SaveResult{}, err
	}
	return res[0], nil
}

// SaveChatPage stores hydrated chats, users, projects and the checkpoint in one transaction.
// Text already stored is never replaced by the empty content of a chat deleted in claude.ai.
func (s *Store) SaveChatPage(ctx context.Context, p store.ChatPage) (store.SaveResult, error) {
	res, err := s.SavePages(ctx, []store.Page{{Chats: &p}})
	if err != nil {
		return store.SaveResult{}, err
	}
	return res[0], nil
}

// SavePages stores activity and chat pages in one transaction, in order.
func (s *Store) SavePages(ctx context.Context, pages []store.Page) ([]store.SaveResult, error) {
	res := make([]store.SaveResult, len(pages))
	if err := s.warmWriterStmts(ctx, s.ingestQueries()...); err != nil {
		return nil, err
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		clear(res)
		fts := s.newFTSBatch()
		// Partitions first, before any row lock is held (no lock-order cycle).
		if err := s.ensurePagePartitions(ctx, tx, pages); err != nil {
			return err
		}
		for i, p := range pages {
			var err error
			switch {
			case p.Activities != nil:
				res[i], err = s.saveActivityPage(ctx, tx, p.Activities)
			case p.Chats != nil:
				res[i], err = s.saveChatPage(ctx, tx, p.Chats, fts)
			}
			if err != nil {
				if len(pages) > 1 {
					return fmt.Errorf("page %d of %d: %w", i+1, len(pages), err)
				}
				return err
			}
		}
		return fts.flush(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// ensurePagePartitions makes sure every activity and message of the pages has a partition.
func (s *Store) ensurePagePartitions(ctx context.Context, tx *sql.Tx, pages []store.Page) error {
	if s.d.EnsurePartition == nil {
		return nil
	}
	var acts, msgs []time.Time
	for _, p := range pages {
		if p.Activities != nil {
			for _, a := range p.Activities.Activities {
				acts = append(acts, a.CreatedAt)
			}
		}
		if p.Chats != nil {
			for _, hc := range p.Chats.Chats {
				for _, m := range hc.Messages {
					msgs = append(msgs, m.CreatedAt)
				}
			}
		}
	}
	if err := s.ensurePartition(ctx, tx, "activities", acts); err != nil {
		return err
	}
	return s.ensurePartition(ctx, tx, "messages", msgs)
}
