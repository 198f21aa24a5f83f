package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/ingest"
	"github.com/claudit/claudit/internal/simulator"
	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/store/postgres"
	"github.com/claudit/claudit/internal/store/sqlite"
)

type env struct {
	sim *simulator.Server
	url string
	st  store.Store
	in  *store.Integration
}

func newEnv(t *testing.T, cfg simulator.Config, dbPath string) *env {
	t.Helper()
	if cfg.RateLimit == 0 {
		cfg.RateLimit = -1
	}
	sim, err := simulator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	e := &env{sim: sim, url: srv.URL}
	switch {
	case dbPath == "postgres":
		pg, err := postgres.Open(context.Background(), postgres.NewTestDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pg.Close() })
		e.st = pg
	case dbPath == "":
		dbPath = filepath.Join(t.TempDir(), "claudit.db")
		fallthrough
	default:
		e.st = openStore(t, dbPath)
	}
	e.in = &store.Integration{Name: "acme", BaseURL: srv.URL, Interval: time.Minute}
	if err := e.st.UpsertIntegration(context.Background(), e.in); err != nil {
		t.Fatal(err)
	}
	return e
}

func openStore(t *testing.T, path string) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// client talks to the simulator; its slow faults answer well inside the
// default request timeout, so no request times out however busy the machine.
func client(t testing.TB, url, key string) *compliance.Client {
	c, err := compliance.New(compliance.Options{BaseURL: url, APIKey: key, RequestsPerMinute: -1,
		MinBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond, MaxRetries: 40})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) syncer(t testing.TB, set ingest.Settings) *ingest.Syncer {
	return ingest.NewSyncer(e.in, client(t, e.url, simulator.DefaultKey), e.st, set, nil)
}

// assertGroundTruth compares the store with the simulator's summary.
func assertGroundTruth(t *testing.T, st store.Store, sim *simulator.Server) {
	t.Helper()
	sum := sim.Summary()
	c, err := st.Counts(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	// Undecodable activities are quarantined, not stored.
	sum.Activities -= sum.Undecodable
	if c.Activities != sum.Activities || c.Chats != sum.Chats || c.Messages != sum.Messages || c.DeletedChats != sum.DeletedChats {
		t.Fatalf("store %d activities, %d chats (%d deleted), %d messages; ground truth %d, %d (%d), %d",
			c.Activities, c.Chats, c.DeletedChats, c.Messages, sum.Activities, sum.Chats, sum.DeletedChats, sum.Messages)
	}
	for typ, n := range sum.ActivitiesByType {
		if c.ActivitiesByType[typ] != n {
			t.Fatalf("activity type %s: store %d, ground truth %d", typ, c.ActivitiesByType[typ], n)
		}
	}
	ins, err := st.Integrations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	q := 0
	for _, in := range ins {
		items, err := st.QuarantinedItems(context.Background(), in.ID, 1000)
		if err != nil {
			t.Fatal(err)
		}
		q += len(items)
	}
	if q != sum.Undecodable {
		t.Fatalf("%d items quarantined, ground truth %d undecodable", q, sum.Undecodable)
	}
}

// assertSessionsGroundTruth compares the stored sessions, transcripts and
// file texts with the simulator's.
func assertSessionsGroundTruth(t *testing.T, st store.Store, sim *simulator.Server) {
	t.Helper()
	sum := sim.Summary()
	c, err := st.Counts(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if c.Sessions != sum.LocalSessions+sum.RemoteSessions || c.SessionMessages != sum.SessionMessages {
		t.Fatalf("store %d sessions, %d transcript messages; ground truth %d local + %d remote, %d",
			c.Sessions, c.SessionMessages, sum.LocalSessions, sum.RemoteSessions, sum.SessionMessages)
	}
	if c.FileTexts != sum.FileTexts || c.UnreadableFiles != sum.UnreadableFiles {
		t.Fatalf("store %d file texts, %d unreadable files; ground truth %d, %d", c.FileTexts, c.UnreadableFiles, sum.FileTexts, sum.UnreadableFiles)
	}
}

// backends are the stores every ground-truth test runs against.
var backends = []string{"sqlite", "postgres"}

func dbFor(backend string) string {
	if backend == "postgres" {
		return "postgres"
	}
	return ""
}

func TestSyncReproducesGroundTruth(t *testing.T) {
	t.Parallel()
	for _, backend := range backends {
		for _, faults := range []float64{0, 0.2} {
			t.Run(fmt.Sprintf("%s/faults=%v", backend, faults), func(t *testing.T) {
				if testing.Short() && faults == 0 {
					t.Skip("-short: the run with faults takes the same paths")
				}
				t.Parallel()
				testSyncGroundTruth(t, backend, faults)
			})
		}
	}
}

func testSyncGroundTruth(t *testing.T, backend string, faults float64) {
	{
		{
			e := newEnv(t, simulator.Config{Seed: 3, Users: 30, Days: 5, Faults: faults, Undecodable: 2,
				FaultRetryAfter: 5 * time.Millisecond, FaultDelay: 20 * time.Millisecond}, dbFor(backend))
			s := e.syncer(t, ingest.Settings{PageSize: 500, ChatPageSize: 50})
			run, err := s.SyncOnce(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			assertGroundTruth(t, e.st, e.sim)
			assertSessionsGroundTruth(t, e.st, e.sim)
			if sum := e.sim.Summary(); run.Activities != sum.Activities-sum.Undecodable {
				t.Fatalf("run recorded %d activities", run.Activities)
			}
			// A second cycle finds nothing new and duplicates nothing.
			run, err = s.SyncOnce(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if run.Activities != 0 || run.Messages != 0 {
				t.Fatalf("second cycle stored %d activities, %d messages", run.Activities, run.Messages)
			}
			assertGroundTruth(t, e.st, e.sim)
			runs, _ := e.st.Runs(context.Background(), e.in.ID, 10)
			if len(runs) != 2 || runs[0].FinishedAt.IsZero() {
				t.Fatalf("runs not recorded: %+v", runs)
			}
		}
	}
}

func TestLiveActivityArrivesCycleAfterCycle(t *testing.T) {
	e := newEnv(t, simulator.Config{Seed: 5, Users: 10, Days: 1}, "")
	s := e.syncer(t, ingest.Settings{})
	if _, err := s.SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	for cycle := 0; cycle < 3; cycle++ {
		before := e.sim.Summary()
		for e.sim.Summary().Messages == before.Messages {
			e.sim.LiveTick()
		}
		run, err := s.SyncOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if run.Activities == 0 || run.Messages == 0 {
			t.Fatalf("cycle %d saw no new activity: %+v", cycle, run)
		}
		assertGroundTruth(t, e.st, e.sim)
	}
}

func TestLateActivityCaughtByOverlap(t *testing.T) {
	e := newEnv(t, simulator.Config{Seed: 5, Users: 5, Days: 1}, "")
	s := e.syncer(t, ingest.Settings{Overlap: 10 * time.Minute})
	if _, err := s.SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	// An activity indexed late, with a timestamp behind the cursor.
	last := e.sim.Summary().Last
	late := compliance.Activity{ID: "activity_late_0001", CreatedAt: compliance.NewTime(last.Add(-2 * time.Minute)), Type: "user_logged_out",
		Actor: compliance.Actor{Type: compliance.ActorUser, UserID: e.sim.UserIDs()[0]}}
	if _, err := e.sim.AddActivity(late); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.Activity(context.Background(), e.in.ID, "activity_late_0001"); err != nil {
		t.Fatalf("late activity lost: %v", err)
	}
}

func TestDeletionsAreRecordedNotDropped(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, simulator.Config{Seed: 9, Users: 5, Days: 2}, "")
	s := e.syncer(t, ingest.Settings{})
	if _, err := s.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	var soft string
	for _, id := range e.sim.ChatIDs() {
		if c, err := e.st.Chat(ctx, e.in.ID, id); err == nil && c.DeletedAt == nil && c.MessageCount > 0 {
			soft = id
			break
		}
	}
	before, _ := e.st.ChatMessages(ctx, e.in.ID, soft)
	if err := e.sim.SoftDeleteChat(soft); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	c, _ := e.st.Chat(ctx, e.in.ID, soft)
	after, _ := e.st.ChatMessages(ctx, e.in.ID, soft)
	if c.DeletedAt == nil || len(after) != len(before) || after[0].Text != before[0].Text || !after[0].ContentRemoved {
		t.Fatalf("soft delete: chat %+v, text kept %v", c, after[0].Text == before[0].Text)
	}
	acts, _, _ := e.st.AccessEvents(ctx, store.EventFilter{Type: "claude_chat_deleted", ChatID: soft})
	if len(acts) == 0 {
		t.Fatalf("claude_chat_deleted activity not stored")
	}
}

func TestBackfillReproducesGroundTruth(t *testing.T) {
	t.Parallel()
	for _, backend := range backends {
		for _, faults := range []float64{0, 0.2} {
			t.Run(fmt.Sprintf("%s/faults=%v", backend, faults), func(t *testing.T) {
				if testing.Short() && faults == 0 {
					t.Skip("-short: the run with faults takes the same paths")
				}
				t.Parallel()
				testBackfillGroundTruth(t, backend, faults)
			})
		}
	}
}

func testBackfillGroundTruth(t *testing.T, backend string, faults float64) {
	{
		{
			ctx := context.Background()
			e := newEnv(t, simulator.Config{Seed: 4, Users: 20, Days: 4, Faults: faults,
				FaultRetryAfter: 5 * time.Millisecond, FaultDelay: 20 * time.Millisecond}, dbFor(backend))
			sum := e.sim.Summary()
			job, resumed, err := ingest.StartBackfill(ctx, e.st, e.in.ID, sum.First.Add(-time.Hour), sum.Last.Add(time.Hour), 6*time.Hour)
			if err != nil || resumed {
				t.Fatal(err)
			}
			var progress []int
			b := &ingest.Backfiller{Syncer: e.syncer(t, ingest.Settings{PageSize: 300, ChatPageSize: 40}), Concurrency: 4, Poll: 10 * time.Millisecond,
				Progress: func(j *store.Backfill) { progress = append(progress, j.BatchesDone) }}
			done, err := b.Run(ctx, job.ID)
			if err != nil {
				bs, _ := e.st.Batches(ctx, job.ID)
				for _, bt := range bs {
					if bt.Error != "" {
						t.Logf("batch %d: %s", bt.Seq, bt.Error)
					}
				}
				t.Fatal(err)
			}
			if done.Status != store.BackfillDone || done.BatchesDone != done.Batches || done.Batches < 10 {
				t.Fatalf("job: %+v", done)
			}
			if len(progress) == 0 || done.SyncedUpTo.IsZero() {
				t.Fatalf("no progress reported")
			}
			assertGroundTruth(t, e.st, e.sim)
			assertSessionsGroundTruth(t, e.st, e.sim)
			// Backfilled events keep their original timestamps.
			first, _, _ := e.st.AccessEvents(ctx, store.EventFilter{Ascending: true, Limit: 1})
			if !first[0].CreatedAt.Equal(e.sim.Activities()[len(e.sim.Activities())-1].CreatedAt.Time) &&
				!first[0].CreatedAt.Equal(e.sim.Activities()[0].CreatedAt.Time) {
				t.Fatalf("timestamp changed: %v", first[0].CreatedAt)
			}
		}
	}
}

func TestBackfillPauseResumeCancel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, simulator.Config{Seed: 4, Users: 6, Days: 2}, "")
	sum := e.sim.Summary()
	from, to := sum.First.Add(-time.Hour), sum.Last.Add(time.Hour)
	job, _, err := ingest.StartBackfill(ctx, e.st, e.in.ID, from, to, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	paused := false
	b := &ingest.Backfiller{Syncer: e.syncer(t, ingest.Settings{PageSize: 100, ChatPageSize: 10}), Concurrency: 1, Poll: 5 * time.Millisecond,
		Progress: func(j *store.Backfill) {
			if !paused && j.BatchesDone >= 2 {
				paused = true
				_ = e.st.SetBackfillStatus(ctx, j.ID, store.BackfillPaused, "")
			}
		}}
	got, err := b.Run(ctx, job.ID)
	if err == nil || got.Status != store.BackfillPaused || got.BatchesDone >= got.Batches {
		t.Fatalf("pause: %+v %v", got, err)
	}
	// Running the same range again resumes the same job.
	again, resumed, err := ingest.StartBackfill(ctx, e.st, e.in.ID, from, to, 2*time.Hour)
	if err != nil || !resumed || again.ID != job.ID {
		t.Fatalf("resume: %+v %v %v", again, resumed, err)
	}
	got, err = b.Run(ctx, job.ID)
	if err != nil || got.Status != store.BackfillDone {
		t.Fatalf("after resume: %+v %v", got, err)
	}
	assertGroundTruth(t, e.st, e.sim)
	// Cancel stops a job for good; a new run of the range makes a new job.
	job2, _, _ := ingest.StartBackfill(ctx, e.st, e.in.ID, from, to, 2*time.Hour)
	if job2.ID == job.ID {
		t.Fatalf("a finished job was reused")
	}
	_ = e.st.SetBackfillStatus(ctx, job2.ID, store.BackfillCancelled, "")
	if _, err := b.Run(ctx, job2.ID); err == nil {
		t.Fatalf("cancelled job ran")
	}
}

func TestPlanBatches(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	bs, err := ingest.PlanBatches(t0, t0.Add(50*time.Hour), 24*time.Hour)
	if err != nil || len(bs) != 3 || !bs[2].To.Equal(t0.Add(50*time.Hour)) {
		t.Fatalf("plan: %+v %v", bs, err)
	}
	if _, err := ingest.PlanBatches(t0, t0, time.Hour); err == nil {
		t.Fatalf("empty range accepted")
	}
}

func TestPausedIntegrationSyncsNothing(t *testing.T) {
	e := newEnv(t, simulator.Config{Seed: 1, Users: 3, Days: 1}, "")
	e.in.Paused = true
	_, err := e.syncer(t, ingest.Settings{}).SyncOnce(context.Background())
	if err == nil || !strings.Contains(err.Error(), "paused") {
		t.Fatalf("paused: %v", err)
	}
	c, _ := e.st.Counts(context.Background(), 0)
	if c.Activities != 0 {
		t.Fatalf("paused integration stored data")
	}
}

// TestCrashSafety kills a real sync process with SIGKILL at random points,
// restarts it, and checks the final store equals the ground truth.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("kills subprocesses; skipped with -short")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "claudit.db")
	e := newEnv(t, simulator.Config{Seed: 11, Users: 40, Days: 6, FaultDelay: time.Millisecond}, db)
	e.st.Close()
	rng := rand.New(rand.NewPCG(7, 11))
	kills := 0
	for i := 0; i < 12; i++ {
		cmd := crashChild(e.url, db)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(30+rng.IntN(400)) * time.Millisecond)
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			kills++
		}
		_ = cmd.Wait()
	}
	out, err := crashChild(e.url, db).CombinedOutput()
	if err != nil {
		t.Fatalf("final sync: %v\n%s", err, out)
	}
	if kills == 0 {
		t.Fatalf("no run was killed mid-way")
	}
	assertGroundTruth(t, openStore(t, db), e.sim)
}

func crashChild(url, db string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), "CLAUDIT_CRASH_CHILD=1", "CLAUDIT_URL="+url, "CLAUDIT_DB="+db)
	return cmd
}

// TestCrashChild is the sync process TestCrashSafety kills; it does nothing otherwise.
func TestCrashChild(t *testing.T) {
	if os.Getenv("CLAUDIT_CRASH_CHILD") != "1" {
		t.Skip("helper process for TestCrashSafety")
	}
	st := openStore(t, os.Getenv("CLAUDIT_DB"))
	ctx := context.Background()
	in, err := st.Integration(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	s := ingest.NewSyncer(in, client(t, os.Getenv("CLAUDIT_URL"), simulator.DefaultKey), st,
		ingest.Settings{PageSize: 200, ChatPageSize: 20, HydrateConcurrency: 4}, nil)
	if _, err := s.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	fmt.Println("synced " + strconv.Itoa(int(in.ID)))
}

// pageFailingStore fails every save that includes the failAt-th distinct
// activity page of a sync (counted by checkpoint cursor).
type pageFailingStore struct {
	store.Store
	failAt  int
	mu      sync.Mutex
	cursors []string
}

func (f *pageFailingStore) SavePages(ctx context.Context, pages []store.Page) ([]store.SaveResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range pages {
		if p.Activities == nil || p.Activities.Checkpoint == nil {
			continue
		}
		cur := p.Activities.Checkpoint.Cursor
		i := slices.Index(f.cursors, cur)
		if i < 0 {
			f.cursors = append(f.cursors, cur)
			i = len(f.cursors) - 1
		}
		if i+1 == f.failAt {
			return nil, errors.New("disk full")
		}
	}
	return f.Store.SavePages(ctx, pages)
}

// TestFailedPageStopsLaterPages: pages are stored on a writer goroutine while
// later ones are fetched; when one fails, none after it may be stored (its
// checkpoint would skip the failed page), and the next cycle resumes there.
func TestFailedPageStopsLaterPages(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, simulator.Config{Seed: 6, Users: 10, Days: 2}, "")
	const pageSize, failAt = 50, 4
	fs := &pageFailingStore{Store: e.st, failAt: failAt}
	s := ingest.NewSyncer(e.in, client(t, e.url, simulator.DefaultKey), fs, ingest.Settings{PageSize: pageSize, ChatPageSize: 10}, nil)
	if _, err := s.SyncOnce(ctx); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("sync with a failing page: %v", err)
	}
	c, _ := e.st.Counts(ctx, e.in.ID)
	cp, _ := e.st.Checkpoint(ctx, e.in.ID, ingest.StreamActivities)
	if c.Activities != (failAt-1)*pageSize || cp.Cursor != fs.cursors[failAt-2] {
		t.Fatalf("after page %d failed: %d activities stored, checkpoint %q (want %d, %q)",
			failAt, c.Activities, cp.Cursor, (failAt-1)*pageSize, fs.cursors[failAt-2])
	}
	fs.failAt = 0
	if _, err := s.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	assertGroundTruth(t, e.st, e.sim)
}

// TestFailedChatFetchStopsLaterChatPages: a chat page is hydrated while the
// next one is listed and hydrated; when a chat cannot be fetched, no page
// after its own is stored (its checkpoint would skip the chat), and the
// next cycle resumes there.
func TestFailedChatFetchStopsLaterChatPages(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, simulator.Config{Seed: 6, Users: 10, Days: 2}, "")
	var failing atomic.Value // the chat whose messages answer 403
	failing.Store("")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id := failing.Load().(string); id != "" && strings.HasSuffix(r.URL.Path, "/chats/"+id+"/messages") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"error":{"type":"permission_error","message":"Not allowed."}}`))
			return
		}
		e.sim.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c := client(t, srv.URL, simulator.DefaultKey)
	const pageSize = 10
	var pages []*compliance.CursorPage[compliance.Chat]
	for p, err := range c.ChatPages(ctx, compliance.ChatQuery{OrderBy: "updated_at", Limit: pageSize}) {
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, p)
	}
	if len(pages) < 5 {
		t.Fatalf("%d chat pages, want at least 5", len(pages))
	}
	failing.Store(pages[2].Data[pageSize-1].ID)
	s := ingest.NewSyncer(e.in, c, e.st, ingest.Settings{ChatPageSize: pageSize, HydrateConcurrency: 3}, nil)
	if _, err := s.SyncOnce(ctx); err == nil || !compliance.IsPermission(err) {
		t.Fatalf("sync with a chat that cannot be fetched: %v", err)
	}
	counts, _ := e.st.Counts(ctx, e.in.ID)
	cp, _ := e.st.Checkpoint(ctx, e.in.ID, ingest.StreamChats)
	if counts.Chats != 2*pageSize || cp.Cursor != *pages[1].LastID {
		t.Fatalf("after page 3 failed: %d chats stored, checkpoint %q (want %d, %q)", counts.Chats, cp.Cursor, 2*pageSize, *pages[1].LastID)
	}
	failing.Store("")
	if _, err := s.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	assertGroundTruth(t, e.st, e.sim)
}
