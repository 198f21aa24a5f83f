package store

import "time"

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
