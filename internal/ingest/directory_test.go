package ingest_test

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"testing"

	"github.com/claudit/claudit/internal/ingest"
	"github.com/claudit/claudit/internal/simulator"
	"github.com/claudit/claudit/internal/store"
)

// TestSyncReproducesDirectoryAndSettings checks roles, permissions, groups,
// members and settings against the simulator's ground truth, on both
// backends, and that a changed setting is reported as drift on the next sync.
func TestSyncReproducesDirectoryAndSettings(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, simulator.Config{Seed: 19, Users: 12, Days: 1}, dbFor(backend))
			ctx := context.Background()
			var drift []store.SettingChange
			sy := e.syncer(t, ingest.Settings{SkipSessions: true})
			sy.SettingsChanged = func(_ context.Context, _ *store.Integration, c []store.SettingChange) { drift = append(drift, c...) }
			if _, err := sy.SyncOnce(ctx); err != nil {
				t.Fatal(err)
			}
			if len(drift) != 0 {
				t.Fatalf("first sync reported drift: %+v", drift)
			}
			d, err := e.st.Directory(ctx, e.in.ID)
			if err != nil {
				t.Fatal(err)
			}
			truth := e.sim.Directory()
			if len(d.Roles) != len(truth.Roles) || len(d.Groups) != len(truth.Groups) || len(truth.Groups) == 0 || len(truth.Roles) == 0 {
				t.Fatalf("roles %d/%d, groups %d/%d", len(d.Roles), len(truth.Roles), len(d.Groups), len(truth.Groups))
			}
			for _, r := range d.Roles {
				want := truth.RolePermissions[r.ID]
				if truth.Roles[r.ID] != r.Name || len(r.Permissions) != len(want) {
					t.Errorf("role %s: %q with %d permissions, want %q with %d", r.ID, r.Name, len(r.Permissions), truth.Roles[r.ID], len(want))
				}
				for i, p := range r.Permissions {
					if p.Action != want[i].Action || p.ResourceType != want[i].ResourceType || p.ResourceID != want[i].ResourceID {
						t.Errorf("role %s permission %d: %+v, want %+v", r.ID, i, p, want[i])
					}
				}
			}
			for _, g := range d.Groups {
				var ids []string
				for _, m := range g.Members {
					ids = append(ids, m.UserID)
				}
				sort.Strings(ids)
				if truth.Groups[g.ID] != g.Name || !slices.Equal(ids, truth.GroupMembers[g.ID]) || !slices.Equal(g.Roles, truth.GroupRoles[g.ID]) {
					t.Errorf("group %s: %q roles %v members %v, want %q roles %v members %v", g.ID, g.Name, g.Roles, ids,
						truth.Groups[g.ID], truth.GroupRoles[g.ID], truth.GroupMembers[g.ID])
				}
			}
			stored := map[string]string{}
			for _, s := range d.Settings {
				stored[s.OrganizationUUID+"/"+s.Name] = string(s.Value)
			}
			n := 0
			var org string
			for o, settings := range truth.Settings {
				for _, s := range settings {
					n++
					org = o
					got, ok := stored[o+"/"+s.Name]
					if !ok || !jsonEqual(got, string(s.Value)) {
						t.Errorf("setting %s of %s: %s (stored %v), want %s", s.Name, o, got, ok, s.Value)
					}
				}
			}
			if n == 0 || n != len(d.Settings) {
				t.Fatalf("settings: %d stored, %d in the simulator", len(d.Settings), n)
			}

			on := stored[org+"/content_redaction_enabled"] == "true"
			if err := e.sim.SetOrgSetting(org, "content_redaction_enabled", "boolean", !on); err != nil {
				t.Fatal(err)
			}
			if _, err := sy.SyncOnce(ctx); err != nil {
				t.Fatal(err)
			}
			if len(drift) != 1 || drift[0].Name != "content_redaction_enabled" || string(drift[0].New) != strconv.FormatBool(!on) {
				t.Fatalf("drift after a setting changed: %+v", drift)
			}
		})
	}
}

func jsonEqual(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return a == b
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}
