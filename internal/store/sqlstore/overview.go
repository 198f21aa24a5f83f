package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/claudit/claudit/internal/store"
)

const dayUS = int64(24 * time.Hour / time.Microsecond)

// Overview aggregates a time range for the dashboard.
func (s *Store) Overview(ctx context.Context, integrationID int64, from, to time.Time, top int) (*store.Overview, error) {
	if top <= 0 {
		top = 10
	}
	o := &store.Overview{From: from, To: to}
	scope := func(alias, col string) (string, []any) {
		cond := " WHERE " + alias + col + " >= ? AND " + alias + col + " < ?"
		args := []any{us(from), us(to)}
		if integrationID != 0 {
			cond += " AND " + alias + "integration_id = ?"
			args = append(args, integrationID)
		}
		return cond, args
	}
	days := map[int64]*store.DayCount{}
	day := func(d int64) *store.DayCount {
		if dc, ok := days[d]; ok {
			return dc
		}
		dc := &store.DayCount{Day: time.UnixMicro(d * dayUS).UTC()}
		days[d] = dc
		return dc
	}
	mcond, margs := scope("", "created_at")
	for _, q := range []struct {
		table string
		set   func(dc *store.DayCount, n, v int)
	}{
		{"messages", func(dc *store.DayCount, n, v int) { dc.Prompts += n; dc.Violations += v }},
		{"activities", func(dc *store.DayCount, n, v int) { dc.Access += n; dc.Violations += v }},
	} {
		rows, err := s.r.QueryContext(ctx, s.q(`SELECT created_at / `+fmt.Sprint(dayUS)+` AS d, COUNT(*), COALESCE(SUM(CASE WHEN violations > 0 THEN 1 ELSE 0 END), 0)
			FROM `+q.table+mcond+` GROUP BY created_at / `+fmt.Sprint(dayUS)), margs...)
		if err != nil {
			return nil, fmt.Errorf("overview %s per day: %w", q.table, err)
		}
		for rows.Next() {
			var d int64
			var n, v int
			if err := rows.Scan(&d, &n, &v); err != nil {
				rows.Close()
				return nil, err
			}
			q.set(day(d), n, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	// Every day of the range appears, empty ones too, so charts keep their time axis.
	first, last := from.UnixMicro()/dayUS, (to.UnixMicro()-1)/dayUS
	if last-first > 400 {
		first = last - 400
	}
	for d := first; d <= last; d++ {
		dc := day(d)
		o.Days = append(o.Days, *dc)
		o.Prompts += dc.Prompts
		o.Access += dc.Access
		o.Violations += dc.Violations
	}
	fcond, fargs := scope("", "event_time")
	var err error
	if o.ByPolicy, err = s.namedCounts(ctx, `SELECT policy, COUNT(*) FROM findings`+fcond+` AND effective_action = 'alert' GROUP BY policy ORDER BY COUNT(*) DESC, policy LIMIT ?`, append(fargs, top)); err != nil {
		return nil, fmt.Errorf("overview by policy: %w", err)
	}
	if o.TopUsers, err = s.namedCounts(ctx, `SELECT CASE WHEN user_email <> '' THEN user_email ELSE user_id END AS u, COUNT(*) FROM messages`+mcond+` AND role = 'user'
		GROUP BY CASE WHEN user_email <> '' THEN user_email ELSE user_id END ORDER BY COUNT(*) DESC, u LIMIT ?`, append(margs, top)); err != nil {
		return nil, fmt.Errorf("overview top users: %w", err)
	}
	if o.Models, err = s.namedCounts(ctx, `SELECT model, COUNT(*) FROM messages`+mcond+` AND model <> '' GROUP BY model ORDER BY COUNT(*) DESC, model LIMIT ?`, append(margs, top)); err != nil {
		return nil, fmt.Errorf("overview models: %w", err)
	}
	return o, nil
}

func (s *Store) namedCounts(ctx context.Context, query string, args []any) ([]store.NamedCount, error) {
	out, err := queryRows(ctx, s.r, func(rows scanner) (store.NamedCount, error) {
		var nc store.NamedCount
		if err := rows.Scan(&nc.Name, &nc.Count); err != nil {
			return store.NamedCount{}, err
		}
		return nc, nil
	}, s.q(query), args...)
	if err != nil {
		return nil, err
	}
	return out, nil
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
