package web_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/web/webtest"
)

// fixtureRisk is the risk score of the fixture's users at the server's
// clock (Base plus a day), by store.RiskScore's definition.
func fixtureRisk(user string) float64 {
	now := webtest.Base.Add(24 * time.Hour)
	at := func(d time.Duration) time.Time { return webtest.Base.Add(d) }
	p := store.RiskParams{Now: now}
	switch user {
	case "u-alice": // a critical secret and a medium PII in one prompt, a high share
		return store.RiskScore(p, []string{"critical", "medium", "high"}, []time.Time{at(-2 * time.Hour), at(-2 * time.Hour), at(-90 * time.Minute)})
	case "u-bob":
		return store.RiskScore(p, []string{"high"}, []time.Time{at(-26 * time.Hour)})
	}
	return 0
}

func TestRiskAPI(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	c := login(t, ts, webtest.AnalystEmail)
	var users struct {
		Users []struct {
			ID         string  `json:"id"`
			Risk       float64 `json:"risk"`
			Violations int     `json:"violations"`
		} `json:"users"`
	}
	c.getJSON("/api/v1/users?sort=risk", &users)
	if len(users.Users) != 2 || users.Users[0].ID != "u-alice" || users.Users[1].ID != "u-bob" {
		t.Fatalf("users by risk: %+v", users.Users)
	}
	for _, u := range users.Users {
		if want := fixtureRisk(u.ID); fmt.Sprintf("%.6f", u.Risk) != fmt.Sprintf("%.6f", want) {
			t.Errorf("%s: risk %v, want %v", u.ID, u.Risk, want)
		}
	}
	if users.Users[0].Violations != 3 {
		t.Errorf("alice's violations = %d, want 3", users.Users[0].Violations)
	}
	var sessions struct {
		Sessions []struct {
			ID   string  `json:"id"`
			Risk float64 `json:"risk"`
		} `json:"sessions"`
	}
	c.getJSON("/api/v1/sessions?sort=risk", &sessions)
	if len(sessions.Sessions) < 3 || sessions.Sessions[0].ID != "chat-leak" || sessions.Sessions[1].ID != "chat-xss" || sessions.Sessions[2].Risk != 0 {
		t.Fatalf("sessions by risk: %+v", sessions.Sessions)
	}
	var user struct {
		Risk struct {
			Score    float64 `json:"risk"`
			Critical int     `json:"critical"`
		} `json:"risk"`
	}
	c.getJSON(fmt.Sprintf("/api/v1/users/%d/u-alice", e.Acme.ID), &user)
	if user.Risk.Critical != 1 || user.Risk.Score != users.Users[0].Risk {
		t.Errorf("user page risk: %+v", user.Risk)
	}
	var ov struct {
		Risky []struct {
			ID string `json:"id"`
		} `json:"risky_users"`
	}
	c.getJSON("/api/v1/overview", &ov)
	if len(ov.Risky) != 2 || ov.Risky[0].ID != "u-alice" {
		t.Errorf("overview's riskiest users: %+v", ov.Risky)
	}
	for _, bad := range []string{"/api/v1/users?sort=loud", "/api/v1/sessions?sort=loud"} {
		if res, _ := c.get(bad); res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", bad, res.StatusCode)
		}
	}
}

// fmtScore is how the dashboard shows a score.
func fmtScore(v float64) string { return fmt.Sprintf("%.1f", v) }
