package policyset

import (
	"net/url"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/policy"
)

func defaults(t *testing.T) *Set {
	t.Helper()
	s, err := Parse(policy.DefaultPoliciesYAML(), "defaults")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func unit(t *testing.T, s *Set, key string) Unit {
	t.Helper()
	u, ok := s.Unit(key)
	if !ok {
		t.Fatalf("no unit %s", key)
	}
	return u
}

func field(t *testing.T, u Unit, name string) Field {
	t.Helper()
	for _, f := range u.Params {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("%s has no param %s (%+v)", u.Key, name, u.Params)
	return Field{}
}

func TestTemplatesLoad(t *testing.T) {
	for _, tpl := range Templates {
		t.Run(tpl.ID, func(t *testing.T) {
			s, err := LoadTemplate(tpl.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Config.Policies) == 0 {
				t.Fatal("no text policies")
			}
			if _, err := policy.NewEngine(s.Config); err != nil {
				t.Fatalf("engine: %v", err)
			}
		})
	}
	if _, err := LoadTemplate("sox"); err == nil {
		t.Fatal("unknown template loaded")
	}
}

func TestUnitsFormsFromTypedParams(t *testing.T) {
	s := defaults(t)
	pii := unit(t, s, "pii-financial")
	if pii.Kind != KindText || pii.Detector != "pii" {
		t.Fatalf("pii-financial %+v", pii)
	}
	if f := field(t, pii, "entities"); f.Input != "list" || !strings.Contains(f.Value, "CREDIT_CARD\nIBAN") {
		t.Fatalf("entities %+v", f)
	}
	if f := field(t, pii, "context_window"); f.Input != "number" || f.Step != "1" {
		t.Fatalf("context_window %+v", f)
	}
	if f := field(t, unit(t, s, "pii"), "thresholds"); f.Input != "map" || !strings.Contains(f.Value, "PHONE: 0.6") {
		t.Fatalf("thresholds %+v", f)
	}
	if f := field(t, unit(t, s, "source-code"), "source_code"); f.Input != "checkbox" {
		t.Fatalf("source_code %+v", f)
	}
	ra := unit(t, s, "session.repeated_attempts")
	if ra.Kind != KindSession || ra.Count != "3" || ra.Window != "30m" || !ra.Enabled {
		t.Fatalf("repeated_attempts %+v", ra)
	}
	oha := unit(t, s, "activity.off_hours_admin_change")
	if f := field(t, oha, "kinds"); f.Input != "list" || !strings.Contains(f.Value, "role change") {
		t.Fatalf("kinds %+v", f)
	}
	if f := field(t, unit(t, s, "activity"), "work_start"); f.Value != "7" {
		t.Fatalf("work_start %+v", f)
	}
}

func TestEdit(t *testing.T) {
	s := defaults(t)
	cases := []struct {
		name, key string
		form      url.Values
		errKey    string // form field the loader complains about; "" for success
		errText   string
		check     func(t *testing.T, next *Set)
	}{
		{name: "toggle text policy", key: "toxicity", form: url.Values{"enabled": {"false"}},
			check: func(t *testing.T, n *Set) {
				if unit(t, n, "toxicity").Enabled {
					t.Fatal("still on")
				}
			}},
		{name: "toggle on without params", key: "language", form: url.Values{"enabled": {"true"}}, errKey: "", errText: "allow or deny"},
		{name: "list param", key: "pii-financial", form: url.Values{"form": {"1"}, "p.entities": {"CREDIT_CARD\nIBAN"}, "roles": {"user", "file"}},
			check: func(t *testing.T, n *Set) {
				u := unit(t, n, "pii-financial")
				if f := field(t, u, "entities"); f.Value != "CREDIT_CARD\nIBAN" {
					t.Fatalf("entities %q", f.Value)
				}
				if strings.Join(u.Roles, ",") != "user,file" {
					t.Fatalf("roles %q", u.Roles)
				}
			}},
		{name: "rule window", key: "session.repeated_attempts", form: url.Values{"window": {"1h"}, "count": {"4"}, "severity": {"critical"}},
			check: func(t *testing.T, n *Set) {
				u := unit(t, n, "session.repeated_attempts")
				if u.Window != "1h" || u.Count != "4" || u.Severity != "critical" {
					t.Fatalf("%+v", u)
				}
			}},
		{name: "rule params", key: "activity.off_hours_admin_change", form: url.Values{"p.kinds": {"role change"}},
			check: func(t *testing.T, n *Set) {
				if f := field(t, unit(t, n, "activity.off_hours_admin_change"), "kinds"); f.Value != "role change" {
					t.Fatalf("kinds %q", f.Value)
				}
			}},
		{name: "settings", key: "activity", form: url.Values{"p.work_start": {"8"}, "p.timezone": {"Europe/Berlin"}},
			check: func(t *testing.T, n *Set) {
				if n.Config.Activity.WorkStart != 8 || n.Config.Activity.Timezone != "Europe/Berlin" {
					t.Fatalf("%+v", n.Config.Activity)
				}
			}},
		{name: "bad window", key: "session.repeated_attempts", form: url.Values{"window": {"soon"}}, errKey: "window", errText: "not a positive duration"},
		{name: "bad number param", key: "pii", form: url.Values{"p.context_window": {"wide"}}, errKey: "p.context_window", errText: "whole number"},
		{name: "bad threshold", key: "pii", form: url.Values{"threshold": {"2"}}, errKey: "threshold", errText: "out of range"},
		{name: "bad severity", key: "activity.new_ip", form: url.Values{"severity": {"dire"}}, errKey: "severity", errText: "not one of"},
		{name: "bad time zone", key: "activity", form: url.Values{"p.timezone": {"Mars/Olympus"}}, errKey: "p.timezone", errText: "time zone"},
		{name: "bad map line", key: "pii", form: url.Values{"p.thresholds": {"PHONE 0.6"}}, errKey: "p.thresholds", errText: "NAME: number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			next, err := s.Edit(c.key, c.form)
			if c.errKey == "" && c.errText == "" {
				if err != nil {
					t.Fatal(err)
				}
				c.check(t, next)
				return
			}
			fe, ok := err.(FieldErrors)
			if !ok {
				t.Fatalf("error %v (%T), want FieldErrors", err, err)
			}
			if msgs := fe[c.errKey]; len(msgs) == 0 || !strings.Contains(strings.Join(msgs, " "), c.errText) {
				t.Fatalf("errors %v, want %s: %s", fe, c.errKey, c.errText)
			}
		})
	}
}

func TestEditKeepsComments(t *testing.T) {
	next, err := defaults(t).Edit("toxicity", url.Values{"enabled": {"false"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(next.YAML), "# Agent policies") {
		t.Fatalf("comments lost:\n%s", next.YAML)
	}
}

func TestDiff(t *testing.T) {
	s := defaults(t)
	next, err := s.Edit("session.refusal_escalation", url.Values{"count": {"3"}})
	if err != nil {
		t.Fatal(err)
	}
	next, err = next.Edit("pii", url.Values{"enabled": {"false"}})
	if err != nil {
		t.Fatal(err)
	}
	cs := Diff(s, next)
	if len(cs) != 2 {
		t.Fatalf("changes %+v", cs)
	}
	if cs[0].Key != "pii" || cs[0].Fields[0] != (FieldChange{"enabled", "on", "off"}) {
		t.Fatalf("pii change %+v", cs[0])
	}
	if cs[1].Key != "session.refusal_escalation" || cs[1].Fields[0] != (FieldChange{"count", "2", "3"}) {
		t.Fatalf("rule change %+v", cs[1])
	}
	tpl, err := LoadTemplate("pci")
	if err != nil {
		t.Fatal(err)
	}
	var added, removed int
	for _, c := range Diff(s, tpl) {
		switch c.Status {
		case "added":
			added++
		case "removed":
			removed++
		}
	}
	if added == 0 || removed == 0 {
		t.Fatalf("template diff: %d added, %d removed", added, removed)
	}
}
