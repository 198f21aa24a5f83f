package policy

import (
	"context"
	"reflect"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/claudit/claudit/internal/policy/activity"
	"github.com/claudit/claudit/internal/policy/detect"
)

// ActivityConfig configures the policies evaluated over access events: one
// entry per registered rule (package policy/activity) and the settings the
// rules share.
type ActivityConfig struct {
	// Rules are the settings of every registered rule, in the order they run.
	Rules []ActivityRule `json:"rules"`
	// AllowedDomains are e-mail domains shares may go to; empty means the
	// actor's own domain only.
	AllowedDomains []string `json:"allowed_domains,omitempty"`
	// WorkStart and WorkEnd are the working hours (0-24) in Timezone.
	WorkStart int    `json:"work_start"`
	WorkEnd   int    `json:"work_end"`
	Timezone  string `json:"timezone"`
}

// ActivityRule is the settings of one activity rule.
type ActivityRule struct {
	// Name is the rule's registered name; its policy is "activity.<Name>".
	Name string `json:"name"`
	Rule
	// Params is the rule's typed params (a value of the struct type it
	// registered), nil for its defaults.
	Params any `json:"params,omitempty"`
}

// Rule returns the settings of the named rule, nil when none is registered
// under that name. The pointer edits c.
func (c *ActivityConfig) Rule(name string) *ActivityRule {
	for i := range c.Rules {
		if c.Rules[i].Name == name {
			return &c.Rules[i]
		}
	}
	return nil
}

// DefaultActivityConfig returns the built-in activity policy settings:
// every registered rule with its defaults.
func DefaultActivityConfig() ActivityConfig {
	c := ActivityConfig{WorkStart: 7, WorkEnd: 20, Timezone: "UTC"}
	for _, u := range activity.Units() {
		d := u.Defaults
		c.Rules = append(c.Rules, ActivityRule{Name: u.Name, Rule: Rule{Enabled: d.Enabled, Severity: Severity(d.Severity),
			Action: Action(d.Action), Count: d.Count, Window: Duration(d.Window)}})
	}
	return c
}

// LongestWindow is the longest window of the windowed rules, enabled or not.
func (c *ActivityConfig) LongestWindow() time.Duration {
	var w time.Duration
	for _, r := range c.Rules {
		w = max(w, r.window())
	}
	return w
}

func (c *ActivityConfig) org() activity.Org {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		loc = time.UTC
	}
	return activity.Org{AllowedDomains: c.AllowedDomains, WorkStart: c.WorkStart, WorkEnd: c.WorkEnd, Location: loc}
}

func (p *configParser) activity(n *yaml.Node, field string, c *ActivityConfig) {
	fields := map[string]func(*yaml.Node, string){
		"allowed_domains": func(v *yaml.Node, f string) { p.strs(v, f, &c.AllowedDomains) },
		"work_start":      func(v *yaml.Node, f string) { p.hour(v, f, &c.WorkStart) },
		"work_end":        func(v *yaml.Node, f string) { p.hour(v, f, &c.WorkEnd) },
		"timezone": func(v *yaml.Node, f string) {
			if _, err := time.LoadLocation(v.Value); err != nil {
				p.fail(v, f, "%q is not a time zone name like UTC or Europe/Berlin", v.Value)
				return
			}
			c.Timezone = v.Value
		},
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		u, ok := activity.Lookup(r.Name)
		if !ok {
			continue
		}
		fields[r.Name] = func(v *yaml.Node, f string) {
			r.Params = p.ruleWithParams(v, f, &r.Rule, u.Params, r.Params, u.DefaultParams)
			// Build once so a bad params value is reported with its line.
			if _, err := u.Build(r.Params, activity.Limits{Count: r.Count, Window: r.window()}, activity.Org{}); err != nil {
				p.fail(v, f, "%v", err)
			}
		}
	}
	p.mapping(n, field+".", fields)
}

// ruleWithParams decodes a rule mapping whose keys are the common Rule
// fields and the yaml fields of the rule's params struct type t. It
// returns the params: cur (or def when cur is nil) with the fields the
// mapping sets, each checked for its type.
func (p *configParser) ruleWithParams(n *yaml.Node, field string, r *Rule, t reflect.Type, cur, def any) any {
	params := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
	extra := map[string]func(*yaml.Node, string){}
	for name := range detect.ParamFields(t) {
		extra[name] = func(v *yaml.Node, _ string) {
			params.Content = append(params.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name, Line: v.Line}, v)
		}
	}
	p.rule(n, field, r, extra)
	if len(params.Content) == 0 {
		return cur
	}
	errs := detect.CheckStructNode(t, params)
	for _, e := range errs {
		p.errs = append(p.errs, &FieldError{File: p.file, Line: e.Line, Field: field + "." + e.Field, Msg: e.Msg})
	}
	if len(errs) > 0 {
		return cur
	}
	if cur == nil {
		cur = def
	}
	dst := reflect.New(t)
	dst.Elem().Set(reflect.ValueOf(cur))
	if err := params.Decode(dst.Interface()); err != nil {
		p.fail(n, field, "%v", err)
		return cur
	}
	return dst.Elem().Interface()
}

func (p *configParser) hour(n *yaml.Node, field string, dst *int) {
	var h int
	p.int(n, field, &h, 0)
	if h > 24 {
		p.fail(n, field, "%d is not an hour between 0 and 24", h)
		return
	}
	*dst = h
}

// Activity policy names, used as ActivityFinding.Policy: "activity." and
// the rule's registered name.
const (
	ActivityExternalSharing = "activity.external_sharing"
	ActivityNewIP           = "activity.new_ip"
	ActivityNewNetwork      = "activity.new_network"
	ActivityNewUserAgent    = "activity.new_user_agent"
	ActivityOffHours        = "activity.off_hours"
	ActivityMassExport      = "activity.mass_export"
	ActivityAdminChange     = "activity.admin_change"
)

// Activity is one access event from the Compliance API's activity feed.
type Activity = activity.Event

// ActivityFinding is a hit of an activity policy.
type ActivityFinding struct {
	Policy          string   `json:"policy"`
	Severity        Severity `json:"severity"`
	Action          Action   `json:"action"`
	EffectiveAction Action   `json:"effective_action"`
	ActivityID      string   `json:"activity_id"`
	UserID          string   `json:"user_id"`
	Detail          string   `json:"detail"`
	Tag             string   `json:"tag"`
}

// activityCheck is one enabled rule, built.
type activityCheck struct {
	policy, tag string
	rule        Rule
	check       activity.Check
}

// ActivityEvaluator evaluates activity policies. It keeps per-user history
// in memory (seen IPs and user agents, recent event times); Seed restores
// history after a restart. It is safe for concurrent use.
type ActivityEvaluator struct {
	event []activityCheck // rules that see each event alone
	actor []activityCheck // rules that read the actor's history

	mu    sync.Mutex
	users map[string]*activity.History
}

// NewActivityEvaluator builds an activity evaluator from cfg. Rules not
// registered in this build are left out.
func NewActivityEvaluator(cfg ActivityConfig) *ActivityEvaluator {
	a := &ActivityEvaluator{users: map[string]*activity.History{}}
	org := cfg.org()
	for _, r := range cfg.Rules {
		u, ok := activity.Lookup(r.Name)
		if !ok || !r.Enabled {
			continue
		}
		check, err := u.Build(r.Params, activity.Limits{Count: r.Count, Window: r.window()}, org)
		if err != nil {
			continue // the config parser only sets params of the registered type
		}
		c := activityCheck{policy: "activity." + r.Name, tag: u.Tag, rule: r.Rule, check: check}
		if u.PerActor {
			a.actor = append(a.actor, c)
		} else {
			a.event = append(a.event, c)
		}
	}
	return a
}

// Seed records IPs and user agents already known for a user, so they do
// not raise new-IP or new-agent findings.
func (a *ActivityEvaluator) Seed(userID string, ips, userAgents []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	h := a.user(userID)
	for _, ip := range ips {
		h.Saw(ip, "")
	}
	for _, ua := range userAgents {
		h.Saw("", ua)
	}
}

func (a *ActivityEvaluator) user(id string) *activity.History {
	h, ok := a.users[id]
	if !ok {
		h = &activity.History{}
		a.users[id] = h
	}
	return h
}

// Evaluate runs the activity policies over one event. Events of one user
// should arrive in time order for the windowed rules to be exact.
func (a *ActivityEvaluator) Evaluate(ctx context.Context, ev Activity) []ActivityFinding {
	if ctx.Err() != nil {
		return nil
	}
	out := run(a.event, &ev, nil, nil)
	if ev.ActorUserID == "" {
		return out
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	h := a.user(ev.ActorUserID)
	out = run(a.actor, &ev, h, out)
	h.Saw(ev.IP, ev.UserAgent)
	return out
}

func run(checks []activityCheck, ev *Activity, h *activity.History, out []ActivityFinding) []ActivityFinding {
	for _, c := range checks {
		if !c.rule.InScope(ev.Groups) {
			continue
		}
		detail, hit := c.check(ev, h)
		if !hit {
			continue
		}
		out = append(out, ActivityFinding{Policy: c.policy, Severity: c.rule.Severity, Action: c.rule.Action,
			EffectiveAction: c.rule.Action.Effective(), ActivityID: ev.ID, UserID: ev.ActorUserID, Tag: c.tag, Detail: detail})
	}
	return out
}
