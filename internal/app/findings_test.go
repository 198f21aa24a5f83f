package app_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/app"
	"github.com/claudit/claudit/internal/config"
	"github.com/claudit/claudit/internal/evaluate"
	"github.com/claudit/claudit/internal/ingest"
	"github.com/claudit/claudit/internal/policy"
	"github.com/claudit/claudit/internal/simulator"
	"github.com/claudit/claudit/internal/store"
)

type evalBackend = evaluate.Backend

// crashingBackend fails every evaluation save after the first few, like a
// process killed in the middle of evaluating.
type crashingBackend struct {
	evalBackend
	saves, after int
}

var errCrash = errors.New("simulated crash")

func (c *crashingBackend) WithTx(ctx context.Context, fn func(store.Tx) error) error {
	c.saves++
	if c.saves > c.after {
		return errCrash
	}
	return c.evalBackend.WithTx(ctx, fn)
}

// findingKeys lists every stored finding as one comparable line.
func findingKeys(t *testing.T, st store.Store) []string {
	t.Helper()
	in, err := st.Integration(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, kind := range []string{"prompt", "access", "session"} {
		fs, err := st.Findings(context.Background(), in.ID, kind, "", "")
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			out = append(out, fmt.Sprintf("%s %s %s %s %d-%d", f.EventKind, f.EventID, f.Policy, f.Entity, f.Start, f.End))
		}
	}
	slices.Sort(out)
	return out
}

func countPolicy(keys []string, policy string) int {
	n := 0
	for _, k := range keys {
		if strings.Fields(k)[2] == policy {
			n++
		}
	}
	return n
}

// TestNewPlaceFindingsWhateverTheOrder checks that the first activity of a
// user from a new IP, network or user agent is flagged the same way whether
// the history arrives in one sync, in a backfill without policies followed
// by a sync, or in a sync whose evaluation crashed half-way and restarted
// (issue 15, finding 1).
func TestNewPlaceFindingsWhateverTheOrder(t *testing.T) {
	s, err := simulator.New(simulator.Config{Seed: 7, Users: 40, Days: 10, RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	ctx := context.Background()
	open := func(t *testing.T, db string) *app.App {
		t.Helper()
		yaml := fmt.Sprintf("database: sqlite://%s\nintegrations:\n  - name: acme\n    base_url: %s\n    api_key: %s\n", db, srv.URL, simulator.DefaultAdminKey)
		cfg, err := config.Parse("c.yaml", []byte(yaml))
		if err != nil {
			t.Fatal(err)
		}
		a, err := app.Open(ctx, cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	syncEvaluated := func(t *testing.T, a *app.App) {
		t.Helper()
		if _, err := a.OpenPipeline(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := a.SyncOnceAndEvaluate(ctx, "acme"); err != nil {
			t.Fatal(err)
		}
	}

	// (a) one sync.
	a := open(t, filepath.Join(t.TempDir(), "a.db"))
	syncEvaluated(t, a)
	want := findingKeys(t, a.Store)
	assertSameFindings(t, newPlaceTruth(t, a.Store), newPlaceKeys(want))
	a.Close()
	for _, p := range newPlacePolicies {
		if countPolicy(want, p) == 0 {
			t.Fatalf("the simulated history raises no %s finding; the test needs some (%d findings: %v)", p, len(want), want[:min(len(want), 20)])
		}
	}

	t.Run("backfill without policies, then sync", func(t *testing.T) {
		t.Parallel()
		db := filepath.Join(t.TempDir(), "b.db")
		a := open(t, db)
		sy, err := a.Syncer(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		sum := s.Summary()
		job, _, err := ingest.StartBackfill(ctx, a.Store, sy.Integration.ID, sum.First.Add(-time.Hour), sum.Last.Add(time.Hour), 12*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		b := &ingest.Backfiller{Syncer: sy, Concurrency: 2, Poll: 10 * time.Millisecond}
		if _, err := b.Run(ctx, job.ID); err != nil {
			t.Fatal(err)
		}
		a.Close()
		a = open(t, db)
		defer a.Close()
		syncEvaluated(t, a)
		assertSameFindings(t, want, findingKeys(t, a.Store))
	})

	t.Run("crash mid-evaluation, then restart", func(t *testing.T) {
		t.Parallel()
		db := filepath.Join(t.TempDir(), "c.db")
		a := open(t, db)
		p, err := a.OpenPipeline(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p.Evaluator.Batch = 40
		p.Evaluator.Store = &crashingBackend{evalBackend: p.Evaluator.Store, after: 5}
		if _, err := a.SyncOnceAndEvaluate(ctx, "acme"); !errors.Is(err, errCrash) {
			t.Fatalf("the evaluation should have crashed, got %v", err)
		}
		a.Close()
		a = open(t, db)
		defer a.Close()
		syncEvaluated(t, a)
		assertSameFindings(t, want, findingKeys(t, a.Store))
	})
}

var newPlacePolicies = []string{policy.ActivityNewIP, policy.ActivityNewNetwork, policy.ActivityNewUserAgent}

// newPlaceKeys keeps the new-IP, new-network and new-user-agent findings.
func newPlaceKeys(keys []string) []string {
	var out []string
	for _, k := range keys {
		if slices.Contains(newPlacePolicies, strings.Fields(k)[2]) {
			out = append(out, k)
		}
	}
	return out
}

// newPlaceTruth is what the definition gives: every stored activity fed to
// one fresh evaluator in time order.
func newPlaceTruth(t *testing.T, st store.Store) []string {
	t.Helper()
	ev := policy.NewActivityEvaluator(policy.DefaultActivityConfig())
	f := store.EventFilter{Ascending: true, Limit: 1000}
	var out []string
	for {
		page, next, err := st.AccessEvents(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page {
			for _, pf := range ev.Evaluate(context.Background(), policy.Activity{ID: a.ID, Type: a.Type, ActorUserID: a.ActorUserID,
				IP: a.IP, UserAgent: a.UserAgent, CreatedAt: a.CreatedAt}) {
				if slices.Contains(newPlacePolicies, pf.Policy) {
					out = append(out, fmt.Sprintf("access %s %s %s 0-0", a.ID, pf.Policy, a.Type))
				}
			}
		}
		if next == "" {
			break
		}
		f.Cursor = next
	}
	slices.Sort(out)
	return out
}

func assertSameFindings(t *testing.T, want, got []string) {
	t.Helper()
	if slices.Equal(want, got) {
		return
	}
	missing, extra := 0, 0
	for _, k := range want {
		if !slices.Contains(got, k) {
			if missing < 10 {
				t.Errorf("missing: %s", k)
			}
			missing++
		}
	}
	for _, k := range got {
		if !slices.Contains(want, k) {
			if extra < 10 {
				t.Errorf("extra: %s", k)
			}
			extra++
		}
	}
	t.Fatalf("%d findings, want %d: %d missing, %d extra", len(got), len(want), missing, extra)
}
