package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/claudit/claudit/internal/store"
)

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
	out, err := queryRows(ctx, s.r, func(rows scanner) (store.User, error) {
		var u store.User
		var first, last int64
		if err := rows.Scan(&u.IntegrationID, &u.ID, &u.Email, &u.FullName, &u.Role, &first, &last); err != nil {
			return store.User{}, err
		}
		u.FirstSeen, u.LastSeen = tm(first), tm(last)
		return u, nil
	}, s.q(`SELECT integration_id, id, email, full_name, role, first_seen, last_seen FROM users`+w.sql()+` ORDER BY email, id LIMIT ?`), append(w.args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

func (s *Store) saveUsers(ctx context.Context, tx *sql.Tx, integrationID int64, users []store.User) error {
	if len(users) == 0 {
		return nil
	}
	st, err := s.txStmt(ctx, tx, upsertUserSQL)
	if err != nil {
		return fmt.Errorf("prepare users: %w", err)
	}
	defer st.Close()
	for _, u := range dedupeUsers(users) {
		if u.ID == "" {
			continue
		}
		if _, err := st.ExecContext(ctx, integrationID, u.ID, u.Email, u.FullName, u.Role, us(u.FirstSeen), us(u.LastSeen)); err != nil {
			return fmt.Errorf("save user %s: %w", u.ID, err)
		}
	}
	return nil
}

const upsertUserSQL = `INSERT INTO users (integration_id, id, email, full_name, role, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (integration_id, id) DO UPDATE SET
		  email = CASE WHEN excluded.email <> '' THEN excluded.email ELSE users.email END,
		  full_name = CASE WHEN excluded.full_name <> '' THEN excluded.full_name ELSE users.full_name END,
		  role = CASE WHEN excluded.role <> '' THEN excluded.role ELSE users.role END,
		  first_seen = CASE WHEN excluded.first_seen < users.first_seen THEN excluded.first_seen ELSE users.first_seen END,
		  last_seen = CASE WHEN excluded.last_seen > users.last_seen THEN excluded.last_seen ELSE users.last_seen END`

// dedupeUsers merges repeated users of a page so each is written once, in id
// order: concurrent pages then lock user rows in the same order (no deadlock).
func dedupeUsers(in []store.User) []store.User {
	out := mergeUsers(in)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func mergeUsers(in []store.User) []store.User {
	idx := make(map[string]int, len(in))
	out := make([]store.User, 0, len(in))
	for _, u := range in {
		i, ok := idx[u.ID]
		if !ok {
			idx[u.ID] = len(out)
			out = append(out, u)
			continue
		}
		o := &out[i]
		if o.Email == "" {
			o.Email = u.Email
		}
		if o.FullName == "" {
			o.FullName = u.FullName
		}
		if u.FirstSeen.Before(o.FirstSeen) {
			o.FirstSeen = u.FirstSeen
		}
		if u.LastSeen.After(o.LastSeen) {
			o.LastSeen = u.LastSeen
		}
	}
	return out
}
