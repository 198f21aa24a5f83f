package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// testSearchStrategies searches enough messages for SQLite to use each of
// its strategies (inlined row ids, a walk against the set of matches, a
// walk looking rows up) and wants what a scan of the messages would give:
// newest first, every match once, the user filter by id or email.
func testSearchStrategies(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	// 5 100 messages in 510 chats: every one says "alpha", one in three
	// "gamma" (dense), one in five "delta" (over a thousand, sparse); chats
	// alternate between two users. Times run backwards against the insert
	// order, so row ids do not give time order.
	const chats, per = 510, 10
	var msgs []store.Message
	for first := 0; first < chats; first += 170 {
		page := store.ChatPage{IntegrationID: in.ID}
		for c := first; c < first+170; c++ {
			user, email := "user_a", "a@example.com"
			if c%2 == 1 {
				user, email = "user_b", "b@example.com"
			}
			at := t0.Add(time.Duration(chats-c) * time.Hour)
			hc := store.HydratedChat{Chat: store.Chat{ID: fmt.Sprintf("claude_chat_s%03d", c), Name: "s", UserID: user, UserEmail: email, CreatedAt: at, UpdatedAt: at}}
			for i := 0; i < per; i++ {
				n := c*per + i
				text := fmt.Sprintf("alpha note %d", n)
				if n%3 == 0 {
					text += " gamma"
				}
				if n%5 == 0 {
					text += " delta"
				}
				hc.Messages = append(hc.Messages, store.Message{ID: fmt.Sprintf("%s_m%02d", hc.Chat.ID, i), ChatID: hc.Chat.ID, Seq: i, Role: "user",
					Text: text, UserID: user, UserEmail: email, CreatedAt: at.Add(time.Duration(i) * time.Minute)})
			}
			page.Chats = append(page.Chats, hc)
			msgs = append(msgs, hc.Messages...)
		}
		if _, err := s.SaveChatPage(ctx, page); err != nil {
			t.Fatal(err)
		}
	}
	all := func(f store.EventFilter) int {
		t.Helper()
		f.Limit = 500
		seen := map[string]bool{}
		var prev store.Message
		for {
			evs, next, err := s.PromptEvents(ctx, f)
			if err != nil {
				t.Fatalf("%+v: %v", f, err)
			}
			for _, e := range evs {
				if seen[e.ID] {
					t.Fatalf("%+v: %s twice", f, e.ID)
				}
				if prev.ID != "" && (e.CreatedAt.After(prev.CreatedAt) || e.CreatedAt.Equal(prev.CreatedAt) && e.ID > prev.ID) {
					t.Fatalf("%+v: %s after %s, not newest first", f, e.ID, prev.ID)
				}
				seen[e.ID], prev = true, e
			}
			if next == "" {
				return len(seen)
			}
			f.Cursor = next
		}
	}
	from := t0.Add(chats / 2 * time.Hour)
	for _, c := range []struct {
		f    store.EventFilter
		want func(m store.Message) bool
	}{
		{store.EventFilter{Query: "alpha"}, func(store.Message) bool { return true }},
		{store.EventFilter{Query: "gamma alpha"}, func(m store.Message) bool { return strings.Contains(m.Text, "gamma") }},
		{store.EventFilter{Query: "delta"}, func(m store.Message) bool { return strings.Contains(m.Text, "delta") }},
		{store.EventFilter{Query: "delta gamma"}, func(m store.Message) bool {
			return strings.Contains(m.Text, "delta") && strings.Contains(m.Text, "gamma")
		}},
		{store.EventFilter{Query: "alpha", User: "user_b"}, func(m store.Message) bool { return m.UserID == "user_b" }},
		{store.EventFilter{Query: "alpha", User: "B@example.com"}, func(m store.Message) bool { return m.UserID == "user_b" }},
		{store.EventFilter{Query: "delta", User: "a@example.com"}, func(m store.Message) bool {
			return m.UserID == "user_a" && strings.Contains(m.Text, "delta")
		}},
		{store.EventFilter{Query: "alpha", User: "nobody@example.com"}, func(store.Message) bool { return false }},
		{store.EventFilter{User: "nobody@example.com"}, func(store.Message) bool { return false }},
		{store.EventFilter{Query: "delta", From: from}, func(m store.Message) bool {
			return strings.Contains(m.Text, "delta") && !m.CreatedAt.Before(from)
		}},
	} {
		want := 0
		for _, m := range msgs {
			if c.want(m) {
				want++
			}
		}
		if got := all(c.f); got != want {
			t.Errorf("%+v: %d events, want %d", c.f, got, want)
		}
		f := c.f
		f.Kind = "prompt"
		if n, err := s.CountEvents(ctx, f, 10000); err != nil || n != want {
			t.Errorf("count %+v: %d %v, want %d", c.f, n, err, want)
		}
	}
}
