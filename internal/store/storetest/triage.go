package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// testAlertTriage: assignees, sorting, counting for paging totals, and the
// history every status change and assignment leaves.
func testAlertTriage(t *testing.T, s store.Store) {
	ctx := context.Background()
	fs := asFull(t, s)
	in := integration(t, s, "acme")
	seedMessages(t, s, in, 3)
	// Three alerts: user_a low once, user_b critical three times, user_c high twice.
	sev := map[string]string{"user_a": "low", "user_b": "critical", "user_c": "high"}
	var evals []store.Evaluation
	for i, u := range []string{"user_a", "user_b", "user_b", "user_b", "user_c", "user_c"} {
		chat := map[string]string{"user_a": "claude_chat_000", "user_b": "claude_chat_001", "user_c": "claude_chat_002"}[u]
		f := finding("pii", u, chat, t0.Add(time.Duration(i)*time.Minute))
		f.Severity = sev[u]
		evals = append(evals, store.Evaluation{IntegrationID: in.ID, Kind: "prompt", EventID: fmt.Sprintf("%s_msg_%d", chat, i), Version: "v1",
			Findings: []store.Finding{f}})
	}
	if err := fs.SaveEvaluationsWithAlerts(ctx, evals, &store.Alerting{Window: time.Hour}); err != nil {
		t.Fatal(err)
	}
	users := func(f store.AlertFilter) string {
		t.Helper()
		as, err := fs.Alerts(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		out := ""
		for _, a := range as {
			out += a.UserID + " "
		}
		return out
	}
	for _, c := range []struct {
		f    store.AlertFilter
		want string
	}{
		{store.AlertFilter{}, "user_c user_b user_a "},
		{store.AlertFilter{Sort: "last_seen", Asc: true}, "user_a user_b user_c "},
		{store.AlertFilter{Sort: "severity"}, "user_b user_c user_a "},
		{store.AlertFilter{Sort: "severity", Asc: true}, "user_a user_c user_b "},
		{store.AlertFilter{Sort: "count"}, "user_b user_c user_a "},
		{store.AlertFilter{Sort: "user", Asc: true, Limit: 2, Offset: 1}, "user_b user_c "},
	} {
		if got := users(c.f); got != c.want {
			t.Errorf("alerts %+v: %q, want %q", c.f, got, c.want)
		}
	}
	if _, err := fs.Alerts(ctx, store.AlertFilter{Sort: "id; DROP TABLE alerts"}); err == nil {
		t.Fatal("unknown sort accepted")
	}
	if n, err := fs.CountAlerts(ctx, store.AlertFilter{Limit: 1, Offset: 2}); err != nil || n != 3 {
		t.Fatalf("count: %d %v", n, err)
	}

	as, _ := fs.Alerts(ctx, store.AlertFilter{User: "user_b"})
	id := as[0].ID
	if err := fs.AssignAlert(ctx, id, "ana@example.com", "lead@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := fs.AssignAlert(ctx, id, "ana@example.com", "lead@example.com"); err != nil {
		t.Fatal(err) // the same assignee again records nothing
	}
	if err := fs.SetAlertStatus(ctx, id, store.AlertResolved, "ana@example.com", "key rotated"); err != nil {
		t.Fatal(err)
	}
	if err := fs.AssignAlert(ctx, 99999, "x@example.com", "lead@example.com"); err == nil {
		t.Fatal("assigned a missing alert")
	}
	a, _ := fs.AlertByID(ctx, id)
	if a.Assignee != "ana@example.com" || a.Status != store.AlertResolved {
		t.Fatalf("alert %+v", a)
	}
	if got := users(store.AlertFilter{Assignee: "ana@example.com"}); got != "user_b " {
		t.Fatalf("assigned to ana: %q", got)
	}
	if n, _ := fs.CountAlerts(ctx, store.AlertFilter{Assignee: "-"}); n != 2 {
		t.Fatalf("unassigned: %d", n)
	}
	h, err := fs.AlertHistory(ctx, id)
	if err != nil || len(h) != 2 {
		t.Fatalf("history: %+v %v", h, err)
	}
	if h[0].By != "lead@example.com" || h[0].FromAssignee != "" || h[0].ToAssignee != "ana@example.com" || h[0].ToStatus != store.AlertOpen {
		t.Fatalf("assignment entry %+v", h[0])
	}
	if h[1].By != "ana@example.com" || h[1].FromStatus != store.AlertOpen || h[1].ToStatus != store.AlertResolved || h[1].Comment != "key rotated" || h[1].At.IsZero() {
		t.Fatalf("status entry %+v", h[1])
	}
}
