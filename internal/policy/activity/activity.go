// Package activity holds the rules claudit evaluates over access events
// (sharing, logins from new places, bursts, admin changes). Each rule is a
// small unit in its own file that registers itself with its typed
// parameters, as the text detectors of policy/detect do; package policy
// reads the rules' settings from the policy file's activity block, scopes
// them and turns their hits into findings.
package activity

import (
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/policy/detect"
)

// Event is one access event from the Compliance API's activity feed.
type Event struct {
	ID          string
	Type        string
	ActorUserID string
	ActorEmail  string
	IP          string
	UserAgent   string
	CreatedAt   time.Time
	Fields      map[string]any
	// Groups are the actor's directory groups (ids and names), for
	// group-scoped rules; empty when unknown.
	Groups []string
}

// Org is what several rules share about the organization: its working
// hours and the e-mail domains content may be shared with.
type Org struct {
	// AllowedDomains are e-mail domains shares may go to; empty means the
	// actor's own domain only.
	AllowedDomains []string
	// WorkStart and WorkEnd are the working hours (0-24) in Location.
	WorkStart, WorkEnd int
	Location           *time.Location
}

// OffHours reports whether t falls on a weekend or outside working hours.
func (o Org) OffHours(t time.Time) bool {
	loc := o.Location
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	if lt.Weekday() == time.Saturday || lt.Weekday() == time.Sunday {
		return true
	}
	h := lt.Hour()
	return h < o.WorkStart || h >= o.WorkEnd
}

// Limits are a windowed rule's threshold: Count events within Window
// (zero means only events at the same instant).
type Limits struct {
	Count  int
	Window time.Duration
}

// Check is a rule built from its settings. It looks at one event and, for
// a rule that reads the actor's past, at the actor's History, and returns
// a one-line detail when the rule fires.
type Check func(ev *Event, h *History) (detail string, hit bool)

// Defaults are a rule's settings when the policy file leaves them out.
// Severity and Action take the policy file's values (info..critical,
// log|alert|block|modify).
type Defaults struct {
	Enabled  bool
	Severity string
	Action   string
	Count    int
	Window   time.Duration
}

// Rule declares one activity rule. P is its typed params: a struct whose
// yaml-tagged fields (string, bool, int, float64, []string) the rule's
// mapping in the policy file may set beside enabled, severity and the
// other common fields; struct{} when it has none.
type Rule[P any] struct {
	// Name is the rule's key in the activity block; its findings carry
	// the policy "activity.<Name>".
	Name string
	// Tag is added to an event the rule fires on.
	Tag string
	// PerActor rules read the actor's History and skip events without an
	// actor; the others see each event alone (History is nil).
	PerActor bool
	Defaults Defaults
	// Params are the default params.
	Params P
	// New builds the rule's check, or says what is wrong with p. It runs
	// when the policy file is loaded and once per policy version.
	New func(p P, lim Limits, org Org) (Check, error)
}

// Unit is a registered rule as package policy sees it, its params type
// erased.
type Unit struct {
	Name     string
	Tag      string
	PerActor bool
	Defaults Defaults
	// Params is the struct type of the rule's params, checked with
	// detect.CheckStructNode.
	Params reflect.Type
	// DefaultParams is a value of type Params with the rule's defaults.
	DefaultParams any
	build         func(params any, lim Limits, org Org) (Check, error)
}

// Build builds the rule's check; params is a value of type u.Params, or
// nil for the defaults.
func (u Unit) Build(params any, lim Limits, org Org) (Check, error) {
	if params == nil {
		params = u.DefaultParams
	}
	if reflect.TypeOf(params) != u.Params {
		return nil, fmt.Errorf("activity rule %s: params are %T, want %s", u.Name, params, u.Params)
	}
	return u.build(params, lim, org)
}

// rules holds the registered rules by name.
var rules = detect.NewRegistry[Unit]("activity: rule")

// Register adds a rule; call it from the rule's init. A second rule of the
// same name panics.
func Register[P any](r Rule[P]) {
	t := reflect.TypeOf(r.Params)
	if r.Name == "" || r.New == nil || t == nil || t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("activity: rule %q needs a name, a New function and a struct of params", r.Name))
	}
	rules.Add(r.Name, Unit{Name: r.Name, Tag: r.Tag, PerActor: r.PerActor, Defaults: r.Defaults,
		Params: t, DefaultParams: r.Params,
		build: func(p any, lim Limits, org Org) (Check, error) { return r.New(p.(P), lim, org) }})
}

// Lookup returns the rule registered under name.
func Lookup(name string) (Unit, bool) { return rules.Lookup(name) }

// Units returns every registered rule: the ones that see events alone
// first, then the per-actor ones, each by name. Rules run, and their
// findings on one event come, in this order.
func Units() []Unit {
	out := rules.Values()
	sort.SliceStable(out, func(i, j int) bool { return !out[i].PerActor && out[j].PerActor })
	return out
}

// maxSeen bounds the IPs, networks and user agents remembered per actor.
const maxSeen = 256

// History is what is remembered about one actor: the places (IPs, their
// networks, user agents) seen before the event being checked, and the
// windowed rules' recent event times. It is not safe for concurrent use;
// the evaluator holds it under its lock.
type History struct {
	// IPs, Networks and Agents are most recent last.
	IPs, Networks, Agents []string
	bursts                map[string]*Burst
}

// Saw records the places of an event, after every rule has seen it.
func (h *History) Saw(ip, userAgent string) {
	h.IPs = remember(h.IPs, ip)
	h.Networks = remember(h.Networks, NetworkOf(ip))
	h.Agents = remember(h.Agents, userAgent)
}

// Burst returns the named rule's event times, created on first use.
func (h *History) Burst(rule string) *Burst {
	b := h.bursts[rule]
	if b == nil {
		if h.bursts == nil {
			h.bursts = map[string]*Burst{}
		}
		b = &Burst{}
		h.bursts[rule] = b
	}
	return b
}

// Burst counts one actor's recent events for a windowed rule.
type Burst struct {
	times []time.Time
	fired time.Time
}

// Add records an event at t and returns how many fall within lim.Window;
// fire is true when that reaches lim.Count and the rule has not fired
// within the last window, so a burst gives one finding, not one per event.
func (b *Burst) Add(t time.Time, lim Limits) (n int, fire bool) {
	b.times = window(append(b.times, t), t, lim.Window)
	if len(b.times) >= lim.Count && t.Sub(b.fired) > lim.Window {
		b.fired = t
		return len(b.times), true
	}
	return len(b.times), false
}

// window drops times older than w before now; the slice stays bounded by
// the event rate, not by history.
func window(ts []time.Time, now time.Time, w time.Duration) []time.Time {
	i := 0
	for i < len(ts) && now.Sub(ts[i]) > w {
		i++
	}
	return append(ts[:0], ts[i:]...)
}

// remember adds v to a bounded most-recent-last list.
func remember(list []string, v string) []string {
	if v == "" {
		return list
	}
	if i := slices.Index(list, v); i >= 0 {
		list = slices.Delete(list, i, i+1)
	}
	list = append(list, v)
	if len(list) > maxSeen {
		list = slices.Delete(list, 0, len(list)-maxSeen)
	}
	return list
}

// NetworkOf returns the IPv4 /16 or IPv6 /48 holding ip, or "" when ip
// does not parse.
func NetworkOf(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	bits := 48
	if addr.Unmap().Is4() {
		addr, bits = addr.Unmap(), 16
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		return ""
	}
	return p.String()
}

// lowerType is the event's type lower-cased, as the rules match it.
func lowerType(ev *Event) string { return strings.ToLower(ev.Type) }
