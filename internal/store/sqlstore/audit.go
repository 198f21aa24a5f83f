package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/claudit/claudit/internal/store"
)

// AppendAudit records one audit entry and sets its ID.
func (s *Store) AppendAudit(ctx context.Context, e *store.AuditEntry) error {
	if e.At.IsZero() {
		e.At = s.now()
	}
	err := s.w.QueryRowContext(ctx, s.q(`INSERT INTO audit_log (at, account_id, actor, role, action, object, object_id, detail, ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		us(e.At), e.AccountID, e.Actor, e.Role, e.Action, e.Object, e.ObjectID, e.Detail, e.IP).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("append audit entry: %w", err)
	}
	return nil
}

// AuditLog lists audit entries, newest first.
func (s *Store) AuditLog(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error) {
	w := &where{}
	if f.Actor != "" {
		w.add("actor = ?", strings.ToLower(f.Actor))
	}
	if f.Action != "" {
		w.add("action = ?", f.Action)
	}
	if f.Object != "" {
		w.add("object = ?", f.Object)
	}
	if f.ObjectID != "" {
		w.add("object_id = ?", f.ObjectID)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		like := containing(strings.ToLower(q))
		w.add(`(LOWER(actor) LIKE ? ESCAPE '\' OR LOWER(object_id) LIKE ? ESCAPE '\' OR LOWER(detail) LIKE ? ESCAPE '\')`, like, like, like)
	}
	if !f.From.IsZero() {
		w.add("at >= ?", us(f.From))
	}
	if !f.To.IsZero() {
		w.add("at < ?", us(f.To))
	}
	if f.BeforeID > 0 {
		w.add("id < ?", f.BeforeID)
	}
	limit := f.Limit
	if limit <= 0 || limit > 10000 {
		limit = 100
	}
	out, err := queryRows(ctx, s.r, func(rows scanner) (store.AuditEntry, error) {
		var e store.AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.AccountID, &e.Actor, &e.Role, &e.Action, &e.Object, &e.ObjectID, &e.Detail, &e.IP); err != nil {
			return store.AuditEntry{}, err
		}
		e.At = tm(at)
		return e, nil
	}, s.q(`SELECT id, at, account_id, actor, role, action, object, object_id, detail, ip FROM audit_log`+w.sql()+` ORDER BY id DESC LIMIT ?`),
		append(w.args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	return out, nil
}
