package ingest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/ingest"
	"github.com/claudit/claudit/internal/simulator"
	"github.com/claudit/claudit/internal/store"
)

// TestSessionTranscriptTokenExpiry: a local-session transcript walk whose
// page token is older than 24 h gets a 400; the sync starts that walk over
// without a page and still stores every message once.
func TestSessionTranscriptTokenExpiry(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	sim, err := simulator.New(simulator.Config{Seed: 11, Users: 8, Days: 3, End: now, RateLimit: -1, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	// The first follow-up transcript page arrives a day late: move the clock.
	jumped, expired := false, 0
	h := sim.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		local := strings.HasPrefix(r.URL.Path, "/v1/compliance/apps/sessions/local/") && strings.HasSuffix(r.URL.Path, "/messages")
		mu.Lock()
		if local && r.URL.Query().Has("page") && !jumped {
			jumped = true
			now = now.Add(25 * time.Hour)
		}
		mu.Unlock()
		if !local {
			h.ServeHTTP(w, r) // streamed as served: a cut-short download stays cut short
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code == 400 && strings.Contains(rec.Body.String(), "page cursor has expired") {
			mu.Lock()
			expired++
			mu.Unlock()
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(srv.Close)
	st := openStore(t, t.TempDir()+"/claudit.db")
	in := &store.Integration{Name: "acme", BaseURL: srv.URL, Interval: time.Minute}
	if err := st.UpsertIntegration(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	s := ingest.NewSyncer(in, client(t, srv.URL, simulator.DefaultKey), st, ingest.Settings{TranscriptPageSize: 2, HydrateConcurrency: 1}, nil)
	if _, err := s.SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !jumped || expired != 1 {
		t.Fatalf("clock moved %v, %d expired-token answers; want one", jumped, expired)
	}
	assertSessionsGroundTruth(t, st, sim)
}

// TestSessionsStoredInOrderWithToolCalls: a session is stored as a chat of
// its kind, messages in transcript order, tool results as role "tool",
// tool calls kept with their input.
func TestSessionsStoredInOrderWithToolCalls(t *testing.T) {
	e := newEnv(t, simulator.Config{Seed: 4, Users: 10, Days: 3}, "")
	s := e.syncer(t, ingest.Settings{})
	if _, err := s.SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	evs, _, err := e.st.PromptEvents(ctx, store.EventFilter{Limit: 5000})
	if err != nil {
		t.Fatal(err)
	}
	chats := map[string]bool{}
	for _, m := range evs {
		if store.ChatKind(m.ChatID) != store.KindChat {
			chats[m.ChatID] = true
		}
	}
	if len(chats) == 0 {
		t.Fatal("no session messages among the prompt events")
	}
	kinds := map[string]int{}
	for id := range chats {
		c, err := e.st.Chat(ctx, e.in.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		kinds[c.Kind()]++
		if c.Name == "" || c.UserID == "" {
			t.Fatalf("session %s stored without name or user: %+v", id, c)
		}
		msgs, err := e.st.ChatMessages(ctx, e.in.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		var calls, results int
		for i, m := range msgs {
			if i > 0 && m.CreatedAt.Before(msgs[i-1].CreatedAt) {
				t.Fatalf("session %s: message %d out of order", id, i)
			}
			for _, tc := range m.ToolCalls {
				calls++
				if m.Role != "assistant" || tc.Name == "" || tc.Input == "" || !strings.Contains(m.Text, "tool_use name="+tc.Name) {
					t.Fatalf("session %s: tool call %+v on %s message %q", id, tc, m.Role, m.Text)
				}
			}
			if m.Role == "tool" {
				results++
			}
		}
		if calls == 0 || calls != results {
			t.Fatalf("session %s: %d tool calls, %d tool results", id, calls, results)
		}
	}
	if kinds[store.KindLocalSession] == 0 || kinds[store.KindRemoteSession] == 0 {
		t.Fatalf("session kinds stored: %v", kinds)
	}
}

// TestFileTextsAndUnreadableFiles: the files messages carry, the files
// and documents of projects and the versions of code artifacts are
// downloaded once; a readable one becomes a message of role file in its
// chat (or project, or code artifact), and one that cannot be read is
// recorded with the reason.
func TestFileTextsAndUnreadableFiles(t *testing.T) {
	e := newEnv(t, simulator.Config{Seed: 4, Users: 10, Days: 3}, "")
	s := e.syncer(t, ingest.Settings{SkipSessions: true})
	if _, err := s.SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	evs, _, err := e.st.PromptEvents(ctx, store.EventFilter{Limit: 5000})
	if err != nil {
		t.Fatal(err)
	}
	chats := map[string]bool{}
	for _, m := range evs {
		if len(m.Files) > 0 {
			chats[m.ChatID] = true
		}
	}
	var ok, unreadable int
	kinds := map[string]int{}
	for id := range chats {
		fts, err := e.st.ChatFileTexts(ctx, e.in.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, ft := range fts {
			switch ft.Status {
			case store.FileTextOK:
				ok++
				kinds[ft.Kind]++
				m, err := e.st.Message(ctx, e.in.ID, ft.FileID)
				if err != nil || m.Role != "file" || m.ChatID != id || !strings.HasPrefix(m.Text, "file "+ft.Filename) {
					t.Fatalf("file %s: message %+v, %v", ft.FileID, m, err)
				}
			case store.FileTextUnreadable:
				unreadable++
				if ft.Reason == "" {
					t.Fatalf("unreadable file %s recorded without a reason", ft.FileID)
				}
			}
		}
	}
	sum := e.sim.Summary()
	if ok != sum.FileTexts || unreadable == 0 {
		t.Fatalf("%d file texts, %d unreadable; ground truth %d, %d", ok, unreadable, sum.FileTexts, sum.UnreadableFiles)
	}
	for _, k := range []string{"upload", "generated", "artifact", store.FileKindProjectFile, store.FileKindDocument, store.FileKindCodeArtifact} {
		if kinds[k] == 0 {
			t.Fatalf("no readable file of kind %s: %v", k, kinds)
		}
	}
	// Unreadable files of a project with no readable one are in no chat
	// above; the counts hold them all.
	c, err := e.st.Counts(ctx, e.in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.FileTexts != sum.FileTexts || c.UnreadableFiles != sum.UnreadableFiles {
		t.Fatalf("counts %d file texts, %d unreadable; ground truth %d, %d", c.FileTexts, c.UnreadableFiles, sum.FileTexts, sum.UnreadableFiles)
	}
}

// TestSessionWalkResumes: a cycle that fails in the middle of the local
// session list resumes the walk from the stored page token, and the walk's
// start moves only once it is complete.
func TestSessionWalkResumes(t *testing.T) {
	sim, err := simulator.New(simulator.Config{Seed: 12, Users: 12, Days: 4, RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	failing, lists := true, []string{}
	h := sim.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/compliance/apps/sessions/local" {
			mu.Lock()
			lists = append(lists, r.URL.Query().Get("page"))
			fail := failing && r.URL.Query().Has("page")
			mu.Unlock()
			if fail {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"type":"error","error":{"type":"invalid_request_error","message":"injected by the test"}}`))
				return
			}
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	st := openStore(t, t.TempDir()+"/claudit.db")
	in := &store.Integration{Name: "acme", BaseURL: srv.URL, Interval: time.Minute}
	if err := st.UpsertIntegration(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	s := ingest.NewSyncer(in, client(t, srv.URL, simulator.DefaultKey), st, ingest.Settings{SessionPageSize: 3}, nil)
	if _, err := s.SyncOnce(context.Background()); err == nil {
		t.Fatal("the injected failure did not fail the cycle")
	}
	walk, err := st.Checkpoint(context.Background(), in.ID, ingest.StreamLocalSessions+".walk")
	if err != nil {
		t.Fatal(err)
	}
	start, _ := st.Checkpoint(context.Background(), in.ID, ingest.StreamLocalSessions)
	if walk.Cursor == "" || !start.HighWater.IsZero() {
		t.Fatalf("after a failed walk: walk token %q, start %v", walk.Cursor, start.HighWater)
	}
	mu.Lock()
	failing, lists = false, nil
	mu.Unlock()
	if _, err := s.SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(lists) == 0 || lists[0] != walk.Cursor {
		t.Fatalf("the second cycle did not resume from the stored token: %q", lists)
	}
	assertSessionsGroundTruth(t, st, sim)
	walk, _ = st.Checkpoint(context.Background(), in.ID, ingest.StreamLocalSessions+".walk")
	start, _ = st.Checkpoint(context.Background(), in.ID, ingest.StreamLocalSessions)
	if walk.Cursor != "" || start.HighWater.IsZero() {
		t.Fatalf("after a complete walk: walk token %q, start %v", walk.Cursor, start.HighWater)
	}
}

// TestUndecodableCodeArtifactQuarantined: a code artifact the client cannot
// decode is quarantined with its raw JSON and the reason; the other
// artifacts' versions are still fetched.
func TestUndecodableCodeArtifactQuarantined(t *testing.T) {
	e := newEnv(t, simulator.Config{Seed: 4, Users: 10, Days: 1}, "")
	id := e.sim.AddUndecodableCodeArtifact()
	s := e.syncer(t, ingest.Settings{SkipSessions: true})
	if _, err := s.SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	items, err := e.st.QuarantinedItems(ctx, e.in.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Stream != ingest.StreamCodeArtifacts || items[0].ItemID != id ||
		!strings.Contains(string(items[0].Raw), `"versions":"unavailable"`) || items[0].Reason == "" {
		t.Fatalf("quarantined: %+v", items)
	}
	c, err := e.st.Counts(ctx, e.in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sum := e.sim.Summary(); c.FileTexts != sum.FileTexts || c.UnreadableFiles != sum.UnreadableFiles {
		t.Fatalf("counts %d file texts, %d unreadable; ground truth %d, %d", c.FileTexts, c.UnreadableFiles, sum.FileTexts, sum.UnreadableFiles)
	}
}
