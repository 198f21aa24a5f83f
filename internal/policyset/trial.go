package policyset

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
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
	Capped               bool
	Policies             []PolicyTrial
	// NotRun are changed policies a trial cannot run: session rules read
	// whole chats with every other policy's findings.
	NotRun []string
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
	Kind          string // prompt or access
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
	activity := false
	changed := map[string]bool{}
	for _, c := range Diff(installed, draft) {
		changed[c.Key] = true
		switch c.Kind {
		case KindText:
			text = append(text, c.Key)
		case KindActivity:
			activity = true
		case KindSettings:
			if c.Key == "activity" {
				activity = true
			} else {
				res.NotRun = append(res.NotRun, c.Key)
			}
		default:
			res.NotRun = append(res.NotRun, c.Key)
		}
	}
	counts := map[string]*tally{}
	groups := &groupsOf{st: st, on: installed.Config.GroupScoped() || draft.Config.GroupScoped(), m: map[string][]string{}}
	if len(text) > 0 {
		if err := t.runMessages(ctx, st, groups, installed, draft, text, maxEvents, res, counts); err != nil {
			return nil, err
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

func (t Trial) runMessages(ctx context.Context, st TrialStore, groups *groupsOf, installed, draft *Set, names []string, maxEvents int, res *TrialResult, counts map[string]*tally) error {
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
	f := store.EventFilter{Kind: "prompt", From: t.Since, Limit: min(500, maxEvents)}
	for {
		page, next, err := st.PromptEvents(ctx, f)
		if err != nil {
			return fmt.Errorf("trial: read prompt events: %w", err)
		}
		for i := range page {
			if res.Messages >= maxEvents {
				res.Capped = true
				return nil
			}
			m := &page[i]
			res.Messages++
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
		if next == "" || ctx.Err() != nil {
			return ctx.Err()
		}
		f.Cursor = next
	}
}

// hits maps each policy with a finding to the first finding's excerpt.
func hits(r policy.Result) map[string]string {
	out := map[string]string{}
	for _, f := range r.Findings {
		if _, ok := out[f.Policy]; !ok {
			out[f.Policy] = f.Finding.Excerpt
			if out[f.Policy] == "" {
				out[f.Policy] = f.Finding.Entity
			}
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
			b[x.Policy] = x.Detail
		}
		for _, x := range after.Evaluate(ctx, ev) {
			af[x.Policy] = x.Detail
		}
		for n, c := range counts {
			if len(n) < 9 || n[:9] != "activity." {
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
