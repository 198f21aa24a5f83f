package policy

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/policy/activity"
)

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string // substring of the error
	}{
		{"bad severity", `
policies:
  - name: a
    detector: pii
  - name: b
    detector: pii
  - name: c
    detector: pii
    severity: urgent
`, `policies.yaml:9: policies[2].severity: "urgent" is not one of info, low, medium, high, critical`},
		{"bad action", "policies:\n  - name: a\n    detector: pii\n    action: nuke\n", `policies.yaml:4: policies[0].action: "nuke" is not one of log, alert, block, modify`},
		{"unknown detector", "policies:\n  - name: a\n    detector: telepathy\n", `policies.yaml:2: policies[0].detector: "telepathy" is not a registered detector`},
		{"unknown field", "policies:\n  - name: a\n    detector: pii\n    severty: high\n", `policies.yaml:4: policies[0].severty: unknown field`},
		{"threshold range", "policies:\n  - name: a\n    detector: pii\n    threshold: 1.5\n", `policies.yaml:4: policies[0].threshold: 1.5 is out of range [0, 1]`},
		{"bad role", "policies:\n  - name: a\n    detector: pii\n    roles: [user, robot]\n", `policies.yaml:4: policies[0].roles: "robot" is not one of user, assistant, tool, file`},
		{"missing name", "policies:\n  - detector: pii\n", `policies.yaml:2: policies[0].name: is required`},
		{"duplicate name", "policies:\n  - name: a\n    detector: pii\n  - name: a\n    detector: secrets\n", `policies.yaml:4: policies.name: "a" is already used by the policy on line 2`},
		{"bad params", "policies:\n  - name: a\n    detector: pii\n    params:\n      entities: [NOPE]\n", `policies.yaml:5: policies[0].params: pii: unknown entity "NOPE"`},
		{"bad window", "session:\n  repeated_attempts:\n    window: soon\n", `policies.yaml:3: session.repeated_attempts.window: "soon" is not a positive duration`},
		{"bad timezone", "activity:\n  timezone: Mars/Base\n", `policies.yaml:2: activity.timezone: "Mars/Base" is not a time zone name`},
		{"unknown activity rule", "activity:\n  new_ipp: {enabled: true}\n", `policies.yaml:2: activity.new_ipp: unknown field`},
		{"unknown rule field", "activity:\n  new_ip:\n    enabled: true\n    treshold: 2\n", `policies.yaml:4: activity.new_ip.treshold: unknown field`},
		{"empty group", "policies:\n  - name: a\n    detector: pii\n    groups: [\"\"]\n", `policies.yaml:4: policies[0].groups: a group name or id must not be empty`},
		{"groups not a list", "activity:\n  new_ip: {exclude_groups: {a: 1}}\n", `policies.yaml:2: activity.new_ip.exclude_groups: must be a list of strings`},
		{"mistyped rule param", "activity:\n  off_hours_admin_change:\n    kinds: 3\n", `policies.yaml:3: activity.off_hours_admin_change.kinds: must be a list of strings, got number "3"`},
		{"bad rule param value", "activity:\n  off_hours_admin_change:\n    kinds: [role]\n", `policies.yaml:3: activity.off_hours_admin_change: kinds: "role" is not an admin change kind`},
		{"mistyped rule count", "session:\n  sensitive_accumulation: {count: many}\n", `policies.yaml:2: session.sensitive_accumulation.count: "many" is not an integer`},
		{"not a list", "policies: {a: 1}\n", `policies.yaml:1: policies: must be a list of policies`},
		{"yaml syntax", "policies: [\n", `policies.yaml: yaml:`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.yaml), "policies.yaml")
			if err == nil {
				t.Fatalf("want error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q\ndoes not contain %q", err, tt.want)
			}
		})
	}
}

func TestParseConfigValid(t *testing.T) {
	cfg, err := ParseConfig([]byte(`
policies:
  - name: pii-user
    detector: pii
    roles: [user]
    threshold: 0.6
    severity: HIGH
    action: block
    pass_tag: "Clean"
    fail_tag: "Personal data ({entity})"
    params:
      entities: [EMAIL]
  - name: off
    detector: secrets
    enabled: false
session:
  repeated_attempts: {count: 5, window: 1h}
`), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Policies) != 2 {
		t.Fatalf("got %d policies", len(cfg.Policies))
	}
	p := cfg.Policies[0]
	if p.Severity != SeverityHigh || p.Action != ActionBlock || p.Action.Effective() != ActionAlert || p.Threshold != 0.6 {
		t.Errorf("policy decoded wrong: %+v", p)
	}
	if cfg.Policies[1].Enabled {
		t.Error("enabled: false ignored")
	}
	if cfg.Session.Rule("repeated_attempts").Count != 5 || !cfg.Session.Rule("refusal_escalation").Enabled {
		t.Errorf("session config wrong: %+v", cfg.Session)
	}
}

func TestDefaultConfig(t *testing.T) {
	cfg, err := DefaultConfig()
	if err != nil {
		t.Fatalf("default config: %v", err)
	}
	got := map[string]bool{}
	for _, p := range cfg.Policies {
		got[p.Detector] = true
	}
	for _, id := range []string{"pii", "secrets", "code", "urls", "encoded"} {
		if !got[id] {
			t.Errorf("default config lacks a %s policy", id)
		}
	}
	// Detectors registered elsewhere are skipped, not fatal.
	if len(cfg.Policies)+len(cfg.Skipped) < 15 {
		t.Errorf("default config has %d policies and %d skipped", len(cfg.Policies), len(cfg.Skipped))
	}
}

func TestVersion(t *testing.T) {
	a := "policies:\n  - name: a\n    detector: pii\n  - name: b\n    detector: secrets\n"
	b := "policies:\n  - name: b\n    detector: secrets\n  - {name: a, detector: pii, severity: medium}\n"
	c := "policies:\n  - name: a\n    detector: pii\n    severity: high\n  - name: b\n    detector: secrets\n"
	va, vb, vc := mustParse(t, a).Version(), mustParse(t, b).Version(), mustParse(t, c).Version()
	if va != vb {
		t.Errorf("order or defaults changed the version: %s vs %s", va, vb)
	}
	if va == vc {
		t.Error("a severity change kept the version")
	}
}

func mustParse(t *testing.T, s string) *Config {
	t.Helper()
	cfg, err := ParseConfig([]byte(s), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestActivityAndSessionBlocks checks that the activity and session blocks
// set every registered rule by name and keep the shared settings.
func TestActivityAndSessionBlocks(t *testing.T) {
	cfg := mustParse(t, `
activity:
  new_ip: {enabled: false}
  off_hours: {count: 5, window: 1h, severity: high}
  allowed_domains: [partner.io]
  work_start: 8
  timezone: Europe/Berlin
session:
  refusal_escalation: {count: 4}
  attack_detectors: [jailbreak]
`)
	a := cfg.Activity
	if r := a.Rule("new_ip"); r == nil || r.Enabled {
		t.Errorf("new_ip: %+v", r)
	}
	if r := a.Rule("off_hours"); r == nil || r.Count != 5 || r.Window != Duration(time.Hour) || r.Severity != SeverityHigh || !r.Enabled {
		t.Errorf("off_hours: %+v", r)
	}
	if r := a.Rule("mass_export"); r == nil || r.Count != 10 {
		t.Errorf("mass_export lost its defaults: %+v", r)
	}
	if len(a.AllowedDomains) != 1 || a.WorkStart != 8 || a.WorkEnd != 20 || a.Timezone != "Europe/Berlin" {
		t.Errorf("shared activity settings: %+v", a)
	}
	if r := cfg.Session.Rule("refusal_escalation"); r == nil || r.Count != 4 {
		t.Errorf("refusal_escalation: %+v", r)
	}
	if fmt.Sprint(cfg.Session.AttackDetectors) != "[jailbreak]" {
		t.Errorf("attack detectors: %v", cfg.Session.AttackDetectors)
	}
}

// TestActivityAndSessionBlocksJSON checks that a policy file written as
// JSON sets the rules as the YAML spelling does.
func TestActivityAndSessionBlocksJSON(t *testing.T) {
	cfg := mustParse(t, `{"activity": {"off_hours": {"count": 5, "groups": ["finance"]}, "work_start": 8,
  "off_hours_admin_change": {"kinds": ["MCP server added"]}},
 "session": {"repeated_attempts": {"window": "1h"}}}`)
	if r := cfg.Activity.Rule("off_hours"); r.Count != 5 || fmt.Sprint(r.Groups) != "[finance]" || cfg.Activity.WorkStart != 8 {
		t.Errorf("activity from JSON: %+v", cfg.Activity)
	}
	if p, ok := cfg.Activity.Rule("off_hours_admin_change").Params.(activity.OffHoursAdminChangeParams); !ok || fmt.Sprint(p.Kinds) != "[MCP server added]" {
		t.Errorf("rule params from JSON: %#v", cfg.Activity.Rule("off_hours_admin_change").Params)
	}
	if r := cfg.Session.Rule("repeated_attempts"); r.Window != Duration(time.Hour) || r.Count != 3 {
		t.Errorf("session from JSON: %+v", r)
	}
}
