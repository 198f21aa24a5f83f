package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// AccountSettings reads an account's display preferences.
func (s *Store) AccountSettings(ctx context.Context, accountID int64) (store.AccountSettings, error) {
	st := store.AccountSettings{AccountID: accountID}
	var at int64
	err := s.r.QueryRowContext(ctx, s.q(`SELECT time_zone, updated_at FROM account_settings WHERE account_id = ?`), accountID).Scan(&st.TimeZone, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read settings of account %d: %w", accountID, err)
	}
	st.UpdatedAt = tm(at)
	return st, nil
}

// SetAccountTimeZone saves an account's display time zone.
func (s *Store) SetAccountTimeZone(ctx context.Context, accountID int64, zone string, at time.Time) error {
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO account_settings (account_id, time_zone, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (account_id) DO UPDATE SET time_zone = excluded.time_zone, updated_at = excluded.updated_at`), accountID, zone, us(at))
	if err != nil {
		return fmt.Errorf("save time zone of account %d: %w", accountID, err)
	}
	return nil
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
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT schedule, period_start, period_end, attempts, attempted_at, sent_at, recipients, error
		FROM report_runs ORDER BY period_end DESC, schedule LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("list report runs: %w", err)
	}
	defer rows.Close()
	var out []store.ReportRun
	for rows.Next() {
		var r store.ReportRun
		var start, end, attempted, sent int64
		if err := rows.Scan(&r.Schedule, &start, &end, &r.Attempts, &attempted, &sent, &r.Recipients, &r.Error); err != nil {
			return nil, err
		}
		r.PeriodStart, r.PeriodEnd, r.AttemptedAt, r.SentAt = tm(start), tm(end), tm(attempted), tm(sent)
		out = append(out, r)
	}
	return out, rows.Err()
}
