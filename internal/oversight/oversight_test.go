package oversight_test

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/claudit/claudit/internal/alert"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/ingest"
	"github.com/claudit/claudit/internal/oversight"
	"github.com/claudit/claudit/internal/simulator"
	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/store/sqlite"
)

func TestWeakens(t *testing.T) {
	raw := func(s string) json.RawMessage {
		if s == "" {
			return nil
		}
		return json.RawMessage(s)
	}
	for _, c := range []struct {
		name, old, new string
		want           bool
	}{
		{"content_redaction_enabled", "true", "false", true},
		{"content_redaction_enabled", "false", "true", false},
		{"content_redaction_enabled", "true", "", false}, // missing is not off
		{"connector_tools_default_always_allow", "false", "true", true},
		{"desktop_extension_allowlist_enabled", "true", "false", true},
		{"web_search_enabled", "false", "true", false}, // not watched
		{"data_retention_periods", `{"chat":{"type":"fixed","timescale":"day","duration":90}}`, `{"chat":{"type":"fixed","timescale":"day","duration":30}}`, true},
		{"data_retention_periods", `{"chat":{"type":"fixed","timescale":"day","duration":30}}`, `{"chat":{"type":"fixed","timescale":"month","duration":3}}`, false},
		{"data_retention_periods", `{}`, `{"chat":{"type":"fixed","timescale":"day","duration":30}}`, true},
		{"data_retention_periods", `{"chat":{"type":"indefinite"}}`, `{"chat":{"type":"fixed","timescale":"month","duration":12}}`, true},
		{"data_retention_periods", `{"chat":{"type":"fixed","timescale":"day","duration":30}}`, `{"chat":{"type":"indefinite"}}`, false},
	} {
		_, why, got := oversight.Weakens(store.SettingChange{Name: c.name, Old: raw(c.old), New: raw(c.new)})
		if got != c.want {
			t.Errorf("%s %s → %s: weakens %v (%s), want %v", c.name, c.old, c.new, got, why, c.want)
		}
	}
}

// A workday afternoon: the simulator's history is busy at that hour.
var end = time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC)

func TestFeedGapAfterSimulatorStopsRecording(t *testing.T) {
	ctx := context.Background()
	sim, err := simulator.New(simulator.Config{Seed: 23, Users: 40, Days: 8, End: end, RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(sim.Handler())
	t.Cleanup(ts.Close)
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "claudit.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	in := &store.Integration{Name: "sim", BaseURL: ts.URL, Interval: time.Minute}
	if err := st.UpsertIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	c, err := compliance.New(compliance.Options{BaseURL: ts.URL, APIKey: simulator.DefaultKey, RequestsPerMinute: -1, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	sy := ingest.NewSyncer(in, c, st, ingest.Settings{FeedOnly: true}, nil)
	// The simulator keeps recording for a while after its history ends...
	user := sim.UserIDs()[0]
	for i := range 6 {
		a := compliance.Activity{ID: fmt.Sprintf("activity_live_%04d", i), CreatedAt: compliance.NewTime(end.Add(time.Duration(i*5) * time.Minute)),
			Type: "user_logged_in", Actor: compliance.Actor{Type: compliance.ActorUser, UserID: user}}
		if _, err := sim.AddActivity(a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sy.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	g, err := oversight.CheckGap(ctx, st, in.ID, end.Add(30*time.Minute), oversight.GapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if g.Silent || g.Observed == 0 {
		t.Fatalf("feed still recording reported as a gap: %+v", g)
	}
	// ...then stops: nothing is recorded after end+25m. A cycle later the
	// last hour is empty where the same hour of earlier days is not.
	if _, err := sy.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	g, err = oversight.CheckGap(ctx, st, in.ID, end.Add(3*time.Hour), oversight.GapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("last hour: %d activities; the same hour on earlier days: %.1f", g.Observed, g.Expected)
	if !g.Silent || g.Observed != 0 || g.Expected < 5 {
		t.Fatalf("silent feed not detected: %+v", g)
	}
	// The gap raises an alert through the usual grouping; a second check
	// in the same hour adds to it instead of opening another.
	r := &alert.Router{Window: time.Hour}
	for range 2 {
		if err := r.Save(ctx, st, []store.Evaluation{oversight.GapEvaluation(in.ID, g, "oversight")}); err != nil {
			t.Fatal(err)
		}
	}
	alerts, err := st.Alerts(ctx, store.AlertFilter{Policy: oversight.PolicyGap, Limit: 10})
	if err != nil || len(alerts) != 1 || alerts[0].Severity != "high" {
		t.Fatalf("feed-gap alerts: %+v %v", alerts, err)
	}
}

func TestDriftRaisesAlert(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "claudit.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	in := &store.Integration{Name: "sim", BaseURL: "http://127.0.0.1:1", Interval: time.Minute}
	if err := st.UpsertIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	changes := []store.SettingChange{
		{OrganizationUUID: "org-1", Name: "content_redaction_enabled", Type: "boolean", Old: json.RawMessage("true"), New: json.RawMessage("false")},
		{OrganizationUUID: "org-1", Name: "web_search_enabled", Type: "boolean", Old: json.RawMessage("false"), New: json.RawMessage("true")},
	}
	evals := oversight.DriftEvaluations(in.ID, changes, end, "oversight")
	if len(evals) != 1 {
		t.Fatalf("drift evaluations: %+v", evals)
	}
	if err := (&alert.Router{Window: time.Hour}).Save(ctx, st, evals); err != nil {
		t.Fatal(err)
	}
	alerts, err := st.Alerts(ctx, store.AlertFilter{Policy: oversight.PolicyDrift, Limit: 10})
	if err != nil || len(alerts) != 1 || alerts[0].Entity != "content_redaction_enabled" {
		t.Fatalf("drift alerts: %+v %v", alerts, err)
	}
}
