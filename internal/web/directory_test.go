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
