package evaluate_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/alert"
	"github.com/claudit/claudit/internal/evaluate"
	"github.com/claudit/claudit/internal/policy"
	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/store/sqlite"
)

// lateWriter stores a message older than every pending one the first time
// the pipeline reads past a batch in flight, as ingest may while the
// pipeline evaluates.
type lateWriter struct {
	backend
	in   *store.Integration
	done bool
}

func (l *lateWriter) UnevaluatedMessagesAfter(ctx context.Context, at time.Time, id string, n int) ([]store.Message, error) {
	if !l.done {
		l.done = true
		t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		hc := store.HydratedChat{Chat: store.Chat{ID: "claude_chat_late", UserID: "user_a", CreatedAt: t0, UpdatedAt: t0},
			Messages: []store.Message{{ID: "claude_msg_late", ChatID: "claude_chat_late", Role: "user", Text: "a late one",
				UserID: "user_a", CreatedAt: t0}}}
		if _, err := l.backend.SaveChatPage(ctx, store.ChatPage{IntegrationID: l.in.ID, Chats: []store.HydratedChat{hc}}); err != nil {
			return nil, err
		}
	}
	return l.backend.UnevaluatedMessagesAfter(ctx, at, id, n)
}

// TestDrainPicksUpEarlierArrivals: batches are read after the last one in
// flight, so a message stored meanwhile with an earlier time is behind the
// reader; the drain must still evaluate it, and every other message once.
func TestDrainPicksUpEarlierArrivals(t *testing.T) {
	ctx := context.Background()
	eng, err := policy.NewReloadable("")
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	in := seedChat(t, st)
	p := evaluate.New(&lateWriter{backend: st, in: in}, eng, &alert.Router{}, nil)
	p.Batch = 2
	n, err := p.Drain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 6 {
		t.Errorf("evaluated %d messages, want the 5 seeded and the late one", n)
	}
	if left, err := st.UnevaluatedMessages(ctx, 10); err != nil || len(left) != 0 {
		t.Errorf("left pending: %v %v", left, err)
	}
	fs, err := st.Findings(ctx, in.ID, "prompt", "", "")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range fs {
		k := fmt.Sprintf("%s %s %d", f.EventID, f.Policy, f.Start)
		if seen[k] {
			t.Errorf("finding saved twice: %s", k)
		}
		seen[k] = true
	}
	if len(fs) == 0 {
		t.Errorf("no findings; the seeded chat has e-mail addresses")
	}
}
