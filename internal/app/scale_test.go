package app_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/app"
	"github.com/claudit/claudit/internal/config"
	"github.com/claudit/claudit/internal/ingest"
	"github.com/claudit/claudit/internal/simulator"
	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/store/postgres"
)

// worker is one claudit process (this test binary re-run as a child).
type worker struct {
	cmd *exec.Cmd
	log *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startWorker(t *testing.T, yaml string) *worker {
	t.Helper()
	w := &worker{log: &syncBuffer{}}
	w.cmd = exec.Command(os.Args[0], "-test.run=^TestScaleWorker$")
	w.cmd.Env = append(os.Environ(), "CLAUDIT_SCALE_WORKER=1", "CLAUDIT_SCALE_CONFIG="+yaml)
	w.cmd.Stdout, w.cmd.Stderr = w.log, w.log
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.cmd.Process.Kill(); _ = w.cmd.Wait() })
	return w
}

func (w *worker) kill() { _ = w.cmd.Process.Kill(); _ = w.cmd.Wait() }

func (w *worker) leader() bool { return strings.Contains(w.log.String(), "scheduling leader") }

// TestScaleWorker is the claudit process TestThreeProcesses starts; it does nothing otherwise.
func TestScaleWorker(t *testing.T) {
	yaml := os.Getenv("CLAUDIT_SCALE_CONFIG")
	if os.Getenv("CLAUDIT_SCALE_WORKER") != "1" || yaml == "" {
		t.Skip("helper process for TestThreeProcesses")
	}
	cfg, err := config.Parse("scale.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := app.Open(ctx, cfg, app.NewLogger(os.Stderr, "info"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.OpenPipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_ = a.Workers(ctx, p) // runs until the parent kills this process
}

// Three processes share one PostgreSQL: a backfill reaches the exact ground
// truth while one process is killed and restarted, and leadership moves when
// the leader dies.
func TestThreeProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes; skipped with -short")
	}
	dsn := postgres.NewTestDatabase(t)
	sim, err := simulator.New(simulator.Config{Seed: 21, Users: 40, Days: 6, RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	yaml := fmt.Sprintf(`database: %s
integrations:
  - name: acme
    base_url: %s
    api_key: %s
    interval: 1h
    rate_limit: 100000
backfill: {batch_window: 2h, concurrency: 2, lease: 3s}
`, dsn, srv.URL, simulator.DefaultKey)
	ctx := context.Background()
	st, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	in := &store.Integration{Name: "acme", BaseURL: srv.URL, Interval: time.Hour, RateLimit: 100000}
	if err := st.UpsertIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	sum := sim.Summary()
	job, _, err := ingest.StartBackfill(ctx, st, in.ID, sum.First.Add(-time.Hour), sum.Last.Add(time.Hour), 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	workers := []*worker{startWorker(t, yaml), startWorker(t, yaml), startWorker(t, yaml)}

	// Kill one process once the job is under way, then start it again.
	waitUntil(t, "3 batches done", func() bool {
		b, _ := st.Backfill(ctx, job.ID)
		return b.BatchesDone >= 3
	})
	workers[1].kill()
	workers[1] = startWorker(t, yaml)

	waitUntil(t, "the backfill done", func() bool {
		b, _ := st.Backfill(ctx, job.ID)
		return b.Status == store.BackfillDone
	})
	c, _ := st.Counts(ctx, in.ID)
	if c.Activities != sum.Activities || c.Messages != sum.Messages || c.Chats != sum.Chats {
		t.Fatalf("store %d/%d/%d, ground truth %d/%d/%d", c.Activities, c.Messages, c.Chats, sum.Activities, sum.Messages, sum.Chats)
	}
	batches, _ := st.Batches(ctx, job.ID)
	// Only the batches the killed process held (at most its concurrency) ran twice.
	again := 0
	for _, b := range batches {
		if b.Status != store.BatchDone {
			t.Fatalf("batch %d is %s", b.Seq, b.Status)
		}
		if b.Attempts > 1 {
			again++
			t.Logf("batch %d ran %d times (last error %q)", b.Seq, b.Attempts, b.Error)
		}
	}
	if again > 2 {
		for i, w := range workers {
			t.Logf("worker %d log:\n%s", i, w.log.String())
		}
		t.Fatalf("%d batches were processed more than once", again)
	}

	// Exactly one leader; when it dies another process takes over.
	var leader *worker
	waitUntil(t, "exactly one leader", func() bool {
		n := 0
		for _, w := range workers {
			if w.leader() {
				n++
				leader = w
			}
		}
		return n == 1
	})
	leader.kill()
	waitUntil(t, "another leader", func() bool {
		for _, w := range workers {
			if w != leader && w.leader() {
				return true
			}
		}
		return false
	})
}

// waitUntil polls until ok holds. It gives up only near the test binary's
// own deadline (go test -timeout), saying what it waited for, so a slow
// machine is never taken for a stuck test.
func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	var giveUp <-chan time.Time
	if d, has := t.Deadline(); has {
		giveUp = time.After(time.Until(d) * 9 / 10)
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for !ok() {
		select {
		case <-giveUp:
			t.Fatalf("still waiting for %s near the test deadline", what)
		case <-tick.C:
		}
	}
}
