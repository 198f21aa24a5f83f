package main

import (
	"slices"
	"testing"

	"github.com/claudit/claudit/internal/policy"
)

// TestDemoPolicies checks that the demo's policy file is the defaults plus
// one policy scoped to the simulated organization's contractors group.
func TestDemoPolicies(t *testing.T) {
	data, err := demoPolicies()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := policy.ParseConfig(data, demoPoliciesFile)
	if err != nil {
		t.Fatal(err)
	}
	def, err := policy.DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Policies) != len(def.Policies)+1 {
		t.Fatalf("%d policies, want the %d defaults and one more", len(cfg.Policies), len(def.Policies))
	}
	p := cfg.Policies[0]
	if p.Name != "contractor-source-code" || !slices.Equal(p.Groups, []string{"contractors"}) || !cfg.GroupScoped() {
		t.Fatalf("first policy %+v, want contractor-source-code scoped to contractors", p)
	}
}
