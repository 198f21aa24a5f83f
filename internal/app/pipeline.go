package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/claudit/claudit/internal/alert"
	"github.com/claudit/claudit/internal/alert/sink"
	_ "github.com/claudit/claudit/internal/alert/sink/all" // every sink type
	"github.com/claudit/claudit/internal/evaluate"
	"github.com/claudit/claudit/internal/ingest"
	"github.com/claudit/claudit/internal/policy"
	"github.com/claudit/claudit/internal/policyset"
	"github.com/claudit/claudit/internal/store"
)

// Pipeline is the evaluation and delivery side of claudit.
type Pipeline struct {
	Policies  *policy.Reloadable
	Evaluator *evaluate.Pipeline
	Deliverer *alert.Deliverer
	Router    *alert.Router
	Sinks     map[string]sink.Sink

	// PolicySets installs the dashboard's policy drafts into Policies.
	PolicySets *policyset.Installer
}

// SinkConfigs decodes the configured sinks; errors name the file and line.
func (a *App) SinkConfigs() ([]sink.Config, error) {
	var out []sink.Config
	seen := map[string]bool{}
	for i := range a.Config.Sinks {
		n := &a.Config.Sinks[i]
		raw, err := yaml.Marshal(n)
		if err != nil {
			return nil, err
		}
		var sc sink.Config
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true)
		if err := dec.Decode(&sc); err != nil {
			return nil, fmt.Errorf("%s:%d: sinks[%d]: %s", a.Config.Path(), n.Line, i, strings.TrimPrefix(err.Error(), "yaml: "))
		}
		sc.Version = Version
		if sc.Name == "" {
			sc.Name = sc.Type
		}
		if seen[sc.Name] {
			return nil, fmt.Errorf("%s:%d: sinks[%d].name: %q is used twice", a.Config.Path(), n.Line, i, sc.Name)
		}
		seen[sc.Name] = true
		out = append(out, sc)
	}
	return out, nil
}

// OpenPipeline loads the policies and sinks and wires evaluation to delivery.
// Evaluate is set on the App so sync and backfill evaluate what they store.
func (a *App) OpenPipeline(ctx context.Context) (*Pipeline, error) {
	pol, err := policy.NewReloadable(a.Config.PoliciesFile, policy.WithLogger(a.Log))
	if err != nil {
		return nil, err
	}
	backend := a.Store
	cfgs, err := a.SinkConfigs()
	if err != nil {
		return nil, err
	}
	sets, err := a.policyInstaller(ctx, pol)
	if err != nil {
		return nil, err
	}
	p := &Pipeline{Policies: pol, PolicySets: sets, Sinks: map[string]sink.Sink{}}
	router := &alert.Router{BaseURL: a.Config.BaseURL, Window: a.Config.AlertWindow.Duration, Integrations: map[int64]string{}}
	ins, err := a.Store.Integrations(ctx)
	if err != nil {
		return nil, err
	}
	for _, in := range ins {
		router.Integrations[in.ID] = in.Name
	}
	for i, sc := range cfgs {
		s, err := sink.New(sc)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: sinks[%d]: %w", a.Config.Path(), a.Config.Sinks[i].Line, i, err)
		}
		p.Sinks[sc.Name] = s
		router.Sinks = append(router.Sinks, alert.RoutedSink{Name: sc.Name, Filter: sc.Filter})
	}
	p.Router = router
	p.Evaluator = evaluate.New(backend, pol, router, a.Log)
	p.Evaluator.HoldActivities = a.holdActivities()
	a.evaluator = p.Evaluator
	p.Deliverer = &alert.Deliverer{Store: backend, Sinks: p.Sinks, Worker: "deliver-" + ingest.WorkerID(), Log: a.Log}
	a.Evaluate = func(ctx context.Context) error {
		n, err := p.Evaluator.Drain(ctx)
		if n > 0 {
			a.Log.Info("evaluated events against policies", "events", n, "policy_version", pol.Version())
		}
		return err
	}
	return p, nil
}

// FollowIngest makes evaluation follow s's writer, page by page, when the
// policies are on. It returns what to call once ingest is done: it
// evaluates what is still pending. A backfill passes activities false, as
// it stores history out of time order (see evaluate.Pipeline.HoldActivities).
func (a *App) FollowIngest(ctx context.Context, s *ingest.Syncer, activities bool) (finish func() error) {
	if a.evaluator == nil {
		return func() error { return nil }
	}
	f := a.evaluator.Follow(ctx, activities)
	s.Stored = f.Stored
	if activities { // a sync, not a backfill: the oversight checks follow it too
		s.SettingsChanged = a.settingsDrift
	}
	return func() error {
		s.Stored = nil
		n, err := f.Close(ctx)
		if n > 0 {
			a.Log.Info("evaluated events against policies", "events", n, "policy_version", a.evaluator.Engine.Version())
		}
		if activities {
			a.checkFeedGap(ctx, s.Integration.ID)
		}
		return err
	}
}

// holdActivities holds activity evaluation while a backfill batch is being
// worked on (a live lease): its older events must be stored before later
// ones are judged against the user's history. An abandoned job (expired
// leases) holds nothing.
func (a *App) holdActivities() func(context.Context) (bool, error) {
	held := false
	return func(ctx context.Context) (bool, error) {
		hold, job, err := a.backfillActive(ctx)
		if err != nil {
			return false, err
		}
		if hold != held {
			held = hold
			if hold {
				a.Log.Info("activity evaluation waits for a running backfill; prompt events are still evaluated", "backfill", job)
			} else {
				a.Log.Info("activity evaluation resumes: no backfill is running")
			}
		}
		return hold, nil
	}
}

func (a *App) backfillActive(ctx context.Context) (bool, int64, error) {
	jobs, err := a.Store.Backfills(ctx, 0)
	if err != nil {
		return false, 0, err
	}
	now := time.Now()
	for _, j := range jobs {
		if j.Status != store.BackfillRunning {
			continue
		}
		bs, err := a.Store.Batches(ctx, j.ID)
		if err != nil {
			return false, 0, err
		}
		for _, b := range bs {
			if b.Status == store.BatchRunning && b.ClaimedUntil.After(now) {
				return true, j.ID, nil
			}
		}
	}
	return false, 0, nil
}

// DeliverQueued sends what the outbox holds, for one-shot commands; what is
// not delivered within a minute stays queued for serve.
func (a *App) DeliverQueued(ctx context.Context, p *Pipeline) {
	if len(p.Sinks) == 0 {
		return
	}
	dctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for dctx.Err() == nil {
		n, err := p.Deliverer.DeliverOnce(dctx)
		if err != nil {
			a.Log.Warn("alert delivery; rows stay queued for serve", "err", err)
			return
		}
		if n == 0 {
			return
		}
	}
}

// policyInstaller installs the policies page's drafts. With a policies file
// it writes the file; without one, the set last installed from the
// dashboard is kept in the store and put back in effect here, so serve,
// sync, backfill and reevaluate all run it.
func (a *App) policyInstaller(ctx context.Context, pol *policy.Reloadable) (*policyset.Installer, error) {
	in := &policyset.Installer{Path: a.Config.PoliciesFile, Engines: pol}
	if in.Path != "" {
		return in, nil
	}
	last, err := a.Store.PolicySet(ctx, store.PolicyInstalled)
	if errors.Is(err, store.ErrNotFound) {
		return in, nil
	}
	if err != nil {
		return nil, err
	}
	if err := in.Install([]byte(last.YAML)); err != nil {
		a.Log.Error("the policy set installed from the dashboard does not load; using the built-in defaults",
			"installed_at", last.UpdatedAt, "by", last.UpdatedBy, "err", err)
	}
	return in, nil
}
