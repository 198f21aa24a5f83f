package scan

import (
	"bytes"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/policy"
)

func TestListPoliciesDefault(t *testing.T) {
	cfg, err := policy.DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	set := ListPolicies(cfg)
	if len(set.Policies) != len(cfg.Policies) || set.Version == "" {
		t.Fatalf("listed %d of %d policies", len(set.Policies), len(cfg.Policies))
	}
	byName := map[string]PolicyView{}
	for _, p := range set.Policies {
		byName[p.Name] = p
	}
	sec := byName["secrets"]
	if sec.Action != policy.ActionBlock || sec.EffectiveAction != policy.ActionAlert || !sec.Enabled || len(sec.Roles) != 4 {
		t.Errorf("secrets policy listed as %+v", sec)
	}
	if p := byName["jailbreak"]; strings.Join(p.Roles, ",") != "user" || p.FailTag != "Jailbreak: {entity}" || p.PassTag != "No Jailbreak" {
		t.Errorf("jailbreak policy listed as %+v", p)
	}
	var table, js bytes.Buffer
	if err := set.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if err := set.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"NAME", "prompt-injection", "user,tool,file", "block   alert"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	if !strings.Contains(js.String(), `"effective_action": "alert"`) {
		t.Errorf("json lacks effective_action:\n%s", js.String())
	}
}

func TestValidatePolicies(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		valid bool
		want  []string // problems, as printed
	}{
		{
			name:  "valid",
			yaml:  "policies:\n  - name: mail\n    detector: pii\n    params: {entities: [EMAIL]}\n    severity: low\n",
			valid: true,
		},
		{
			name: "field errors with lines",
			yaml: "policies:\n  - name: a\n    detector: pii\n    severity: urgent\n  - name: b\n    detector: nosuch\n  - name: c\n    detector: secrets\n    roles: [robot]\n    threshold: 1.5\n",
			want: []string{
				`p.yaml:4: policies[0].severity: "urgent" is not one of info, low, medium, high, critical`,
				// The policy package locates an unknown detector at its policy's first line.
				`p.yaml:5: policies[1].detector: "nosuch" is not a registered detector`,
				`p.yaml:9: policies[2].roles: "robot" is not one of user, assistant, tool, file`,
				`p.yaml:10: policies[2].threshold: 1.5 is out of range [0, 1]`,
			},
		},
		{
			name: "bad detector params",
			yaml: "policies:\n  - name: t\n    detector: topics\n    params: {topics: [no_such_topic]}\n",
			want: []string{"p.yaml:4: policies[0].params: "},
		},
		{
			name: "yaml syntax",
			yaml: "policies:\n  - name: [\n",
			want: []string{"p.yaml:2: yaml: line 2:"},
		},
		{
			name: "unknown field",
			yaml: "policies:\n  - name: a\n    detector: pii\n    severty: high\n",
			want: []string{"p.yaml:4: policies[0].severty: unknown field"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := ValidatePolicies([]byte(tt.yaml), "p.yaml")
			if v.Valid != tt.valid {
				t.Fatalf("valid = %v, problems %v", v.Valid, v.Problems)
			}
			if len(v.Problems) != len(tt.want) {
				t.Fatalf("got %d problems %v, want %d", len(v.Problems), v.Problems, len(tt.want))
			}
			for i, w := range tt.want {
				if got := v.Problems[i].String(); !strings.HasPrefix(got, w) {
					t.Errorf("problem %d = %q, want prefix %q", i, got, w)
				}
			}
			var out bytes.Buffer
			if err := v.WriteText(&out); err != nil {
				t.Fatal(err)
			}
			last := "p.yaml: valid, 1 policy (1 enabled)"
			if !tt.valid {
				last = "p.yaml: " + plural(len(tt.want), "error")
			}
			if !strings.Contains(out.String(), last) {
				t.Errorf("output lacks %q:\n%s", last, out.String())
			}
		})
	}
}

func TestListPoliciesGroupScope(t *testing.T) {
	cfg, err := policy.ParseConfig([]byte("policies:\n  - name: c\n    detector: code\n    groups: [contractors]\n    exclude_groups: [security]\n"), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	set := ListPolicies(cfg)
	var table, js bytes.Buffer
	if err := set.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if err := set.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "all (groups: contractors) (not: security)") {
		t.Errorf("table lacks the group scope:\n%s", table.String())
	}
	if !strings.Contains(js.String(), `"groups": [`) || !strings.Contains(js.String(), `"exclude_groups": [`) {
		t.Errorf("json lacks the group scope:\n%s", js.String())
	}
}
