package alert_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/alert"
	"github.com/claudit/claudit/internal/alert/sink"
	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/store/postgres"
	"github.com/claudit/claudit/internal/store/sqlite"
	"github.com/claudit/claudit/internal/store/sqlstore"
)

// backends opens a fresh store of each backend: the alerting decisions
// run on the plain reads and writes of both.
var backends = []struct {
	name string
	open func(t *testing.T) *sqlstore.Store
}{
	{"sqlite", func(t *testing.T) *sqlstore.Store {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}},
	{"postgres", func(t *testing.T) *sqlstore.Store {
		st, err := postgres.Open(context.Background(), postgres.NewTestDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st.Store
	}},
}

var t0 = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

func finding(policy, user, chat string, at time.Time) store.Finding {
	return store.Finding{Policy: policy, Detector: "pii", Entity: "EMAIL", Severity: "high", Action: "alert", EffectiveAction: "alert",
		Score: 0.9, UserID: user, UserEmail: user + "@example.com", ChatID: chat, Excerpt: "jo**@ex****.com", EventTime: at}
}

// delivered lists the alert deliveries queued so far as "chat:count".
func delivered(t *testing.T, st *sqlstore.Store) []string {
	t.Helper()
	items, err := st.OutboxItems(context.Background(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(items) - 1; i >= 0; i-- { // oldest first
		var d sink.Delivery
		if err := json.Unmarshal(items[i].Payload, &d); err != nil || d.Alert == nil {
			t.Fatalf("payload %s: %v", items[i].Payload, err)
		}
		out = append(out, fmt.Sprintf("%s:%d", d.Alert.ChatID, d.Alert.Count))
	}
	return out
}

// TestGrouping: findings of one policy, user and chat within the window
// are one alert, an event counts once, suppressed alerts are recorded and
// not delivered, and an update is delivered again only at a milestone.
func TestGrouping(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st := b.open(t)
			r := &alert.Router{Window: time.Hour, Sinks: []alert.RoutedSink{{Name: "hook"}}}
			in := &store.Integration{Name: "acme", BaseURL: "http://127.0.0.1:1", Interval: time.Minute}
			if err := st.UpsertIntegration(ctx, in); err != nil {
				t.Fatal(err)
			}
			var evals []store.Evaluation
			for i := 0; i < 3; i++ {
				evals = append(evals, store.Evaluation{IntegrationID: in.ID, Kind: "prompt", EventID: fmt.Sprintf("claude_chat_000_msg_%d", i%2), Version: "v1",
					Findings: []store.Finding{finding("pii", "user_b", "claude_chat_000", t0.Add(time.Duration(i)*time.Minute))}})
			}
			// A different chat is a different alert.
			evals = append(evals, store.Evaluation{IntegrationID: in.ID, Kind: "prompt", EventID: "claude_chat_001_msg_0", Version: "v1",
				Findings: []store.Finding{finding("pii", "user_a", "claude_chat_001", t0)}})
			if err := r.Save(ctx, st, evals); err != nil {
				t.Fatal(err)
			}
			alerts, err := st.Alerts(ctx, store.AlertFilter{})
			if err != nil || len(alerts) != 2 {
				t.Fatalf("alerts: %d %v", len(alerts), err)
			}
			byChat := map[string]store.Alert{}
			for _, a := range alerts {
				byChat[a.ChatID] = a
			}
			// Two distinct events in chat 000 (msg_0 twice counts once, at its first time).
			if a := byChat["claude_chat_000"]; a.Count != 2 || a.Status != store.AlertOpen || !a.FirstSeen.Equal(t0) || !a.LastSeen.Equal(t0.Add(time.Minute)) {
				t.Fatalf("grouped alert: %+v", a)
			}
			// Each new alert is delivered; its update to a count of 2 is not.
			if got := fmt.Sprint(delivered(t, st)); got != "[claude_chat_000:1 claude_chat_001:1]" {
				t.Fatalf("deliveries: %s", got)
			}
			// Re-evaluating the same events does not count them again.
			if err := r.Save(ctx, st, evals); err != nil {
				t.Fatal(err)
			}
			a, _ := st.AlertByID(ctx, byChat["claude_chat_000"].ID)
			if a.Count != 2 {
				t.Fatalf("re-evaluation recounted: %d", a.Count)
			}
			if err := st.SetAlertStatus(ctx, a.ID, store.AlertAcknowledged, "ana@example.com", "looking"); err != nil {
				t.Fatal(err)
			}
			if err := st.SetAlertStatus(ctx, a.ID, "bogus", "x", ""); err == nil {
				t.Fatalf("bad status accepted")
			}
			a, _ = st.AlertByID(ctx, a.ID)
			if a.Status != store.AlertAcknowledged || a.UpdatedBy != "ana@example.com" || a.Comment != "looking" {
				t.Fatalf("lifecycle: %+v", a)
			}
			// An acknowledged alert still groups; past the window a new one opens.
			more := []store.Evaluation{
				{IntegrationID: in.ID, Kind: "prompt", EventID: "claude_chat_000_msg_2", Version: "v1",
					Findings: []store.Finding{finding("pii", "user_b", "claude_chat_000", t0.Add(60*time.Minute))}},
				{IntegrationID: in.ID, Kind: "prompt", EventID: "claude_chat_000_msg_3", Version: "v1",
					Findings: []store.Finding{finding("pii", "user_b", "claude_chat_000", t0.Add(3*time.Hour))}},
			}
			if err := r.Save(ctx, st, more); err != nil {
				t.Fatal(err)
			}
			if a, _ = st.AlertByID(ctx, a.ID); a.Count != 3 {
				t.Fatalf("acknowledged alert within the window: count %d, want 3", a.Count)
			}
			if n, _ := st.CountAlerts(ctx, store.AlertFilter{User: "user_b"}); n != 2 {
				t.Fatalf("alerts of user_b after the window: %d, want 2", n)
			}
			// A suppression silences new alerts for that user.
			if err := st.AddSuppression(ctx, &store.Suppression{User: "user_c", Until: time.Now().Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			before := len(delivered(t, st))
			err = r.Save(ctx, st, []store.Evaluation{{IntegrationID: in.ID, Kind: "prompt", EventID: "claude_chat_002_msg_0", Version: "v1",
				Findings: []store.Finding{finding("pii", "user_c", "claude_chat_002", t0)}}})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(delivered(t, st)); n != before {
				t.Fatalf("suppressed alert was delivered")
			}
			sup, _ := st.Alerts(ctx, store.AlertFilter{User: "user_c"})
			if len(sup) != 1 || !sup[0].Suppressed {
				t.Fatalf("suppressed alert not recorded: %+v", sup)
			}
			// A noisy alert is delivered again at 10 events, not at each.
			var noisy []store.Evaluation
			for i := range 10 {
				noisy = append(noisy, store.Evaluation{IntegrationID: in.ID, Kind: "prompt", EventID: fmt.Sprintf("claude_chat_009_msg_%d", i), Version: "v1",
					Findings: []store.Finding{finding("pii", "user_d", "claude_chat_009", t0.Add(time.Duration(i)*time.Second))}})
			}
			if err := r.Save(ctx, st, noisy); err != nil {
				t.Fatal(err)
			}
			got := delivered(t, st)
			if s := fmt.Sprint(got[before:]); s != "[claude_chat_009:1 claude_chat_009:10]" {
				t.Fatalf("deliveries of a noisy alert: %s", s)
			}
		})
	}
}

// TestSuppressionMatching: every criterion a rule sets must match.
func TestSuppressionMatching(t *testing.T) {
	ctx := context.Background()
	st := backends[0].open(t)
	r := &alert.Router{Window: time.Hour}
	for i, sp := range []store.Suppression{
		{Policy: "secrets", User: "user_a"},      // both must match
		{User: "CAROL@example.com"},              // email, any case
		{Pattern: "ex****"},                      // in the excerpt
		{Policy: "pii", Pattern: "nowhere-else"}, // pattern misses
	} {
		sp.Until = time.Now().Add(time.Hour)
		if err := st.AddSuppression(ctx, &sp); err != nil {
			t.Fatalf("suppression %d: %v", i, err)
		}
	}
	cases := []struct {
		policy, user, excerpt string
		want                  bool
	}{
		{"secrets", "user_a", "x", true},
		{"pii", "user_a", "x", false},
		{"pii", "carol", "x", true},
		{"pii", "user_e", "jo**@ex****.com", true},
		{"pii", "user_f", "plain", false},
	}
	for i, c := range cases {
		f := finding(c.policy, c.user, fmt.Sprintf("chat_%d", i), t0)
		f.Excerpt = c.excerpt
		if err := r.Save(ctx, st, []store.Evaluation{{IntegrationID: 1, Kind: "prompt", EventID: fmt.Sprintf("m%d", i), Version: "v1", Findings: []store.Finding{f}}}); err != nil {
			t.Fatal(err)
		}
		as, err := st.Alerts(ctx, store.AlertFilter{User: c.user, Policy: c.policy})
		if err != nil || len(as) != 1 {
			t.Fatalf("case %d: %+v %v", i, as, err)
		}
		if as[0].Suppressed != c.want {
			t.Errorf("%s by %s (%q): suppressed %v, want %v", c.policy, c.user, c.excerpt, as[0].Suppressed, c.want)
		}
	}
}
