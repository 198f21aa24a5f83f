package storetest

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// RunConsole runs the cases of the analyst's console stores (risk scores,
// account settings, scheduled report runs) against a backend.
func RunConsole(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"RiskScores", testRiskScores},
		{"AccountSettings", testAccountSettings},
		{"ReportRuns", testReportRuns},
		{"Evidence", testEvidence},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// testRiskScores: the SQL score is store.RiskScore's sum, only violations
// inside the window count, and sessions sort by risk.
func testRiskScores(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	seedMessages(t, s, in, 3) // chats 000 and 002 are user_b's, 001 user_a's
	now := t0.Add(30 * 24 * time.Hour)
	type v struct {
		user, chat, sev string
		age             time.Duration
		action          string
	}
	vs := []v{
		{"user_a", "claude_chat_001", "critical", 29 * 24 * time.Hour, "alert"},
		{"user_b", "claude_chat_000", "high", 0, "alert"},
		{"user_b", "claude_chat_002", "medium", 14 * 24 * time.Hour, "alert"},
		{"user_b", "claude_chat_002", "critical", 0, "log"},                      // not a violation
		{"user_b", "claude_chat_002", "critical", 100 * 24 * time.Hour, "alert"}, // outside the window
	}
	// One evaluation per event: saving an event's evaluation replaces its findings.
	byEvent := map[string]*store.Evaluation{}
	var order []string
	for i, x := range vs {
		f := finding("pii", x.user, x.chat, now.Add(-x.age))
		f.Severity, f.EffectiveAction = x.sev, x.action
		id := fmt.Sprintf("%s_msg_%d", x.chat, min(i, 3)%2)
		if byEvent[id] == nil {
			byEvent[id] = &store.Evaluation{IntegrationID: in.ID, Kind: "prompt", EventID: id, Version: "v1"}
			order = append(order, id)
		}
		byEvent[id].Findings = append(byEvent[id].Findings, f)
	}
	for _, id := range order {
		if err := s.SaveEvaluations(ctx, []store.Evaluation{*byEvent[id]}); err != nil {
			t.Fatal(err)
		}
	}
	p := store.RiskParams{Now: now}
	want := map[string]float64{
		"user_a": store.RiskScore(p, []string{"critical"}, []time.Time{now.Add(-29 * 24 * time.Hour)}),
		"user_b": store.RiskScore(p, []string{"high", "medium"}, []time.Time{now, now.Add(-14 * 24 * time.Hour)}),
	}
	if math.Abs(want["user_b"]-6) > 1e-9 {
		t.Fatalf("RiskScore(high now, medium one half-life ago) = %v, want 6", want["user_b"])
	}
	us, err := s.UserRisks(ctx, store.RiskFilter{RiskParams: p})
	if err != nil {
		t.Fatal(err)
	}
	if len(us) != 2 || us[0].ID != "user_b" || us[1].ID != "user_a" {
		t.Fatalf("users by risk: %+v", us)
	}
	for _, u := range us {
		if math.Abs(u.Score-want[u.ID]) > 1e-6 {
			t.Errorf("%s: score %v, want %v", u.ID, u.Score, want[u.ID])
		}
	}
	// The directory's email wins over the findings' one.
	if b := us[0]; b.Violations != 2 || b.High != 1 || b.Medium != 1 || b.Critical != 0 || b.Email != "b@example.com" || !b.LastViolation.Equal(now) {
		t.Errorf("user_b's breakdown: %+v", b)
	}
	one, err := s.UserRisks(ctx, store.RiskFilter{IntegrationID: in.ID, UserID: "user_a", RiskParams: p})
	if err != nil || len(one) != 1 || one[0].Critical != 1 {
		t.Fatalf("one user: %+v %v", one, err)
	}
	if q, err := s.UserRisks(ctx, store.RiskFilter{Query: "USER_A@", RiskParams: p}); err != nil || len(q) != 1 || q[0].ID != "user_a" {
		t.Fatalf("search: %+v %v", q, err)
	}
	if some, err := s.UserRisks(ctx, store.RiskFilter{Users: []string{"user_a", "user_z"}, RiskParams: p}); err != nil || len(some) != 1 || some[0].ID != "user_a" {
		t.Fatalf("some users: %+v %v", some, err)
	}
	if other, err := s.UserRisks(ctx, store.RiskFilter{IntegrationID: in.ID + 1, RiskParams: p}); err != nil || len(other) != 0 {
		t.Fatalf("another integration: %+v %v", other, err)
	}

	cs, err := s.ChatRisks(ctx, store.ChatFilter{Sort: "risk"}, p)
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, c := range cs {
		got += fmt.Sprintf("%s:%.3f ", c.ID, c.Risk)
	}
	// chat_000: high now = 5; chat_002: medium one half-life ago = 1; chat_001: critical 29 days ago.
	wantOrder := fmt.Sprintf("claude_chat_000:5.000 claude_chat_001:%.3f claude_chat_002:1.000 ", want["user_a"])
	if got != wantOrder {
		t.Fatalf("sessions by risk: %s, want %s", got, wantOrder)
	}
	if cs[2].Violations != 2 {
		t.Errorf("chat_002 violations = %d, want 2 (the old one still counts as a violation)", cs[2].Violations)
	}
	if _, err := s.ChatRisks(ctx, store.ChatFilter{Sort: "nonsense"}, p); err == nil {
		t.Error("an unknown sort was accepted")
	}
}

func testAccountSettings(t *testing.T, s store.Store) {
	ctx := context.Background()
	st, err := s.AccountSettings(ctx, 7)
	if err != nil || st.TimeZone != "" || st.AccountID != 7 {
		t.Fatalf("unset: %+v %v", st, err)
	}
	for _, zone := range []string{"Europe/Paris", "America/New_York"} {
		if err := s.SetAccountTimeZone(ctx, 7, zone, t0); err != nil {
			t.Fatal(err)
		}
	}
	if st, err = s.AccountSettings(ctx, 7); err != nil || st.TimeZone != "America/New_York" || !st.UpdatedAt.Equal(t0) {
		t.Fatalf("after two saves: %+v %v", st, err)
	}
}

// testReportRuns: a period is claimed once; a failed attempt can be taken
// over after the retry delay, up to the attempt limit; a sent one never.
func testReportRuns(t *testing.T, s store.Store) {
	ctx := context.Background()
	day := store.ReportRun{Schedule: "daily", PeriodStart: t0, PeriodEnd: t0.Add(24 * time.Hour), AttemptedAt: t0.Add(25 * time.Hour), Recipients: "soc@example.com"}
	claim := func(r store.ReportRun, retryAfter time.Time) bool {
		t.Helper()
		ok, err := s.ClaimReportRun(ctx, r, retryAfter, 2)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !claim(day, day.AttemptedAt) {
		t.Fatal("first claim refused")
	}
	if claim(day, day.AttemptedAt.Add(time.Hour)) {
		t.Fatal("a run in flight was claimed again")
	}
	if err := s.FinishReportRun(ctx, "daily", day.PeriodEnd, time.Time{}, "mail server said no"); err != nil {
		t.Fatal(err)
	}
	if claim(day, day.AttemptedAt) {
		t.Fatal("a failed run was retried before the retry delay")
	}
	retry := day
	retry.AttemptedAt = day.AttemptedAt.Add(time.Hour)
	if !claim(retry, retry.AttemptedAt) {
		t.Fatal("a failed run was not retried after the delay")
	}
	if err := s.FinishReportRun(ctx, "daily", day.PeriodEnd, time.Time{}, "still no"); err != nil {
		t.Fatal(err)
	}
	last := retry
	last.AttemptedAt = retry.AttemptedAt.Add(time.Hour)
	if claim(last, last.AttemptedAt) {
		t.Fatal("a run was attempted past the attempt limit")
	}
	week := store.ReportRun{Schedule: "weekly", PeriodStart: t0, PeriodEnd: t0.Add(7 * 24 * time.Hour), AttemptedAt: t0.Add(8 * 24 * time.Hour)}
	if !claim(week, week.AttemptedAt) {
		t.Fatal("another schedule's period was refused")
	}
	sent := t0.Add(8*24*time.Hour + time.Minute)
	if err := s.FinishReportRun(ctx, "weekly", week.PeriodEnd, sent, ""); err != nil {
		t.Fatal(err)
	}
	if claim(week, sent.Add(time.Hour)) {
		t.Fatal("a sent run was claimed again")
	}
	runs, err := s.ReportRuns(ctx, 10)
	if err != nil || len(runs) != 2 {
		t.Fatalf("runs: %+v %v", runs, err)
	}
	if w := runs[0]; w.Schedule != "weekly" || !w.SentAt.Equal(sent) || w.Error != "" {
		t.Errorf("weekly run: %+v", w)
	}
	if d := runs[1]; d.Schedule != "daily" || d.Attempts != 2 || d.Error != "still no" || !d.SentAt.IsZero() || d.Recipients != "soc@example.com" {
		t.Errorf("daily run: %+v", d)
	}
}

// testEvidence: the counts of a period come from the audit log, sync runs,
// accounts and tokens, and only the period's rows count.
func testEvidence(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	seedMessages(t, s, in, 1)
	from, to := t0.Add(-time.Hour), t0.Add(24*time.Hour)
	for i, action := range []string{"view", "list", "login", "login_failed", "update", "logout"} {
		if err := s.AppendAudit(ctx, &store.AuditEntry{At: t0.Add(time.Duration(i) * time.Minute), Actor: "a@example.com", Action: action, Object: "event"}); err != nil {
			t.Fatal(err)
		}
	}
	old := t0.Add(-48 * time.Hour)
	if err := s.AppendAudit(ctx, &store.AuditEntry{At: old, Actor: "a@example.com", Action: "view", Object: "event"}); err != nil {
		t.Fatal(err)
	}
	for i, errText := range []string{"", "unreachable"} {
		r := &store.Run{IntegrationID: in.ID, Kind: "sync", StartedAt: t0.Add(time.Duration(i) * time.Hour)}
		if err := s.StartRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		r.FinishedAt, r.Error = r.StartedAt.Add(time.Minute), errText
		if errText != "" {
			r.Errors = 1
		}
		if err := s.FinishRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []store.Account{{Email: "admin@example.com", Role: store.RoleAdmin}, {Email: "v@example.com", Role: store.RoleViewer},
		{Email: "gone@example.com", Role: store.RoleViewer, Disabled: true}} {
		a.PasswordHash, a.CreatedAt = "x", t0
		if err := s.CreateAccount(ctx, &a); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateAPIToken(ctx, &store.APIToken{AccountID: 1, Name: "siem", Prefix: "cl_1", Hash: "h1", Role: store.RoleViewer, ExpiresAt: to.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	e, err := s.Evidence(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("audit %d views %d sign-ins %d failed %d changes %d; runs %d failed %d; accounts %v; tokens %d; alerts %d",
		e.AuditEntries, e.AuditViews, e.AuditSignIns, e.AuditFailed, e.AuditChanges, e.SyncRuns, e.SyncFailed, e.Accounts, e.APITokensLive, e.AlertsRaised)
	want := "audit 6 views 2 sign-ins 2 failed 1 changes 1; runs 2 failed 1; accounts map[admin:1 viewer:1]; tokens 1; alerts 0"
	if got != want {
		t.Fatalf("evidence:\n got %s\nwant %s", got, want)
	}
	if !e.OldestAudit.Equal(old) || !e.LastSync.Equal(t0.Add(time.Minute)) || !e.OldestEvent.Equal(t0) {
		t.Errorf("oldest audit %v, last sync %v, oldest event %v", e.OldestAudit, e.LastSync, e.OldestEvent)
	}
}
