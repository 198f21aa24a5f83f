package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/claudit/claudit/internal/store"
)

const messageCols = `m.integration_id, m.id, m.chat_id, m.seq, m.role, m.text, m.model, m.user_id, m.user_email, m.created_at, m.tokens, m.content_removed, m.files, m.tool_calls, m.tags, m.violations`

func scanMessage(row interface{ Scan(...any) error }) (store.Message, error) {
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

const activityCols = `a.integration_id, a.id, a.created_at, a.type, a.actor_type, a.actor_user_id, a.actor_email, a.ip, a.user_agent, a.organization_uuid, a.chat_id, a.raw, a.tags`

func scanActivity(row interface{ Scan(...any) error }) (store.Activity, error) {
	var a store.Activity
	var created int64
	var raw, tags string
	err := row.Scan(&a.IntegrationID, &a.ID, &created, &a.Type, &a.ActorType, &a.ActorUserID, &a.ActorEmail, &a.IP,
		&a.UserAgent, &a.OrganizationUUID, &a.ChatID, &raw, &tags)
	a.CreatedAt, a.Raw, a.Tags = tm(created), []byte(raw), decodeJSONList[string](tags)
	return a, err
}

// where accumulates SQL conditions and their arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// eventWhere builds the filters shared by prompt and access events; alias is m or a.
func (s *Store) eventWhere(f store.EventFilter, alias, kind, userCol, emailCol string) (*where, error) {
	w := &where{}
	if f.IntegrationID != 0 {
		w.add(alias+".integration_id = ?", f.IntegrationID)
	}
	// One column per lookup keeps the user indexes usable (an OR would not).
	// With no email column indexed (messages), an email is looked up in the
	// users table and matched by user id: every message's user is stored
	// there, and one index less makes ingest about 4% faster.
	if f.User != "" {
		switch {
		case strings.Contains(f.User, "@") && emailCol == "":
			w.add(alias+"."+userCol+" IN (SELECT id FROM users WHERE email = ?)", strings.ToLower(f.User))
		case strings.Contains(f.User, "@"):
			w.add(alias+"."+emailCol+" = ?", strings.ToLower(f.User))
		default:
			w.add(alias+"."+userCol+" = ?", f.User)
		}
	}
	if !f.From.IsZero() {
		w.add(alias+".created_at >= ?", us(f.From))
	}
	if !f.To.IsZero() {
		w.add(alias+".created_at < ?", us(f.To))
	}
	if f.Tag != "" {
		w.add(alias+".tags LIKE ? ESCAPE '\\'", containing(jsonQuoted(f.Tag)))
	}
	if f.ViolationsOnly {
		w.add(alias + ".violations > 0")
	}
	if f.Policy != "" || f.Severity != "" {
		sub := `EXISTS (SELECT 1 FROM findings fi WHERE fi.integration_id = ` + alias + `.integration_id AND fi.event_kind = '` + kind + `' AND fi.event_id = ` + alias + `.id`
		var args []any
		if f.Policy != "" {
			sub += " AND fi.policy = ?"
			args = append(args, f.Policy)
		}
		if f.Severity != "" {
			sub += " AND fi.severity = ?"
			args = append(args, f.Severity)
		}
		w.add(sub+")", args...)
	}
	if f.Cursor != "" {
		ts, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, err
		}
		if f.Ascending {
			w.add("("+alias+".created_at > ? OR ("+alias+".created_at = ? AND "+alias+".id > ?))", ts, ts, id)
		} else {
			w.add("("+alias+".created_at < ? OR ("+alias+".created_at = ? AND "+alias+".id < ?))", ts, ts, id)
		}
	}
	return w, nil
}

func jsonQuoted(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// likeEscaper escapes LIKE's wildcards and its escape character, for
// patterns used with ESCAPE '\'.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// containing is the LIKE pattern (with ESCAPE '\') matching any text that
// contains s literally: a "%" typed in a search box is a percent sign.
func containing(s string) string {
	return "%" + likeEscaper.Replace(s) + "%"
}

func order(alias string, asc bool) string {
	if asc {
		return " ORDER BY " + alias + ".created_at ASC, " + alias + ".id ASC"
	}
	return " ORDER BY " + alias + ".created_at DESC, " + alias + ".id DESC"
}

func limitOf(f store.EventFilter) int {
	if f.Limit <= 0 || f.Limit > 10000 {
		return 100
	}
	return f.Limit
}

// ftsClause picks the full-text strategy and returns the clause with its
// arguments. A selective query uses the rows the probe found (inlined, the
// index is searched once); a medium one fetches its matches by rowid and
// sorts them; one matching a large share of messages is checked row by row
// while walking the time index, which stops after a page. sparse asks the
// caller to sort instead of walking the time index.
func (s *Store) ftsClause(ctx context.Context, fq string) (clause string, args []any, sparse bool, err error) {
	if s.d.FTSProbe == "" {
		return s.d.FTS(), []any{fq}, false, nil
	}
	rows, err := s.r.QueryContext(ctx, s.q(s.d.FTSProbe), fq, s.d.FTSDenseAt)
	if err != nil {
		return "", nil, false, err
	}
	defer rows.Close()
	ids := make([]string, 0, 64)
	n := 0
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return "", nil, false, err
		}
		if n++; n <= s.d.FTSInlineMax {
			ids = append(ids, strconv.FormatInt(id, 10))
		}
	}
	if err := rows.Err(); err != nil {
		return "", nil, false, err
	}
	switch {
	case n >= s.d.FTSDenseAt:
		return s.d.FTSDense(), []any{fq}, false, nil
	case n == 0:
		return "1 = 0", nil, true, nil
	case n > s.d.FTSInlineMax:
		return s.d.FTS(), []any{fq}, true, nil
	}
	// Row ids are integers read from the database, safe to inline.
	return "m.rowid IN (" + strings.Join(ids, ",") + ")", nil, true, nil
}

// promptWhere is the WHERE clause of a prompt event filter; none is set
// when the search has no words to look for (nothing matches), sparse when
// the search matches few rows.
func (s *Store) promptWhere(ctx context.Context, f store.EventFilter) (w *where, none, sparse bool, err error) {
	w, err = s.eventWhere(f, "m", "prompt", "user_id", "")
	if err != nil {
		return nil, false, false, err
	}
	if f.ChatID != "" {
		w.add("m.chat_id = ?", f.ChatID)
	}
	if f.Model != "" {
		w.add("m.model = ?", f.Model)
	}
	if f.Role != "" {
		w.add("m.role = ?", f.Role)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		fq := s.d.FTSQuery(q)
		if fq == "" {
			return nil, true, false, nil
		}
		clause, args, sp, err := s.ftsClause(ctx, fq)
		if err != nil {
			return nil, false, false, fmt.Errorf("full-text search: %w", err)
		}
		w.add(clause, args...)
		sparse = sp
	}
	return w, false, sparse, nil
}

// accessWhere is the WHERE clause of an access event filter.
func (s *Store) accessWhere(f store.EventFilter) (*where, error) {
	w, err := s.eventWhere(f, "a", "access", "actor_user_id", "actor_email")
	if err != nil {
		return nil, err
	}
	if f.Type != "" {
		w.add("a.type = ?", f.Type)
	}
	if f.ChatID != "" {
		w.add("a.chat_id = ?", f.ChatID)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		like := containing(q)
		w.add(`(a.type LIKE ? ESCAPE '\' OR a.actor_email LIKE ? ESCAPE '\' OR a.ip LIKE ? ESCAPE '\')`, like, like, like)
	}
	return w, nil
}

// CountEvents counts matching events up to upTo (the inner LIMIT stops the
// scan there).
func (s *Store) CountEvents(ctx context.Context, f store.EventFilter, upTo int) (int, error) {
	f.Cursor = ""
	var w *where
	var err error
	table := "messages m"
	if f.Kind == "access" {
		table = "activities a"
		w, err = s.accessWhere(f)
	} else {
		var none bool
		w, none, _, err = s.promptWhere(ctx, f)
		if none {
			return 0, nil
		}
	}
	if err != nil {
		return 0, err
	}
	var n int
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM (SELECT 1 FROM `+table+w.sql()+` LIMIT ?) AS matched`), append(w.args, upTo)...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s events: %w", f.Kind, err)
	}
	return n, nil
}

// PromptEvents lists messages matching the filter, one page at a time.
func (s *Store) PromptEvents(ctx context.Context, f store.EventFilter) ([]store.Message, string, error) {
	w, none, sparse, err := s.promptWhere(ctx, f)
	if err != nil {
		return nil, "", err
	}
	if none {
		return nil, "", nil
	}
	limit := limitOf(f)
	ord := order("m", f.Ascending)
	if sparse {
		// A few known rows: fetch them by rowid and sort, rather than let the
		// planner walk the whole time index looking for them.
		ord = strings.ReplaceAll(ord, "m.", "+m.")
	}
	query := `SELECT ` + messageCols + ` FROM messages m` + w.sql() + ord + ` LIMIT ?`
	rows, err := s.r.QueryContext(ctx, s.q(query), append(w.args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list prompt events: %w", err)
	}
	defer rows.Close()
	out := make([]store.Message, 0, min(limit, 256))
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, "", fmt.Errorf("scan message: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list prompt events: %w", err)
	}
	var next string
	if len(out) > limit {
		out = out[:limit]
		last := out[len(out)-1]
		next = encodeCursor(last.CreatedAt, last.ID)
	}
	return out, next, nil
}

// AccessEvents lists activities matching the filter, one page at a time.
func (s *Store) AccessEvents(ctx context.Context, f store.EventFilter) ([]store.Activity, string, error) {
	w, err := s.accessWhere(f)
	if err != nil {
		return nil, "", err
	}
	limit := limitOf(f)
	query := `SELECT ` + activityCols + ` FROM activities a` + w.sql() + order("a", f.Ascending) + ` LIMIT ?`
	rows, err := s.r.QueryContext(ctx, s.q(query), append(w.args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list access events: %w", err)
	}
	defer rows.Close()
	out := make([]store.Activity, 0, min(limit, 256))
	for rows.Next() {
		a, err := scanActivity(rows)
		if err != nil {
			return nil, "", fmt.Errorf("scan activity: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list access events: %w", err)
	}
	var next string
	if len(out) > limit {
		out = out[:limit]
		last := out[len(out)-1]
		next = encodeCursor(last.CreatedAt, last.ID)
	}
	return out, next, nil
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

// Activity reads one access event.
func (s *Store) Activity(ctx context.Context, integrationID int64, id string) (*store.Activity, error) {
	a, err := scanActivity(s.r.QueryRowContext(ctx, s.q(`SELECT `+activityCols+` FROM activities a WHERE a.integration_id = ? AND a.id = ?`), integrationID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read activity %s: %w", id, err)
	}
	return &a, nil
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
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT `+messageCols+` FROM messages m WHERE m.integration_id = ? AND m.chat_id = ? ORDER BY m.seq, m.created_at, m.id`), integrationID, chatID)
	if err != nil {
		return nil, fmt.Errorf("read chat %s messages: %w", chatID, err)
	}
	defer rows.Close()
	var out []store.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Users lists users, optionally matching q in id, email or name.
func (s *Store) Users(ctx context.Context, integrationID int64, q string, limit int) ([]store.User, error) {
	if limit <= 0 {
		limit = 100
	}
	w := &where{}
	if integrationID != 0 {
		w.add("integration_id = ?", integrationID)
	}
	if q != "" {
		like := containing(strings.ToLower(q))
		w.add(`(LOWER(id) LIKE ? ESCAPE '\' OR LOWER(email) LIKE ? ESCAPE '\' OR LOWER(full_name) LIKE ? ESCAPE '\')`, like, like, like)
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT integration_id, id, email, full_name, role, first_seen, last_seen FROM users`+w.sql()+` ORDER BY email, id LIMIT ?`), append(w.args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []store.User
	for rows.Next() {
		var u store.User
		var first, last int64
		if err := rows.Scan(&u.IntegrationID, &u.ID, &u.Email, &u.FullName, &u.Role, &first, &last); err != nil {
			return nil, err
		}
		u.FirstSeen, u.LastSeen = tm(first), tm(last)
		out = append(out, u)
	}
	return out, rows.Err()
}

// sessionIDCond matches the ids of Claude Code / Cowork sessions stored as
// chats (store.ChatKind); substr rather than LIKE, where _ is a wildcard.
func sessionIDCond(col string) string {
	return "(substr(" + col + ", 1, 5) = 'clls_' OR substr(" + col + ", 1, 4) = 'cse_')"
}

// Counts reports totals for one integration or all (0).
func (s *Store) Counts(ctx context.Context, integrationID int64) (store.Counts, error) {
	c := store.Counts{ActivitiesByType: map[string]int{}}
	cond, andCond, args := "", "", []any{}
	if integrationID != 0 {
		cond, andCond, args = " WHERE integration_id = ?", " AND integration_id = ?", []any{integrationID}
	}
	for _, x := range []struct {
		dst   *int
		query string
	}{
		{&c.Activities, `SELECT COUNT(*) FROM activities` + cond},
		{&c.Chats, `SELECT COUNT(*) FROM chats` + cond},
		{&c.Messages, `SELECT COUNT(*) FROM messages` + cond},
		{&c.Sessions, `SELECT COUNT(*) FROM chats WHERE ` + sessionIDCond("id") + andCond},
		{&c.SessionMessages, `SELECT COUNT(*) FROM messages WHERE role <> 'file' AND ` + sessionIDCond("chat_id") + andCond},
		{&c.FileTexts, `SELECT COUNT(*) FROM messages WHERE role = 'file'` + andCond},
		{&c.UnreadableFiles, `SELECT COUNT(*) FROM file_texts WHERE status = 'unreadable'` + andCond},
		{&c.Users, `SELECT COUNT(*) FROM users` + cond},
		{&c.Files, `SELECT COUNT(*) FROM files` + cond},
		{&c.Projects, `SELECT COUNT(*) FROM projects` + cond},
		{&c.Findings, `SELECT COUNT(*) FROM findings` + cond},
	} {
		if err := s.r.QueryRowContext(ctx, s.q(x.query), args...).Scan(x.dst); err != nil {
			return c, fmt.Errorf("count: %w", err)
		}
	}
	c.Chats -= c.Sessions
	c.Messages -= c.SessionMessages + c.FileTexts
	dq := `SELECT COUNT(*) FROM chats WHERE deleted_at IS NOT NULL`
	if integrationID != 0 {
		dq += ` AND integration_id = ?`
	}
	if err := s.r.QueryRowContext(ctx, s.q(dq), args...).Scan(&c.DeletedChats); err != nil {
		return c, fmt.Errorf("count deleted chats: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT type, COUNT(*) FROM activities`+cond+` GROUP BY type`), args...)
	if err != nil {
		return c, fmt.Errorf("count activity types: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t string
		var n int
		if err := rows.Scan(&t, &n); err != nil {
			return c, err
		}
		c.ActivitiesByType[t] = n
	}
	return c, rows.Err()
}
