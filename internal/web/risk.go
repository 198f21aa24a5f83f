package web

import (
	"context"
	"fmt"

	"github.com/claudit/claudit/internal/store"
)

// riskScorer scores users and sessions (docs/DASHBOARD.md, "Risk score").
type riskScorer interface {
	UserRisks(ctx context.Context, f store.RiskFilter) ([]store.UserRisk, error)
	ChatRisks(ctx context.Context, f store.ChatFilter, p store.RiskParams) ([]store.ChatRisk, error)
}

// riskStore is the store's risk scoring.
func (s *Server) riskStore() riskScorer { return s.st }

func (s *Server) riskParams() store.RiskParams {
	return store.RiskParams{Now: s.now()}.OrDefault()
}

// Risk levels of a score, for colour and words (docs/DASHBOARD.md): one
// critical violation today scores 10, five of them this week about 50.
const (
	riskHighAt   = 50
	riskMediumAt = 10
)

// riskLevel names a score's band: high, medium, low or none.
func riskLevel(score float64) string {
	switch {
	case score >= riskHighAt:
		return "high"
	case score >= riskMediumAt:
		return "medium"
	case score > 0:
		return "low"
	}
	return "none"
}

// fmtRisk shows a score with one decimal, "0" for none.
func fmtRisk(score float64) string {
	if score <= 0 {
		return "0"
	}
	if score < 0.05 {
		return "<0.1"
	}
	return fmt.Sprintf("%.1f", score)
}

// userRisks scores the given users, keyed by riskKey.
func (s *Server) userRisks(ctx context.Context, users []store.User) (map[string]store.UserRisk, error) {
	out := map[string]store.UserRisk{}
	rs := s.riskStore()
	if rs == nil || len(users) == 0 {
		return out, nil
	}
	ids := make([]string, 0, len(users))
	for _, u := range users {
		ids = append(ids, u.ID)
	}
	rows, err := rs.UserRisks(ctx, store.RiskFilter{Users: ids, Limit: 1000, RiskParams: s.riskParams()})
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[riskKey(r.IntegrationID, r.ID)] = r
	}
	return out, nil
}

func riskKey(integrationID int64, userID string) string {
	return fmt.Sprintf("%d/%s", integrationID, userID)
}
