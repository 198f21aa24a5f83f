package store

import (
	"math"
	"time"
)

// Defaults of the risk score (docs/DASHBOARD.md, "Risk score"): a violation
// counts half as much every RiskHalfLife, and violations older than
// RiskWindow are not counted (their weight is below 1/80 of a new one's).
const (
	RiskHalfLife = 14 * 24 * time.Hour
	RiskWindow   = 90 * 24 * time.Hour
)

// RiskParams is the clock and decay of a risk score.
type RiskParams struct {
	// Now is when ages are measured from (default: the store's clock).
	Now time.Time
	// HalfLife and Window default to RiskHalfLife and RiskWindow.
	HalfLife, Window time.Duration
}

// OrDefault fills the zero fields of p.
func (p RiskParams) OrDefault() RiskParams {
	if p.Now.IsZero() {
		p.Now = time.Now()
	}
	if p.HalfLife <= 0 {
		p.HalfLife = RiskHalfLife
	}
	if p.Window <= 0 {
		p.Window = RiskWindow
	}
	return p
}

// RiskWeight is the weight of one violation of a severity (the
// RiskWeight* constants; info and unknown weigh nothing).
func RiskWeight(severity string) float64 {
	switch severity {
	case "critical":
		return RiskWeightCritical
	case "high":
		return RiskWeightHigh
	case "medium":
		return RiskWeightMedium
	case "low":
		return RiskWeightLow
	}
	return 0
}

// RiskScore is the score of violations of these severities at these times:
// the sum of RiskWeight(severity) × 0.5^(age / half-life) over those inside
// the window. The stores compute the same sum in SQL; this is its definition.
func RiskScore(p RiskParams, severities []string, at []time.Time) float64 {
	p = p.OrDefault()
	var sum float64
	for i, sev := range severities {
		age := max(p.Now.Sub(at[i]), 0)
		if age > p.Window {
			continue
		}
		sum += RiskWeight(sev) * math.Exp2(-float64(age)/float64(p.HalfLife))
	}
	return sum
}

// UserRisk is one user's risk score with the violations behind it. The user
// fields come from the directory when the user is in it.
type UserRisk struct {
	User
	Score         float64   `json:"risk"`
	Violations    int       `json:"violations"` // in the window
	Critical      int       `json:"critical"`
	High          int       `json:"high"`
	Medium        int       `json:"medium"`
	Low           int       `json:"low"`
	LastViolation time.Time `json:"last_violation"`
}

// RiskFilter selects users to score.
type RiskFilter struct {
	IntegrationID int64
	// UserID scores one user (of IntegrationID).
	UserID string
	// Users, when set, scores only these user ids (of any integration).
	Users []string
	// Query is a substring of the user's id, email or name.
	Query string
	// Limit caps the list (default 100, at most 1000).
	Limit int
	RiskParams
}

// ChatRisk is a session with the risk score of its violations.
type ChatRisk struct {
	Chat
	Risk float64 `json:"risk"`
}
