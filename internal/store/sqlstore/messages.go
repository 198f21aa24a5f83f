package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/claudit/claudit/internal/store"
)

// UnevaluatedMessages returns messages never evaluated, oldest first.
func (s *Store) UnevaluatedMessages(ctx context.Context, n int) ([]store.Message, error) {
	out, err := queryRows(ctx, s.r, scanMessage, s.q(`SELECT `+messageCols+` FROM messages m WHERE m.eval_version = '' ORDER BY m.created_at, m.id LIMIT ?`), n)
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

// saveMessages inserts msgs (ChatID set) many per statement, skipping ids
// already stored, and returns how many it inserted. When a statement
// inserted fewer rows than it carried, some were stored already: each row
// of it then gets the update (a no-op unless its content changed, so also
// for the rows just inserted).
func (s *Store) saveMessages(ctx context.Context, tx *sql.Tx, integrationID int64, msgs []store.Message, now int64, updMsg, markRemoved *sql.Stmt) (int, error) {
	const cols = 15
	query := func(n int) string {
		return s.q(multiRowInsert(`INSERT INTO messages (integration_id, id, chat_id, seq, role, text, model, user_id, user_email, created_at, tokens, content_removed, files, tool_calls, ingested_at) VALUES `,
			cols, n, " ON CONFLICT DO NOTHING"))
	}
	var full *sql.Stmt
	if len(msgs) >= messagesPerInsert {
		st, err := tx.PrepareContext(ctx, query(messagesPerInsert))
		if err != nil {
			return 0, fmt.Errorf("prepare messages: %w", err)
		}
		defer st.Close()
		full = st
	}
	inserted := 0
	for start := 0; start < len(msgs); start += messagesPerInsert {
		rows := msgs[start:min(start+messagesPerInsert, len(msgs))]
		args := make([]any, 0, len(rows)*cols)
		for _, m := range rows {
			args = append(args, integrationID, m.ID, m.ChatID, m.Seq, m.Role, m.Text, m.Model, m.UserID, m.UserEmail,
				us(m.CreatedAt), m.Tokens, b2i(m.ContentRemoved), encodeJSONList(m.Files), encodeJSONList(m.ToolCalls), now)
		}
		var r sql.Result
		var err error
		if len(rows) == messagesPerInsert {
			r, err = full.ExecContext(ctx, args...)
		} else {
			r, err = tx.ExecContext(ctx, query(len(rows)), args...)
		}
		if err != nil {
			return inserted, fmt.Errorf("save messages %s to %s: %w", rows[0].ID, rows[len(rows)-1].ID, err)
		}
		n, _ := r.RowsAffected()
		inserted += int(n)
		if int(n) == len(rows) {
			continue
		}
		for _, m := range rows {
			if m.ContentRemoved {
				if _, err := markRemoved.ExecContext(ctx, integrationID, m.ID); err != nil {
					return inserted, fmt.Errorf("mark message %s removed: %w", m.ID, err)
				}
				continue
			}
			files, tools := encodeJSONList(m.Files), encodeJSONList(m.ToolCalls)
			if _, err := updMsg.ExecContext(ctx, m.Seq, m.Text, m.Tokens, files, tools, integrationID, m.ID, m.Text, files, tools); err != nil {
				return inserted, fmt.Errorf("update message %s: %w", m.ID, err)
			}
		}
	}
	return inserted, nil
}
