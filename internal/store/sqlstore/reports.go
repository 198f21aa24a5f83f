package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// reportDayUS is one day in stored microseconds: created_at / reportDayUS is a day number
// in both backends (integer division), converted to a date in Go.
const reportDayUS = 86400000000

// reportQuarterUS is a quarter of an hour in stored microseconds: reports
// of another time zone than UTC group by quarter hours in SQL and add them
// up into that zone's days in Go (every zone's offset is a multiple of 15
// minutes, and daylight saving moves it by whole quarters too).
const reportQuarterUS = 900000000

// reportUserRef is the person behind a row: the email, or the id when it is unknown.
func reportUserRef(emailCol, idCol string) string {
	return "COALESCE(NULLIF(" + emailCol + ", ''), " + idCol + ")"
}

// reportSeverityRank orders severities in SQL so MAX picks the worst one.
const reportSeverityRank = `CASE severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END`

var reportSeverities = []string{"info", "low", "medium", "high", "critical"}

// reportRiskScore weighs a violation by its severity (store.RiskWeight*).
var reportRiskScore = `CASE severity WHEN 'critical' THEN ` + strconv.Itoa(store.RiskWeightCritical) +
	` WHEN 'high' THEN ` + strconv.Itoa(store.RiskWeightHigh) +
	` WHEN 'medium' THEN ` + strconv.Itoa(store.RiskWeightMedium) +
	` WHEN 'low' THEN ` + strconv.Itoa(store.RiskWeightLow) + ` ELSE 0 END`

// reportScope is the period and integration condition of one table.
type reportScope struct {
	from, to      int64
	integrationID int64
	// loc is the time zone whose days the volumes are counted in.
	loc *time.Location
}

// where returns the condition on timeCol (and integration_id) and its arguments.
func (sc reportScope) where(timeCol string) (string, []any) {
	cond, args := " WHERE "+timeCol+" >= ? AND "+timeCol+" < ?", []any{sc.from, sc.to}
	if sc.integrationID != 0 {
		cond, args = cond+" AND integration_id = ?", append(args, sc.integrationID)
	}
	return cond, args
}

// ReportData aggregates one period for a report: volumes by day, user and
// model, access event types, policies, open alerts and risky users. Every
// query groups in the database, so the cost does not grow with the events
// returned, only with the events scanned.
func (s *Store) ReportData(ctx context.Context, from, to time.Time, integrationID int64) (store.ReportData, error) {
	// The period keeps its time zone: the days of the volumes are that
	// zone's days.
	d := store.ReportData{From: from, To: to, IntegrationID: integrationID}
	if !to.After(from) {
		return d, fmt.Errorf("report period: %s is not after %s", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	sc := reportScope{from: us(from), to: us(to), integrationID: integrationID, loc: from.Location()}
	steps := []struct {
		what string
		fn   func(context.Context, reportScope, *store.ReportData) error
	}{
		{"integrations", s.reportIntegrations},
		{"totals", s.reportTotals},
		{"days", s.reportDays},
		{"users", s.reportUsers},
		{"models", s.reportModels},
		{"activity types", s.reportActivityTypes},
		{"policies", s.reportPolicies},
		{"alerts", s.reportAlerts},
		{"risky users", s.reportRiskyUsers},
	}
	for _, st := range steps {
		if err := st.fn(ctx, sc, &d); err != nil {
			return d, fmt.Errorf("report %s: %w", st.what, err)
		}
	}
	return d, nil
}

func (s *Store) reportIntegrations(ctx context.Context, sc reportScope, d *store.ReportData) error {
	if sc.integrationID != 0 {
		in, err := s.IntegrationByID(ctx, sc.integrationID)
		if err != nil {
			return err
		}
		d.Integrations = []string{in.Name}
		return nil
	}
	ins, err := s.Integrations(ctx)
	if err != nil {
		return err
	}
	for _, in := range ins {
		d.Integrations = append(d.Integrations, in.Name)
	}
	return nil
}

func (s *Store) reportTotals(ctx context.Context, sc reportScope, d *store.ReportData) error {
	t := &d.Totals
	mw, margs := sc.where("created_at")
	err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*),
		COALESCE(CAST(SUM(CASE WHEN role = 'user' THEN 1 ELSE 0 END) AS BIGINT), 0),
		COALESCE(CAST(SUM(CASE WHEN role = 'assistant' THEN 1 ELSE 0 END) AS BIGINT), 0),
		COALESCE(CAST(SUM(tokens) AS BIGINT), 0),
		COUNT(DISTINCT chat_id)
		FROM messages`+mw), margs...).Scan(&t.Messages, &t.Prompts, &t.Responses, &t.Tokens, &t.Chats)
	if err != nil {
		return fmt.Errorf("count messages: %w", err)
	}
	aw, aargs := sc.where("created_at")
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM activities`+aw), aargs...).Scan(&t.Activities); err != nil {
		return fmt.Errorf("count activities: %w", err)
	}
	fw, fargs := sc.where("event_time")
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*), COALESCE(CAST(SUM(CASE WHEN effective_action = 'alert' THEN 1 ELSE 0 END) AS BIGINT), 0)
		FROM findings`+fw), fargs...).Scan(&t.Findings, &t.Violations); err != nil {
		return fmt.Errorf("count findings: %w", err)
	}
	// Users are counted across both event kinds: someone who only signed in counts too.
	err = s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM (
		SELECT `+reportUserRef("user_email", "user_id")+` AS u FROM messages`+mw+`
		UNION SELECT `+reportUserRef("actor_email", "actor_user_id")+` AS u FROM activities`+aw+`) people WHERE u <> ''`),
		append(append([]any{}, margs...), aargs...)...).Scan(&t.Users)
	if err != nil {
		return fmt.Errorf("count users: %w", err)
	}
	return nil
}

func (s *Store) reportDays(ctx context.Context, sc reportScope, d *store.ReportData) error {
	// Buckets are UTC days, or quarter hours added up into the days of
	// another zone.
	size := int64(reportDayUS)
	if sc.loc != nil && sc.loc != time.UTC {
		size = reportQuarterUS
	}
	days := map[time.Time]*store.DayVolume{}
	day := func(n int64) *store.DayVolume {
		t := time.UnixMicro(n * size).UTC()
		if size != reportDayUS {
			t = t.In(sc.loc)
			t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, sc.loc)
		}
		if v, ok := days[t]; ok {
			return v
		}
		v := &store.DayVolume{Day: t}
		days[t] = v
		return v
	}
	bucket := `created_at / ` + strconv.FormatInt(size, 10)
	mw, margs := sc.where("created_at")
	err := s.reportRows(ctx, `SELECT `+bucket+`,
		CAST(SUM(CASE WHEN role = 'user' THEN 1 ELSE 0 END) AS BIGINT),
		CAST(SUM(CASE WHEN role = 'assistant' THEN 1 ELSE 0 END) AS BIGINT)
		FROM messages`+mw+` GROUP BY `+bucket, margs, func(rows *sql.Rows) error {
		var n int64
		var p, r int
		if err := rows.Scan(&n, &p, &r); err != nil {
			return err
		}
		v := day(n)
		v.Prompts += p
		v.Responses += r
		return nil
	})
	if err != nil {
		return err
	}
	aw, aargs := sc.where("created_at")
	err = s.reportRows(ctx, `SELECT `+bucket+`, COUNT(*) FROM activities`+aw+` GROUP BY `+bucket, aargs, func(rows *sql.Rows) error {
		var n int64
		var c int
		if err := rows.Scan(&n, &c); err != nil {
			return err
		}
		day(n).Activities += c
		return nil
	})
	if err != nil {
		return err
	}
	fbucket := `event_time / ` + strconv.FormatInt(size, 10)
	fw, fargs := sc.where("event_time")
	err = s.reportRows(ctx, `SELECT `+fbucket+`, COUNT(*) FROM findings`+fw+` AND effective_action = 'alert' GROUP BY `+fbucket, fargs, func(rows *sql.Rows) error {
		var n int64
		var c int
		if err := rows.Scan(&n, &c); err != nil {
			return err
		}
		day(n).Violations += c
		return nil
	})
	if err != nil {
		return err
	}
	for _, v := range days {
		d.Days = append(d.Days, *v)
	}
	sort.Slice(d.Days, func(i, j int) bool { return d.Days[i].Day.Before(d.Days[j].Day) })
	return nil
}

func (s *Store) reportUsers(ctx context.Context, sc reportScope, d *store.ReportData) error {
	w, args := sc.where("created_at")
	ref := reportUserRef("user_email", "user_id")
	return s.reportRows(ctx, `SELECT `+ref+` AS u, COUNT(*) AS n,
		CAST(SUM(CASE WHEN role = 'user' THEN 1 ELSE 0 END) AS BIGINT),
		CAST(SUM(tokens) AS BIGINT), CAST(SUM(violations) AS BIGINT)
		FROM messages`+w+` GROUP BY `+ref+` ORDER BY n DESC, u LIMIT ?`, append(args, store.ReportTopUsers), func(rows *sql.Rows) error {
		var u store.UserVolume
		if err := rows.Scan(&u.User, &u.Messages, &u.Prompts, &u.Tokens, &u.Violations); err != nil {
			return err
		}
		d.Users = append(d.Users, u)
		return nil
	})
}

func (s *Store) reportModels(ctx context.Context, sc reportScope, d *store.ReportData) error {
	w, args := sc.where("created_at")
	return s.reportRows(ctx, `SELECT model, COUNT(*) AS n,
		CAST(SUM(CASE WHEN role = 'user' THEN 1 ELSE 0 END) AS BIGINT), CAST(SUM(tokens) AS BIGINT)
		FROM messages`+w+` GROUP BY model ORDER BY n DESC, model LIMIT ?`, append(args, store.ReportMaxModels), func(rows *sql.Rows) error {
		var m store.ModelVolume
		if err := rows.Scan(&m.Model, &m.Messages, &m.Prompts, &m.Tokens); err != nil {
			return err
		}
		d.Models = append(d.Models, m)
		return nil
	})
}

func (s *Store) reportActivityTypes(ctx context.Context, sc reportScope, d *store.ReportData) error {
	w, args := sc.where("created_at")
	return s.reportRows(ctx, `SELECT type, COUNT(*) AS n FROM activities`+w+` GROUP BY type ORDER BY n DESC, type LIMIT ?`,
		append(args, store.ReportTopActivityTypes), func(rows *sql.Rows) error {
			var t store.TypeCount
			if err := rows.Scan(&t.Type, &t.Count); err != nil {
				return err
			}
			d.ActivityTypes = append(d.ActivityTypes, t)
			return nil
		})
}

func (s *Store) reportPolicies(ctx context.Context, sc reportScope, d *store.ReportData) error {
	w, args := sc.where("event_time")
	return s.reportRows(ctx, `SELECT policy, MAX(`+reportSeverityRank+`), COUNT(*) AS n,
		CAST(SUM(CASE WHEN effective_action = 'alert' THEN 1 ELSE 0 END) AS BIGINT) AS v,
		COUNT(DISTINCT `+reportUserRef("user_email", "user_id")+`)
		FROM findings`+w+` GROUP BY policy ORDER BY v DESC, n DESC, policy LIMIT ?`,
		append(args, store.ReportTopPolicies), func(rows *sql.Rows) error {
			var p store.PolicyCount
			var rank int
			if err := rows.Scan(&p.Policy, &rank, &p.Findings, &p.Violations, &p.Users); err != nil {
				return err
			}
			if rank >= 0 && rank < len(reportSeverities) {
				p.Severity = reportSeverities[rank]
			}
			d.Policies = append(d.Policies, p)
			return nil
		})
}

// reportAlerts reads alerts still open or acknowledged that were active in
// the period; suppressed ones are left out like everywhere alerts are shown.
func (s *Store) reportAlerts(ctx context.Context, sc reportScope, d *store.ReportData) error {
	cond, args := ` WHERE status IN ('open', 'acknowledged') AND suppressed = 0 AND last_seen >= ? AND first_seen < ?`, []any{sc.from, sc.to}
	if sc.integrationID != 0 {
		cond, args = cond+` AND integration_id = ?`, append(args, sc.integrationID)
	}
	err := s.reportRows(ctx, `SELECT `+reportSeverityRank+` AS r, COUNT(*) FROM alerts`+cond+` GROUP BY `+reportSeverityRank+` ORDER BY r DESC`, args, func(rows *sql.Rows) error {
		var rank, n int
		if err := rows.Scan(&rank, &n); err != nil {
			return err
		}
		d.OpenAlerts = append(d.OpenAlerts, store.SeverityCount{Severity: reportSeverities[rank], Count: n})
		return nil
	})
	if err != nil {
		return err
	}
	return s.reportRows(ctx, `SELECT `+alertCols+` FROM alerts`+cond+` ORDER BY last_seen DESC, id DESC LIMIT ?`,
		append(args, store.ReportRecentAlerts), func(rows *sql.Rows) error {
			a, err := scanAlert(rows)
			if err != nil {
				return err
			}
			d.RecentAlerts = append(d.RecentAlerts, *a)
			return nil
		})
}

func (s *Store) reportRiskyUsers(ctx context.Context, sc reportScope, d *store.ReportData) error {
	w, args := sc.where("event_time")
	ref := reportUserRef("user_email", "user_id")
	count := func(sev string) string {
		return `CAST(SUM(CASE WHEN severity = '` + sev + `' THEN 1 ELSE 0 END) AS BIGINT)`
	}
	return s.reportRows(ctx, `SELECT `+ref+` AS u, CAST(SUM(`+reportRiskScore+`) AS BIGINT) AS score, COUNT(*) AS n,
		`+count("critical")+`, `+count("high")+`, `+count("medium")+`, `+count("low")+`
		FROM findings`+w+` AND effective_action = 'alert' GROUP BY `+ref+` ORDER BY score DESC, n DESC, u LIMIT ?`,
		append(args, store.ReportTopRiskyUsers), func(rows *sql.Rows) error {
			var u store.RiskyUser
			if err := rows.Scan(&u.User, &u.Score, &u.Violations, &u.Critical, &u.High, &u.Medium, &u.Low); err != nil {
				return err
			}
			d.RiskyUsers = append(d.RiskyUsers, u)
			return nil
		})
}

// reportRows runs a read query and calls fn for each row.
func (s *Store) reportRows(ctx context.Context, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := s.r.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ClaimReportRun inserts the run, or takes a failed one over for another
// attempt; the conflict clause makes the claim atomic between replicas.
func (s *Store) ClaimReportRun(ctx context.Context, r store.ReportRun, retryAfter time.Time, maxAttempts int) (bool, error) {
	res, err := s.w.ExecContext(ctx, s.q(`INSERT INTO report_runs (schedule, period_end, period_start, attempts, attempted_at, recipients) VALUES (?, ?, ?, 1, ?, ?)
		ON CONFLICT (schedule, period_end) DO UPDATE SET attempts = report_runs.attempts + 1, attempted_at = excluded.attempted_at,
			recipients = excluded.recipients, error = ''
		WHERE report_runs.sent_at = 0 AND report_runs.error <> '' AND report_runs.attempted_at < ? AND report_runs.attempts < ?`),
		r.Schedule, us(r.PeriodEnd), us(r.PeriodStart), us(r.AttemptedAt), r.Recipients, us(retryAfter), maxAttempts)
	if err != nil {
		return false, fmt.Errorf("claim report %s for %s: %w", r.Schedule, r.PeriodEnd.Format(time.RFC3339), err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim report %s: %w", r.Schedule, err)
	}
	return n > 0, nil
}

// FinishReportRun records a claimed run's outcome.
func (s *Store) FinishReportRun(ctx context.Context, schedule string, periodEnd, sentAt time.Time, errText string) error {
	var sent int64
	if errText == "" {
		sent = us(sentAt)
	}
	_, err := s.w.ExecContext(ctx, s.q(`UPDATE report_runs SET sent_at = ?, error = ? WHERE schedule = ? AND period_end = ?`),
		sent, errText, schedule, us(periodEnd))
	if err != nil {
		return fmt.Errorf("record report %s for %s: %w", schedule, periodEnd.Format(time.RFC3339), err)
	}
	return nil
}

// ReportRuns lists the latest scheduled report runs.
func (s *Store) ReportRuns(ctx context.Context, limit int) ([]store.ReportRun, error) {
	if limit <= 0 || limit > 1000 {
		limit = 50
	}
	out, err := queryRows(ctx, s.r, func(rows scanner) (store.ReportRun, error) {
		var r store.ReportRun
		var start, end, attempted, sent int64
		if err := rows.Scan(&r.Schedule, &start, &end, &r.Attempts, &attempted, &sent, &r.Recipients, &r.Error); err != nil {
			return store.ReportRun{}, err
		}
		r.PeriodStart, r.PeriodEnd, r.AttemptedAt, r.SentAt = tm(start), tm(end), tm(attempted), tm(sent)
		return r, nil
	}, s.q(`SELECT schedule, period_start, period_end, attempts, attempted_at, sent_at, recipients, error
		FROM report_runs ORDER BY period_end DESC, schedule LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("list report runs: %w", err)
	}
	return out, nil
}
