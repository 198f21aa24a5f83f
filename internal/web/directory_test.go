package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/web/webtest"
)

// TestUserPageShowsGroups: the groups a sync stored for a user are on the
// user's page and in the API's user answer.
func TestUserPageShowsGroups(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	if _, err := e.Store.SaveDirectory(context.Background(), store.Directory{IntegrationID: e.Acme.ID, SyncedAt: time.Now(),
		Groups: []store.Group{{ID: "rbac_group_fin", Name: "finance", SourceType: "scim", Members: []store.GroupMember{{UserID: "u-alice", Email: "alice@example.com"}}},
			{ID: "rbac_group_con", Name: "contractors", SourceType: "direct", Members: []store.GroupMember{{UserID: "u-bob"}}}}}); err != nil {
		t.Fatal(err)
	}
	c := login(t, ts, webtest.AdminEmail)
	res, body := c.get("/users/" + itoa(e.Acme.ID) + "/u-alice")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "finance") || strings.Contains(body, "contractors") {
		t.Fatalf("user page: %d, finance shown %v, contractors shown %v", res.StatusCode, strings.Contains(body, "finance"), strings.Contains(body, "contractors"))
	}
	var u struct {
		Groups []store.Group `json:"groups"`
	}
	c.getJSON("/api/v1/users/"+itoa(e.Acme.ID)+"/u-alice", &u)
	if len(u.Groups) != 1 || u.Groups[0].Name != "finance" || u.Groups[0].SourceType != "scim" {
		t.Fatalf("API groups: %+v", u.Groups)
	}
}

// TestInventoryRoute: the page and the API answer analysts, not viewers
// (the inventory shows tool-call fields a viewer sees redacted), and an
// unknown kind is a 400.
func TestInventoryRoute(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	if res, _ := login(t, ts, webtest.ViewerEmail).get("/api/v1/inventory"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("viewer: %d, want 403", res.StatusCode)
	}
	c := login(t, ts, webtest.AnalystEmail)
	var inv struct {
		Integration int64            `json:"integration_id"`
		Assets      []map[string]any `json:"assets"`
	}
	if res := c.getJSON("/api/v1/inventory?integration=acme", &inv); res.StatusCode != http.StatusOK || inv.Integration != e.Acme.ID || inv.Assets == nil {
		t.Fatalf("inventory API: %d %+v", res.StatusCode, inv)
	}
	if res, body := c.get("/inventory?kind=file"); res.StatusCode != http.StatusOK || !strings.Contains(body, `id="inventory-table"`) {
		t.Fatalf("inventory page: %d", res.StatusCode)
	}
	if res, _ := c.get("/api/v1/inventory?kind=spaceship"); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("unknown kind: %d, want 400", res.StatusCode)
	}
}
