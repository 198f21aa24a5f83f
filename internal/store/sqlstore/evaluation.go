package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// UnevaluatedMessagesAfter returns messages never evaluated that come
// after (at, id) in (created_at, id) order, oldest first, through the
// pending index, as evaluation reads them (pendingMessageCols).
func (s *Store) UnevaluatedMessagesAfter(ctx context.Context, at time.Time, id string, n int) ([]store.Message, error) {
	out, err := queryRows(ctx, s.r, scanPendingMessage, s.q(`SELECT `+s.rowID("m")+`, `+pendingMessageCols+` FROM messages m WHERE m.eval_version = ''
		AND (m.created_at, m.id) > (?, ?) ORDER BY m.created_at, m.id LIMIT ?`), us(at), id, n)
	if err != nil {
		return nil, fmt.Errorf("list unevaluated messages: %w", err)
	}
	return out, nil
}

// pendingMessageCols are what evaluation reads of a pending message: what
// the policies and the event forwarder use, not its files, tool calls or
// marks, whose JSON (the tags of an event evaluated before, some 140
// bytes) was decoded for every message and never read.
const pendingMessageCols = `m.integration_id, m.id, m.chat_id, m.seq, m.role, m.text, m.model, m.user_id, m.user_email, m.created_at`

func scanPendingMessage(row scanner) (store.Message, error) {
	var m store.Message
	var created int64
	err := row.Scan(&m.RowID, &m.IntegrationID, &m.ID, &m.ChatID, &m.Seq, &m.Role, &m.Text, &m.Model, &m.UserID, &m.UserEmail, &created)
	m.CreatedAt = tm(created)
	return m, err
}

// UnevaluatedActivitiesAfter returns activities never evaluated that come
// after (at, id) in (created_at, id) order, oldest first, through the
// pending index.
func (s *Store) UnevaluatedActivitiesAfter(ctx context.Context, at time.Time, id string, n int) ([]store.Activity, error) {
	out, err := queryRows(ctx, s.r, scanPendingActivity, s.q(`SELECT `+s.rowID("a")+`, `+activityCols+` FROM activities a WHERE a.eval_version = ''
		AND (a.created_at, a.id) > (?, ?) ORDER BY a.created_at, a.id LIMIT ?`), us(at), id, n)
	if err != nil {
		return nil, fmt.Errorf("list unevaluated activities: %w", err)
	}
	return out, nil
}

// rowID is the column that reads the rowid of a table aliased alias on
// SQLite, by which evaluation marks the events it read (markEvaluated),
// and 0 on PostgreSQL.
func (s *Store) rowID(alias string) string {
	if s.d.Name == "sqlite" {
		return alias + ".rowid"
	}
	return "0"
}

// scanPendingActivity scans a rowID column and activityCols.
func scanPendingActivity(row scanner) (store.Activity, error) {
	var a store.Activity
	var created int64
	var raw, tags string
	err := row.Scan(&a.RowID, &a.IntegrationID, &a.ID, &created, &a.Type, &a.ActorType, &a.ActorUserID, &a.ActorEmail, &a.IP,
		&a.UserAgent, &a.OrganizationUUID, &a.ChatID, &raw, &tags)
	a.CreatedAt, a.Raw, a.Tags = tm(created), []byte(raw), decodeJSONList[string](tags)
	return a, err
}

// chatsPerQuery is how many chats one session read asks for.
const chatsPerQuery = 200

// SessionFindings lists the prompt-event findings of chats of one
// integration by chat, each chat's in (event_time, id) order: what the
// session policies read of a chat's earlier evaluations. One query per
// chatsPerQuery chats, where reading chat by chat was a tenth of the
// evaluation's CPU.
func (s *Store) SessionFindings(ctx context.Context, integrationID int64, chatIDs []string) (map[string][]store.Finding, error) {
	return byChats(ctx, s, integrationID, chatIDs, "list the findings", scanSessionFinding, func(f store.Finding) string { return f.ChatID },
		func(in string) string {
			return `SELECT chat_id, event_id, policy, detector, entity, severity, action, effective_action, score, span_start, span_end, excerpt
			FROM findings WHERE integration_id = ? AND event_kind = 'prompt' AND chat_id IN (` + in + `) ORDER BY event_time, id`
		})
}

func scanSessionFinding(row scanner) (store.Finding, error) {
	f := store.Finding{EventKind: "prompt"}
	err := row.Scan(&f.ChatID, &f.EventID, &f.Policy, &f.Detector, &f.Entity, &f.Severity, &f.Action, &f.EffectiveAction, &f.Score,
		&f.Start, &f.End, &f.Excerpt)
	return f, err
}

// SessionMessages reads the messages of chats of one integration as the
// session policies read them (id, chat, role, text, seq, user and time; no
// files, tool calls or marks), by chat, each chat's in order. The messages
// of have (those of a batch being evaluated) are not read again: most of a
// batch's chats are all in it, and reading them back was half the cost of
// evaluating sessions. On SQLite they are left out by rowid, which the
// chat index holds, so that their rows are never read.
func (s *Store) SessionMessages(ctx context.Context, integrationID int64, chatIDs []string, have []store.Message) (map[string][]store.Message, error) {
	held := make(map[string][]*store.Message, len(chatIDs))
	for i := range have {
		if m := &have[i]; m.IntegrationID == integrationID {
			held[m.ChatID] = append(held[m.ChatID], m)
		}
	}
	out := make(map[string][]store.Message, len(chatIDs))
	for start := 0; start < len(chatIDs); start += chatsPerQuery {
		part := chatIDs[start:min(start+chatsPerQuery, len(chatIDs))]
		args := chatArgs(integrationID, part)
		var byRowID, byID []any
		for _, id := range part {
			for _, m := range held[id] {
				if m.RowID != 0 && s.d.Name == "sqlite" {
					byRowID = append(byRowID, m.RowID)
				} else {
					byID = append(byID, m.ID)
				}
			}
		}
		query := `SELECT m.chat_id, m.id, m.role, m.text, m.seq, m.user_id, m.user_email, m.created_at
			FROM messages m WHERE m.integration_id = ? AND m.chat_id IN (` + placeholders(len(part)) + `)`
		if len(byRowID) > 0 {
			query += ` AND m.rowid NOT IN (` + placeholders(len(byRowID)) + `)`
			args = append(args, byRowID...)
		}
		if len(byID) > 0 {
			query += ` AND m.id NOT IN (` + placeholders(len(byID)) + `)`
			args = append(args, byID...)
		}
		rows, err := queryRows(ctx, s.r, scanSessionMessage, s.q(query+` ORDER BY m.chat_id, m.seq, m.created_at, m.id`), args...)
		if err != nil {
			return nil, fmt.Errorf("read the messages of %d chats: %w", len(part), err)
		}
		for _, r := range rows {
			r.IntegrationID = integrationID
			out[r.ChatID] = append(out[r.ChatID], r)
		}
		for _, id := range part {
			if len(held[id]) == 0 {
				continue
			}
			ms := out[id]
			for _, m := range held[id] {
				ms = append(ms, store.Message{IntegrationID: integrationID, ChatID: m.ChatID, ID: m.ID, Role: m.Role, Text: m.Text,
					Seq: m.Seq, UserID: m.UserID, UserEmail: m.UserEmail, CreatedAt: m.CreatedAt})
			}
			slices.SortFunc(ms, chatOrder)
			out[id] = ms
		}
	}
	return out, nil
}

// chatArgs returns the parameters of a query over chats: the integration
// id, then each chat id of part for its IN list.
func chatArgs(integrationID int64, part []string) []any {
	args := make([]any, 0, len(part)+1)
	args = append(args, integrationID)
	for _, id := range part {
		args = append(args, id)
	}
	return args
}

// chatOrder is the order of a chat's messages: by seq, time and id.
func chatOrder(a, b store.Message) int {
	if c := cmp.Compare(a.Seq, b.Seq); c != 0 {
		return c
	}
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// byChats runs query (given the IN list's placeholders; the integration id
// is its first parameter) once per chatsPerQuery chats and groups the rows
// by chat, keeping their order.
func byChats[T any](ctx context.Context, s *Store, integrationID int64, chatIDs []string, what string, scan func(scanner) (T, error), chatOf func(T) string, query func(in string) string) (map[string][]T, error) {
	out := make(map[string][]T, len(chatIDs))
	for start := 0; start < len(chatIDs); start += chatsPerQuery {
		part := chatIDs[start:min(start+chatsPerQuery, len(chatIDs))]
		args := chatArgs(integrationID, part)
		rows, err := queryRows(ctx, s.r, scan, s.q(query(placeholders(len(part)))), args...)
		if err != nil {
			return nil, fmt.Errorf("%s of %d chats: %w", what, len(part), err)
		}
		for _, r := range rows {
			out[chatOf(r)] = append(out[chatOf(r)], r)
		}
	}
	return out, nil
}

func scanSessionMessage(row scanner) (store.Message, error) {
	var m store.Message
	var created int64
	err := row.Scan(&m.ChatID, &m.ID, &m.Role, &m.Text, &m.Seq, &m.UserID, &m.UserEmail, &created)
	m.CreatedAt = tm(created)
	return m, err
}

// placeholders is n comma-separated parameters, for an IN list.
func placeholders(n int) string {
	if n == 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}
