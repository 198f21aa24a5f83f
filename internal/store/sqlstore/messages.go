package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/claudit/claudit/internal/store"
)

// UnevaluatedMessages returns messages never evaluated, oldest first, as
// evaluation reads them (pendingMessageCols).
func (s *Store) UnevaluatedMessages(ctx context.Context, n int) ([]store.Message, error) {
	out, err := queryRows(ctx, s.r, scanPendingMessage, s.q(`SELECT `+s.rowID("m")+`, `+pendingMessageCols+` FROM messages m WHERE m.eval_version = '' ORDER BY m.created_at, m.id LIMIT ?`), n)
	if err != nil {
		return nil, fmt.Errorf("list unevaluated messages: %w", err)
	}
	return out, nil
}

const messageCols = `m.integration_id, m.id, m.chat_id, m.seq, m.role, m.text, m.model, m.user_id, m.user_email, m.created_at, m.tokens, m.content_removed, m.files, m.tool_calls, m.tags, m.violations`

func scanMessage(row scanner) (store.Message, error) {
	var m store.Message
	var created int64
	var removed int
	var files, tools, tags string
	err := row.Scan(&m.IntegrationID, &m.ID, &m.ChatID, &m.Seq, &m.Role, &m.Text, &m.Model, &m.UserID, &m.UserEmail,
		&created, &m.Tokens, &removed, &files, &tools, &tags, &m.Violations)
	m.CreatedAt, m.ContentRemoved = tm(created), removed != 0
	m.Files, m.ToolCalls, m.Tags = decodeJSONList[store.FileMeta](files), decodeJSONList[store.ToolCall](tools), decodeJSONList[string](tags)
	return m, err
}

// Message reads one prompt event.
func (s *Store) Message(ctx context.Context, integrationID int64, id string) (*store.Message, error) {
	m, err := scanMessage(s.r.QueryRowContext(ctx, s.q(`SELECT `+messageCols+` FROM messages m WHERE m.integration_id = ? AND m.id = ?`), integrationID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read message %s: %w", id, err)
	}
	return &m, nil
}

// messagesPerInsert is how many messages one INSERT statement carries.
const messagesPerInsert = 64

// insertMessages returns the INSERT of n messages, which skips ids already
// stored.
func (s *Store) insertMessages(n int) string {
	return s.insertIgnoring(`messages (integration_id, id, chat_id, seq, role, text, model, user_id, user_email, created_at, tokens, content_removed, files, tool_calls, ingested_at)`,
		messageInsertCols, n)
}

const messageInsertCols = 15

func appendMessageArgs(args []any, integrationID int64, m *store.Message, now int64) []any {
	return append(args, integrationID, m.ID, m.ChatID, m.Seq, m.Role, m.Text, m.Model, m.UserID, m.UserEmail,
		us(m.CreatedAt), m.Tokens, b2i(m.ContentRemoved), encodeJSONList(m.Files), encodeJSONList(m.ToolCalls), now)
}

// saveMessages inserts msgs (ChatID set) many per statement, skipping ids
// already stored, and returns how many it inserted. When a statement
// inserted fewer rows than it carried, some were stored already: each row
// of it then gets the update (a no-op unless its content changed, so also
// for the rows just inserted).
func (s *Store) saveMessages(ctx context.Context, tx *sql.Tx, integrationID int64, msgs []store.Message, now int64, updMsg, markRemoved *sql.Stmt, fts *ftsBatch) (int, error) {
	inserted := 0
	err := s.insertRows(ctx, tx, s.insertMessages, messagesPerInsert, messageInsertCols, len(msgs),
		func(i int, args []any) []any { return appendMessageArgs(args, integrationID, &msgs[i], now) },
		func(start, end int, n int) error {
			inserted += n
			fts.inserted(n)
			if n == end-start {
				return nil
			}
			// The rows stored already may have new text: the index must
			// hold every inserted row before an update replaces its text.
			if err := fts.flush(ctx, tx); err != nil {
				return err
			}
			for i := start; i < end; i++ {
				if err := updateMessage(ctx, integrationID, &msgs[i], updMsg, markRemoved); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		return inserted, fmt.Errorf("save messages: %w", err)
	}
	return inserted, nil
}

// updateMessage applies a message already stored: its content removed, or
// its content when that changed.
func updateMessage(ctx context.Context, integrationID int64, m *store.Message, updMsg, markRemoved *sql.Stmt) error {
	if m.ContentRemoved {
		if _, err := markRemoved.ExecContext(ctx, integrationID, m.ID); err != nil {
			return fmt.Errorf("mark message %s removed: %w", m.ID, err)
		}
		return nil
	}
	files, tools := encodeJSONList(m.Files), encodeJSONList(m.ToolCalls)
	if _, err := updMsg.ExecContext(ctx, m.Seq, m.Text, m.Tokens, files, tools, integrationID, m.ID, m.Text, files, tools); err != nil {
		return fmt.Errorf("update message %s: %w", m.ID, err)
	}
	return nil
}
