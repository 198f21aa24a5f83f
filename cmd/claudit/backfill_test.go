package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/simulator"
	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/store/sqlite"
)

// TestBackfillRerun runs `claudit backfill` again over work already done:
// the same range is reported complete instead of fetched again, a run
// without --to resumes the unfinished job from the same --from, and --force
// fetches again. Batches are leased for backfill.lease from the config.
func TestBackfillRerun(t *testing.T) {
	sim, err := simulator.New(simulator.Config{Seed: 3, Users: 5, Days: 2, RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "claudit.db")
	// Watch the leases of running batches from outside, on each API request.
	var mu sync.Mutex
	var longest time.Duration
	var watch *store.Store
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if watch != nil {
			jobs, _ := (*watch).Backfills(r.Context(), 0)
			for _, j := range jobs {
				bs, _ := (*watch).Batches(r.Context(), j.ID)
				for _, b := range bs {
					if b.Status == store.BatchRunning {
						longest = max(longest, time.Until(b.ClaimedUntil))
					}
				}
			}
		}
		mu.Unlock()
		sim.Handler().ServeHTTP(w, r)
	}))
	defer srv.Close()
	cfg := filepath.Join(dir, "claudit.yaml")
	yaml := fmt.Sprintf("database: sqlite://%s\nintegrations:\n  - name: acme\n    base_url: %s\n    api_key: %s\n    rate_limit: 100000\nbackfill: {lease: 7m}\n",
		db, srv.URL, simulator.DefaultKey)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sum := sim.Summary()
	from := sum.First.Add(-time.Hour).UTC().Truncate(time.Second)
	to := sum.Last.Add(time.Hour).UTC().Truncate(time.Second)
	backfill := func(extra ...string) {
		t.Helper()
		args := append([]string{"backfill", "--config", cfg, "--integration", "acme", "--quiet", "--skip-policies",
			"--from", from.Format(time.RFC3339)}, extra...)
		if code := run(ctx, args); code != 0 {
			t.Fatalf("%v: exit %d", args, code)
		}
	}
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var iface store.Store = st
	mu.Lock()
	watch = &iface
	mu.Unlock()
	jobs := func() []store.Backfill {
		t.Helper()
		js, err := st.Backfills(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		return js
	}

	backfill("--to", to.Format(time.RFC3339))
	if js := jobs(); len(js) != 1 || js[0].Status != store.BackfillDone {
		t.Fatalf("first run: %+v", js)
	}
	mu.Lock()
	lease := longest
	mu.Unlock()
	if lease < 5*time.Minute {
		t.Fatalf("batches leased for %s, want backfill.lease (7m)", lease)
	}
	// The same range again: complete, no new job.
	backfill("--to", to.Format(time.RFC3339))
	if js := jobs(); len(js) != 1 {
		t.Fatalf("a range already done started %d jobs", len(js))
	}

	// An unfinished job from another start is resumed by a run without --to.
	later := from.Add(time.Hour)
	in, err := st.Integration(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	paused := &store.Backfill{IntegrationID: in.ID, From: later, To: to, Status: store.BackfillPaused}
	if err := st.CreateBackfill(ctx, paused, []store.Batch{{From: later, To: to}}); err != nil {
		t.Fatal(err)
	}
	args := []string{"backfill", "--config", cfg, "--integration", "acme", "--quiet", "--skip-policies", "--from", later.Format(time.RFC3339)}
	if code := run(ctx, args); code != 0 {
		t.Fatalf("%v: exit %d", args, code)
	}
	js := jobs()
	if len(js) != 2 {
		t.Fatalf("a run without --to started a new job instead of resuming: %d jobs", len(js))
	}
	if got, _ := st.Backfill(ctx, paused.ID); got.Status != store.BackfillDone {
		t.Fatalf("resumed job is %s", got.Status)
	}

	// --force fetches the range again.
	backfill("--to", to.Format(time.RFC3339), "--force")
	if js := jobs(); len(js) != 3 || js[0].Status != store.BackfillDone {
		t.Fatalf("--force: %+v", js)
	}
}
