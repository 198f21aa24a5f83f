package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strings"

	"github.com/claudit/claudit/internal/store"
)

// riskTerm is one violation's share of a risk score in SQL, with three
// placeholders: now (µs) twice and -ln 2 / half-life (per µs). exp() is in
// PostgreSQL and in SQLite's math functions.
const riskTerm = `(` + `CASE severity WHEN 'critical' THEN 10.0 WHEN 'high' THEN 5.0 WHEN 'medium' THEN 2.0 WHEN 'low' THEN 1.0 ELSE 0.0 END` +
	` * exp(? * CAST(CASE WHEN event_time > ? THEN 0 ELSE ? - event_time END AS DOUBLE PRECISION)))`

func init() {
	// riskTerm spells the weights out; they must stay store.RiskWeight's.
	for sev, w := range map[string]float64{"critical": 10, "high": 5, "medium": 2, "low": 1} {
		if store.RiskWeight(sev) != w {
			panic("sqlstore: riskTerm weights differ from store.RiskWeight")
		}
	}
}

// riskArgs are riskTerm's arguments and the oldest event time counted.
func riskArgs(p store.RiskParams) (term []any, since int64) {
	now := us(p.Now)
	return []any{-math.Ln2 / float64(p.HalfLife.Microseconds()), now, now}, now - p.Window.Microseconds()
}

// UserRisks scores the users with violations in the window, highest first.
func (s *Store) UserRisks(ctx context.Context, f store.RiskFilter) ([]store.UserRisk, error) {
	p := f.RiskParams.OrDefault()
	term, since := riskArgs(p)
	inner := &where{}
	inner.add("effective_action = 'alert'")
	inner.add("event_time >= ?", since)
	if f.IntegrationID != 0 {
		inner.add("integration_id = ?", f.IntegrationID)
	}
	if f.UserID != "" {
		inner.add("(user_id = ? OR (user_id = '' AND user_email = ?))", f.UserID, f.UserID)
	}
	if len(f.Users) > 0 {
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(f.Users)), ", ")
		args := make([]any, len(f.Users))
		for i, u := range f.Users {
			args[i] = u
		}
		inner.add("user_id IN ("+marks+")", args...)
	}
	outer := &where{}
	if q := strings.TrimSpace(f.Query); q != "" {
		like := containing(strings.ToLower(q))
		outer.add(`(LOWER(r.uid) LIKE ? ESCAPE '\' OR LOWER(r.email) LIKE ? ESCAPE '\' OR LOWER(COALESCE(u.full_name, '')) LIKE ? ESCAPE '\')`, like, like, like)
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	sev := func(name string) string {
		return `CAST(SUM(CASE WHEN severity = '` + name + `' THEN 1 ELSE 0 END) AS BIGINT)`
	}
	uid := `COALESCE(NULLIF(user_id, ''), user_email)`
	args := append(append([]any{}, term...), inner.args...)
	args = append(append(args, outer.args...), limit)
	out, err := queryRows(ctx, s.r, func(rows scanner) (store.UserRisk, error) {
		var u store.UserRisk
		var first, last, lastViolation int64
		if err := rows.Scan(&u.IntegrationID, &u.ID, &u.Email, &u.FullName, &u.Role, &first, &last,
			&u.Score, &u.Violations, &u.Critical, &u.High, &u.Medium, &u.Low, &lastViolation); err != nil {
			return store.UserRisk{}, err
		}
		u.FirstSeen, u.LastSeen, u.LastViolation = tm(first), tm(last), tm(lastViolation)
		return u, nil
	}, s.q(`SELECT r.integration_id, r.uid, COALESCE(NULLIF(u.email, ''), r.email), COALESCE(u.full_name, ''), COALESCE(u.role, ''),
		COALESCE(u.first_seen, 0), COALESCE(u.last_seen, 0), r.score, r.n, r.c, r.h, r.m, r.l, r.last
		FROM (SELECT integration_id, `+uid+` AS uid, MAX(user_email) AS email, SUM(`+riskTerm+`) AS score, COUNT(*) AS n,
			`+sev("critical")+` AS c, `+sev("high")+` AS h, `+sev("medium")+` AS m, `+sev("low")+` AS l, MAX(event_time) AS last
			FROM findings`+inner.sql()+` GROUP BY integration_id, `+uid+`) r
		LEFT JOIN users u ON u.integration_id = r.integration_id AND u.id = r.uid`+outer.sql()+`
		ORDER BY r.score DESC, r.uid LIMIT ?`), args...)
	if err != nil {
		return nil, fmt.Errorf("score users: %w", err)
	}
	return out, nil
}

// ChatRisks lists sessions as Chats does, with the risk score of each
// one's violations; Sort "risk" puts the highest first.
func (s *Store) ChatRisks(ctx context.Context, f store.ChatFilter, p store.RiskParams) ([]store.ChatRisk, error) {
	p = p.OrDefault()
	term, since := riskArgs(p)
	w := chatWhere(f)
	order := "updated_at DESC, id DESC"
	switch f.Sort {
	case "", "updated":
	case "violations":
		order = "violations DESC, updated_at DESC, id DESC"
	case "risk":
		order = "risk DESC, updated_at DESC, id DESC"
	default:
		return nil, fmt.Errorf("session sort %q is not updated, violations or risk", f.Sort)
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 50
	}
	args := append(append([]any{}, term...), since)
	args = append(append(args, w.args...), limit, max(f.Offset, 0))
	out, err := queryRows(ctx, s.r, func(rows scanner) (store.ChatRisk, error) {
		var c store.ChatRisk
		var created, updated int64
		var deleted sql.NullInt64
		var hard int
		if err := rows.Scan(&c.IntegrationID, &c.ID, &c.Name, &c.UserID, &c.UserEmail, &c.Model, &c.ProjectID, &c.OrganizationUUID, &c.Href,
			&created, &updated, &deleted, &hard, &c.MessageCount, &c.Violations, &c.Risk); err != nil {
			return store.ChatRisk{}, err
		}
		c.CreatedAt, c.UpdatedAt, c.DeletedAt, c.HardDeleted = tm(created), tm(updated), tmPtr(deleted), hard != 0
		return c, nil
	}, s.q(`SELECT `+chatCols+`,
		(SELECT COUNT(*) FROM findings f WHERE f.integration_id = chats.integration_id AND f.chat_id = chats.id AND f.effective_action = 'alert') AS violations,
		COALESCE((SELECT SUM(`+riskTerm+`) FROM findings f WHERE f.integration_id = chats.integration_id AND f.chat_id = chats.id
			AND f.effective_action = 'alert' AND f.event_time >= ?), 0) AS risk
		FROM `+chatPage(w, order)), args...)
	if err != nil {
		return nil, fmt.Errorf("list chats by risk: %w", err)
	}
	return out, nil
}
