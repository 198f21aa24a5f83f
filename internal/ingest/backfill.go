package ingest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/store"
)

// PlanBatches splits [from, to) into windows of at most window each.
func PlanBatches(from, to time.Time, window time.Duration) ([]store.Batch, error) {
	if !to.After(from) {
		return nil, fmt.Errorf("backfill range is empty: --to (%s) must be after --from (%s)", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	if window <= 0 {
		window = 24 * time.Hour
	}
	var out []store.Batch
	for t := from; t.Before(to); t = t.Add(window) {
		end := t.Add(window)
		if end.After(to) {
			end = to
		}
		out = append(out, store.Batch{From: t, To: end})
	}
	return out, nil
}

// StartBackfill creates a durable job, or returns the unfinished job for the
// same integration and range so that running the same command again resumes it.
func StartBackfill(ctx context.Context, st store.Store, integrationID int64, from, to time.Time, window time.Duration) (*store.Backfill, bool, error) {
	jobs, err := st.Backfills(ctx, integrationID)
	if err != nil {
		return nil, false, err
	}
	for _, j := range jobs {
		if j.From.Equal(from.UTC()) && j.To.Equal(to.UTC()) && (j.Status == store.BackfillRunning || j.Status == store.BackfillPaused || j.Status == store.BackfillPending) {
			if j.Status != store.BackfillRunning {
				if err := st.SetBackfillStatus(ctx, j.ID, store.BackfillRunning, ""); err != nil {
					return nil, false, err
				}
			}
			b, err := st.Backfill(ctx, j.ID)
			return b, true, err
		}
	}
	batches, err := PlanBatches(from.UTC(), to.UTC(), window)
	if err != nil {
		return nil, false, err
	}
	b := &store.Backfill{IntegrationID: integrationID, From: from.UTC(), To: to.UTC(), Status: store.BackfillRunning}
	if err := st.CreateBackfill(ctx, b, batches); err != nil {
		return nil, false, err
	}
	return b, false, nil
}

// BackfillRequest is what `claudit backfill` asks for.
type BackfillRequest struct {
	IntegrationID int64
	From, To      time.Time
	// OpenEnded is set when no end was given (To is then now): an
	// unfinished job from the same start is resumed whatever its end.
	OpenEnded bool
	Window    time.Duration
	// Force starts a new job that fetches the range again even when a
	// finished job covers it.
	Force bool
}

// How PrepareBackfill answered a request.
const (
	BackfillStarted  = "started"
	BackfillResumed  = "resuming"
	BackfillComplete = "complete"
)

// PrepareBackfill resumes the unfinished job for the request's range, or
// reports the finished job that already covers it (BackfillComplete: nothing
// to fetch), or creates a job. Force skips both and always creates one.
func PrepareBackfill(ctx context.Context, st store.Store, r BackfillRequest) (*store.Backfill, string, error) {
	from, to := r.From.UTC(), r.To.UTC()
	if !r.Force {
		jobs, err := st.Backfills(ctx, r.IntegrationID)
		if err != nil {
			return nil, "", err
		}
		for _, j := range jobs {
			unfinished := j.Status == store.BackfillRunning || j.Status == store.BackfillPaused || j.Status == store.BackfillPending
			if unfinished && j.From.Equal(from) && (r.OpenEnded || j.To.Equal(to)) {
				if j.Status != store.BackfillRunning {
					if err := st.SetBackfillStatus(ctx, j.ID, store.BackfillRunning, ""); err != nil {
						return nil, "", err
					}
				}
				b, err := st.Backfill(ctx, j.ID)
				return b, BackfillResumed, err
			}
		}
		for _, j := range jobs {
			if j.Status == store.BackfillDone && !j.From.After(from) && (r.OpenEnded || !j.To.Before(to)) {
				jj := j
				return &jj, BackfillComplete, nil
			}
		}
	}
	batches, err := PlanBatches(from, to, r.Window)
	if err != nil {
		return nil, "", err
	}
	b := &store.Backfill{IntegrationID: r.IntegrationID, From: from, To: to, Status: store.BackfillRunning}
	if err := st.CreateBackfill(ctx, b, batches); err != nil {
		return nil, "", err
	}
	return b, BackfillStarted, nil
}

// Backfiller runs a job's batches with bounded concurrency. Several
// backfillers (threads or processes) may run the same job: batches are leased.
type Backfiller struct {
	Syncer      *Syncer
	Concurrency int
	MaxAttempts int
	Lease       time.Duration
	Worker      string
	// Progress, when set, is called after every stored page and batch; calls
	// never overlap, so it needs no locking of its own.
	Progress   func(*store.Backfill)
	progressMu sync.Mutex
	// Poll is how often the job status is re-read for pause/cancel (default 1s).
	Poll time.Duration
}

// WorkerID names this process for leases.
func WorkerID() string {
	h, _ := os.Hostname()
	return h + ":" + strconv.Itoa(os.Getpid()) + ":" + strconv.FormatInt(time.Now().UnixNano()%1e6, 10)
}

// ErrStopped is returned when a job was paused or cancelled while running.
var ErrStopped = errors.New("backfill stopped")

// Run works on the job until it is done, failed, paused or cancelled, or ctx ends.
// On return, batches this worker still held are released for others.
func (b *Backfiller) Run(ctx context.Context, jobID int64) (*store.Backfill, error) {
	if b.Concurrency <= 0 {
		b.Concurrency = 4
	}
	if b.MaxAttempts <= 0 {
		b.MaxAttempts = 5
	}
	if b.Lease <= 0 {
		b.Lease = 2 * time.Minute
	}
	if b.Worker == "" {
		b.Worker = WorkerID()
	}
	if b.Poll <= 0 {
		b.Poll = time.Second
	}
	st := b.Syncer.Store
	defer st.ReleaseBatches(context.WithoutCancel(ctx), jobID, b.Worker)
	if !b.Syncer.Settings.FeedOnly && !b.Syncer.Settings.SkipDirectory {
		if err := b.Syncer.syncDirectory(ctx); err != nil {
			return nil, fmt.Errorf("backfill %d: directory: %w", jobID, err)
		}
	}
	// Project files and documents and code artifacts have no time window
	// to split; the job fetches the ones not fetched yet once.
	if !b.Syncer.Settings.FeedOnly {
		if err := b.Syncer.syncContent(ctx); err != nil {
			return nil, fmt.Errorf("backfill %d: project and code artifact files: %w", jobID, err)
		}
	}
	jctx, stop := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		b.watch(jctx, stop, jobID)
	}()
	// The watcher stops before the outcome is read, so that no report of
	// its own follows the final one, and before Run returns, so that
	// Progress is never called after Run.
	stopWatch := func() { stop(); <-watched }
	defer stopWatch()
	// A store with one writer connection (SQLite) gets one writer goroutine
	// for all batches, whose pages then share transactions; a store that
	// writes in parallel (PostgreSQL) gets a writer per batch.
	var shared *writer
	if st.SingleWriter() {
		shared = newWriter(jctx, st, b.Syncer.Stored)
		defer shared.close()
	}
	sem := make(chan struct{}, b.Concurrency)
	var wg sync.WaitGroup
	for {
		select {
		case sem <- struct{}{}:
		case <-jctx.Done():
			wg.Wait()
			return b.outcome(ctx, jobID, stopWatch)
		}
		claimed, err := st.ClaimBatches(jctx, jobID, b.Worker, 1, b.Lease, b.MaxAttempts)
		if err != nil {
			<-sem
			if jctx.Err() != nil {
				wg.Wait()
				return b.outcome(ctx, jobID, stopWatch)
			}
			wg.Wait()
			return nil, err
		}
		if len(claimed) == 0 {
			<-sem
			wg.Wait()
			// Nothing left to claim here: others may still hold leases.
			job, err := st.Backfill(ctx, jobID)
			if err != nil {
				return nil, err
			}
			if job.Status != store.BackfillRunning {
				return b.outcome(ctx, jobID, stopWatch)
			}
			if done, failed, err := b.finished(ctx, jobID); err != nil {
				return nil, err
			} else if done {
				status, msg := store.BackfillDone, ""
				if failed > 0 {
					status, msg = store.BackfillFailed, fmt.Sprintf("%d batch(es) failed after %d attempts", failed, b.MaxAttempts)
				}
				if err := st.SetBackfillStatus(ctx, jobID, status, msg); err != nil {
					return nil, err
				}
				return b.outcome(ctx, jobID, stopWatch)
			}
			select {
			case <-jctx.Done():
				return b.outcome(ctx, jobID, stopWatch)
			case <-time.After(b.Poll):
			}
			continue
		}
		wg.Add(1)
		go func(bt store.Batch) {
			defer func() { <-sem; wg.Done() }()
			w := shared
			if w == nil {
				w = newWriter(jctx, st, b.Syncer.Stored)
				defer w.close()
			}
			b.runBatch(jctx, w, bt)
		}(claimed[0])
	}
}

// finished reports whether no batch is pending or running, and how many failed for good.
func (b *Backfiller) finished(ctx context.Context, jobID int64) (bool, int, error) {
	bs, err := b.Syncer.Store.Batches(ctx, jobID)
	if err != nil {
		return false, 0, err
	}
	failed := 0
	for _, bt := range bs {
		switch bt.Status {
		case store.BatchPending, store.BatchRunning:
			return false, 0, nil
		case store.BatchFailed:
			if bt.Attempts < b.MaxAttempts {
				return false, 0, nil
			}
			failed++
		}
	}
	return true, failed, nil
}

func (b *Backfiller) outcome(ctx context.Context, jobID int64, stopWatch func()) (*store.Backfill, error) {
	stopWatch()
	job, err := b.Syncer.Store.Backfill(context.WithoutCancel(ctx), jobID)
	if err != nil {
		return nil, err
	}
	b.report(job)
	switch {
	case job.Status == store.BackfillPaused || job.Status == store.BackfillCancelled:
		return job, fmt.Errorf("backfill %d %s: %w", jobID, job.Status, ErrStopped)
	case job.Status == store.BackfillFailed:
		return job, fmt.Errorf("backfill %d failed: %s", jobID, job.Error)
	case ctx.Err() != nil:
		return job, ctx.Err()
	}
	return job, nil
}

// watch cancels the run when the job is paused or cancelled elsewhere.
func (b *Backfiller) watch(ctx context.Context, stop func(), jobID int64) {
	t := time.NewTicker(b.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			job, err := b.Syncer.Store.Backfill(ctx, jobID)
			if err == nil && (job.Status == store.BackfillPaused || job.Status == store.BackfillCancelled) {
				stop()
				return
			}
			if err == nil {
				b.report(job)
			}
		}
	}
}

func (b *Backfiller) report(job *store.Backfill) {
	if b.Progress != nil && job != nil {
		b.progressMu.Lock()
		defer b.progressMu.Unlock()
		b.Progress(job)
	}
}

// runBatch imports one window: activities, then chats created in it with
// their messages, then the sessions created in it with their transcripts.
// Progress (cursors, counts, synced-up-to) is stored with each page, so a
// re-claimed batch resumes inside its window.
func (b *Backfiller) runBatch(ctx context.Context, w *writer, bt store.Batch) {
	st := b.Syncer.Store
	hctx, stopHeartbeat := context.WithCancel(ctx)
	defer stopHeartbeat()
	go func() {
		t := time.NewTicker(b.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-hctx.Done():
				return
			case <-t.C:
				_ = st.ExtendClaim(hctx, bt.ID, b.Worker, b.Lease)
			}
		}
	}()
	err := b.importWindow(ctx, w, bt)
	if ctx.Err() != nil {
		return // released by Run; progress so far is stored
	}
	msg := ""
	if err != nil {
		msg = err.Error()
		b.Syncer.Log.Warn("backfill batch failed", "batch", bt.Seq, "attempt", bt.Attempts, "err", err)
	}
	_ = st.FinishBatch(context.WithoutCancel(ctx), bt.ID, b.Worker, msg)
}

func (b *Backfiller) importWindow(ctx context.Context, w *writer, bt store.Batch) error {
	s := b.Syncer
	aq := compliance.ActivityQuery{Limit: s.Settings.PageSize, Order: "asc", AfterID: bt.ActivityCursor}
	aq.CreatedAt.GTE, aq.CreatedAt.LT = bt.From, bt.To
	for page, err := range s.Client.ActivityPages(ctx, aq) {
		if err != nil {
			return fmt.Errorf("batch %d activities: %w", bt.Seq, err)
		}
		if err := s.quarantine(ctx, StreamActivities, page.Quarantined); err != nil {
			return err
		}
		bp := &store.BatchProgress{BatchID: bt.ID}
		if page.LastID != nil {
			bp.ActivityCursor = page.LastID
		}
		if _, err := w.save(ctx, store.Page{Activities: s.activityPage(page.Data, nil, bp)}); err != nil {
			return fmt.Errorf("store activity page: %w", err)
		}
		b.progress(ctx, bt.BackfillID)
	}
	if s.Settings.FeedOnly {
		return nil
	}
	cq := compliance.ChatQuery{OrderBy: "created_at", Limit: s.Settings.ChatPageSize, AfterID: bt.ChatCursor}
	cq.CreatedAt.GTE, cq.CreatedAt.LT = bt.From, bt.To
	for page, err := range s.Client.ChatPages(ctx, cq) {
		if err != nil {
			return fmt.Errorf("batch %d chats: %w", bt.Seq, err)
		}
		if err := s.quarantine(ctx, StreamChats, page.Quarantined); err != nil {
			return err
		}
		bp := &store.BatchProgress{BatchID: bt.ID}
		if page.LastID != nil {
			bp.ChatCursor = page.LastID
		}
		hp, err := s.hydrate(ctx, page.Data, nil, bp)
		if err != nil {
			return fmt.Errorf("batch %d: %w", bt.Seq, err)
		}
		if _, err := w.save(ctx, store.Page{Chats: hp}); err != nil {
			return fmt.Errorf("batch %d: store chat page: %w", bt.Seq, err)
		}
		b.progress(ctx, bt.BackfillID)
	}
	if s.Settings.SkipSessions {
		return nil
	}
	return b.importSessions(ctx, w, bt)
}

// importSessions imports the local and remote sessions created in the
// batch's window, with their transcripts, reporting progress after every
// page. Session lists run newest first and their page tokens are not kept
// beside the batch's cursors, so a re-claimed batch walks its window's
// sessions again; storing them is idempotent.
func (b *Backfiller) importSessions(ctx context.Context, w *writer, bt store.Batch) error {
	s := b.Syncer
	for _, remote := range []bool{false, true} {
		stream := StreamLocalSessions
		if remote {
			stream = StreamRemoteSessions
		}
		q := compliance.PageQuery{Limit: s.Settings.SessionPageSize}
		q.CreatedAt.GTE, q.CreatedAt.LT = bt.From, bt.To
		for {
			refs, next, bad, err := s.sessionListPage(ctx, remote, q)
			if compliance.IsPermission(err) || (!remote && compliance.IsSessionsUnavailable(err)) {
				s.Log.Info("sessions not available to this key; the backfill skips them", "stream", stream, "err", err)
				break
			}
			if err != nil {
				return fmt.Errorf("batch %d %s: %w", bt.Seq, stream, err)
			}
			if err := s.quarantine(ctx, stream, bad); err != nil {
				return err
			}
			page, err := s.hydrateSessions(ctx, refs, nil)
			if err != nil {
				return fmt.Errorf("batch %d: %w", bt.Seq, err)
			}
			bp := &store.BatchProgress{BatchID: bt.ID}
			for _, r := range refs {
				bp.SyncedUpTo = maxTime(bp.SyncedUpTo, r.created)
			}
			page.BatchProgress = bp
			if _, err := w.save(ctx, store.Page{Chats: page}); err != nil {
				return fmt.Errorf("batch %d: store session page: %w", bt.Seq, err)
			}
			b.progress(ctx, bt.BackfillID)
			if next == nil || *next == "" {
				break
			}
			q.Page = *next
		}
	}
	return nil
}

func (b *Backfiller) progress(ctx context.Context, jobID int64) {
	if b.Progress == nil {
		return
	}
	if job, err := b.Syncer.Store.Backfill(ctx, jobID); err == nil {
		b.report(job)
	}
}
