package policy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/policy/detect"
)

// TestParamsErrors checks that a misspelt or mistyped detector parameter
// fails validation with file:line: field: message, instead of silently
// falling back to the detector's default.
func TestParamsErrors(t *testing.T) {
	tests := []struct {
		name, params string
		detector     string
		want         string // the error, file:line: field: message prefix
	}{
		{"unknown field", "entites: [PHONE]", "pii",
			`p.yaml:5: policies[0].params.entites: unknown field; did you mean "entities"?`},
		{"unknown field near another", "context_windw: 40", "pii",
			`p.yaml:5: policies[0].params.context_windw: unknown field; did you mean "context_window"?`},
		{"unknown field far from any", "colour: red", "secrets",
			`p.yaml:5: policies[0].params.colour: unknown field (known: disabled_rules, min_entropy, rules)`},
		{"number for a string", "region: 12", "pii",
			`p.yaml:5: policies[0].params.region: must be a string, got number "12"`},
		{"string for a number", "threshold: high", "pii",
			`p.yaml:5: policies[0].params.threshold: must be a number, got string "high"`},
		{"fraction for a whole number", "min_lines: 1.5", "code",
			`p.yaml:5: policies[0].params.min_lines: must be a whole number, got number "1.5"`},
		{"string for a boolean", `use_model: "no"`, "toxicity",
			`p.yaml:5: policies[0].params.use_model: must be true or false, got string "no"`},
		{"mapping for a list", "entities: {PHONE: true}", "pii",
			`p.yaml:5: policies[0].params.entities: must be a list of strings, got a mapping`},
		{"number in a list", "entities: [PHONE, 3]", "pii",
			`p.yaml:5: policies[0].params.entities: item 1 must be a string, got number "3"`},
		{"string in a number map", "thresholds: {PHONE: high}", "pii",
			`p.yaml:5: policies[0].params.thresholds: PHONE must be a number, got string "high"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			yaml := "policies:\n  - name: a\n    detector: " + tt.detector + "\n    params:\n      " + tt.params + "\n"
			_, err := ParseConfig([]byte(yaml), "p.yaml")
			if err == nil {
				t.Fatalf("no error for %q", tt.params)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("error %q, want it to start with %q", err, tt.want)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Line != 5 {
				t.Fatalf("error %v is not a FieldError on line 5", err)
			}
		})
	}
}

// TestParamsValid checks that correct params, a single string for a list
// and a disabled policy's params all pass, and that a disabled policy's
// typo does not.
func TestParamsValid(t *testing.T) {
	ok := `
policies:
  - name: a
    detector: pii
    params:
      entities: PHONE
      thresholds: {PHONE: 0.6, EMAIL: 1}
      context_window: 40
      region: us
  - name: b
    detector: secrets
    enabled: false
    params: {disabled_rules: [generic-api-key], min_entropy: 3}
`
	if _, err := ParseConfig([]byte(ok), "p.yaml"); err != nil {
		t.Fatal(err)
	}
	bad := "policies:\n  - name: a\n    detector: secrets\n    enabled: false\n    params: {disabled_rule: [x]}\n"
	if _, err := ParseConfig([]byte(bad), "p.yaml"); err == nil || !strings.Contains(err.Error(), "params.disabled_rule: unknown field") {
		t.Fatalf("disabled policy with a typo: %v", err)
	}
}

// TestParamsEveryDetector checks that every registered detector declares
// its params, so none escapes the check.
func TestParamsEveryDetector(t *testing.T) {
	for _, id := range detect.IDs() {
		if strings.HasPrefix(id, "test-") {
			continue // registered by this package's tests
		}
		if err := detect.CheckParams(id, detect.Params{"no_such_param_anywhere": 1}); err == nil {
			t.Errorf("detector %s: an unknown param passes; register its Params with detect.RegisterParams", id)
		}
	}
}

// TestParamsOnReloadAndEdit checks the same errors on hot reload and when
// params are edited outside a file (the dashboard builds an engine).
func TestParamsOnReloadAndEdit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policies.yaml")
	if err := os.WriteFile(path, []byte("policies:\n  - name: pii\n    detector: pii\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := NewReloadable(path)
	if err != nil {
		t.Fatal(err)
	}
	v1 := r.Version()
	if err := os.WriteFile(path, []byte("policies:\n  - name: pii\n    detector: pii\n    params:\n      region: 12\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err = r.Reload(path)
	if err == nil || !strings.Contains(err.Error(), path+":5: policies[0].params.region: must be a string") {
		t.Fatalf("reload: %v", err)
	}
	if r.Version() != v1 {
		t.Fatal("a bad reload replaced the policies")
	}

	cfg := *r.Engine().Config()
	cfg.Policies = append([]Policy(nil), cfg.Policies...)
	cfg.Policies[0].Params = detect.Params{"context_windw": 40.0}
	_, err = NewEngine(&cfg)
	if err == nil || !strings.Contains(err.Error(), `params.context_windw: unknown field; did you mean "context_window"?`) {
		t.Fatalf("edited params: %v", err)
	}
	cfg.Policies[0].Params = detect.Params{"context_window": 40.0, "entities": []any{"PHONE"}}
	if _, err := NewEngine(&cfg); err != nil {
		t.Fatalf("edited params from JSON: %v", err)
	}
}
