package storetest

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/store"
)

func testDirectory(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	org := "91012d09-e48b-438e-a489-1bebfd8fa6f9"
	d := store.Directory{IntegrationID: in.ID, SettingsSynced: true, SyncedAt: t0,
		Roles: []store.Role{{OrganizationUUID: org, ID: "rbac_role_1", Name: "Engineers", Permissions: []store.Permission{{Action: "claude_code", ResourceType: "organization", ResourceID: org}}}},
		Groups: []store.Group{
			{ID: "rbac_group_fin", Name: "finance", SourceType: "scim", Roles: []string{"rbac_role_1"}, Members: []store.GroupMember{{UserID: "user_a", Email: "a@example.com"}, {UserID: "user_b", Email: "b@example.com"}}},
			{ID: "rbac_group_con", Name: "contractors", SourceType: "direct", Members: []store.GroupMember{{UserID: "user_a", Email: "a@example.com"}}},
		},
		Settings: []store.OrgSetting{
			{OrganizationUUID: org, Name: "content_redaction_enabled", Type: "boolean", Value: json.RawMessage(`true`)},
			{OrganizationUUID: org, Name: "data_retention_periods", Type: "data_retention", Value: json.RawMessage(`{"chat": {"type":"fixed","timescale":"day","duration":90}}`)},
			{OrganizationUUID: org, Name: "web_search_enabled", Type: "boolean", Value: json.RawMessage(`false`)},
		}}
	changes, err := s.SaveDirectory(ctx, d)
	if err != nil || len(changes) != 0 {
		t.Fatalf("first save: %+v %v (no changes the first time)", changes, err)
	}
	got, err := s.Directory(ctx, in.ID)
	if err != nil || len(got.Roles) != 1 || len(got.Roles[0].Permissions) != 1 || len(got.Groups) != 2 || len(got.Settings) != 3 || !got.SyncedAt.Equal(t0) {
		t.Fatalf("read back: %+v %v", got, err)
	}
	if g := got.Groups[1]; g.Name != "finance" || len(g.Members) != 2 || !slices.Equal(g.Roles, []string{"rbac_role_1"}) {
		t.Fatalf("finance group: %+v", g)
	}
	ug, err := s.UserGroups(ctx, in.ID, "user_a")
	if err != nil || len(ug) != 2 || ug[0].Name != "contractors" {
		t.Fatalf("groups of user_a: %+v %v", ug, err)
	}
	for _, key := range []string{"finance", "rbac_group_fin"} {
		ids, err := s.GroupUserIDs(ctx, in.ID, key)
		if err != nil || !slices.Equal(ids, []string{"user_a", "user_b"}) {
			t.Fatalf("members of %s: %v %v", key, ids, err)
		}
	}

	// Same values spaced differently are no change; a changed, a removed
	// and an added setting are reported.
	d.Settings = []store.OrgSetting{
		{OrganizationUUID: org, Name: "content_redaction_enabled", Type: "boolean", Value: json.RawMessage(`false`)},
		{OrganizationUUID: org, Name: "data_retention_periods", Type: "data_retention", Value: json.RawMessage(`{"chat":{"type":"fixed","timescale":"day","duration":90}}`)},
		{OrganizationUUID: org, Name: "claude_code_web_enabled", Type: "boolean", Value: json.RawMessage(`true`)},
	}
	d.Groups = d.Groups[:1]
	d.Groups[0].Members = d.Groups[0].Members[1:]
	changes, err = s.SaveDirectory(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range changes {
		names = append(names, c.Name)
	}
	if !slices.Equal(names, []string{"claude_code_web_enabled", "content_redaction_enabled", "web_search_enabled"}) {
		t.Fatalf("changes: %+v", changes)
	}
	if c := changes[1]; string(c.Old) != "true" || string(c.New) != "false" {
		t.Fatalf("redaction change: %s -> %s", c.Old, c.New)
	}
	if changes[0].Old != nil || changes[2].New != nil {
		t.Fatalf("added or removed settings: %+v", changes)
	}
	if ug, _ := s.UserGroups(ctx, in.ID, "user_a"); len(ug) != 0 {
		t.Fatalf("user_a left both groups: %+v", ug)
	}
	// Without settings the stored ones stay.
	d.SettingsSynced, d.Settings = false, nil
	if changes, err := s.SaveDirectory(ctx, d); err != nil || len(changes) != 0 {
		t.Fatalf("save without settings: %+v %v", changes, err)
	}
	if got, _ := s.Directory(ctx, in.ID); len(got.Settings) != 3 {
		t.Fatalf("settings after a save without them: %+v", got.Settings)
	}
}

func testCountActivities(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	var acts []store.Activity
	for i, typ := range []string{"user_logged_in", "compliance_api_accessed", "claude_chat_created", "user_logged_in"} {
		acts = append(acts, store.Activity{ID: "activity_" + typ + string(rune('a'+i)), CreatedAt: t0.Add(time.Duration(i) * 10 * time.Minute), Type: typ, ActorType: "user", Raw: []byte(`{}`)})
	}
	if _, err := s.SaveActivityPage(ctx, store.ActivityPage{IntegrationID: in.ID, Activities: acts}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		from, to time.Time
		exclude  []string
		want     int
	}{
		{t0, t0.Add(time.Hour), nil, 4},
		{t0, t0.Add(time.Hour), []string{"compliance_api_accessed"}, 3},
		{t0.Add(10 * time.Minute), t0.Add(30 * time.Minute), nil, 2}, // from inclusive, to exclusive
		{t0.Add(time.Hour), t0.Add(2 * time.Hour), nil, 0},
	} {
		if n, err := s.CountActivities(ctx, in.ID, c.from, c.to, c.exclude); err != nil || n != c.want {
			t.Errorf("count [%s, %s) without %v: %d %v, want %d", c.from, c.to, c.exclude, n, err, c.want)
		}
	}
}
