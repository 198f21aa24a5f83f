package app

import (
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/policy"
)

// TestPolicyEditorParamErrors checks that the dashboard's params edits get
// the errors policies --validate gives for the same typo, and leave the
// policies as they were.
func TestPolicyEditorParamErrors(t *testing.T) {
	r, err := policy.NewReloadable("")
	if err != nil {
		t.Fatal(err)
	}
	p := &policyAdapter{r: r}
	v := r.Version()
	for params, want := range map[string]map[string]any{
		`policy "pii": params.entites: unknown field; did you mean "entities"?`: {"entites": []any{"PHONE"}},
		`policy "pii": params.region: must be a string, got number "12"`:        {"region": 12.0},
	} {
		err := p.SetParams("pii", want)
		if err == nil || !strings.HasPrefix(err.Error(), params) {
			t.Errorf("SetParams(%v) = %v, want %q", want, err, params)
		}
	}
	if r.Version() != v {
		t.Fatal("a rejected edit changed the policies")
	}
	if err := p.SetParams("pii", map[string]any{"entities": []any{"PHONE"}, "context_window": 40.0}); err != nil {
		t.Fatalf("valid params: %v", err)
	}
}
