package policy

import (
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Rule configures one built-in session or activity policy.
type Rule struct {
	Enabled  bool     `json:"enabled"`
	Severity Severity `json:"severity"`
	Action   Action   `json:"action"`
	// Count is the rule's threshold (attempts, distinct values, events).
	Count int `json:"count,omitempty"`
	// Window bounds the time over which Count is reached; zero means unbounded.
	Window Duration `json:"window,omitempty"`
	// GroupScope limits the rule to users of some directory groups.
	GroupScope
}

func (r Rule) window() time.Duration { return time.Duration(r.Window) }

// rule decodes a Rule mapping; extra lets callers add rule-specific fields.
func (p *configParser) rule(n *yaml.Node, field string, r *Rule, extra map[string]func(*yaml.Node, string)) {
	fields := map[string]func(*yaml.Node, string){
		"enabled": func(v *yaml.Node, f string) { p.boolean(v, f, &r.Enabled) },
		"severity": func(v *yaml.Node, f string) {
			s := Severity(strings.ToLower(v.Value))
			if !oneOf(s, severities) {
				p.fail(v, f, "%q is not one of %s", v.Value, joinStrings(severities))
				return
			}
			r.Severity = s
		},
		"action": func(v *yaml.Node, f string) {
			a := Action(strings.ToLower(v.Value))
			if !oneOf(a, actions) {
				p.fail(v, f, "%q is not one of %s", v.Value, joinStrings(actions))
				return
			}
			r.Action = a
		},
		"count":  func(v *yaml.Node, f string) { p.int(v, f, &r.Count, 1) },
		"window": func(v *yaml.Node, f string) { p.duration(v, f, &r.Window) },
	}
	p.groupFields(fields, &r.GroupScope)
	for k, h := range extra {
		fields[k] = h
	}
	p.mapping(n, field+".", fields)
}
