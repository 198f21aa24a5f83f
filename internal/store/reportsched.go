package store

import (
	"context"
	"time"
)

// ReportRun is one sending of a scheduled report for one period.
type ReportRun struct {
	Schedule    string    `json:"schedule"`
	PeriodStart time.Time `json:"period_start"`
	PeriodEnd   time.Time `json:"period_end"`
	Attempts    int       `json:"attempts"`
	AttemptedAt time.Time `json:"attempted_at"`
	// SentAt is zero until the report was accepted by the mail server.
	SentAt     time.Time `json:"sent_at,omitzero"`
	Recipients string    `json:"recipients,omitempty"`
	Error      string    `json:"error,omitempty"`
}

// ReportRunStore records scheduled reports so that each period is sent
// once, whatever the restarts and replicas; both SQL backends implement it.
type ReportRunStore interface {
	// ClaimReportRun takes the sending of a schedule's period at time at:
	// true when no run of it exists, or when the last attempt failed,
	// happened before retryAfter and used fewer than maxAttempts.
	ClaimReportRun(ctx context.Context, r ReportRun, retryAfter time.Time, maxAttempts int) (bool, error)
	// FinishReportRun records the outcome of a claimed run: errText "" is sent at sentAt.
	FinishReportRun(ctx context.Context, schedule string, periodEnd, sentAt time.Time, errText string) error
	// ReportRuns lists the latest runs, newest period first, at most limit.
	ReportRuns(ctx context.Context, limit int) ([]ReportRun, error)
}
