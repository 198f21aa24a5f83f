package evaluate_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/alert"
	"github.com/claudit/claudit/internal/evaluate"
	"github.com/claudit/claudit/internal/policy"
	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/store/sqlite"
)

type backend = evaluate.Backend

// crashing fails every save after the first few, like a process killed
// in the middle of evaluating.
type crashing struct {
	backend
	saves, after int
}

var errCrash = errors.New("simulated crash")

func (c *crashing) WithTx(ctx context.Context, fn func(store.Tx) error) error {
	c.saves++
	if c.saves > c.after {
		return errCrash
	}
	return c.backend.WithTx(ctx, fn)
}

// TestCrashAtAnySaveKeepsEveryFinding stops the evaluation at each save in
// turn and restarts it with a new pipeline: the findings, session ones
// included, must be those of an uninterrupted evaluation. A session
// evaluation saved apart from its messages was lost when the crash fell
// between the two.
func TestCrashAtAnySaveKeepsEveryFinding(t *testing.T) {
	ctx := context.Background()
	eng, err := policy.NewReloadable("")
	if err != nil {
		t.Fatal(err)
	}
	evaluateAll := func(t *testing.T, crashAfter int) []string {
		st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		in := seedChat(t, st)
		p := evaluate.New(st, eng, &alert.Router{}, nil)
		p.Batch = 2
		if crashAfter >= 0 {
			p.Store = &crashing{backend: st, after: crashAfter}
			if _, err := p.Drain(ctx); err != nil && !errors.Is(err, errCrash) {
				t.Fatal(err)
			}
			p = evaluate.New(st, eng, &alert.Router{}, nil) // the restart
		}
		if _, err := p.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, kind := range []string{"prompt", "session"} {
			fs, err := st.Findings(ctx, in.ID, kind, "", "")
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fs {
				out = append(out, fmt.Sprintf("%s %s %s %s %d-%d", kind, f.EventID, f.Policy, f.Entity, f.Start, f.End))
			}
		}
		slices.Sort(out)
		return out
	}
	want := evaluateAll(t, -1)
	if !slices.ContainsFunc(want, func(k string) bool { return k[:8] == "session " }) {
		t.Fatalf("no session finding without a crash; the test needs one: %v", want)
	}
	for after := range 7 {
		t.Run(fmt.Sprintf("crash after %d saves", after), func(t *testing.T) {
			if got := evaluateAll(t, after); !slices.Equal(got, want) {
				t.Fatalf("after a crash and a restart:\n%v\nwant\n%v", got, want)
			}
		})
	}
}

// seedChat stores one chat whose user pastes a new e-mail address in every
// message: enough distinct sensitive values for the session policy.
func seedChat(t *testing.T, st store.Store) *store.Integration {
	t.Helper()
	ctx := context.Background()
	in := &store.Integration{Name: "acme", BaseURL: "http://127.0.0.1:1"}
	if err := st.UpsertIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	hc := store.HydratedChat{Chat: store.Chat{ID: "claude_chat_1", UserID: "user_a", UserEmail: "a@example.com", CreatedAt: t0, UpdatedAt: t0}}
	for i := range 5 {
		hc.Messages = append(hc.Messages, store.Message{ID: fmt.Sprintf("claude_msg_%d", i), ChatID: "claude_chat_1", Seq: i, Role: "user",
			Text:   fmt.Sprintf("Please write to customer number %d, jane.doe%d@example.org, about the refund.", i, i),
			UserID: "user_a", UserEmail: "a@example.com", CreatedAt: t0.Add(time.Duration(i) * time.Minute)})
	}
	if _, err := st.SaveChatPage(ctx, store.ChatPage{IntegrationID: in.ID, Chats: []store.HydratedChat{hc}}); err != nil {
		t.Fatal(err)
	}
	return in
}
