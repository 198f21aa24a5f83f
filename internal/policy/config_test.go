package policy

import (
	"strings"
	"testing"
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
	if cfg.Session.RepeatedAttempts.Count != 5 || !cfg.Session.RefusalEscalation.Enabled {
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
