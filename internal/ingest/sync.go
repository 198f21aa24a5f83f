package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/store"
)

// Streams stored as checkpoints.
const (
	StreamActivities = "activities"
	StreamChats      = "chats"
)

// Settings tune one integration's sync.
type Settings struct {
	// PageSize is the activity page size (max 5000).
	PageSize int
	// ChatPageSize is the chat list page size (max 1000); each chat costs one more request.
	ChatPageSize int
	// InitialLookback bounds the very first sync; 0 takes the whole history.
	InitialLookback time.Duration
	// Overlap is the trailing window re-polled every cycle for late activities.
	Overlap time.Duration
	// HydrateConcurrency is how many chats are fetched at once.
	HydrateConcurrency int
	// FeedOnly skips everything but the Activity Feed (Admin API keys).
	FeedOnly bool
	// SkipDirectory skips organizations, users and projects listing.
	SkipDirectory bool
	// SkipSessions skips Claude Code / Cowork sessions.
	SkipSessions bool
	// SkipFiles skips downloading the files messages carry.
	SkipFiles bool
	// FileMaxBytes is the largest file downloaded for text extraction
	// (default 10 MiB); larger ones are recorded as skipped.
	FileMaxBytes int64
	// FileBudgetBytes bounds the file bytes one cycle downloads (default
	// 512 MiB); files past it wait for a later cycle.
	FileBudgetBytes int64
	// SessionPageSize is the session list page size (max 500).
	SessionPageSize int
	// TranscriptPageSize is the session transcript page size (max 1000).
	TranscriptPageSize int
	// RemoteSessionWindow is how far back remote sessions are re-listed
	// every cycle (they have no updated_at filter; default 24 h).
	RemoteSessionWindow time.Duration
	// ContentInterval is how often project attachments and code artifacts
	// are walked for files not fetched yet (default 1 h): the walk costs a
	// request per project.
	ContentInterval time.Duration
}

func (s *Settings) defaults() {
	if s.PageSize <= 0 {
		s.PageSize = 1000
	}
	if s.ChatPageSize <= 0 {
		s.ChatPageSize = 100
	}
	if s.Overlap <= 0 {
		s.Overlap = 10 * time.Minute
	}
	if s.HydrateConcurrency <= 0 {
		s.HydrateConcurrency = 8
	}
	if s.FileMaxBytes <= 0 {
		s.FileMaxBytes = 10 << 20
	}
	if s.FileBudgetBytes <= 0 {
		s.FileBudgetBytes = 512 << 20
	}
	if s.SessionPageSize <= 0 {
		s.SessionPageSize = 500
	}
	if s.TranscriptPageSize <= 0 {
		s.TranscriptPageSize = 1000
	}
	if s.RemoteSessionWindow <= 0 {
		s.RemoteSessionWindow = 24 * time.Hour
	}
	if s.ContentInterval <= 0 {
		s.ContentInterval = time.Hour
	}
}

// Syncer runs sync cycles for one integration.
type Syncer struct {
	Integration *store.Integration
	Client      *compliance.Client
	Store       store.Store
	Settings    Settings
	Log         *slog.Logger
	Now         func() time.Time
	// Stored, when set, is called after every committed page: the
	// evaluation stage follows the writer with it.
	Stored func()
	// SettingsChanged, when set, is told which organization settings
	// changed since the previous sync (settings drift).
	SettingsChanged func(ctx context.Context, in *store.Integration, changes []store.SettingChange)
	// fileBytes counts the file bytes downloaded this cycle.
	fileBytes fileBudget
}

// NewSyncer wires a syncer with defaults.
func NewSyncer(in *store.Integration, c *compliance.Client, st store.Store, set Settings, log *slog.Logger) *Syncer {
	set.defaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Syncer{Integration: in, Client: c, Store: st, Settings: set, Log: log.With("integration", in.Name), Now: time.Now}
}

// ErrPaused is returned by SyncOnce for a paused integration.
var ErrPaused = errors.New("integration is paused")

// SyncOnce runs one cycle: activities (cursor catch-up, then an overlap
// re-poll), directory, then chats changed since the chat cursor, hydrated.
// Every page is stored with its checkpoint in one transaction, so a cycle
// killed at any point resumes where the last stored page ended.
func (s *Syncer) SyncOnce(ctx context.Context) (store.Run, error) {
	in := s.Integration
	if in.Paused {
		return store.Run{}, fmt.Errorf("sync %s: %w (resume it first)", in.Name, ErrPaused)
	}
	run := store.Run{IntegrationID: in.ID, Kind: "sync"}
	s.fileBytes.Store(0)
	if err := s.Store.StartRun(ctx, &run); err != nil {
		return run, fmt.Errorf("sync %s: %w", in.Name, err)
	}
	err := s.cycle(ctx, &run)
	if err != nil {
		run.Errors++
		run.Error = err.Error()
	}
	fctx := context.WithoutCancel(ctx)
	if ferr := s.Store.FinishRun(fctx, &run); ferr != nil && err == nil {
		err = ferr
	}
	if err != nil {
		_ = s.Store.SetIntegrationFailure(fctx, in.ID, compliance.FailureKind(err), err.Error())
	} else {
		_ = s.Store.MarkSynced(fctx, in.ID, s.Now(), "")
	}
	if err != nil {
		return run, fmt.Errorf("sync %s: %w", in.Name, err)
	}
	s.Log.Info("sync cycle done", "activities", run.Activities, "chats", run.Chats, "messages", run.Messages,
		"took", run.FinishedAt.Sub(run.StartedAt).Round(time.Millisecond))
	return run, nil
}

// cycle fetches on this goroutine and stores on a writer's, so the next
// pages are fetched and decoded while the previous ones are written.
func (s *Syncer) cycle(ctx context.Context, run *store.Run) error {
	w := newWriter(ctx, s.Store, s.Stored)
	err := s.fetchCycle(ctx, w)
	total, werr := w.close()
	run.Activities, run.Chats, run.Messages = total.Activities, total.Chats, total.Messages
	if err != nil {
		return err
	}
	return werr
}

func (s *Syncer) fetchCycle(ctx context.Context, w *writer) error {
	if err := s.syncActivities(ctx, w); err != nil {
		return err
	}
	if s.Settings.FeedOnly {
		return nil
	}
	if !s.Settings.SkipDirectory {
		page, err := s.directoryPage(ctx)
		if err != nil {
			return err
		}
		if err := w.queue(ctx, store.Page{Chats: page}); err != nil {
			return err
		}
		changes, err := s.syncOrgDirectory(ctx)
		if err != nil {
			return err
		}
		if len(changes) > 0 && s.SettingsChanged != nil {
			s.SettingsChanged(ctx, s.Integration, changes)
		}
	}
	if err := s.syncChats(ctx, w); err != nil {
		return err
	}
	if err := s.syncContent(ctx); err != nil {
		return err
	}
	if s.Settings.SkipSessions {
		return nil
	}
	return s.syncSessions(ctx, w)
}

func (s *Syncer) syncActivities(ctx context.Context, w *writer) error {
	in := s.Integration
	cp, err := s.Store.Checkpoint(ctx, in.ID, StreamActivities)
	if err != nil {
		return err
	}
	q := compliance.ActivityQuery{Limit: s.Settings.PageSize, Order: "asc", AfterID: cp.Cursor}
	if cp.Cursor == "" && s.Settings.InitialLookback > 0 {
		q.CreatedAt.GTE = s.Now().Add(-s.Settings.InitialLookback)
	}
	hw := cp.HighWater
	for page, err := range s.Client.ActivityPages(ctx, q) {
		if err != nil {
			return err
		}
		if err := s.quarantine(ctx, StreamActivities, page.Quarantined); err != nil {
			return err
		}
		next := &store.Checkpoint{IntegrationID: in.ID, Stream: StreamActivities, Cursor: cp.Cursor, HighWater: hw}
		if page.LastID != nil {
			next.Cursor = *page.LastID
		}
		if err := w.queue(ctx, store.Page{Activities: s.activityPage(page.Data, next, nil)}); err != nil {
			return err
		}
		cp.Cursor, hw = next.Cursor, next.HighWater
	}
	if hw.IsZero() {
		return nil
	}
	// Re-poll a trailing window: activities indexed late land behind the cursor.
	rq := compliance.ActivityQuery{Limit: s.Settings.PageSize, Order: "asc"}
	rq.CreatedAt.GTE = hw.Add(-s.Settings.Overlap)
	for page, err := range s.Client.ActivityPages(ctx, rq) {
		if err != nil {
			return err
		}
		if err := s.quarantine(ctx, StreamActivities, page.Quarantined); err != nil {
			return err
		}
		res, err := w.save(ctx, store.Page{Activities: s.activityPage(page.Data, nil, nil)})
		if err != nil {
			return fmt.Errorf("store activity page: %w", err)
		}
		if res.Activities > 0 {
			s.Log.Info("late activities picked up by the overlap re-poll", "count", res.Activities)
		}
	}
	return nil
}

// activityPage converts one API page; cp (when set) gets the page's high
// water, bp (when set) how far the batch got.
func (s *Syncer) activityPage(acts []compliance.Activity, cp *store.Checkpoint, bp *store.BatchProgress) *store.ActivityPage {
	page := &store.ActivityPage{IntegrationID: s.Integration.ID, Checkpoint: cp, BatchProgress: bp,
		Activities: make([]store.Activity, 0, len(acts))}
	for i := range acts {
		a := &acts[i]
		page.Activities = append(page.Activities, toActivity(a))
		if u, ok := actorUser(a); ok {
			page.Users = append(page.Users, u)
		}
		if cp != nil {
			cp.HighWater = maxTime(cp.HighWater, a.CreatedAt.Time)
		}
		if bp != nil {
			bp.SyncedUpTo = maxTime(bp.SyncedUpTo, a.CreatedAt.Time)
		}
	}
	return page
}

// directoryPage fetches users (names, roles) and projects.
func (s *Syncer) directoryPage(ctx context.Context) (*store.ChatPage, error) {
	page := &store.ChatPage{IntegrationID: s.Integration.ID}
	for org, err := range s.Client.Organizations(ctx, compliance.PageQuery{}) {
		if err != nil {
			if compliance.IsPermission(err) {
				break // a key without org scope still syncs content
			}
			return nil, err
		}
		for u, err := range s.Client.OrganizationUsers(ctx, org.UUID, compliance.PageQuery{Limit: 1000}) {
			if err != nil {
				return nil, err
			}
			// Being listed is not activity: last seen comes only from the
			// user's own sign-ins, prompts and sessions.
			page.Users = append(page.Users, store.User{ID: u.ID, Email: email(u.Email), FullName: u.FullName, Role: u.OrganizationRole,
				FirstSeen: u.CreatedAt.Time})
		}
	}
	for p, err := range s.Client.Projects(ctx, compliance.PageQuery{Limit: 100}) {
		if err != nil {
			return nil, err
		}
		sp := store.Project{ID: p.ID, Name: p.Name, IsPrivate: p.IsPrivate, CreatedAt: p.CreatedAt.Time, UpdatedAt: p.UpdatedAt.Time}
		if p.User != nil {
			sp.UserID = p.User.ID
		}
		if p.DeletedAt != nil && !p.DeletedAt.IsZero() {
			t := p.DeletedAt.Time
			sp.DeletedAt = &t
		}
		page.Projects = append(page.Projects, sp)
	}
	return page, nil
}

// syncDirectory refreshes users (names, roles) and projects.
func (s *Syncer) syncDirectory(ctx context.Context) error {
	page, err := s.directoryPage(ctx)
	if err != nil {
		return err
	}
	if _, err := s.Store.SaveChatPage(ctx, *page); err != nil {
		return fmt.Errorf("store directory: %w", err)
	}
	return nil
}

func (s *Syncer) syncChats(ctx context.Context, w *writer) error {
	in := s.Integration
	cp, err := s.Store.Checkpoint(ctx, in.ID, StreamChats)
	if err != nil {
		return err
	}
	q := compliance.ChatQuery{OrderBy: "updated_at", Limit: s.Settings.ChatPageSize, AfterID: cp.Cursor}
	if cp.Cursor == "" && s.Settings.InitialLookback > 0 {
		q.UpdatedAt.GTE = s.Now().Add(-s.Settings.InitialLookback)
	}
	// A page is hydrated while the next one is listed and its chats start
	// to be fetched in the slots the page's last chats leave free, so that
	// neither the list request nor a page's slowest chats leave the
	// fetchers idle; pages are still queued in order.
	var prev *hydration
	defer func() {
		if prev != nil {
			<-prev.done // after cancel, below
		}
	}()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, s.Settings.HydrateConcurrency)
	for page, err := range s.Client.ChatPages(ctx, q) {
		if err != nil {
			// The page before is stored as it was when pages were hydrated one by one.
			if prev != nil {
				if qerr := prev.queue(ctx, w); qerr != nil {
					return qerr
				}
			}
			return err
		}
		if err := s.quarantine(ctx, StreamChats, page.Quarantined); err != nil {
			return err
		}
		next := &store.Checkpoint{IntegrationID: in.ID, Stream: StreamChats, Cursor: cp.Cursor, HighWater: cp.HighWater}
		if page.LastID != nil {
			next.Cursor = *page.LastID
		}
		for _, c := range page.Data {
			next.HighWater = maxTime(next.HighWater, c.UpdatedAt.Time)
		}
		h := &hydration{done: make(chan struct{})}
		go func() {
			defer close(h.done)
			h.page, h.err = s.hydrateWith(ctx, page.Data, next, nil, sem)
		}()
		last := prev
		prev = h
		if last != nil {
			if err := last.queue(ctx, w); err != nil {
				return err
			}
		}
		cp = *next
	}
	if prev == nil {
		return nil
	}
	return prev.queue(ctx, w)
}

// hydration is a chat page being hydrated.
type hydration struct {
	page *store.ChatPage
	err  error
	done chan struct{} // closed when page and err are set
}

// queue waits for the page and hands it to the writer.
func (h *hydration) queue(ctx context.Context, w *writer) error {
	<-h.done
	if h.err != nil {
		return h.err
	}
	return w.queue(ctx, store.Page{Chats: h.page})
}

// hydrate fetches every chat's messages concurrently into a page with its
// checkpoint. Chats that vanished (404) are recorded as deleted.
func (s *Syncer) hydrate(ctx context.Context, chats []compliance.Chat, cp *store.Checkpoint, bp *store.BatchProgress) (*store.ChatPage, error) {
	return s.hydrateWith(ctx, chats, cp, bp, make(chan struct{}, s.Settings.HydrateConcurrency))
}

// hydrateWith is hydrate with fetches taking their turns from sem, which
// other pages being hydrated may share.
func (s *Syncer) hydrateWith(ctx context.Context, chats []compliance.Chat, cp *store.Checkpoint, bp *store.BatchProgress, sem chan struct{}) (*store.ChatPage, error) {
	page := &store.ChatPage{IntegrationID: s.Integration.ID, Checkpoint: cp, BatchProgress: bp,
		Chats: make([]store.HydratedChat, len(chats))}
	errs := make([]error, len(chats))
	now := s.Now()
	var wg sync.WaitGroup
	for i := range chats {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			cm, err := s.Client.AllChatMessages(ctx, chats[i].ID, 0)
			gone := compliance.IsNotFound(err)
			if gone {
				cm = &compliance.ChatMessages{Chat: chats[i]}
				err = nil
			}
			if err != nil {
				errs[i] = err
				return
			}
			page.Chats[i] = hydrate(cm)
			if gone {
				page.Chats[i].GoneAt = &now
			}
		}(i)
	}
	wg.Wait()
	if err := firstError(ctx, errs); err != nil {
		return nil, err
	}
	if err := s.fetchFiles(ctx, page); err != nil {
		return nil, err
	}
	for i := range chats {
		if u, ok := chatUser(&chats[i]); ok {
			page.Users = append(page.Users, u)
		}
		if bp != nil {
			bp.SyncedUpTo = maxTime(bp.SyncedUpTo, chats[i].CreatedAt.Time)
		}
	}
	return page, nil
}

// quarantine records the items of a page that could not be decoded; the
// rest of the page is stored as usual and the stream goes on.
func (s *Syncer) quarantine(ctx context.Context, stream string, items []compliance.Quarantined) error {
	if len(items) == 0 {
		return nil
	}
	out := make([]store.Quarantined, len(items))
	for i, q := range items {
		out[i] = store.Quarantined{IntegrationID: s.Integration.ID, Stream: stream, ItemID: q.ID, Raw: q.Raw, Reason: q.Reason}
		// WARN: data the API sent that claudit could not read; an operator should look.
		s.Log.Warn("quarantined an undecodable item", "stream", stream, "id", q.ID, "reason", q.Reason)
	}
	if err := s.Store.SaveQuarantined(ctx, out); err != nil {
		return fmt.Errorf("store quarantined %s items: %w", stream, err)
	}
	return nil
}

// firstError reports one failed chat fetch (and how many others failed)
// instead of a line per chat; a cancelled context wins.
func firstError(ctx context.Context, errs []error) error {
	var first error
	n := 0
	for _, err := range errs {
		if err == nil {
			continue
		}
		if first == nil {
			first = err
		}
		n++
	}
	switch {
	case first == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case n > 1:
		return fmt.Errorf("%w (and %d more chats failed)", first, n-1)
	}
	return first
}
