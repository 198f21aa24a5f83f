package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/policyset"
	"github.com/claudit/claudit/internal/simulator"
	"github.com/claudit/claudit/internal/store"
)

// TestInstalledPolicySetWithoutAFile: with no policies file, the set last
// installed from the dashboard (kept in the store) is the one every
// pipeline runs, and the installer reports it as installed.
func TestInstalledPolicySetWithoutAFile(t *testing.T) {
	_, url := sim(t)
	a, _ := openApp(t, yamlFor(t, url, simulator.DefaultKey, false))
	ctx := context.Background()
	set, err := policyset.LoadTemplate("agent-safety")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Store.SavePolicySet(ctx, &store.PolicySet{Name: store.PolicyInstalled, YAML: string(set.YAML), Version: set.Version(),
		UpdatedBy: "admin@example.com", UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	p, err := a.OpenPipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Policies.Version(); got != set.Version() {
		t.Fatalf("engine runs version %s, want the installed set's %s", got, set.Version())
	}
	data, _, err := p.PolicySets.Installed()
	if err != nil || string(data) != string(set.YAML) {
		t.Fatalf("installed set %.80q, %v", data, err)
	}
}
