package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// testSearchStrategies searches enough messages for SQLite to leave the
// inlined row ids for a walk in time or user order tested against the set
// of matches, and wants the same pages as a search that inlines them:
// newest first, every match once, the user filter by id or email.
func testSearchStrategies(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	// 1 200 messages in 120 chats: every one says "alpha", one in three
	// "gamma"; chats alternate between two users. Times run backwards
	// against the insert order, so row ids do not give time order.
	const chats, per = 120, 10
	page := store.ChatPage{IntegrationID: in.ID}
	for c := 0; c < chats; c++ {
		user, email := "user_a", "a@example.com"
		if c%2 == 1 {
			user, email = "user_b", "b@example.com"
		}
		at := t0.Add(time.Duration(chats-c) * time.Hour)
		hc := store.HydratedChat{Chat: store.Chat{ID: fmt.Sprintf("claude_chat_s%03d", c), Name: "s", UserID: user, UserEmail: email, CreatedAt: at, UpdatedAt: at}}
		for i := 0; i < per; i++ {
			text := fmt.Sprintf("alpha note %d", c*per+i)
			if (c*per+i)%3 == 0 {
				text += " gamma"
			}
			hc.Messages = append(hc.Messages, store.Message{ID: fmt.Sprintf("%s_m%02d", hc.Chat.ID, i), ChatID: hc.Chat.ID, Seq: i, Role: "user",
				Text: text, UserID: user, UserEmail: email, CreatedAt: at.Add(time.Duration(i) * time.Minute)})
		}
		page.Chats = append(page.Chats, hc)
	}
	if _, err := s.SaveChatPage(ctx, page); err != nil {
		t.Fatal(err)
	}
	all := func(f store.EventFilter) int {
		t.Helper()
		f.Limit = 100
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
	for _, c := range []struct {
		f    store.EventFilter
		want int
	}{
		{store.EventFilter{Query: "alpha"}, 1200},
		{store.EventFilter{Query: "alpha gamma"}, 400},
		{store.EventFilter{Query: "gamma"}, 400},
		{store.EventFilter{Query: "alpha", User: "user_b"}, 600},
		{store.EventFilter{Query: "alpha", User: "B@example.com"}, 600},
		{store.EventFilter{Query: "alpha gamma", User: "a@example.com"}, 200},
		{store.EventFilter{Query: "alpha", User: "nobody@example.com"}, 0},
		{store.EventFilter{User: "nobody@example.com"}, 0},
		{store.EventFilter{Query: "alpha", From: t0.Add(61 * time.Hour)}, 600},
	} {
		if got := all(c.f); got != c.want {
			t.Errorf("%+v: %d events, want %d", c.f, got, c.want)
		}
		f := c.f
		f.Kind = "prompt"
		if n, err := s.CountEvents(ctx, f, 10000); err != nil || n != c.want {
			t.Errorf("count %+v: %d %v, want %d", c.f, n, err, c.want)
		}
	}
}
