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
	raiseAlerts(t, s, evals)
	users := func(f store.AlertFilter) string {
		t.Helper()
		as, err := s.Alerts(ctx, f)
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
	if _, err := s.Alerts(ctx, store.AlertFilter{Sort: "id; DROP TABLE alerts"}); err == nil {
		t.Fatal("unknown sort accepted")
	}
	if n, err := s.CountAlerts(ctx, store.AlertFilter{Limit: 1, Offset: 2}); err != nil || n != 3 {
		t.Fatalf("count: %d %v", n, err)
	}

	as, _ := s.Alerts(ctx, store.AlertFilter{User: "user_b"})
	id := as[0].ID
	if err := s.AssignAlert(ctx, id, "ana@example.com", "lead@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := s.AssignAlert(ctx, id, "ana@example.com", "lead@example.com"); err != nil {
		t.Fatal(err) // the same assignee again records nothing
	}
	if err := s.SetAlertStatus(ctx, id, store.AlertResolved, "ana@example.com", "key rotated"); err != nil {
		t.Fatal(err)
	}
	if err := s.AssignAlert(ctx, 99999, "x@example.com", "lead@example.com"); err == nil {
		t.Fatal("assigned a missing alert")
	}
	a, _ := s.AlertByID(ctx, id)
	if a.Assignee != "ana@example.com" || a.Status != store.AlertResolved {
		t.Fatalf("alert %+v", a)
	}
	if got := users(store.AlertFilter{Assignee: "ana@example.com"}); got != "user_b " {
		t.Fatalf("assigned to ana: %q", got)
	}
	if n, _ := s.CountAlerts(ctx, store.AlertFilter{Assignee: "-"}); n != 2 {
		t.Fatalf("unassigned: %d", n)
	}
	h, err := s.AlertHistory(ctx, id)
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

// testSessionList: the sessions list counts each chat's findings at alert
// level, sorts by them, selects sessions active in a date range and
// counts what a filter selects for paging totals.
func testSessionList(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	// Three chats a day apart: chat_0 on day 0, chat_1 on day 1, chat_2 on day 2.
	for i := 0; i < 3; i++ {
		p := chatPage(in, fmt.Sprintf("claude_chat_%d", i), []string{"q", "a"}, false)
		day := time.Duration(i) * 24 * time.Hour
		p.Chats[0].Chat.CreatedAt, p.Chats[0].Chat.UpdatedAt = t0.Add(day), t0.Add(day+time.Hour)
		if _, err := s.SaveChatPage(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	logOnly := finding("pii", "user_a", "claude_chat_2", t0)
	logOnly.EffectiveAction = "log"
	evals := []store.Evaluation{
		{IntegrationID: in.ID, Kind: "prompt", EventID: "claude_chat_1_msg_0", Version: "v1",
			Findings: []store.Finding{finding("pii", "user_a", "claude_chat_1", t0), finding("secrets", "user_a", "claude_chat_1", t0)}},
		{IntegrationID: in.ID, Kind: "prompt", EventID: "claude_chat_2_msg_0", Version: "v1",
			Findings: []store.Finding{finding("pii", "user_a", "claude_chat_2", t0), logOnly}},
	}
	if err := s.SaveEvaluations(ctx, evals); err != nil {
		t.Fatal(err)
	}
	list := func(f store.ChatFilter) string {
		t.Helper()
		cs, err := s.Chats(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		out := ""
		for _, c := range cs {
			out += fmt.Sprintf("%s:%d ", c.ID, c.Violations)
		}
		return out
	}
	day := func(n int) time.Time { return t0.Add(time.Duration(n) * 24 * time.Hour) }
	for _, c := range []struct {
		f    store.ChatFilter
		want string
	}{
		{store.ChatFilter{}, "claude_chat_2:1 claude_chat_1:2 claude_chat_0:0 "},
		{store.ChatFilter{Sort: "violations"}, "claude_chat_1:2 claude_chat_2:1 claude_chat_0:0 "},
		{store.ChatFilter{From: day(1)}, "claude_chat_2:1 claude_chat_1:2 "},
		{store.ChatFilter{From: day(1), To: day(2)}, "claude_chat_1:2 "},
		{store.ChatFilter{To: day(1)}, "claude_chat_0:0 "},
		// By user id or email, one page at a time: the page is cut before
		// its violations are counted.
		{store.ChatFilter{User: "user_a"}, "claude_chat_2:1 claude_chat_1:2 claude_chat_0:0 "},
		{store.ChatFilter{User: "a@example.com", Limit: 1, Offset: 1}, "claude_chat_1:2 "},
		{store.ChatFilter{User: "a@example.com", Sort: "violations", Limit: 1, Offset: 1}, "claude_chat_2:1 "},
		{store.ChatFilter{User: "nobody@example.com"}, ""},
	} {
		if got := list(c.f); got != c.want {
			t.Errorf("chats %+v: %q, want %q", c.f, got, c.want)
		}
	}
	if _, err := s.Chats(ctx, store.ChatFilter{Sort: "name"}); err == nil {
		t.Error("unknown sort accepted")
	}
	// The risk list pages the same way and scores the page's sessions.
	rp := store.RiskParams{Now: day(3)}
	if rs, err := s.ChatRisks(ctx, store.ChatFilter{User: "a@example.com", Limit: 1, Offset: 1}, rp); err != nil || len(rs) != 1 ||
		rs[0].ID != "claude_chat_1" || rs[0].Violations != 2 || rs[0].Risk <= 0 {
		t.Fatalf("risk page: %+v %v", rs, err)
	}
	if n, err := s.CountChats(ctx, store.ChatFilter{User: "a@example.com"}); err != nil || n != 3 {
		t.Fatalf("count by email: %d %v", n, err)
	}
	if n, err := s.CountChats(ctx, store.ChatFilter{From: day(1), Limit: 1}); err != nil || n != 2 {
		t.Fatalf("count: %d %v", n, err)
	}

	// A user listed again without an activity keeps the last one.
	u := store.User{ID: "user_a", Email: "a@example.com", FirstSeen: t0, LastSeen: day(2)}
	if _, err := s.SaveChatPage(ctx, store.ChatPage{IntegrationID: in.ID, Users: []store.User{u}}); err != nil {
		t.Fatal(err)
	}
	u.LastSeen, u.FullName = time.Time{}, "Ada"
	if _, err := s.SaveChatPage(ctx, store.ChatPage{IntegrationID: in.ID, Users: []store.User{u}}); err != nil {
		t.Fatal(err)
	}
	if us, err := s.Users(ctx, in.ID, "user_a", 10); err != nil || len(us) != 1 || !us[0].LastSeen.Equal(day(2)) || us[0].FullName != "Ada" {
		t.Fatalf("users: %+v %v", us, err)
	}
}

// testCountEvents: page totals count what the filter selects, whatever the
// cursor, and stop at the cap.
func testCountEvents(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	seedMessages(t, s, in, 4) // 8 messages, 4 of them prompts about invoices
	for _, c := range []struct {
		f    store.EventFilter
		upTo int
		want int
	}{
		{store.EventFilter{Kind: "prompt"}, 100, 8},
		{store.EventFilter{Kind: "prompt"}, 5, 5},
		{store.EventFilter{Kind: "prompt", Role: "user"}, 100, 4},
		{store.EventFilter{Kind: "prompt", Query: "invoices"}, 100, 4},
		{store.EventFilter{Kind: "prompt", User: "user_b", Limit: 1}, 100, 4},
		{store.EventFilter{Kind: "prompt", Query: "!!"}, 100, 0},
		{store.EventFilter{Kind: "access"}, 100, 0},
	} {
		if n, err := s.CountEvents(ctx, c.f, c.upTo); err != nil || n != c.want {
			t.Errorf("count %+v up to %d: %d %v, want %d", c.f, c.upTo, n, err, c.want)
		}
	}
	// A cursor pages; the total stays.
	_, next, err := s.PromptEvents(ctx, store.EventFilter{Kind: "prompt", Limit: 3})
	if err != nil || next == "" {
		t.Fatalf("page: %q %v", next, err)
	}
	if n, _ := s.CountEvents(ctx, store.EventFilter{Kind: "prompt", Cursor: next}, 100); n != 8 {
		t.Errorf("count with a cursor: %d", n)
	}
}
