package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// writerDepth is how many pages may wait for the writer. Pages that queue up
// while a transaction runs go into the next one together; the bound keeps
// memory flat (a page is at most 5 000 activities or one chat page). 16
// rather than 4: fewer, larger commits write each hot index page fewer
// times (about 4% faster at 100 k activities, 40 MB more peak RSS).
const writerDepth = 16

// maxQueuedRows bounds the rows (activities, chats, messages, file texts)
// waiting for the writer, as writerDepth bounds the pages: 16 chat pages
// of 200 chats are about 25 000 rows, but 16 activity pages of 5 000
// activities held some 150 MB, near the (then 200 MiB) soft memory limit, once a
// large store slowed the writer down, and the collector then ran about
// once a page: a fifth of the CPU of a 1 M sync. Eight activity pages keep
// most of the larger transactions' gain (fewer writes of the same index
// pages). A page larger than the bound still goes, alone.
const maxQueuedRows = 40000

// groupRows and groupWait make a group commit: a group of fewer rows than
// groupRows waits up to groupWait for more pages before it is stored,
// unless a caller waits for one of its pages. While fetching is slower than
// storing (most of a sync), each chat page used to be a transaction of its
// own, and every transaction writes again each index page it touched: at
// 100 k activities most leaves of the primary keys, whose ids are random.
// Four chat pages to a transaction wrote a fifth fewer WAL frames and took
// some 15 % less CPU; about nine (16 000 rows rather than 8 000) about 8 %
// less again in sqlite.BenchmarkSavePages.
const (
	groupRows = 16000
	groupWait = time.Second
)

// errWriterStopped is what pages queued after a failed one get: nothing is
// stored past a page that failed, so no checkpoint can skip it.
var errWriterStopped = errors.New("an earlier page failed to store")

// writer stores pages on one goroutine, in the order they were handed over,
// while fetching, decoding and hydrating the next pages go on elsewhere.
type writer struct {
	st    store.Store
	jobs  chan *pageJob
	done  chan struct{} // closed when the goroutine has returned
	mu    sync.Mutex
	err   error            // the first failed page's error, sticky
	total store.SaveResult // everything stored; final once done is closed
	// stored, when set, is called after each committed transaction.
	stored func()

	rowsMu sync.Mutex
	queued int           // rows handed over and not yet stored
	freed  chan struct{} // closed (and replaced) when rows are stored
}

// pageJob is one page handed to the writer.
type pageJob struct {
	page store.Page
	rows int // the page's weight against maxQueuedRows
	// wait: the caller waits for this page's own result and an error is the
	// caller's alone; otherwise an error stops the writer.
	wait bool
	res  store.SaveResult
	err  error
	out  chan struct{}
}

// newWriter starts a writer that stores with ctx until close is called;
// stored (may be nil) hears of every commit.
func newWriter(ctx context.Context, st store.Store, stored func()) *writer {
	w := &writer{st: st, jobs: make(chan *pageJob, writerDepth), done: make(chan struct{}), stored: stored,
		freed: make(chan struct{})}
	go w.run(ctx)
	return w
}

// queue hands a page over without waiting for it to be stored. It returns
// the writer's error once a queued page has failed.
func (w *writer) queue(ctx context.Context, p store.Page) error {
	if err := w.failed(); err != nil {
		return err
	}
	j := &pageJob{page: p, rows: pageRows(p)}
	if err := w.reserve(ctx, j.rows); err != nil {
		return err
	}
	select {
	case w.jobs <- j:
		return nil
	case <-ctx.Done():
		w.release(j.rows)
		return ctx.Err()
	}
}

// pageRows is what a page weighs against maxQueuedRows.
func pageRows(p store.Page) int {
	n := 1
	if a := p.Activities; a != nil {
		n += len(a.Activities)
	}
	if c := p.Chats; c != nil {
		n += len(c.Chats) + len(c.FileTexts)
		for _, hc := range c.Chats {
			n += len(hc.Messages)
		}
	}
	return n
}

// reserve waits until rows more fit under maxQueuedRows (at once when
// nothing is queued).
func (w *writer) reserve(ctx context.Context, rows int) error {
	for {
		w.rowsMu.Lock()
		if w.queued == 0 || w.queued+rows <= maxQueuedRows {
			w.queued += rows
			w.rowsMu.Unlock()
			return nil
		}
		freed := w.freed
		w.rowsMu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// release returns rows stored (or given up on) to the budget.
func (w *writer) release(rows int) {
	if rows == 0 {
		return
	}
	w.rowsMu.Lock()
	w.queued -= rows
	close(w.freed)
	w.freed = make(chan struct{})
	w.rowsMu.Unlock()
}

// save hands a page over and waits until it is stored (or failed).
func (w *writer) save(ctx context.Context, p store.Page) (store.SaveResult, error) {
	j := &pageJob{page: p, rows: pageRows(p), wait: true, out: make(chan struct{})}
	if err := w.reserve(ctx, j.rows); err != nil {
		return store.SaveResult{}, err
	}
	select {
	case w.jobs <- j:
	case <-ctx.Done():
		w.release(j.rows)
		return store.SaveResult{}, ctx.Err()
	}
	select {
	case <-j.out:
		return j.res, j.err
	case <-ctx.Done():
		return store.SaveResult{}, ctx.Err()
	}
}

// close waits for every page handed over to be stored and returns what was
// stored in all, with the first error of a queued page.
func (w *writer) close() (store.SaveResult, error) {
	close(w.jobs)
	<-w.done
	return w.total, w.err
}

func (w *writer) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// stopped is the error of a page behind a failed one: it names the cause,
// so a caller that sees it first reports what actually went wrong.
func (w *writer) stopped() error {
	return fmt.Errorf("%w (%w)", errWriterStopped, w.failed())
}

func (w *writer) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
}

func (w *writer) run(ctx context.Context) {
	defer close(w.done)
	group := make([]*pageJob, 0, writerDepth+1)
	for j := range w.jobs {
		group = w.gather(append(group[:0], j))
		w.store(ctx, group)
		rows := 0
		for _, j := range group {
			rows += j.rows
		}
		w.release(rows)
	}
}

// gather adds to group (one page) the pages queued behind it, and waits
// for more (see groupRows) unless the group is large enough, a caller
// waits for one of its pages or no page is left to come.
func (w *writer) gather(group []*pageJob) []*pageJob {
	rows, waiting := group[0].rows, group[0].wait
	var timeout <-chan time.Time
	for len(group) <= writerDepth {
		var j *pageJob
		var ok bool
		select {
		case j, ok = <-w.jobs:
		default:
			if rows >= groupRows || waiting {
				return group
			}
			if timeout == nil {
				t := time.NewTimer(groupWait)
				defer t.Stop()
				timeout = t.C
			}
			select {
			case j, ok = <-w.jobs:
			case <-timeout:
				return group
			}
		}
		if !ok {
			return group
		}
		group = append(group, j)
		rows, waiting = rows+j.rows, waiting || j.wait
	}
	return group
}

// store saves a group in one transaction; when that fails, page by page, so
// that only the page at fault (and the queued pages after it) fail.
func (w *writer) store(ctx context.Context, group []*pageJob) {
	if err := w.failed(); err != nil {
		w.finish(group, nil, w.stopped())
		return
	}
	pages := make([]store.Page, len(group))
	for i, j := range group {
		pages[i] = j.page
	}
	res, err := w.st.SavePages(ctx, pages)
	if err == nil || len(group) == 1 || ctx.Err() != nil {
		w.finish(group, res, err)
		return
	}
	for _, j := range group {
		if w.failed() != nil {
			w.finish([]*pageJob{j}, nil, w.stopped())
			continue
		}
		res, err := w.st.SavePages(ctx, []store.Page{j.page})
		w.finish([]*pageJob{j}, res, err)
	}
}

// finish hands results to the waiting callers, adds up what was stored and
// makes a queued page's failure stop the writer.
func (w *writer) finish(group []*pageJob, res []store.SaveResult, err error) {
	if err == nil && w.stored != nil {
		w.stored()
	}
	for i, j := range group {
		j.page = store.Page{} // the writer keeps no page data
		if err != nil {
			j.err = err
			if !j.wait {
				w.fail(fmt.Errorf("store page: %w", err))
			}
		} else {
			j.res = res[i]
			w.total.Activities += res[i].Activities
			w.total.Chats += res[i].Chats
			w.total.Messages += res[i].Messages
		}
		if j.out != nil {
			close(j.out)
		}
	}
}
