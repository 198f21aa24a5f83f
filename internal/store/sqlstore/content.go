package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// SaveContentPage stores the file records and file messages of content
// that belongs to no chat (project files and documents, code artifacts).
func (s *Store) SaveContentPage(ctx context.Context, p store.ContentPage) (store.SaveResult, error) {
	var res store.SaveResult
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res = store.SaveResult{}
		times := make([]time.Time, len(p.Messages))
		for i, m := range p.Messages {
			times[i] = m.CreatedAt
		}
		if err := s.ensurePartition(ctx, tx, "messages", times); err != nil {
			return err
		}
		if err := s.saveFileTexts(ctx, tx, p.IntegrationID, p.FileTexts); err != nil {
			return err
		}
		if len(p.Messages) == 0 {
			return nil
		}
		updMsg, err := tx.PrepareContext(ctx, s.q(`UPDATE messages SET seq = ?, text = ?, tokens = ?, files = ?, tool_calls = ?, eval_version = ''
			WHERE integration_id = ? AND id = ? AND (text <> ? OR files <> ? OR tool_calls <> ?)`))
		if err != nil {
			return fmt.Errorf("prepare message update: %w", err)
		}
		defer updMsg.Close()
		markRemoved, err := tx.PrepareContext(ctx, s.q(`UPDATE messages SET content_removed = 1 WHERE integration_id = ? AND id = ? AND content_removed = 0`))
		if err != nil {
			return fmt.Errorf("prepare message removal: %w", err)
		}
		defer markRemoved.Close()
		fts := s.newFTSBatch()
		if err := fts.start(ctx, tx); err != nil {
			return err
		}
		msgs := make([]store.Message, len(p.Messages))
		for i, m := range p.Messages {
			m.Text = store.CleanText(m.Text)
			msgs[i] = m
		}
		users := make([]store.User, 0, len(msgs))
		for _, m := range msgs {
			if m.UserID != "" {
				users = append(users, store.User{ID: m.UserID, Email: m.UserEmail, FirstSeen: m.CreatedAt, LastSeen: m.CreatedAt})
			}
		}
		if err := s.saveUsers(ctx, tx, p.IntegrationID, users); err != nil {
			return err
		}
		n, err := s.saveMessages(ctx, tx, p.IntegrationID, msgs, us(s.now()), updMsg, markRemoved, fts)
		if err != nil {
			return err
		}
		res.Messages = n
		return fts.flush(ctx, tx)
	})
	return res, err
}
