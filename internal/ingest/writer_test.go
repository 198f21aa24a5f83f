package ingest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// recordingStore stores nothing: it records which pages (by checkpoint
// cursor) it was asked to save, blocks the first save until release is
// closed, and fails every save that includes the cursor failOn.
type recordingStore struct {
	store.Store
	started chan struct{}
	release chan struct{}
	failOn  string
	mu      sync.Mutex
	calls   [][]string
	saved   []string
}

func (r *recordingStore) SavePages(_ context.Context, pages []store.Page) ([]store.SaveResult, error) {
	r.mu.Lock()
	first := len(r.calls) == 0
	var cursors []string
	for _, p := range pages {
		cursors = append(cursors, p.Activities.Checkpoint.Cursor)
	}
	r.calls = append(r.calls, cursors)
	r.mu.Unlock()
	if first {
		close(r.started)
		<-r.release
	}
	if slices.Contains(cursors, r.failOn) {
		return nil, errors.New("disk full")
	}
	r.mu.Lock()
	r.saved = append(r.saved, cursors...)
	r.mu.Unlock()
	return make([]store.SaveResult, len(pages)), nil
}

func page(cursor string) store.Page {
	return store.Page{Activities: &store.ActivityPage{Checkpoint: &store.Checkpoint{Cursor: cursor}}}
}

// TestWriterGroupsAndStopsAtAFailedPage queues pages while the store is busy:
// they are saved together; when that fails the pages are saved one by one,
// and none after the failed page is saved.
func TestWriterGroupsAndStopsAtAFailedPage(t *testing.T) {
	ctx := context.Background()
	st := &recordingStore{started: make(chan struct{}), release: make(chan struct{}), failOn: "p3"}
	w := newWriter(ctx, st, nil)
	for i, c := range []string{"p1", "p2", "p3", "p4", "p5"} {
		if err := w.queue(ctx, page(c)); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			<-st.started
		}
	}
	close(st.release)
	_, err := w.close()
	if err == nil {
		t.Fatal("a failed page must fail the writer")
	}
	if want := []string{"p1", "p2"}; !slices.Equal(st.saved, want) {
		t.Fatalf("saved %v, want %v", st.saved, want)
	}
	want := [][]string{{"p1"}, {"p2", "p3", "p4", "p5"}, {"p2"}, {"p3"}}
	if len(st.calls) != len(want) {
		t.Fatalf("save calls %v, want %v", st.calls, want)
	}
	for i := range want {
		if !slices.Equal(st.calls[i], want[i]) {
			t.Fatalf("save calls %v, want %v", st.calls, want)
		}
	}
	if err := w.queue(ctx, page("p6")); err == nil {
		t.Fatal("queueing after a failure must report it")
	}
}

// TestPageAfterAFailedOneNamesTheCause: a page that waits for its result
// behind a failed one fails with the cause, not only "an earlier page
// failed", whichever of the two errors a sync cycle happens to return
// first (it depended on timing before, and failed under load).
func TestPageAfterAFailedOneNamesTheCause(t *testing.T) {
	ctx := context.Background()
	st := &recordingStore{started: make(chan struct{}), release: make(chan struct{}), failOn: "p1"}
	w := newWriter(ctx, st, nil)
	if err := w.queue(ctx, page("p1")); err != nil {
		t.Fatal(err)
	}
	<-st.started
	close(st.release)
	_, err := w.save(ctx, page("p2"))
	if !errors.Is(err, errWriterStopped) || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("the page after a failed one: %v", err)
	}
	if _, err := w.close(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("close: %v", err)
	}
}

// TestWriterBoundsQueuedRows: pages wait for the writer only while their
// rows fit under maxQueuedRows; a page over the bound waits until the
// pages before it are stored, and a page larger than the bound still goes
// when nothing is queued.
func TestWriterBoundsQueuedRows(t *testing.T) {
	ctx := context.Background()
	st := &recordingStore{started: make(chan struct{}), release: make(chan struct{})}
	w := newWriter(ctx, st, nil)
	big := func(cursor string, rows int) store.Page {
		p := page(cursor)
		p.Activities.Activities = make([]store.Activity, rows)
		return p
	}
	if err := w.queue(ctx, big("p1", 2*maxQueuedRows)); err != nil {
		t.Fatal(err)
	}
	<-st.started // p1 is being stored, its rows still count
	queued := make(chan error, 1)
	go func() { queued <- w.queue(ctx, big("p2", 1)) }()
	select {
	case err := <-queued:
		t.Fatalf("a page was queued over the bound: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(st.release)
	if err := <-queued; err != nil {
		t.Fatal(err)
	}
	if _, err := w.close(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"p1", "p2"}; !slices.Equal(st.saved, want) {
		t.Fatalf("saved %v, want %v", st.saved, want)
	}
	if w.queued != 0 {
		t.Fatalf("%d rows still counted as queued", w.queued)
	}
}
