package inventory_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/ingest"
	"github.com/claudit/claudit/internal/inventory"
	"github.com/claudit/claudit/internal/simulator"
	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/store/sqlite"
)

// TestInventoryOfSimulatedOrganization syncs a simulated organization over
// loopback and checks the inventory lists its projects, files, tool
// integrations and Claude Code users with who, when and how often.
func TestInventoryOfSimulatedOrganization(t *testing.T) {
	ctx := context.Background()
	end := time.Now().UTC().Truncate(time.Minute)
	sim, err := simulator.New(simulator.Config{Seed: 31, Users: 20, Days: 3, End: end, RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(sim.Handler())
	t.Cleanup(ts.Close)
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "claudit.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	in := &store.Integration{Name: "sim", BaseURL: ts.URL, Interval: time.Minute}
	if err := st.UpsertIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	c, err := compliance.New(compliance.Options{BaseURL: ts.URL, APIKey: simulator.DefaultKey, RequestsPerMinute: -1, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.NewSyncer(in, c, st, ingest.Settings{SkipSessions: true}, nil).SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	assets, err := inventory.Build(ctx, st, in.ID, inventory.Options{Since: end.AddDate(0, 0, -30)})
	if err != nil {
		t.Fatal(err)
	}
	byKind := map[string]int{}
	for _, a := range assets {
		byKind[a.Kind]++
		if a.Uses < 0 || (a.Kind != inventory.KindProject && (a.Uses == 0 || a.AddedAt.IsZero())) {
			t.Errorf("asset without use or date: %+v", a)
		}
	}
	t.Logf("assets by kind: %v", byKind)
	ps, _ := st.ProjectUsages(ctx, in.ID, 1000)
	if byKind[inventory.KindProject] != len(ps) || len(ps) == 0 {
		t.Errorf("projects: %d in the inventory, %d stored", byKind[inventory.KindProject], len(ps))
	}
	if byKind[inventory.KindFile] == 0 {
		t.Error("no files in the inventory")
	}
	if byKind[inventory.KindMCPServer]+byKind[inventory.KindConnector] == 0 {
		t.Error("no MCP servers or connectors in the inventory")
	}
}
