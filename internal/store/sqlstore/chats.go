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

// Chats lists sessions, most recently updated first.
func (s *Store) Chats(ctx context.Context, f store.ChatFilter) ([]store.Chat, error) {
	w := chatWhere(f)
	order := "updated_at DESC, id DESC"
	switch f.Sort {
	case "", "updated":
	case "violations":
		order = "violations DESC, updated_at DESC, id DESC"
	default:
		return nil, fmt.Errorf("session sort %q is not updated or violations", f.Sort)
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 50
	}
	out, err := queryRows(ctx, s.r, func(rows scanner) (store.Chat, error) {
		var c store.Chat
		var created, updated int64
		var deleted sql.NullInt64
		var hard int
		if err := rows.Scan(&c.IntegrationID, &c.ID, &c.Name, &c.UserID, &c.UserEmail, &c.Model, &c.ProjectID, &c.OrganizationUUID, &c.Href,
			&created, &updated, &deleted, &hard, &c.MessageCount, &c.Violations); err != nil {
			return store.Chat{}, err
		}
		c.CreatedAt, c.UpdatedAt, c.DeletedAt, c.HardDeleted = tm(created), tm(updated), tmPtr(deleted), hard != 0
		return c, nil
	}, s.q(`SELECT `+chatCols+`,
		(SELECT COUNT(*) FROM findings f WHERE f.integration_id = chats.integration_id AND f.chat_id = chats.id AND f.effective_action = 'alert') AS violations
		FROM `+chatPage(w, order)), append(w.args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, fmt.Errorf("list chats: %w", err)
	}
	return out, nil
}

const chatCols = `integration_id, id, name, user_id, user_email, model, project_id, organization_uuid, href, created_at, updated_at, deleted_at, hard_deleted, message_count`

// chatPage is the FROM clause, ORDER BY and paging (LIMIT ? OFFSET ?) of a
// session list, as a table named chats. When the order is by stored columns
// the page is cut first, so that the counts and scores in the select list
// are computed for its rows alone, not for every session the filter
// selects (SQLite computes a row's select list before sorting it).
func chatPage(w *where, order string) string {
	if !strings.HasPrefix(order, "updated_at") {
		return `chats` + w.sql() + ` ORDER BY ` + order + ` LIMIT ? OFFSET ?`
	}
	return `(SELECT ` + chatCols + ` FROM chats` + w.sql() + ` ORDER BY ` + order + ` LIMIT ? OFFSET ?) chats ORDER BY ` + order
}

func chatWhere(f store.ChatFilter) *where {
	w := &where{}
	if f.IntegrationID != 0 {
		w.add("integration_id = ?", f.IntegrationID)
	}
	if f.User != "" {
		w.add("(user_id = ? OR user_email = ?)", f.User, f.User)
	}
	inGroup(w, "user_id", "chats.integration_id", f.Group)
	if q := strings.TrimSpace(f.Query); q != "" {
		w.add(`LOWER(name) LIKE ? ESCAPE '\'`, containing(strings.ToLower(q)))
	}
	if !f.From.IsZero() {
		w.add("updated_at >= ?", us(f.From))
	}
	if !f.To.IsZero() {
		w.add("created_at < ?", us(f.To))
	}
	return w
}

// CountChats counts the sessions a filter selects.
func (s *Store) CountChats(ctx context.Context, f store.ChatFilter) (int, error) {
	w := chatWhere(f)
	var n int
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM chats`+w.sql()), w.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count chats: %w", err)
	}
	return n, nil
}

// Chat reads one session.
func (s *Store) Chat(ctx context.Context, integrationID int64, id string) (*store.Chat, error) {
	var c store.Chat
	var created, updated int64
	var deleted sql.NullInt64
	var hard int
	err := s.r.QueryRowContext(ctx, s.q(`SELECT integration_id, id, name, user_id, user_email, model, project_id, organization_uuid, href, created_at, updated_at, deleted_at, hard_deleted, message_count
		FROM chats WHERE integration_id = ? AND id = ?`), integrationID, id).Scan(&c.IntegrationID, &c.ID, &c.Name, &c.UserID, &c.UserEmail,
		&c.Model, &c.ProjectID, &c.OrganizationUUID, &c.Href, &created, &updated, &deleted, &hard, &c.MessageCount)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read chat %s: %w", id, err)
	}
	c.CreatedAt, c.UpdatedAt, c.DeletedAt, c.HardDeleted = tm(created), tm(updated), tmPtr(deleted), hard != 0
	return &c, nil
}

// ChatMessages reads a session's messages in order.
func (s *Store) ChatMessages(ctx context.Context, integrationID int64, chatID string) ([]store.Message, error) {
	out, err := queryRows(ctx, s.r, scanMessage, s.q(`SELECT `+messageCols+` FROM messages m WHERE m.integration_id = ? AND m.chat_id = ? ORDER BY m.seq, m.created_at, m.id`), integrationID, chatID)
	if err != nil {
		return nil, fmt.Errorf("read chat %s messages: %w", chatID, err)
	}
	return out, nil
}

func (s *Store) saveChatPage(ctx context.Context, tx *sql.Tx, p *store.ChatPage, fts *ftsBatch) (store.SaveResult, error) {
	var res store.SaveResult
	err := func() error {
		msgs, err := s.saveChatPageRows(ctx, tx, p, &res)
		if err != nil || len(msgs) == 0 {
			return err
		}
		// An update only touches a message whose content really changed, and
		// keeps earlier text when the API now returns the message without content.
		updMsg, err := s.txStmt(ctx, tx, updateMessageSQL)
		if err != nil {
			return fmt.Errorf("prepare message update: %w", err)
		}
		defer updMsg.Close()
		markRemoved, err := s.txStmt(ctx, tx, markMessageRemovedSQL)
		if err != nil {
			return fmt.Errorf("prepare message removal: %w", err)
		}
		defer markRemoved.Close()
		if err := fts.start(ctx, tx); err != nil {
			return err
		}
		n, err := s.saveMessages(ctx, tx, p.IntegrationID, msgs, us(s.now()), updMsg, markRemoved, fts)
		res.Messages += n
		return err
	}()
	if err != nil {
		return res, err
	}
	return res, s.finishChatPage(ctx, tx, p, res)
}

// ftsBatch adds the messages a transaction inserts to the full-text index
// (Dialect.IndexMessagesAfter) in one statement at its end rather than
// one per page: FTS5 writes a segment at every statement's end, and
// fewer, larger segments leave its automerge less to do. A message's
// text may only be updated once it is indexed (the update trigger
// deletes the old text from the index), so flush runs before any update
// too. A nil *ftsBatch (no IndexMessagesAfter) does nothing.
type ftsBatch struct {
	s       *Store
	floor   int64 // the largest rowid already indexed, once started
	started bool
	pending bool // rows were inserted after floor
}

func (s *Store) newFTSBatch() *ftsBatch {
	if s.d.IndexMessagesAfter == nil {
		return nil
	}
	return &ftsBatch{s: s}
}

// start records the last rowid before the transaction's first message.
func (b *ftsBatch) start(ctx context.Context, tx *sql.Tx) error {
	if b == nil || b.started {
		return nil
	}
	floor, err := b.s.d.LastMessageRowID(ctx, tx)
	if err != nil {
		return fmt.Errorf("index new messages: %w", err)
	}
	b.floor, b.started = floor, true
	return nil
}

// inserted notes that n messages were inserted.
func (b *ftsBatch) inserted(n int) {
	if b != nil && n > 0 {
		b.pending = true
	}
}

// flush indexes the messages inserted since start (or the last flush).
func (b *ftsBatch) flush(ctx context.Context, tx *sql.Tx) error {
	if b == nil || !b.pending {
		return nil
	}
	if err := b.s.d.IndexMessagesAfter(ctx, tx, b.floor); err != nil {
		return fmt.Errorf("index new messages: %w", err)
	}
	floor, err := b.s.d.LastMessageRowID(ctx, tx)
	if err != nil {
		return fmt.Errorf("index new messages: %w", err)
	}
	b.floor, b.pending = floor, false
	return nil
}

const (
	upsertChatInto     = `INSERT INTO chats (integration_id, id, name, user_id, user_email, model, project_id, organization_uuid, href, created_at, updated_at, deleted_at, message_count) VALUES `
	upsertChatConflict = `
			ON CONFLICT (integration_id, id) DO UPDATE SET
			  name = CASE WHEN excluded.name = '' AND excluded.deleted_at IS NOT NULL THEN chats.name ELSE excluded.name END,
			  user_id = excluded.user_id, user_email = excluded.user_email, model = excluded.model,
			  project_id = excluded.project_id, href = excluded.href, updated_at = excluded.updated_at,
			  deleted_at = excluded.deleted_at,
			  message_count = CASE WHEN excluded.message_count > chats.message_count THEN excluded.message_count ELSE chats.message_count END`
	upsertProjectSQL = `INSERT INTO projects (integration_id, id, name, user_id, is_private, created_at, updated_at, deleted_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (integration_id, id) DO UPDATE SET name = excluded.name,
				is_private = excluded.is_private, updated_at = excluded.updated_at, deleted_at = excluded.deleted_at`
	// An update only touches a message whose content really changed, and
	// keeps earlier text when the API now returns the message without content.
	updateMessageSQL = `UPDATE messages SET seq = ?, text = ?, tokens = ?, files = ?, tool_calls = ?, eval_version = ''
			WHERE integration_id = ? AND id = ? AND (text <> ? OR files <> ? OR tool_calls <> ?)`
	markMessageRemovedSQL = `UPDATE messages SET content_removed = 1 WHERE integration_id = ? AND id = ? AND content_removed = 0`
)

// saveChatPageRows stores everything of a chat page but its messages and
// progress: users, projects, file records, chats and their files. It
// returns the messages to store (text cleaned, ChatID set).
func (s *Store) saveChatPageRows(ctx context.Context, tx *sql.Tx, p *store.ChatPage, res *store.SaveResult) ([]store.Message, error) {
	if err := s.saveUsers(ctx, tx, p.IntegrationID, withMessageUsers(p)); err != nil {
		return nil, err
	}
	if len(p.Projects) > 0 {
		prSt, err := s.txStmt(ctx, tx, upsertProjectSQL)
		if err != nil {
			return nil, fmt.Errorf("prepare projects: %w", err)
		}
		defer prSt.Close()
		for _, pr := range p.Projects {
			if _, err := prSt.ExecContext(ctx, p.IntegrationID, pr.ID, pr.Name, pr.UserID, b2i(pr.IsPrivate), us(pr.CreatedAt), us(pr.UpdatedAt), usPtr(pr.DeletedAt)); err != nil {
				return nil, fmt.Errorf("save project %s: %w", pr.ID, err)
			}
		}
	}
	if err := s.saveFileTexts(ctx, tx, p.IntegrationID, p.FileTexts); err != nil {
		return nil, err
	}
	if len(p.Chats) == 0 {
		return nil, nil
	}
	n := 0
	for _, hc := range p.Chats {
		n += len(hc.Messages)
	}
	msgs := make([]store.Message, 0, n)
	var files []fileRow
	for _, hc := range p.Chats {
		for _, m := range hc.Messages {
			m.Text, m.ChatID = store.CleanText(m.Text), hc.Chat.ID
			msgs = append(msgs, m)
			for _, f := range m.Files {
				files = append(files, fileRow{f: f, chatID: hc.Chat.ID, messageID: m.ID, at: m.CreatedAt})
			}
		}
	}
	if err := s.saveChats(ctx, tx, p); err != nil {
		return nil, err
	}
	res.Chats += len(p.Chats)
	if err := s.saveFiles(ctx, tx, p.IntegrationID, files); err != nil {
		return nil, err
	}
	return msgs, nil
}

// chatsPerUpsert is how many chats one upsert statement carries on SQLite
// (Dialect.InsertOrIgnore); a statement per chat cost about as much as
// storing its messages. PostgreSQL upserts one at a time: its multi-row
// upsert fails when a key repeats in the statement.
const chatsPerUpsert = 32

// upsertChats returns the upsert of n chats.
func upsertChats(n int) string {
	return multiRowInsert(upsertChatInto, upsertChatCols, n, upsertChatConflict)
}

// rowsPerUpsert is how many rows one multi-row upsert carries: on SQLite
// (Dialect.InsertOrIgnore) perStmt, on PostgreSQL one, since its
// multi-row upsert fails when a key repeats in the statement.
func (s *Store) rowsPerUpsert(perStmt int) int {
	if s.d.InsertOrIgnore {
		return perStmt
	}
	return 1
}

const upsertChatCols = 13

// saveChats upserts the page's chats in order; a chat the API lost is
// marked so right after its own upsert, as if each chat were stored alone.
func (s *Store) saveChats(ctx context.Context, tx *sql.Tx, p *store.ChatPage) error {
	perStmt := s.rowsPerUpsert(chatsPerUpsert)
	chats := p.Chats
	for len(chats) > 0 {
		end := len(chats)
		for i, hc := range chats {
			if hc.GoneAt != nil {
				end = i + 1
				break
			}
		}
		seg := chats[:end]
		err := s.insertRows(ctx, tx, upsertChats, perStmt, upsertChatCols, len(seg),
			func(i int, args []any) []any {
				hc := &seg[i]
				c := &hc.Chat
				return append(args, p.IntegrationID, c.ID, store.CleanText(c.Name), c.UserID, c.UserEmail, c.Model, c.ProjectID,
					c.OrganizationUUID, c.Href, us(c.CreatedAt), us(c.UpdatedAt), usPtr(c.DeletedAt), len(hc.Messages))
			},
			func(int, int, int) error { return nil })
		if err != nil {
			return fmt.Errorf("save chats: %w", err)
		}
		if last := seg[len(seg)-1]; last.GoneAt != nil {
			if err := s.markChatHardDeleted(ctx, tx, p.IntegrationID, last.Chat.ID, *last.GoneAt); err != nil {
				return err
			}
		}
		chats = chats[end:]
	}
	return nil
}

// fileRow is a file record of a chat message.
type fileRow struct {
	f                 store.FileMeta
	chatID, messageID string
	at                time.Time
}

// filesPerInsert is how many file records one INSERT carries.
const filesPerInsert = 32

// insertFiles returns the INSERT of n file records, which skips ids stored already.
func (s *Store) insertFiles(n int) string {
	return s.insertIgnoring(`files (integration_id, id, kind, filename, mime_type, size_bytes, md5, chat_id, message_id, created_at)`, 10, n)
}

func (s *Store) saveFiles(ctx context.Context, tx *sql.Tx, integrationID int64, files []fileRow) error {
	err := s.insertRows(ctx, tx, s.insertFiles, filesPerInsert, 10, len(files),
		func(i int, args []any) []any {
			r := &files[i]
			f := &r.f
			return append(args, integrationID, f.ID, f.Kind, f.Filename, f.MimeType, f.SizeBytes, f.MD5, r.chatID, r.messageID, us(r.at))
		},
		func(int, int, int) error { return nil })
	if err != nil {
		return fmt.Errorf("save files: %w", err)
	}
	return nil
}

// withMessageUsers returns the page's users plus the user of every message
// the page does not list, so that the users table knows each message's
// user: prompt events are found by email through it. saveUsers merges the
// repeats (earliest first seen, latest last seen).
func withMessageUsers(p *store.ChatPage) []store.User {
	users := append([]store.User(nil), p.Users...)
	listed := make(map[string]bool, len(p.Users))
	for _, u := range p.Users {
		listed[u.ID] = true
	}
	for _, hc := range p.Chats {
		for _, m := range hc.Messages {
			if m.UserID != "" && !listed[m.UserID] {
				users = append(users, store.User{ID: m.UserID, Email: m.UserEmail, FirstSeen: m.CreatedAt, LastSeen: m.CreatedAt})
			}
		}
	}
	return users
}

func (s *Store) finishChatPage(ctx context.Context, tx *sql.Tx, p *store.ChatPage, res store.SaveResult) error {
	if p.BatchProgress != nil {
		p.BatchProgress.Messages = res.Messages
	}
	if err := s.saveBatchProgress(ctx, tx, p.BatchProgress); err != nil {
		return err
	}
	return s.saveCheckpoint(ctx, tx, p.Checkpoint)
}

// MarkChatHardDeleted keeps the stored chat but records that the API lost it.
func (s *Store) MarkChatHardDeleted(ctx context.Context, integrationID int64, chatID string, at time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return s.markChatHardDeleted(ctx, tx, integrationID, chatID, at) })
}

func (s *Store) markChatHardDeleted(ctx context.Context, tx *sql.Tx, integrationID int64, chatID string, at time.Time) error {
	_, err := tx.ExecContext(ctx, s.q(`UPDATE chats SET hard_deleted = 1, deleted_at = COALESCE(deleted_at, ?) WHERE integration_id = ? AND id = ?`),
		us(at), integrationID, chatID)
	if err != nil {
		return fmt.Errorf("mark chat %s deleted: %w", chatID, err)
	}
	return nil
}
