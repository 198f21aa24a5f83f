package policy

import (
	"testing"

	"github.com/claudit/claudit/internal/policy/activity"
	"github.com/claudit/claudit/internal/policy/session"
)

// TestRuleDefaults checks that every registered activity and session rule
// has defaults the policy file accepts, and that the default policy file
// sets every rule it names.
func TestRuleDefaults(t *testing.T) {
	check := func(kind, name string, d Rule) {
		if !oneOf(d.Severity, severities) {
			t.Errorf("%s rule %s: default severity %q is not one of %s", kind, name, d.Severity, joinStrings(severities))
		}
		if !oneOf(d.Action, actions) {
			t.Errorf("%s rule %s: default action %q is not one of %s", kind, name, d.Action, joinStrings(actions))
		}
	}
	for _, u := range activity.Units() {
		check("activity", u.Name, Rule{Severity: Severity(u.Defaults.Severity), Action: Action(u.Defaults.Action)})
		if _, err := u.Build(nil, activity.Limits{Count: u.Defaults.Count, Window: u.Defaults.Window}, activity.Org{}); err != nil {
			t.Errorf("activity rule %s: defaults do not build: %v", u.Name, err)
		}
	}
	for _, u := range session.Units() {
		check("session", u.Name, Rule{Severity: Severity(u.Defaults.Severity), Action: Action(u.Defaults.Action)})
		if _, err := u.Build(nil, session.Limits{Count: u.Defaults.Count, Window: u.Defaults.Window}); err != nil {
			t.Errorf("session rule %s: defaults do not build: %v", u.Name, err)
		}
	}
	cfg, err := DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Activity.Rules) != len(activity.Units()) || len(cfg.Session.Rules) != len(session.Units()) {
		t.Errorf("default config has %d activity and %d session rules; %d and %d are registered",
			len(cfg.Activity.Rules), len(cfg.Session.Rules), len(activity.Units()), len(session.Units()))
	}
}
