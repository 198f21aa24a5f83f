package compliance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/simulator"
)

// TestFaultsYieldGroundTruth syncs everything through a server where one
// request in five fails (429, 5xx, slow, malformed body) and expects exactly
// the ground truth: faults never corrupt state and retries never skip.
func TestFaultsYieldGroundTruth(t *testing.T) {
	// Slow faults answer late but well within the request timeout: whether a
	// request times out must not depend on how fast this machine is (a 1 s
	// timeout made a large chat time out on every attempt under -race on a
	// busy machine). TestHungRequestIsRetried covers the timeout itself.
	s, ts := startSim(t, simulator.Config{Seed: 5, Users: 15, Days: 3, Faults: 0.2,
		FaultRetryAfter: 5 * time.Millisecond, FaultDelay: 20 * time.Millisecond})
	c := newClient(t, ts.URL, simulator.DefaultKey, func(o *compliance.Options) {
		o.MaxRetries = 40
		o.MinBackoff, o.MaxBackoff = time.Millisecond, 5*time.Millisecond
	})
	ctx := context.Background()

	truth := s.Activities()
	got := walk(t, c, compliance.ActivityQuery{Limit: 500})
	sameIDs(t, "activities under faults", ids(got), ids(truth))
	for i := range got {
		if string(got[i].Raw) != string(truth[i].Raw) {
			t.Fatalf("activity %s differs:\n got  %s\n want %s", got[i].ID, got[i].Raw, truth[i].Raw)
		}
	}

	var chatIDs []string
	for p, err := range c.ChatPages(ctx, compliance.ChatQuery{OrderBy: "updated_at", Limit: 40}) {
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range p.Data {
			chatIDs = append(chatIDs, ch.ID)
		}
	}
	want := s.ChatIDs()
	slices.Sort(want)
	slices.Sort(chatIDs)
	sameIDs(t, "chats under faults", chatIDs, want)

	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []string
	)
	next := make(chan string)
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range next {
				page := 0
				if id[len(id)-1]%3 == 0 {
					page = 3 // some chats are fetched page by page
				}
				cm, err := c.AllChatMessages(ctx, id, page)
				if err == nil {
					err = sameChat(s, cm)
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, err.Error())
					mu.Unlock()
				}
			}
		}()
	}
	for _, id := range want {
		next <- id
	}
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d chats differ, first: %s", len(errs), errs[0])
	}
	if st := c.Stats(); st.Retries == 0 {
		t.Fatal("no request was retried: faults were not injected")
	} else {
		t.Logf("requests %d, retries %d, rate limited %d", st.Requests, st.Retries, st.RateLimited)
	}

	// Deletes under faults happen exactly once and are confirmed.
	for _, id := range want[:5] {
		d, err := c.DeleteChat(ctx, id)
		if err != nil || d.Type != "claude_chat_deleted" || d.ID != id {
			t.Fatalf("delete %s under faults: %+v %v", id, d, err)
		}
	}
	if got := s.Summary().Chats; got != len(want)-5 {
		t.Fatalf("after 5 deletes: %d chats, want %d", got, len(want)-5)
	}
}

// TestHungRequestIsRetried: a request the server never answers is abandoned
// after the request timeout and retried, and a delete still happens once.
// The timeout derives from the work: twenty times what the same kind of
// requests took just before on this machine, under this load.
func TestHungRequestIsRetried(t *testing.T) {
	t.Parallel()
	s, err := simulator.New(simulator.Config{Seed: 3, Users: 5, Days: 2, End: simEnd, RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.ChatIDs()) < 2 {
		t.Fatalf("the simulator made %d chats, the test needs 2", len(s.ChatIDs()))
	}
	var armed atomic.Bool
	var hung sync.Map // method+path -> true once a request for it hung
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, seen := hung.LoadOrStore(r.Method+" "+r.URL.Path, true); armed.Load() && !seen {
			<-r.Context().Done() // hang until the client gives up
			return
		}
		s.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	ids := s.ChatIDs()
	id := ids[0]

	// The same fetch, and a delete of another chat, answered: how long they take here.
	plain := newClient(t, ts.URL, simulator.DefaultKey)
	start := time.Now()
	if _, err := plain.AllChatMessages(t.Context(), id, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := plain.DeleteChat(t.Context(), ids[1]); err != nil {
		t.Fatal(err)
	}
	timeout := max(time.Second, 20*time.Since(start))
	hung.Clear()
	armed.Store(true)

	c := newClient(t, ts.URL, simulator.DefaultKey, func(o *compliance.Options) { o.RequestTimeout = timeout })
	cm, err := c.AllChatMessages(t.Context(), id, 0)
	if err != nil {
		t.Fatalf("fetch after a hung request (timeout %s): %v", timeout, err)
	}
	if err := sameChat(s, cm); err != nil {
		t.Fatal(err)
	}
	before := s.Summary().Chats
	d, err := c.DeleteChat(t.Context(), id)
	if err != nil || d.ID != id {
		t.Fatalf("delete after a hung request (timeout %s): %+v %v", timeout, d, err)
	}
	if got := s.Summary().Chats; got != before-1 {
		t.Fatalf("after one delete: %d chats, want %d", got, before-1)
	}
	if st := c.Stats(); st.Retries < 2 {
		t.Fatalf("%d retries, want one per hung request", st.Retries)
	}
}

// sameChat compares a fetched chat with the ground truth as JSON.
func sameChat(s *simulator.Server, got *compliance.ChatMessages) error {
	want, ok := s.ChatMessages(got.ID)
	if !ok {
		return errorf("chat %s is not in the ground truth", got.ID)
	}
	g, _ := json.Marshal(struct {
		compliance.Chat
		M []compliance.Message
	}{got.Chat, got.ChatMessages})
	w, _ := json.Marshal(struct {
		compliance.Chat
		M []compliance.Message
	}{want.Chat, want.ChatMessages})
	if string(g) != string(w) {
		return errorf("chat %s differs:\n got  %.400s\n want %.400s", got.ID, g, w)
	}
	return nil
}

// TestRetriesLoggedAtWarn walks a feed where half the requests fail and wants
// one WARN line per retry, each with the request's attempt and the client's
// running count, so an operator at the default level sees a struggling API.
func TestRetriesLoggedAtWarn(t *testing.T) {
	_, ts := startSim(t, simulator.Config{Seed: 9, Users: 5, Days: 2, Faults: 0.5,
		FaultRetryAfter: time.Millisecond, FaultDelay: time.Millisecond})
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c := newClient(t, ts.URL, simulator.DefaultKey, func(o *compliance.Options) {
		o.MaxRetries = 40
		o.Logger = log
	})
	walk(t, c, compliance.ActivityQuery{Limit: 50})
	st := c.Stats()
	if st.Retries == 0 {
		t.Fatal("no request was retried: faults were not injected")
	}
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if m["msg"] == "compliance request retry" {
			lines = append(lines, m)
		}
	}
	if int64(len(lines)) != st.Retries {
		t.Fatalf("%d retry lines at WARN, want %d:\n%s", len(lines), st.Retries, buf.String())
	}
	for i, m := range lines {
		if m["level"] != "WARN" || m["attempt"] == nil || m["retries"] != float64(i+1) {
			t.Fatalf("retry line %d: %v", i, m)
		}
	}
}
