package policy

import (
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// GroupScope limits a policy or rule to users by directory group (the
// groups claudit syncs from the Compliance API). A user's groups are
// matched by id or name, case-insensitively. A policy without either list
// applies to everyone.
type GroupScope struct {
	// Groups, when set, limit the policy to users in at least one of them.
	Groups []string `json:"groups,omitempty"`
	// ExcludeGroups leave out users in any of them.
	ExcludeGroups []string `json:"exclude_groups,omitempty"`
}

// Scoped reports whether the scope limits anything.
func (s GroupScope) Scoped() bool { return len(s.Groups) > 0 || len(s.ExcludeGroups) > 0 }

// InScope reports whether a user in userGroups (ids and names) is covered:
// in one of Groups when there are any, and in none of ExcludeGroups. A user
// whose groups are unknown is covered only by a policy without Groups.
func (s GroupScope) InScope(userGroups []string) bool {
	if len(s.Groups) > 0 && !anyGroup(s.Groups, userGroups) {
		return false
	}
	return !anyGroup(s.ExcludeGroups, userGroups)
}

func anyGroup(want, have []string) bool {
	for _, w := range want {
		if slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(w, h) }) {
			return true
		}
	}
	return false
}

// GroupScoped reports whether any enabled policy or rule of c is scoped by
// group, so evaluation needs the users' groups.
func (c *Config) GroupScoped() bool {
	for _, p := range c.Policies {
		if p.Enabled && p.Scoped() {
			return true
		}
	}
	for _, r := range c.Activity.Rules {
		if r.Enabled && r.Scoped() {
			return true
		}
	}
	for _, r := range c.Session.Rules {
		if r.Enabled && r.Scoped() {
			return true
		}
	}
	return false
}

// groupFields adds the groups and exclude_groups keys to a mapping's handlers.
func (p *configParser) groupFields(fields map[string]func(*yaml.Node, string), s *GroupScope) {
	fields["groups"] = func(v *yaml.Node, f string) { s.Groups = nil; p.groupNames(v, f, &s.Groups) }
	fields["exclude_groups"] = func(v *yaml.Node, f string) { s.ExcludeGroups = nil; p.groupNames(v, f, &s.ExcludeGroups) }
}

func (p *configParser) groupNames(n *yaml.Node, field string, dst *[]string) {
	p.strs(n, field, dst)
	for _, g := range *dst {
		if strings.TrimSpace(g) == "" {
			p.fail(n, field, "a group name or id must not be empty")
			return
		}
	}
}
