// Package evaluate runs stored events through the policies: every new prompt
// event once per policy version, every touched chat through the session
// policies, and every access event through the activity policies, saving
// findings, tags, alerts and their deliveries in one transaction per batch.
package evaluate

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/claudit/claudit/internal/policy"
	"github.com/claudit/claudit/internal/policy/detect"
	"github.com/claudit/claudit/internal/store"
)

// Backend is the store as the pipeline sees it; tests wrap it to inject faults.
type Backend = store.Store

// Alerter decides, inside the transaction that saves findings, which
// alerts they open or join and which deliveries to queue (alert.Router).
type Alerter interface {
	Raise(ctx context.Context, tx store.Tx, evals []store.Evaluation) error
}

// Pipeline evaluates what ingestion stored.
type Pipeline struct {
	Store  Backend
	Engine *policy.Reloadable
	// Session runs the session policies of the engine's version; it is
	// rebuilt when a reload changes the version.
	Session *policy.SessionEvaluator
	// Alerts raises the alerts and deliveries of saved findings; nil
	// records findings without alerts.
	Alerts Alerter
	// Batch is how many events a transaction evaluates (default 1000).
	// Each transaction writes the index pages its findings and marks
	// touch, most of them shared by the next batch's: 1000 wrote a tenth
	// fewer pages per message than 500 (the default until then) in a
	// sync, for a few MB of peak RSS; 4000, a quarter fewer for 20 MB.
	Batch   int
	Workers int
	Log     *slog.Logger
	// HoldActivities, when set and true, makes Drain leave activities
	// pending: a backfill is storing history out of time order, and the
	// activity policies judge an event by the user's earlier ones.
	HoldActivities func(context.Context) (bool, error)

	mu       sync.Mutex     // one drain at a time per process
	activity *activityState // users' activity memory; guarded by mu
	// sessionVersion is the policy version Session was built from.
	sessionVersion string
}

// New builds a pipeline from a policy engine. A store that offers one (SQLite)
// is read through its bulk view: connections of their own with small page
// caches, so that the pipeline's reads of rows all over the store do not
// fill the caches the dashboard's readers keep.
func New(st Backend, eng *policy.Reloadable, alerts Alerter, log *slog.Logger) *Pipeline {
	if b, ok := st.(interface{ Bulk() store.Store }); ok {
		st = b.Bulk()
	}
	cfg := eng.Engine().Config()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Pipeline{Store: st, Engine: eng, Session: policy.NewSessionEvaluator(cfg.Session), sessionVersion: eng.Engine().Version(),
		Alerts: alerts, Log: log}
}

// Save stores evaluations and the alerts and deliveries they raise in one
// transaction, so a crash keeps all of them or none: the events stay
// unevaluated and are evaluated again, alerting once.
func (p *Pipeline) Save(ctx context.Context, evals []store.Evaluation) error {
	if len(evals) == 0 {
		return nil
	}
	return p.Store.WithTx(ctx, func(tx store.Tx) error {
		if err := tx.SaveEvaluations(ctx, evals); err != nil {
			return err
		}
		if p.Alerts == nil {
			return nil
		}
		return p.Alerts.Raise(ctx, tx, evals)
	})
}

// Drain evaluates everything not evaluated yet and returns how many events it did.
func (p *Pipeline) Drain(ctx context.Context) (int, error) {
	activities := true
	if p.HoldActivities != nil {
		hold, err := p.HoldActivities(ctx)
		if err != nil {
			return 0, err
		}
		activities = !hold
	}
	return p.drain(ctx, activities)
}

// drain evaluates pending messages, then pending activities when asked.
// Both are read oldest first through the pending indexes, a batch at a
// time; each batch is saved in one transaction with its evaluation marks,
// so a crash leaves every event evaluated once or not at all.
func (p *Pipeline) drain(ctx context.Context, activities bool) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	batch := p.Batch
	if batch <= 0 {
		batch = 1000
	}
	total, err := p.drainMessages(ctx, batch)
	if err != nil || !activities {
		return total, err
	}
	n, err := p.drainActivities(ctx, batch)
	return total + n, err
}

// scored is a batch of messages the engine has evaluated, waiting for its
// chats' session evaluation and its save.
type scored struct {
	msgs   []store.Message
	evals  []store.Evaluation
	eng    *policy.Engine
	groups *userGroups
}

// drainMessages evaluates pending messages in two overlapping stages
// (inTwoStages): the engine scores the next batch while the previous one's
// sessions are evaluated and saved, which is one writer's work.
func (p *Pipeline) drainMessages(ctx context.Context, batch int) (int, error) {
	var last *store.Message // the last message read
	next := func(ctx context.Context, fromOldest bool) (*scored, int, error) {
		var msgs []store.Message
		var err error
		if fromOldest {
			msgs, err = p.Store.UnevaluatedMessages(ctx, batch)
		} else {
			msgs, err = p.Store.UnevaluatedMessagesAfter(ctx, last.CreatedAt, last.ID, batch)
		}
		if err != nil || len(msgs) == 0 {
			return nil, 0, err
		}
		last = &msgs[len(msgs)-1]
		b, err := p.scoreMessages(ctx, msgs)
		return b, len(msgs), err
	}
	return inTwoStages(ctx, next, p.finishBatch)
}

// drainActivities evaluates pending activities in two overlapping stages
// (inTwoStages): the activity policies evaluate the next batch while the
// previous one is saved. Evaluation feeds the users' memories in order and
// reads stored events only, never their marks or findings, so it need not
// wait for the saves.
func (p *Pipeline) drainActivities(ctx context.Context, batch int) (int, error) {
	var last *store.Activity // the last activity read
	next := func(ctx context.Context, fromOldest bool) ([]store.Evaluation, int, error) {
		var acts []store.Activity
		var err error
		if fromOldest {
			acts, err = p.Store.UnevaluatedActivities(ctx, batch)
		} else {
			acts, err = p.Store.UnevaluatedActivitiesAfter(ctx, last.CreatedAt, last.ID, batch)
		}
		if err != nil || len(acts) == 0 {
			return nil, 0, err
		}
		last = &acts[len(acts)-1]
		evals, err := p.evaluateActivities(ctx, acts)
		return evals, len(acts), err
	}
	save := func(ctx context.Context, evals []store.Evaluation) error {
		if err := p.Save(ctx, evals); err != nil {
			return fmt.Errorf("save access evaluations: %w", err)
		}
		return nil
	}
	return inTwoStages(ctx, next, save)
}

// inTwoStages drains pending events in two overlapping stages: next reads
// and evaluates a batch on a goroutine of its own while save stores the
// previous one, one batch at a time and in order, each after the previous
// one's commit, as when the stages ran one after the other. next returns a
// batch and its number of events, read from the oldest pending event or
// after the last one it read, so that no event is in two batches at once.
// When nothing is left after it, the batches in flight are waited for and
// reading starts over from the oldest pending event, which picks up events
// stored meanwhile with earlier times; the drain ends when nothing is
// pending. It returns how many events were saved.
func inTwoStages[B any](ctx context.Context, next func(ctx context.Context, fromOldest bool) (B, int, error),
	save func(context.Context, B) error) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ready := make(chan sized[B], 1)
	var inFlight atomic.Int64
	saved := make(chan struct{}, 1)
	var readErr error
	go func() {
		defer close(ready)
		readErr = readBatches(ctx, next, ready, &inFlight, saved)
	}()
	total := 0
	var saveErr error
	for b := range ready {
		if saveErr == nil {
			if saveErr = save(ctx, b.batch); saveErr != nil {
				cancel() // the reader stops; batches it already sent are dropped
			} else {
				total += b.n
			}
		}
		inFlight.Add(-1)
		select {
		case saved <- struct{}{}:
		default:
		}
	}
	if saveErr != nil {
		return total, saveErr
	}
	return total, readErr
}

// sized is a batch and its number of events.
type sized[B any] struct {
	batch B
	n     int
}

// readBatches is inTwoStages' first stage: it hands next's batches to ready.
func readBatches[B any](ctx context.Context, next func(ctx context.Context, fromOldest bool) (B, int, error), ready chan<- sized[B],
	inFlight *atomic.Int64, saved <-chan struct{}) error {
	fromOldest := true
	for {
		b, n, err := next(ctx, fromOldest)
		if err != nil {
			return err
		}
		if n == 0 {
			if fromOldest {
				return nil
			}
			for inFlight.Load() > 0 {
				select {
				case <-saved:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			fromOldest = true
			continue
		}
		fromOldest = false
		inFlight.Add(1)
		select {
		case ready <- sized[B]{b, n}:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// scoreMessages runs the engine over a batch of messages.
func (p *Pipeline) scoreMessages(ctx context.Context, msgs []store.Message) (*scored, error) {
	eng := p.Engine.Engine()
	version := eng.Version()
	evals := make([]store.Evaluation, len(msgs))
	// Groups are read before the workers start: they share them read-only.
	groups := p.userGroups(eng.Config())
	msgGroups := make([][]string, len(msgs))
	for i := range msgs {
		var err error
		if msgGroups[i], err = groups.of(ctx, msgs[i].IntegrationID, msgs[i].UserID); err != nil {
			return nil, err
		}
	}
	workers := p.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				evals[i] = p.evaluateMessage(ctx, eng, version, &msgs[i], msgGroups[i])
			}
		}()
	}
	for i := range msgs {
		next <- i
	}
	close(next)
	wg.Wait()
	return &scored{msgs: msgs, evals: evals, eng: eng, groups: groups}, nil
}

// finishBatch evaluates the sessions of the chats a scored batch touched
// and saves the batch. The chats' session evaluations go into the same
// transaction as the messages: a crash between two saves would leave
// messages evaluated and their sessions never looked at again.
func (p *Pipeline) finishBatch(ctx context.Context, b *scored) error {
	msgs, evals, version := b.msgs, b.evals, b.eng.Version()
	inBatch := make(map[string]*store.Evaluation, len(evals))
	var chats []chatKey
	seen := map[chatKey]bool{}
	found := map[chatKey]bool{} // chats this batch made a finding in
	for i := range evals {
		inBatch[evals[i].EventID] = &evals[i]
		k := chatKey{msgs[i].IntegrationID, msgs[i].ChatID}
		if !seen[k] {
			seen[k] = true
			chats = append(chats, k)
		}
		found[k] = found[k] || len(evals[i].Findings) > 0
	}
	if p.Session == nil || p.sessionVersion != version {
		p.Session, p.sessionVersion = policy.NewSessionEvaluator(b.eng.Config().Session), version
	}
	sessions, err := p.evaluateSessions(ctx, chats, version, inBatch, found, msgs, b.groups)
	if err != nil {
		return err
	}
	if err := p.Save(ctx, append(evals, sessions...)); err != nil {
		return fmt.Errorf("save evaluations: %w", err)
	}
	return nil
}

func (p *Pipeline) evaluateMessage(ctx context.Context, eng *policy.Engine, version string, m *store.Message, groups []string) store.Evaluation {
	role := detect.Role(m.Role)
	res := eng.Evaluate(ctx, detect.Input{Text: m.Text, Role: role, ChatID: m.ChatID, UserID: m.UserID, Groups: groups})
	e := store.Evaluation{IntegrationID: m.IntegrationID, Kind: "prompt", EventID: m.ID, Version: version, Tags: res.Tags, Message: m}
	for _, f := range res.Findings {
		e.Findings = append(e.Findings, store.Finding{Policy: f.Policy, Detector: f.Finding.Detector, Entity: f.Finding.Entity,
			Severity: string(f.Severity), Action: string(f.Action), EffectiveAction: string(f.EffectiveAction), Score: f.Finding.Score,
			Start: f.Finding.Start, End: f.Finding.End, Excerpt: f.Finding.Excerpt, ChatID: m.ChatID, UserID: m.UserID,
			UserEmail: m.UserEmail, EventTime: m.CreatedAt})
	}
	return e
}

// chatKey names one chat of one integration.
type chatKey struct {
	integrationID int64
	chatID        string
}

// evaluateSessions runs the session policies over each chat a batch
// touched, reading the chats' stored findings and, for chats with any, their
// messages, a few queries per batch; the batch's own messages (msgs) are
// not read again.
func (p *Pipeline) evaluateSessions(ctx context.Context, chats []chatKey, version string, inBatch map[string]*store.Evaluation,
	found map[chatKey]bool, msgs []store.Message, groups *userGroups) ([]store.Evaluation, error) {
	var integrations []int64
	ids := map[int64][]string{}
	for _, k := range chats {
		if _, ok := ids[k.integrationID]; !ok {
			integrations = append(integrations, k.integrationID)
		}
		ids[k.integrationID] = append(ids[k.integrationID], k.chatID)
	}
	stored := map[chatKey][]store.Finding{}
	chatMsgs := map[chatKey][]store.Message{}
	for _, in := range integrations {
		fs, err := p.Store.SessionFindings(ctx, in, ids[in])
		if err != nil {
			return nil, err
		}
		// Session rules read findings: a chat without any gives none
		// (session.Check), so its messages need not be read.
		var read []string
		for _, chatID := range ids[in] {
			k := chatKey{in, chatID}
			stored[k] = fs[chatID]
			if found[k] || slices.ContainsFunc(fs[chatID], func(f store.Finding) bool { return inBatch[f.EventID] == nil }) {
				read = append(read, chatID)
			}
		}
		if len(read) == 0 {
			continue
		}
		ms, err := p.Store.SessionMessages(ctx, in, read, msgs)
		if err != nil {
			return nil, err
		}
		for _, chatID := range read {
			chatMsgs[chatKey{in, chatID}] = ms[chatID]
		}
	}
	out := make([]store.Evaluation, 0, len(chats))
	for _, k := range chats {
		e, err := p.evaluateSession(ctx, k, version, inBatch, stored[k], chatMsgs[k], groups)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// evaluateSession runs the session policies over a whole chat, rebuilt from
// its stored messages (msgs, in chat order; none when it has no finding)
// and their findings (no re-scan of the text); the findings of messages
// evaluated in this batch (not saved yet) come from inBatch, and replace
// those stored for them.
func (p *Pipeline) evaluateSession(ctx context.Context, k chatKey, version string, inBatch map[string]*store.Evaluation,
	findings []store.Finding, msgs []store.Message, groups *userGroups) (store.Evaluation, error) {
	e := store.Evaluation{IntegrationID: k.integrationID, Kind: "session", EventID: k.chatID, Version: version}
	if len(msgs) == 0 {
		return e, nil
	}
	byEvent := map[string][]policy.PolicyFinding{}
	add := func(eventID string, f *store.Finding) {
		byEvent[eventID] = append(byEvent[eventID], policy.PolicyFinding{Policy: f.Policy, Severity: policy.Severity(f.Severity),
			Action: policy.Action(f.Action), EffectiveAction: policy.Action(f.EffectiveAction),
			Finding: detect.Finding{Detector: f.Detector, Entity: f.Entity, Start: f.Start, End: f.End, Score: f.Score, Excerpt: f.Excerpt}})
	}
	for i := range findings {
		if inBatch[findings[i].EventID] == nil { // stored findings of a batch message are being replaced
			add(findings[i].EventID, &findings[i])
		}
	}
	for _, m := range msgs {
		if ev := inBatch[m.ID]; ev != nil && ev.Kind == "prompt" {
			for i := range ev.Findings {
				add(m.ID, &ev.Findings[i])
			}
		}
	}
	sm := make([]policy.SessionMessage, 0, len(msgs))
	var user, email string
	for _, m := range msgs {
		sm = append(sm, policy.SessionMessage{ID: m.ID, Role: detect.Role(m.Role), Text: m.Text, CreatedAt: m.CreatedAt,
			Result: policy.Result{Findings: byEvent[m.ID]}})
		user, email = m.UserID, m.UserEmail
	}
	ownerGroups, err := groups.of(ctx, k.integrationID, user)
	if err != nil {
		return e, err
	}
	for _, f := range p.Session.EvaluateFor(ctx, k.chatID, ownerGroups, sm) {
		at := msgs[len(msgs)-1].CreatedAt
		e.Findings = append(e.Findings, store.Finding{Policy: f.Policy, Detector: "session", Entity: f.Tag, Severity: string(f.Severity),
			Action: string(f.Action), EffectiveAction: string(f.EffectiveAction), Score: 1, Excerpt: f.Detail, ChatID: k.chatID,
			UserID: user, UserEmail: email, EventTime: at})
	}
	return e, nil
}
