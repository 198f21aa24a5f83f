package store

import "time"

// Risk weights of one violation by severity; info and unknown weigh nothing.
// Top risky users are ranked by the sum of their violations' weights.
const (
	RiskWeightCritical = 10
	RiskWeightHigh     = 5
	RiskWeightMedium   = 2
	RiskWeightLow      = 1
)

// ReportData holds the aggregates of one reporting period, computed by the
// store so a report over months never loads the events themselves.
// Events are in the period when From <= created_at < To; days are those of From's time zone.
type ReportData struct {
	From, To      time.Time
	IntegrationID int64 // 0 means every integration
	// Integrations names the integrations the report covers.
	Integrations []string

	Totals ReportTotals
	// Days has one row per day (of From's time zone) with any message or activity, oldest first.
	Days []DayVolume
	// Users are the most active users (by messages), at most ReportTopUsers.
	Users []UserVolume
	// Models are messages per model, most used first.
	Models []ModelVolume
	// ActivityTypes are the most frequent access event types, at most ReportTopActivityTypes.
	ActivityTypes []TypeCount
	// Policies are the policies with the most violations, at most ReportTopPolicies.
	Policies []PolicyCount
	// OpenAlerts counts unsuppressed open or acknowledged alerts active in the period, by severity.
	OpenAlerts []SeverityCount
	// RecentAlerts are the latest of those alerts, at most ReportRecentAlerts.
	RecentAlerts []Alert
	// RiskyUsers are users ranked by weighted violations, at most ReportTopRiskyUsers.
	RiskyUsers []RiskyUser
}

// Limits of the ranked lists in ReportData.
const (
	ReportTopUsers         = 25
	ReportTopActivityTypes = 15
	ReportTopPolicies      = 10
	ReportRecentAlerts     = 20
	ReportTopRiskyUsers    = 10
	ReportMaxModels        = 20
)

// ReportTotals are the period's headline numbers.
type ReportTotals struct {
	Messages   int   `json:"messages"`
	Prompts    int   `json:"prompts"`   // role user
	Responses  int   `json:"responses"` // role assistant
	Tokens     int64 `json:"tokens"`    // estimated
	Chats      int   `json:"chats"`     // distinct chats with a message in the period
	Users      int   `json:"users"`     // distinct users with a message or an activity
	Activities int   `json:"activities"`
	Findings   int   `json:"findings"`
	Violations int   `json:"violations"` // findings at alert level
}

// DayVolume is one day's activity.
type DayVolume struct {
	Day        time.Time `json:"day"` // midnight UTC
	Prompts    int       `json:"prompts"`
	Responses  int       `json:"responses"`
	Activities int       `json:"activities"`
	Violations int       `json:"violations"`
}

// UserVolume is one user's activity; User is the email, or the user id when
// the email is unknown.
type UserVolume struct {
	User       string `json:"user"`
	Messages   int    `json:"messages"`
	Prompts    int    `json:"prompts"`
	Tokens     int64  `json:"tokens"`
	Violations int    `json:"violations"`
}

// ModelVolume is one model's use; Model is "" when the API did not say.
type ModelVolume struct {
	Model    string `json:"model"`
	Messages int    `json:"messages"`
	Prompts  int    `json:"prompts"`
	Tokens   int64  `json:"tokens"`
}

// TypeCount counts access events of one type.
type TypeCount struct {
	Type  string `json:"type"`
	Count int    `json:"count"`
}

// PolicyCount summarises one policy's findings in the period.
type PolicyCount struct {
	Policy     string `json:"policy"`
	Severity   string `json:"severity"` // the highest severity seen
	Findings   int    `json:"findings"`
	Violations int    `json:"violations"` // findings at alert level
	Users      int    `json:"users"`      // distinct users
}

// SeverityCount counts items of one severity.
type SeverityCount struct {
	Severity string `json:"severity"`
	Count    int    `json:"count"`
}

// RiskyUser is a user's violations by severity and their weighted score.
type RiskyUser struct {
	User       string `json:"user"`
	Score      int    `json:"score"`
	Violations int    `json:"violations"`
	Critical   int    `json:"critical"`
	High       int    `json:"high"`
	Medium     int    `json:"medium"`
	Low        int    `json:"low"`
}
