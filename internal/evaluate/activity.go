package evaluate

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/claudit/claudit/internal/policy"
	"github.com/claudit/claudit/internal/store"
)

// Activity policies remember per user what came before (IPs, networks,
// user agents, recent event times), so an event's findings depend on the
// user's earlier events. To give the same findings whatever order events
// are stored in and whether or not the process restarted, each user's
// memory is rebuilt from the store, never from a bounded sample of it:
// the places (IPs and user agents) of everything stored before the user's
// first pending event, then a replay of the last few windows of events so
// the windowed counts start where they were. After that the user's events
// are fed in (created_at, id) order; an event older than the last one fed
// (a late arrival, or a batch whose save failed) rebuilds the user again.

// replayWindows is how many of the longest windowed rule's windows of
// stored events are replayed when a user's memory is rebuilt.
const replayWindows = 6

// maxPlaces bounds the IPs and user agents loaded per user; the policies
// keep no more than this many either.
const maxPlaces = 256

// userHistory is the pipeline's memory of one user: an evaluator holding
// only this user's state, and the position of the last event fed to it.
type userHistory struct {
	eval *policy.ActivityEvaluator
	at   time.Time
	id   string
}

// fedPast reports whether a is at or before the last event fed.
func (h *userHistory) fedPast(a *store.Activity) bool {
	return a.CreatedAt.Before(h.at) || a.CreatedAt.Equal(h.at) && a.ID <= h.id
}

// activityState holds the users' memories under one policy version; a
// new version starts empty (and users are rebuilt from the store).
type activityState struct {
	version   string
	cfg       policy.ActivityConfig
	stateless *policy.ActivityEvaluator // events without a user: no memory
	users     map[string]*userHistory
}

func (p *Pipeline) activityState(version string) *activityState {
	if p.activity == nil || p.activity.version != version {
		cfg := p.Engine.Engine().Config().Activity
		p.activity = &activityState{version: version, cfg: cfg, stateless: policy.NewActivityEvaluator(cfg),
			users: map[string]*userHistory{}}
	}
	return p.activity
}

// replaySpan is how far back a rebuilt user's events are replayed.
func (s *activityState) replaySpan() time.Duration {
	w := max(s.cfg.LongestWindow(), time.Hour)
	return replayWindows * w
}

// evaluateActivities runs the activity policies over a batch of
// activities, in order, and returns their evaluations.
func (p *Pipeline) evaluateActivities(ctx context.Context, acts []store.Activity) ([]store.Evaluation, error) {
	version := p.Engine.Version()
	st := p.activityState(version)
	evals := make([]store.Evaluation, len(acts))
	groups := p.userGroups(p.Engine.Engine().Config())
	byUser := map[string][]int{}
	var order []string
	for i := range acts {
		a := &acts[i]
		evals[i] = store.Evaluation{IntegrationID: a.IntegrationID, Kind: "access", EventID: a.ID, Version: version, Activity: a}
		if a.ActorUserID == "" {
			addActivityFindings(&evals[i], a, st.stateless.Evaluate(ctx, policyActivity(a, nil)))
			continue
		}
		key := strconv.FormatInt(a.IntegrationID, 10) + "/" + a.ActorUserID
		if _, ok := byUser[key]; !ok {
			order = append(order, key)
		}
		byUser[key] = append(byUser[key], i)
	}
	for _, key := range order {
		first := &acts[byUser[key][0]]
		gs, err := groups.of(ctx, first.IntegrationID, first.ActorUserID)
		if err != nil {
			return nil, err
		}
		if err := p.evaluateUser(ctx, st, key, acts, byUser[key], evals, gs); err != nil {
			return nil, err
		}
	}
	return evals, nil
}

// evaluateUser feeds one user's pending events (idx into acts, in order)
// to the user's memory, rebuilding it first when needed; groups are the
// user's directory groups.
func (p *Pipeline) evaluateUser(ctx context.Context, st *activityState, key string, acts []store.Activity, idx []int, evals []store.Evaluation,
	groups []string) error {
	first, last := &acts[idx[0]], &acts[idx[len(idx)-1]]
	h := st.users[key]
	if h != nil && !h.fedPast(first) {
		for _, i := range idx {
			a := &acts[i]
			addActivityFindings(&evals[i], a, h.eval.Evaluate(ctx, policyActivity(a, groups)))
			h.at, h.id = a.CreatedAt, a.ID
		}
		return nil
	}
	h, stored, err := p.rebuildUser(ctx, st, first, last, groups)
	if err != nil {
		return err
	}
	st.users[key] = h
	pending := make(map[string]int, len(idx))
	for _, i := range idx {
		pending[acts[i].ID] = i
	}
	// Stored events between the pending ones (already evaluated) are fed
	// too, but only the pending ones get findings.
	for j := range stored {
		a := &stored[j]
		fs := h.eval.Evaluate(ctx, policyActivity(a, groups))
		h.at, h.id = a.CreatedAt, a.ID
		if i, ok := pending[a.ID]; ok {
			addActivityFindings(&evals[i], &acts[i], fs)
			delete(pending, a.ID)
		}
	}
	// A pending event the store no longer lists (deleted meanwhile) is
	// still evaluated, after the rest.
	for _, i := range idx {
		if _, ok := pending[acts[i].ID]; ok {
			addActivityFindings(&evals[i], &acts[i], h.eval.Evaluate(ctx, policyActivity(&acts[i], groups)))
		}
	}
	return nil
}

// rebuildUser builds a user's memory as of just before first: the places of
// everything stored earlier, then a replay of the recent windows. It returns
// the user's stored events from first to last, in order, to be fed next.
func (p *Pipeline) rebuildUser(ctx context.Context, st *activityState, first, last *store.Activity, groups []string) (*userHistory, []store.Activity, error) {
	from := first.CreatedAt.Add(-st.replaySpan())
	ips, agents, err := p.Store.UserPlaces(ctx, first.IntegrationID, first.ActorUserID, from, maxPlaces)
	if err != nil {
		return nil, nil, err
	}
	h := &userHistory{eval: policy.NewActivityEvaluator(st.cfg)}
	h.eval.Seed(first.ActorUserID, ips, agents)
	f := store.EventFilter{IntegrationID: first.IntegrationID, User: first.ActorUserID, From: from,
		To: last.CreatedAt.Add(time.Microsecond), Ascending: true, Limit: 1000}
	var rest []store.Activity
	for {
		page, next, err := p.Store.AccessEvents(ctx, f)
		if err != nil {
			return nil, nil, fmt.Errorf("read history of user %s: %w", first.ActorUserID, err)
		}
		for i := range page {
			a := &page[i]
			if a.CreatedAt.Before(first.CreatedAt) || a.CreatedAt.Equal(first.CreatedAt) && a.ID < first.ID {
				h.eval.Evaluate(ctx, policyActivity(a, groups)) // replay: its findings were raised when it was evaluated
				h.at, h.id = a.CreatedAt, a.ID
				continue
			}
			rest = append(rest, *a)
		}
		if next == "" {
			return h, rest, nil
		}
		f.Cursor = next
	}
}

// policyActivity is a stored activity as the activity policies read it;
// groups are the actor's directory groups.
func policyActivity(a *store.Activity, groups []string) policy.Activity {
	return policy.Activity{ID: a.ID, Type: a.Type, ActorUserID: a.ActorUserID, ActorEmail: a.ActorEmail, IP: a.IP,
		UserAgent: a.UserAgent, CreatedAt: a.CreatedAt, Fields: fields(a.Raw), Groups: groups}
}

func addActivityFindings(e *store.Evaluation, a *store.Activity, fs []policy.ActivityFinding) {
	for _, f := range fs {
		e.Findings = append(e.Findings, store.Finding{Policy: f.Policy, Detector: "activity", Entity: a.Type, Severity: string(f.Severity),
			Action: string(f.Action), EffectiveAction: string(f.EffectiveAction), Score: 1, Excerpt: f.Detail, ChatID: a.ChatID,
			UserID: a.ActorUserID, UserEmail: a.ActorEmail, EventTime: a.CreatedAt})
		if f.Tag != "" {
			e.Tags = append(e.Tags, f.Tag)
		}
	}
}
