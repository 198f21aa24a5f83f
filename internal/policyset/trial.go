package policyset

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/policy"
	"github.com/claudit/claudit/internal/policy/detect"
	"github.com/claudit/claudit/internal/store"
)

// TrialStore is what a trial run reads.
type TrialStore interface {
	PromptEvents(ctx context.Context, f store.EventFilter) ([]store.Message, string, error)
	AccessEvents(ctx context.Context, f store.EventFilter) ([]store.Activity, string, error)
	UserGroups(ctx context.Context, integrationID int64, userID string) ([]store.Group, error)
}

// groupsOf resolves users' directory groups (ids and names) for policies
// scoped by group, reading each user once; as in evaluate, a user unknown
// to the directory has none.
type groupsOf struct {
	st TrialStore
	on bool
	m  map[string][]string
}

func (g *groupsOf) of(ctx context.Context, integrationID int64, userID string) ([]string, error) {
	if !g.on || userID == "" {
		return nil, nil
	}
	k := fmt.Sprint(integrationID, "/", userID)
	if names, ok := g.m[k]; ok {
		return names, nil
	}
	groups, err := g.st.UserGroups(ctx, integrationID, userID)
	if err != nil {
		return nil, fmt.Errorf("trial: read the groups of user %s: %w", userID, err)
	}
	names := make([]string, 0, 2*len(groups))
	for _, gr := range groups {
		names = append(names, gr.ID, gr.Name)
	}
	g.m[k] = names
	return names, nil
}

// Trial bounds a trial run.
type Trial struct {
	// Since is the start of the events run over.
	Since time.Time
	// MaxEvents caps the prompt events, and separately the access events,
	// read (the newest first); DefaultMaxEvents when zero.
	MaxEvents int
	// Options are the running engine's options, so the trial engines
	// chunk and decode as it does.
	Options []policy.Option
}

// DefaultMaxEvents caps a trial so it answers within a page load.
const DefaultMaxEvents = 2000

// maxExamples are the events shown per policy and direction.
const maxExamples = 3

// TrialResult is how many findings the draft would add or remove compared
// with the installed set, per changed policy.
type TrialResult struct {
	Since time.Time
	// Messages and Activities are the events run over; Capped says the
	// cap cut them short (the newest were kept).
	Messages, Activities int
	// Chats are the chats of the messages, when session rules changed;
	// their counts are of chats, not events.
	Chats    int
	Capped   bool
	Policies []PolicyTrial
}

// PolicyTrial is one changed policy's result: events with a finding of it
// under the installed set (Before) and the draft (After).
type PolicyTrial struct {
	Policy         string
	Before, After  int
	Added, Removed int
	// AddedExamples and RemovedExamples are a few of the events.
	AddedExamples, RemovedExamples []Example
}

// Example is an event whose findings would change.
type Example struct {
	Kind          string // prompt, access or session (EventID is the chat)
	IntegrationID int64
	EventID       string
	Excerpt       string
}

// Run evaluates the policies that differ between installed and draft
// over the stored events since t.Since, with each set, and counts the
// events whose findings would change. It saves nothing.
func (t Trial) Run(ctx context.Context, st TrialStore, installed, draft *Set) (*TrialResult, error) {
	maxEvents := t.MaxEvents
	if maxEvents <= 0 {
		maxEvents = DefaultMaxEvents
	}
	res := &TrialResult{Since: t.Since}
	var text []string
	activity, sessions := false, false
	changed := map[string]bool{}
	for _, c := range Diff(installed, draft) {
		changed[c.Key] = true
		switch {
		case c.Kind == KindText:
			text = append(text, c.Key)
		case c.Kind == KindActivity || c.Key == "activity":
			activity = true
		default:
			sessions = true
		}
	}
	counts := map[string]*tally{}
	groups := &groupsOf{st: st, on: installed.Config.GroupScoped() || draft.Config.GroupScoped(), m: map[string][]string{}}
	if len(text) > 0 || sessions {
		msgs, err := readMessages(ctx, st, t.Since, maxEvents, res)
		if err != nil {
			return nil, err
		}
		if len(text) > 0 {
			if err := t.runMessages(ctx, groups, msgs, installed, draft, text, counts); err != nil {
				return nil, err
			}
		}
		if sessions {
			if err := t.runSessions(ctx, groups, msgs, installed, draft, len(text) > 0, res, counts); err != nil {
				return nil, err
			}
		}
	}
	if activity {
		if err := t.runActivities(ctx, st, groups, installed, draft, maxEvents, res, counts); err != nil {
			return nil, err
		}
	}
	names := make([]string, 0, len(counts))
	for n := range counts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := counts[n]
		if !changed[n] && c.added == 0 && c.removed == 0 {
			continue // a rule that is the same in both sets and finds the same
		}
		res.Policies = append(res.Policies, PolicyTrial{Policy: n, Before: c.before, After: c.after, Added: c.added, Removed: c.removed,
			AddedExamples: c.addedEx, RemovedExamples: c.removedEx})
	}
	return res, nil
}

// tally counts one policy's events.
type tally struct {
	before, after, added, removed int
	addedEx, removedEx            []Example
}

func (c *tally) add(before, after bool, ex func() Example) {
	if before {
		c.before++
	}
	if after {
		c.after++
	}
	switch {
	case after && !before:
		c.added++
		if len(c.addedEx) < maxExamples {
			c.addedEx = append(c.addedEx, ex())
		}
	case before && !after:
		c.removed++
		if len(c.removedEx) < maxExamples {
			c.removedEx = append(c.removedEx, ex())
		}
	}
}

func tallyOf(counts map[string]*tally, policy string) *tally {
	c := counts[policy]
	if c == nil {
		c = &tally{}
		counts[policy] = c
	}
	return c
}

// only returns cfg with the text policies named in names.
func only(cfg *policy.Config, names []string) *policy.Config {
	c := *cfg
	c.Policies = nil
	for _, p := range cfg.Policies {
		if slices.Contains(names, p.Name) {
			c.Policies = append(c.Policies, p)
		}
	}
	return &c
}

// readMessages reads the prompt events since since, newest first, at
// most maxEvents.
func readMessages(ctx context.Context, st TrialStore, since time.Time, maxEvents int, res *TrialResult) ([]store.Message, error) {
	var msgs []store.Message
	f := store.EventFilter{Kind: "prompt", From: since, Limit: min(500, maxEvents)}
	for len(msgs) < maxEvents {
		page, next, err := st.PromptEvents(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("trial: read prompt events: %w", err)
		}
		msgs = append(msgs, page...)
		if next == "" {
			break
		}
		f.Cursor = next
	}
	if len(msgs) > maxEvents {
		msgs, res.Capped = msgs[:maxEvents], true
	}
	res.Messages = len(msgs)
	return msgs, ctx.Err()
}

func (t Trial) runMessages(ctx context.Context, groups *groupsOf, msgs []store.Message, installed, draft *Set, names []string, counts map[string]*tally) error {
	before, err := policy.NewEngine(only(installed.Config, names), t.Options...)
	if err != nil {
		return fmt.Errorf("trial: installed policies: %w", err)
	}
	after, err := policy.NewEngine(only(draft.Config, names), t.Options...)
	if err != nil {
		return fmt.Errorf("trial: draft policies: %w", err)
	}
	for _, n := range names {
		tallyOf(counts, n)
	}
	for i := range msgs {
		m := &msgs[i]
		gs, err := groups.of(ctx, m.IntegrationID, m.UserID)
		if err != nil {
			return err
		}
		in := detect.Input{Text: m.Text, Role: detect.Role(m.Role), ChatID: m.ChatID, UserID: m.UserID, Groups: gs}
		b, a := hits(before.Evaluate(ctx, in)), hits(after.Evaluate(ctx, in))
		for _, n := range names {
			tallyOf(counts, n).add(b[n] != "", a[n] != "", func() Example {
				return Example{Kind: "prompt", IntegrationID: m.IntegrationID, EventID: m.ID, Excerpt: b[n] + a[n]}
			})
		}
	}
	return ctx.Err()
}

// runSessions runs both sets' session rules over the chats of the
// messages read, each chat with its messages in the period only. The
// rules read the findings of every text policy, so the messages are
// evaluated with the whole installed set, and with the whole draft when
// its text policies differ.
func (t Trial) runSessions(ctx context.Context, groups *groupsOf, msgs []store.Message, installed, draft *Set, textChanged bool,
	res *TrialResult, counts map[string]*tally) error {
	before, err := policy.NewEngine(installed.Config, t.Options...)
	if err != nil {
		return fmt.Errorf("trial: installed policies: %w", err)
	}
	after := before
	if textChanged {
		if after, err = policy.NewEngine(draft.Config, t.Options...); err != nil {
			return fmt.Errorf("trial: draft policies: %w", err)
		}
	}
	sb, sa := policy.NewSessionEvaluator(installed.Config.Session), policy.NewSessionEvaluator(draft.Config.Session)
	for _, r := range draft.Config.Session.Rules {
		tallyOf(counts, "session."+r.Name)
	}
	type chatKey struct {
		integrationID int64
		id            string
	}
	chats := map[chatKey][]*store.Message{}
	var order []chatKey
	for i := range msgs {
		m := &msgs[i]
		if m.ChatID == "" {
			continue
		}
		k := chatKey{m.IntegrationID, m.ChatID}
		if chats[k] == nil {
			order = append(order, k)
		}
		chats[k] = append(chats[k], m)
	}
	for _, k := range order {
		ms := chats[k]
		sort.SliceStable(ms, func(i, j int) bool {
			if !ms[i].CreatedAt.Equal(ms[j].CreatedAt) {
				return ms[i].CreatedAt.Before(ms[j].CreatedAt)
			}
			return ms[i].Seq < ms[j].Seq
		})
		var owner string
		for _, m := range ms {
			if m.UserID != "" {
				owner = m.UserID
				break
			}
		}
		gs, err := groups.of(ctx, k.integrationID, owner)
		if err != nil {
			return err
		}
		mb, ma := make([]policy.SessionMessage, len(ms)), make([]policy.SessionMessage, len(ms))
		for i, m := range ms {
			in := detect.Input{Text: m.Text, Role: detect.Role(m.Role), ChatID: m.ChatID, UserID: m.UserID, Groups: gs}
			mb[i] = policy.SessionMessage{ID: m.ID, Role: in.Role, Text: m.Text, CreatedAt: m.CreatedAt, Result: before.Evaluate(ctx, in)}
			ma[i] = mb[i]
			if after != before {
				ma[i].Result = after.Evaluate(ctx, in)
			}
		}
		b, a := map[string]string{}, map[string]string{}
		for _, f := range sb.EvaluateFor(ctx, k.id, gs, mb) {
			b[f.Policy] = cmp.Or(f.Detail, f.Policy)
		}
		for _, f := range sa.EvaluateFor(ctx, k.id, gs, ma) {
			a[f.Policy] = cmp.Or(f.Detail, f.Policy)
		}
		for n, c := range counts {
			if !strings.HasPrefix(n, "session.") {
				continue
			}
			c.add(b[n] != "", a[n] != "", func() Example {
				return Example{Kind: "session", IntegrationID: k.integrationID, EventID: k.id, Excerpt: b[n] + a[n]}
			})
		}
	}
	res.Chats = len(order)
	return ctx.Err()
}

// hits maps each policy with a finding to the first finding's excerpt.
func hits(r policy.Result) map[string]string {
	out := map[string]string{}
	for _, f := range r.Findings {
		if _, ok := out[f.Policy]; !ok {
			out[f.Policy] = cmp.Or(f.Finding.Excerpt, f.Finding.Entity, f.Policy) // never empty: "" is no hit
		}
	}
	return out
}

// runActivities runs both sets' activity rules over the access events in
// time order; each starts with no history, as after a restart.
func (t Trial) runActivities(ctx context.Context, st TrialStore, groups *groupsOf, installed, draft *Set, maxEvents int, res *TrialResult, counts map[string]*tally) error {
	var acts []store.Activity
	f := store.EventFilter{Kind: "access", From: t.Since, Limit: min(500, maxEvents)}
	for len(acts) < maxEvents {
		page, next, err := st.AccessEvents(ctx, f)
		if err != nil {
			return fmt.Errorf("trial: read access events: %w", err)
		}
		acts = append(acts, page...)
		if next == "" {
			break
		}
		f.Cursor = next
	}
	if len(acts) > maxEvents {
		acts, res.Capped = acts[:maxEvents], true
	}
	slices.Reverse(acts) // pages come newest first; the rules want time order
	before := policy.NewActivityEvaluator(installed.Config.Activity)
	after := policy.NewActivityEvaluator(draft.Config.Activity)
	for _, r := range draft.Config.Activity.Rules {
		tallyOf(counts, "activity."+r.Name)
	}
	for i := range acts {
		a := &acts[i]
		var fields map[string]any
		_ = json.Unmarshal(a.Raw, &fields) // a malformed raw event has no fields
		gs, err := groups.of(ctx, a.IntegrationID, a.ActorUserID)
		if err != nil {
			return err
		}
		ev := policy.Activity{ID: a.ID, Type: a.Type, ActorUserID: a.ActorUserID, ActorEmail: a.ActorEmail, IP: a.IP,
			UserAgent: a.UserAgent, CreatedAt: a.CreatedAt, Fields: fields, Groups: gs}
		b, af := map[string]string{}, map[string]string{}
		for _, x := range before.Evaluate(ctx, ev) {
			b[x.Policy] = cmp.Or(x.Detail, x.Tag, x.Policy)
		}
		for _, x := range after.Evaluate(ctx, ev) {
			af[x.Policy] = cmp.Or(x.Detail, x.Tag, x.Policy)
		}
		for n, c := range counts {
			if !strings.HasPrefix(n, "activity.") {
				continue
			}
			c.add(b[n] != "", af[n] != "", func() Example {
				return Example{Kind: "access", IntegrationID: a.IntegrationID, EventID: a.ID, Excerpt: b[n] + af[n]}
			})
		}
	}
	res.Activities = len(acts)
	return ctx.Err()
}
