package web_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/oversight"
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

// TestGroupFilters: events, sessions and alerts filter by directory group
// in the JSON API and the pages, whose group pickers list the synced
// groups; a group never synced is a 400 that says what to do.
func TestGroupFilters(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	if _, err := e.Store.SaveDirectory(context.Background(), store.Directory{IntegrationID: e.Acme.ID, SyncedAt: time.Now(),
		Groups: []store.Group{{ID: "rbac_group_fin", Name: "finance", SourceType: "scim", Members: []store.GroupMember{{UserID: "u-alice", Email: "alice@example.com"}}},
			{ID: "rbac_group_con", Name: "contractors", SourceType: "direct", Members: []store.GroupMember{{UserID: "u-bob", Email: "bob@example.com"}}}}}); err != nil {
		t.Fatal(err)
	}
	c := login(t, ts, webtest.AnalystEmail)
	type user struct {
		UserID      string `json:"user_id"`
		ActorUserID string `json:"actor_user_id"`
	}
	for _, c2 := range []struct{ group, want, other string }{{"finance", "u-alice", "u-bob"}, {"rbac_group_con", "u-bob", "u-alice"}} {
		users := map[string]int{}
		for _, kind := range []string{"prompt", "access"} {
			var ev struct {
				Events []struct {
					Event user `json:"event"`
				} `json:"events"`
			}
			if res := c.getJSON("/api/v1/events?kind="+kind+"&group="+c2.group, &ev); res.StatusCode != http.StatusOK {
				t.Fatalf("%s events of %s: %d", kind, c2.group, res.StatusCode)
			}
			for _, it := range ev.Events {
				users[it.Event.UserID+it.Event.ActorUserID]++
			}
		}
		var ss struct {
			Sessions []user `json:"sessions"`
		}
		if res := c.getJSON("/api/v1/sessions?group="+c2.group, &ss); res.StatusCode != http.StatusOK {
			t.Fatalf("sessions of %s: %d", c2.group, res.StatusCode)
		}
		for _, s := range ss.Sessions {
			users["session "+s.UserID]++
		}
		var as struct {
			Alerts []user `json:"alerts"`
			Total  int    `json:"total"`
		}
		if res := c.getJSON("/api/v1/alerts?group="+c2.group, &as); res.StatusCode != http.StatusOK || as.Total != len(as.Alerts) {
			t.Fatalf("alerts of %s: %d %+v", c2.group, res.StatusCode, as)
		}
		for _, a := range as.Alerts {
			users["alert "+a.UserID]++
		}
		if users[c2.want] == 0 || users["session "+c2.want] == 0 || users["alert "+c2.want] != 1 ||
			users[c2.other]+users["session "+c2.other]+users["alert "+c2.other] != 0 {
			t.Errorf("group %s selected %v: want only %s's events, sessions and alert", c2.group, users, c2.want)
		}
	}
	for _, path := range []string{"/api/v1/events?group=astronauts", "/api/v1/sessions?group=astronauts", "/api/v1/alerts?group=astronauts"} {
		if res, body := c.get(path); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "not a synced directory group") {
			t.Errorf("%s: %d %s, want 400 naming the problem", path, res.StatusCode, body)
		}
	}
	for _, path := range []string{"/events?kind=access&group=finance", "/sessions?group=finance", "/alerts?group=finance"} {
		res, body := c.get(path)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, `<option selected>finance</option>`) || !strings.Contains(body, `<option >contractors</option>`) {
			t.Errorf("%s: %d, the group picker does not list the synced groups with finance selected", path, res.StatusCode)
		}
	}
	if _, body := c.get("/users/" + itoa(e.Acme.ID) + "/u-alice"); !strings.Contains(body, "group=finance") {
		t.Error("the user page does not link the user's group to its events")
	}
}

var localHref = regexp.MustCompile(`href="(/[^"]*)"`)

// TestOversightAlertsLinkSomewhereReal: a settings-drift or feed-gap alert
// names no stored event, so its page links to the setting on the
// integration's directory tab and to the integration's sync state and the
// silent hour's access events; every link on the page answers 200.
func TestOversightAlertsLinkSomewhereReal(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	ctx := context.Background()
	org := "91012d09-e48b-438e-a489-1bebfd8fa6f9"
	d := store.Directory{IntegrationID: e.Acme.ID, SettingsSynced: true, SyncedAt: webtest.Base,
		Settings: []store.OrgSetting{{OrganizationUUID: org, Name: "ip_allowlist_enabled", Type: "boolean", Value: json.RawMessage(`true`)}}}
	if _, err := e.Store.SaveDirectory(ctx, d); err != nil {
		t.Fatal(err)
	}
	d.Settings[0].Value = json.RawMessage(`false`)
	changes, err := e.Store.SaveDirectory(ctx, d)
	if err != nil || len(changes) != 1 {
		t.Fatalf("drift: %+v %v", changes, err)
	}
	evals := oversight.DriftEvaluations(e.Acme.ID, changes, webtest.Base, "v1")
	gap := oversight.GapEvaluation(e.Acme.ID, oversight.Gap{From: webtest.Base.Add(-time.Hour), To: webtest.Base, Expected: 12, Silent: true}, "v1")
	var ids []int64
	for _, ev := range append(evals, gap) {
		f := ev.Findings[0]
		ids = append(ids, e.Alerts.Add(store.Alert{IntegrationID: e.Acme.ID, Policy: f.Policy, Detector: f.Detector, Severity: f.Severity, Action: f.Action,
			Status: store.AlertOpen, EventKind: ev.Kind, EventID: ev.EventID, Entity: f.Entity, Excerpt: f.Excerpt, Count: 1, FirstSeen: f.EventTime, LastSeen: f.EventTime}))
	}
	c := login(t, ts, webtest.ViewerEmail)
	settingShown := false
	for i, want := range []string{`id="alert-setting"`, `id="alert-feed-events"`} {
		res, body := c.get("/alerts/" + strconv.FormatInt(ids[i], 10))
		if res.StatusCode != http.StatusOK || !strings.Contains(body, want) || strings.Contains(body, "/events/setting/") || strings.Contains(body, "/events/feed/") {
			t.Fatalf("alert %d page: %d, %s shown %v", ids[i], res.StatusCode, want, strings.Contains(body, want))
		}
		for _, m := range localHref.FindAllStringSubmatch(body, -1) {
			link := html.UnescapeString(m[1])
			if strings.HasPrefix(link, "/static/") {
				continue
			}
			res, page := c.get(link)
			if res.StatusCode != http.StatusOK {
				t.Errorf("alert %d links to %s: %d", ids[i], link, res.StatusCode)
			}
			if strings.Contains(link, "tab=directory") {
				settingShown = true
				anchor := "setting-" + org + "-ip_allowlist_enabled"
				if !strings.Contains(link, "#"+anchor) || !strings.Contains(page, `id="`+anchor+`" class="target-row"`) || !strings.Contains(page, "false") {
					t.Errorf("the setting's link %s does not lead to its highlighted row", link)
				}
			}
		}
	}
	if !settingShown {
		t.Error("the drift alert does not link to the integration's directory tab")
	}
}
