package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/claudit/claudit/internal/store"
)

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
	inGroup(w, alias+"."+userCol, alias+".integration_id", f.Group)
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

// ftsClause picks the full-text strategy and returns the clause with its
// arguments. A selective query uses the rows the probe found (inlined, the
// index is searched once); otherwise, for a page (walk), the rows are
// walked in order through an index and each one tested: against the set of
// matches, built once, or, when a large share of messages match, by a
// look-up in the full-text index, so that the walk stops after a page.
// sparse asks the caller to sort the few rows instead of walking an index.
// A count (walk false) is driven by the full-text matches instead.
func (s *Store) ftsClause(ctx context.Context, fq string, walk bool) (clause string, args []any, sparse bool, err error) {
	if s.d.FTSProbe == "" {
		return s.d.FTS(), []any{fq}, false, nil
	}
	rows, err := s.r.QueryContext(ctx, s.q(s.d.FTSProbe), fq, s.d.FTSInlineMax+1)
	if err != nil {
		return "", nil, false, err
	}
	defer rows.Close()
	ids, err := scanRowIDs(rows)
	if err != nil {
		return "", nil, false, err
	}
	switch {
	case len(ids) == 0:
		return "1 = 0", nil, true, nil
	case len(ids) <= s.d.FTSInlineMax:
		strs := make([]string, len(ids))
		for i, id := range ids {
			strs[i] = strconv.FormatInt(id, 10)
		}
		// Row ids are integers read from the database, safe to inline.
		return "m.rowid IN (" + strings.Join(strs, ",") + ")", nil, true, nil
	case !walk:
		return s.d.FTS(), []any{fq}, true, nil
	}
	// A word in most messages is told without counting them: the first
	// matches lie close together at both ends of the row ids.
	if s.d.FTSProbeLast != "" && share(ids) >= s.d.FTSDenseShare {
		last, err := s.r.QueryContext(ctx, s.q(s.d.FTSProbeLast), fq, s.d.FTSInlineMax+1)
		if err != nil {
			return "", nil, false, err
		}
		defer last.Close()
		lastIDs, err := scanRowIDs(last)
		if err != nil {
			return "", nil, false, err
		}
		if share(lastIDs) >= s.d.FTSDenseShare {
			return s.d.FTSDense(), []any{fq}, false, nil
		}
	}
	// Counting in SQL up to the threshold costs a tenth of reading the ids.
	var n int
	if err := s.r.QueryRowContext(ctx, s.q(s.d.FTSCount), fq, s.d.FTSDenseAt).Scan(&n); err != nil {
		return "", nil, false, err
	}
	if n >= s.d.FTSDenseAt {
		return s.d.FTSDense(), []any{fq}, false, nil
	}
	return s.d.FTSSet(), []any{fq}, false, nil
}

// scanRowIDs reads a column of row ids.
func scanRowIDs(rows *sql.Rows) ([]int64, error) {
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// share is the part of the row ids between the first and last of ids
// (in either order) that ids holds: the local share of messages matching.
func share(ids []int64) float64 {
	if len(ids) < 2 {
		return 0
	}
	lo, hi := min(ids[0], ids[len(ids)-1]), max(ids[0], ids[len(ids)-1])
	return float64(len(ids)) / float64(hi-lo+1)
}

// promptWhere is the WHERE clause of a prompt event filter; none is set
// when nothing can match (a search with no words to look for, a user
// email no user has), sparse when the search matches few rows. walk is
// false for a count.
func (s *Store) promptWhere(ctx context.Context, f store.EventFilter, walk bool) (w *where, none, sparse bool, err error) {
	// An email is resolved to its user ids first where the dialect asks: a
	// single id lets the user index give the rows in time order, so a walk
	// stops after a page.
	var ids []any
	if s.d.UserIDsFirst && strings.Contains(f.User, "@") {
		if ids, err = s.userIDsByEmail(ctx, f.User); err != nil {
			return nil, false, false, err
		}
		if len(ids) == 0 {
			return nil, true, false, nil
		}
		f.User = ""
	}
	w, err = s.eventWhere(f, "m", "prompt", "user_id", "")
	if err != nil {
		return nil, false, false, err
	}
	switch len(ids) {
	case 0:
	case 1:
		w.add("m.user_id = ?", ids[0])
	default:
		w.add("m.user_id IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")+")", ids...)
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
		clause, args, sp, err := s.ftsClause(ctx, fq, walk)
		if err != nil {
			return nil, false, false, fmt.Errorf("full-text search: %w", err)
		}
		w.add(clause, args...)
		sparse = sp
	}
	return w, false, sparse, nil
}

// userIDsByEmail lists the distinct ids of the users with this email (the
// users table knows every message's user).
func (s *Store) userIDsByEmail(ctx context.Context, email string) ([]any, error) {
	ids, err := queryRows(ctx, s.r, func(rows scanner) (any, error) {
		var id string
		err := rows.Scan(&id)
		return id, err
	}, s.q(`SELECT DISTINCT id FROM users WHERE email = ? ORDER BY id`), strings.ToLower(email))
	if err != nil {
		return nil, fmt.Errorf("look up user %s: %w", email, err)
	}
	return ids, nil
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
		w, none, _, err = s.promptWhere(ctx, f, false)
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
	w, none, sparse, err := s.promptWhere(ctx, f, true)
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
	out, next, err := queryPage(ctx, s.r, scanMessage, func(m store.Message) string { return encodeCursor(m.CreatedAt, m.ID) },
		limit, s.q(query), w.args...)
	if err != nil {
		return nil, "", fmt.Errorf("list prompt events: %w", err)
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
	out, next, err := queryPage(ctx, s.r, scanActivity, func(a store.Activity) string { return encodeCursor(a.CreatedAt, a.ID) },
		limit, s.q(query), w.args...)
	if err != nil {
		return nil, "", fmt.Errorf("list access events: %w", err)
	}
	return out, next, nil
}
