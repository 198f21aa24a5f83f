package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/claudit/claudit/internal/store"
)

// saveFileTexts upserts file records in the chat page's transaction.
func (s *Store) saveFileTexts(ctx context.Context, tx *sql.Tx, integrationID int64, fts []store.FileText) error {
	if len(fts) == 0 {
		return nil
	}
	err := s.insertRows(ctx, tx, upsertFileTexts, s.rowsPerUpsert(fileTextsPerUpsert), upsertFileTextCols, len(fts),
		func(i int, args []any) []any {
			f := &fts[i]
			return append(args, integrationID, f.FileID, f.Kind, f.ChatID, f.MessageID, f.UserID, store.CleanText(f.Filename), f.MimeType, f.Format, f.SizeBytes,
				f.Status, store.CleanText(f.Reason), us(f.FetchedAt))
		},
		func(int, int, int) error { return nil })
	if err != nil {
		return fmt.Errorf("save file texts: %w", err)
	}
	return nil
}

// fileTextsPerUpsert is how many file records one upsert carries on SQLite.
const fileTextsPerUpsert = 32

// upsertFileTexts returns the upsert of n file records.
func upsertFileTexts(n int) string {
	return multiRowInsert(upsertFileTextInto, upsertFileTextCols, n, upsertFileTextConflict)
}

const (
	upsertFileTextCols     = 13
	upsertFileTextInto     = `INSERT INTO file_texts (integration_id, file_id, kind, chat_id, message_id, user_id, filename, mime_type, format, size_bytes, status, reason, fetched_at) VALUES `
	upsertFileTextConflict = `
			ON CONFLICT (integration_id, file_id) DO UPDATE SET format = excluded.format, size_bytes = excluded.size_bytes,
			status = excluded.status, reason = excluded.reason, fetched_at = excluded.fetched_at`
)

// KnownFiles returns which file ids have a file record.
func (s *Store) KnownFiles(ctx context.Context, integrationID int64, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	for len(ids) > 0 {
		n := min(len(ids), 200)
		batch := ids[:n]
		ids = ids[n:]
		args := []any{integrationID}
		for _, id := range batch {
			args = append(args, id)
		}
		rows, err := s.r.QueryContext(ctx, s.q(`SELECT file_id FROM file_texts WHERE integration_id = ? AND file_id IN (?`+
			strings.Repeat(", ?", len(batch)-1)+`)`), args...)
		if err != nil {
			return nil, fmt.Errorf("known files: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ChatFileTexts lists a chat's file records in fetch order.
func (s *Store) ChatFileTexts(ctx context.Context, integrationID int64, chatID string) ([]store.FileText, error) {
	out, err := queryRows(ctx, s.r, func(rows scanner) (store.FileText, error) {
		var f store.FileText
		var at int64
		if err := rows.Scan(&f.IntegrationID, &f.FileID, &f.Kind, &f.ChatID, &f.MessageID, &f.UserID, &f.Filename, &f.MimeType, &f.Format,
			&f.SizeBytes, &f.Status, &f.Reason, &at); err != nil {
			return store.FileText{}, err
		}
		f.FetchedAt = tm(at)
		return f, nil
	}, s.q(`SELECT integration_id, file_id, kind, chat_id, message_id, user_id, filename, mime_type, format, size_bytes, status, reason, fetched_at
		FROM file_texts WHERE integration_id = ? AND chat_id = ? ORDER BY fetched_at, file_id`), integrationID, chatID)
	if err != nil {
		return nil, fmt.Errorf("list file texts: %w", err)
	}
	return out, nil
}
