package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// ActivitiesOfTypes lists activities whose type begins with one of the prefixes.
func (s *Store) ActivitiesOfTypes(ctx context.Context, integrationID int64, prefixes []string, since time.Time, limit int) ([]store.Activity, error) {
	if len(prefixes) == 0 {
		return nil, nil
	}
	w := &where{}
	w.add("a.integration_id = ?", integrationID)
	w.add("a.created_at >= ?", us(since))
	var ors []string
	for _, p := range prefixes {
		// substr, not LIKE: activity types are full of underscores.
		ors = append(ors, "substr(a.type, 1, ?) = ?")
		w.args = append(w.args, len(p), p)
	}
	w.conds = append(w.conds, "("+strings.Join(ors, " OR ")+")")
	out, err := queryRows(ctx, s.r, scanActivity, s.q(`SELECT `+activityCols+` FROM activities a`+w.sql()+` ORDER BY a.created_at, a.id LIMIT ?`), append(w.args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list activities of types %v: %w", prefixes, err)
	}
	return out, nil
}

// ToolCallMessages lists messages that made tool calls.
func (s *Store) ToolCallMessages(ctx context.Context, integrationID int64, since time.Time, limit int) ([]store.Message, error) {
	out, err := queryRows(ctx, s.r, scanMessage, s.q(`SELECT `+messageCols+` FROM messages m WHERE m.integration_id = ? AND m.created_at >= ? AND m.tool_calls <> '' AND m.tool_calls <> '[]'
		ORDER BY m.created_at, m.id LIMIT ?`), integrationID, us(since), limit)
	if err != nil {
		return nil, fmt.Errorf("list messages with tool calls: %w", err)
	}
	return out, nil
}

// ProjectUsages lists projects with chat and finding counts.
func (s *Store) ProjectUsages(ctx context.Context, integrationID int64, limit int) ([]store.ProjectUsage, error) {
	out, err := queryRows(ctx, s.r, func(rows scanner) (store.ProjectUsage, error) {
		var p store.ProjectUsage
		var private int
		var created, updated int64
		if err := rows.Scan(&p.ID, &p.Name, &p.UserID, &private, &created, &updated, &p.Chats, &p.Findings); err != nil {
			return store.ProjectUsage{}, err
		}
		p.IntegrationID, p.IsPrivate, p.CreatedAt, p.UpdatedAt = integrationID, private != 0, tm(created), tm(updated)
		return p, nil
	}, s.q(`SELECT p.id, p.name, p.user_id, p.is_private, p.created_at, p.updated_at,
		(SELECT COUNT(*) FROM chats c WHERE c.integration_id = p.integration_id AND c.project_id = p.id),
		(SELECT COUNT(*) FROM findings f WHERE f.integration_id = p.integration_id AND f.chat_id IN (SELECT c.id FROM chats c WHERE c.integration_id = p.integration_id AND c.project_id = p.id))
		FROM projects p WHERE p.integration_id = ? AND p.deleted_at IS NULL ORDER BY p.created_at DESC, p.id LIMIT ?`), integrationID, limit)
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	return out, nil
}

// FileUsages lists files with the uploader and the findings of their message.
func (s *Store) FileUsages(ctx context.Context, integrationID int64, limit int) ([]store.FileUsage, error) {
	out, err := queryRows(ctx, s.r, func(rows scanner) (store.FileUsage, error) {
		var f store.FileUsage
		var created int64
		if err := rows.Scan(&f.ID, &f.Kind, &f.Filename, &f.MimeType, &f.SizeBytes, &f.MD5, &f.ChatID, &f.UserID, &f.UserEmail, &created, &f.Findings); err != nil {
			return store.FileUsage{}, err
		}
		f.CreatedAt = tm(created)
		return f, nil
	}, s.q(`SELECT f.id, f.kind, f.filename, f.mime_type, f.size_bytes, f.md5, f.chat_id, COALESCE(m.user_id, ''), COALESCE(m.user_email, ''), f.created_at,
		(SELECT COUNT(*) FROM findings x WHERE x.integration_id = f.integration_id AND (x.event_id = f.id OR (f.message_id <> '' AND x.event_id = f.message_id)))
		FROM files f LEFT JOIN messages m ON m.integration_id = f.integration_id AND m.id = f.message_id
		WHERE f.integration_id = ? AND f.deleted_at IS NULL ORDER BY f.created_at DESC, f.id LIMIT ?`), integrationID, limit)
	if err != nil {
		return nil, fmt.Errorf("list files: %w", err)
	}
	return out, nil
}
