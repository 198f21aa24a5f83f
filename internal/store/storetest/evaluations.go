package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// testEvaluationsBatch saves evaluations of many events at once, as the
// pipeline does: an event's findings are replaced, never added to; an
// event listed twice keeps its last evaluation; each event gets its own
// marks; and the session reads return chats' findings and messages by
// chat, in chat order, across more chats than one query carries. Pending
// messages are listed after a position in (created_at, id) order.
func testEvaluationsBatch(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	const chats = 250
	seedMessages(t, s, in, chats)
	msgID := func(chat, i int) string { return fmt.Sprintf("claude_chat_%03d_msg_%d", chat, i) }
	mk := func(chat, i int, policies ...string) store.Evaluation {
		e := store.Evaluation{IntegrationID: in.ID, Kind: "prompt", EventID: msgID(chat, i), Version: "v1"}
		for _, p := range policies {
			f := finding(p, "user_a", fmt.Sprintf("claude_chat_%03d", chat), t0)
			if p == "secrets" {
				f.EffectiveAction = "log"
			}
			e.Findings = append(e.Findings, f)
			e.Tags = append(e.Tags, p)
		}
		return e
	}
	for _, tc := range []struct {
		at   time.Time
		id   string
		want []string
	}{
		{t0.Add(3 * time.Minute), msgID(1, 1), []string{msgID(2, 0), msgID(2, 1), msgID(3, 0)}},
		{t0.Add(4 * time.Minute), msgID(2, 0), []string{msgID(2, 1), msgID(3, 0), msgID(3, 1)}},
		{t0.Add(4 * time.Minute), "", []string{msgID(2, 0), msgID(2, 1), msgID(3, 0)}},
		{t0.Add(time.Duration(2*chats) * time.Minute), "", nil},
	} {
		ms, err := s.UnevaluatedMessagesAfter(ctx, tc.at, tc.id, 3)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range ms {
			got = append(got, m.ID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("pending after %s %q: %v, want %v", tc.at.Format(time.TimeOnly), tc.id, got, tc.want)
		}
	}
	// Messages held for evaluation (chat 7's second and chat 8's first as
	// read for it, chat 9's first without a rowid, and one of another
	// integration) are returned by the session read in their places.
	pending, err := s.UnevaluatedMessagesAfter(ctx, t0.Add(13*time.Minute), msgID(6, 1), 3)
	if err != nil || len(pending) != 3 || pending[0].ID != msgID(7, 0) {
		t.Fatalf("pending from chat 7: %+v %v", pending, err)
	}
	m9, err := s.Message(ctx, in.ID, msgID(9, 0))
	if err != nil {
		t.Fatal(err)
	}
	have := append(pending[1:3:3], *m9, store.Message{IntegrationID: in.ID + 1, ChatID: "claude_chat_009", ID: "elsewhere"})
	held, err := s.SessionMessages(ctx, in.ID, []string{"claude_chat_007", "claude_chat_008", "claude_chat_009"}, have)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []int{7, 8, 9} {
		m := held[fmt.Sprintf("claude_chat_%03d", c)]
		if len(m) != 2 || m[0].ID != msgID(c, 0) || m[1].ID != msgID(c, 1) || m[1].Role != "assistant" || m[0].Text != fmt.Sprintf("question %d about invoices", c) {
			t.Errorf("session messages of chat %d with %d held: %+v", c, len(have), m)
		}
	}
	var first []store.Evaluation
	for c := range chats {
		first = append(first, mk(c, 0, "pii"), mk(c, 1))
	}
	first = append(first, store.Evaluation{IntegrationID: in.ID, Kind: "session", EventID: "claude_chat_000", Version: "v1",
		Findings: []store.Finding{finding("session.sensitive_accumulation", "user_a", "claude_chat_000", t0)}})
	if err := s.SaveEvaluations(ctx, first); err != nil {
		t.Fatal(err)
	}
	// Evaluated again: chat 0's first message now has two findings, chat
	// 1's none; chat 2's is listed twice and keeps the second.
	again := []store.Evaluation{mk(0, 0, "pii", "secrets"), mk(1, 0), mk(2, 0, "pii", "pii", "pii"), mk(2, 0, "secrets")}
	if err := s.SaveEvaluations(ctx, again); err != nil {
		t.Fatal(err)
	}
	count := func(chat, i int) []string {
		fs, err := s.Findings(ctx, in.ID, "prompt", msgID(chat, i), "")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, f := range fs {
			out = append(out, f.Policy)
		}
		return out
	}
	for _, tc := range []struct {
		chat, msg int
		want      []string
	}{{0, 0, []string{"pii", "secrets"}}, {1, 0, nil}, {2, 0, []string{"secrets"}}, {3, 0, []string{"pii"}}, {249, 0, []string{"pii"}}, {3, 1, nil}} {
		if got := count(tc.chat, tc.msg); !slices.Equal(got, tc.want) {
			t.Errorf("findings of %s: %v, want %v", msgID(tc.chat, tc.msg), got, tc.want)
		}
	}
	for _, tc := range []struct {
		chat, msg  int
		tags       []string
		violations int
	}{{0, 0, []string{"pii", "secrets"}, 1}, {1, 0, nil, 0}, {2, 0, []string{"secrets"}, 0}, {3, 0, []string{"pii"}, 1}, {3, 1, nil, 0}} {
		m, err := s.Message(ctx, in.ID, msgID(tc.chat, tc.msg))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(m.Tags, tc.tags) || m.Violations != tc.violations {
			t.Errorf("marks of %s: tags %v violations %d, want %v %d", m.ID, m.Tags, m.Violations, tc.tags, tc.violations)
		}
	}
	if pending, err := s.UnevaluatedMessages(ctx, 10); err != nil || len(pending) != 0 {
		t.Errorf("pending after evaluating every message: %d %v", len(pending), err)
	}

	var ids []string
	for c := chats - 1; c >= 0; c-- {
		ids = append(ids, fmt.Sprintf("claude_chat_%03d", c))
	}
	ids = append(ids, "claude_chat_none")
	fs, err := s.SessionFindings(ctx, in.ID, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != chats-1 || len(fs["claude_chat_001"]) != 0 || len(fs["claude_chat_000"]) != 2 {
		t.Errorf("session findings of %d chats, chat 0 %d, chat 1 %d; want %d, 2 (no session finding), 0", len(fs), len(fs["claude_chat_000"]),
			len(fs["claude_chat_001"]), chats-1)
	}
	if f := fs["claude_chat_249"]; len(f) != 1 || f[0].EventID != msgID(249, 0) || f[0].Policy != "pii" || f[0].ChatID != "claude_chat_249" {
		t.Errorf("session findings of chat 249: %+v", f)
	}
	ms, err := s.SessionMessages(ctx, in.ID, ids, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != chats {
		t.Errorf("session messages of %d chats, want %d", len(ms), chats)
	}
	m := ms["claude_chat_007"]
	if len(m) != 2 || m[0].ID != msgID(7, 0) || m[1].ID != msgID(7, 1) || m[1].Role != "assistant" || m[0].Text != "question 7 about invoices" ||
		m[0].UserID != "user_a" || !m[1].CreatedAt.Equal(t0.Add(15*time.Minute)) {
		t.Errorf("session messages of chat 7: %+v", m)
	}
}
