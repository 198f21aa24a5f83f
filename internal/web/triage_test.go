package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/web/webtest"
)

// TestAlertTriage: sorting, totals, assignees, bulk actions and the status
// history, through the API and the pages.
func TestAlertTriage(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	c := login(t, ts, webtest.AnalystEmail)
	viewer := login(t, ts, webtest.ViewerEmail)

	var list struct {
		Alerts []store.Alert `json:"alerts"`
		Total  int           `json:"total"`
	}
	get := func(path string) {
		t.Helper()
		res, out := c.api("GET", path, nil, false)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", path, res.StatusCode, out)
		}
		list.Alerts = nil
		if err := json.Unmarshal([]byte(out), &list); err != nil {
			t.Fatal(err)
		}
	}
	get("/api/v1/alerts?sort=severity&order=asc")
	if len(list.Alerts) != 2 || list.Alerts[0].Severity != "high" || list.Total != 2 {
		t.Fatalf("sorted by severity, lowest first: %+v", list)
	}
	get("/api/v1/alerts?limit=1")
	if len(list.Alerts) != 1 || list.Total != 2 {
		t.Fatalf("paged: %d of %d", len(list.Alerts), list.Total)
	}
	for _, q := range []string{"sort=id", "order=sideways", "sort=count&order=up"} {
		if res, _ := c.api("GET", "/api/v1/alerts?"+q, nil, false); res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d", q, res.StatusCode)
		}
	}

	// Assignment: only to an active analyst or admin.
	for _, tc := range []struct {
		who  string
		want int
	}{{webtest.ViewerEmail, 400}, {"nobody@example.com", 400}, {webtest.AnalystEmail, 200}} {
		if res, out := c.api("POST", "/api/v1/alerts/1/assign", map[string]string{"assignee": tc.who}, true); res.StatusCode != tc.want {
			t.Fatalf("assign to %s: %d %s", tc.who, res.StatusCode, out)
		}
	}
	get("/api/v1/alerts?assignee=" + url.QueryEscape(webtest.AnalystEmail))
	if len(list.Alerts) != 1 || list.Alerts[0].ID != 1 || list.Alerts[0].Assignee != webtest.AnalystEmail {
		t.Fatalf("assigned alerts: %+v", list.Alerts)
	}
	get("/api/v1/alerts?assignee=-")
	if len(list.Alerts) != 1 || list.Alerts[0].ID != 2 {
		t.Fatalf("unassigned alerts: %+v", list.Alerts)
	}

	// Bulk: a status for many, all or an error naming the alert.
	if res, out := c.api("POST", "/api/v1/alerts/bulk", map[string]any{"ids": []int64{1, 2}, "action": "resolve", "comment": "rotated"}, true); res.StatusCode != http.StatusOK || !strings.Contains(out, `"updated": 2`) {
		t.Fatalf("bulk resolve: %d %s", res.StatusCode, out)
	}
	for _, id := range []int64{1, 2} {
		if a, _ := e.Alerts.AlertByID(t.Context(), id); a.Status != store.AlertResolved || a.Comment != "rotated" || a.UpdatedBy != webtest.AnalystEmail {
			t.Fatalf("alert %d after bulk: %+v", id, a)
		}
	}
	for _, body := range []map[string]any{
		{"ids": []int64{}, "action": "resolve"},
		{"ids": []int64{1}, "action": "delete"},
		{"ids": []int64{1}, "action": "assign", "assignee": webtest.ViewerEmail},
		{"ids": []int64{1, 99}, "action": "acknowledge"},
	} {
		if res, out := c.api("POST", "/api/v1/alerts/bulk", body, true); res.StatusCode < 400 {
			t.Errorf("bulk %v: %d %s", body, res.StatusCode, out)
		}
	}
	if res, _ := viewer.api("POST", "/api/v1/alerts/bulk", map[string]any{"ids": []int64{1}, "action": "resolve"}, true); res.StatusCode != http.StatusForbidden {
		t.Fatalf("viewer bulk: %d", res.StatusCode)
	}
	// The form does the same: the checked alerts, one action.
	res, _ := c.postForm("/alerts/bulk", url.Values{"csrf_token": {c.csrf}, "id": {"1", "2"}, "action": {"assign"}, "assignee": {webtest.AdminEmail},
		"next": {"/alerts?status=resolved"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/alerts?status=resolved" {
		t.Fatalf("bulk form: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if a, _ := e.Alerts.AlertByID(t.Context(), 2); a.Assignee != webtest.AdminEmail {
		t.Fatalf("bulk assign: %+v", a)
	}

	// The history: assignment, the bulk resolve, the form's reassignment;
	// the failed bulks changed nothing.
	var h struct {
		History []store.AlertChange `json:"history"`
	}
	_, out := viewer.api("GET", "/api/v1/alerts/1/history", nil, false)
	if err := json.Unmarshal([]byte(out), &h); err != nil {
		t.Fatal(err)
	}
	if len(h.History) != 3 || h.History[0].ToAssignee != webtest.AnalystEmail || h.History[1].ToStatus != store.AlertResolved ||
		h.History[1].Comment != "rotated" || h.History[len(h.History)-1].ToAssignee != webtest.AdminEmail {
		t.Fatalf("history: %s", out)
	}

	_, page := c.get("/alerts?status=resolved&sort=count")
	for _, want := range []string{`id="alerts-total">Alerts 1–2 of 2`, `id="bulk-form"`, `form="bulk-form"`, `Count ▼`, webtest.AdminEmail} {
		if !strings.Contains(page, want) {
			t.Errorf("alerts page lacks %q", want)
		}
	}
	_, page = c.get("/alerts/1")
	if !strings.Contains(page, `id="alert-history"`) || !strings.Contains(page, "assignee nobody → "+webtest.AnalystEmail) || !strings.Contains(page, "rotated") {
		t.Error("alert page lacks its history")
	}
	if _, page := viewer.get("/alerts"); strings.Contains(page, `id="bulk-form"`) {
		t.Error("viewer sees bulk actions")
	}
}

// TestSessionsTriage: the sessions list shows each session's violations,
// sorts by them, filters by the dates a session was active and tells the
// total, except for a viewer's search, whose count would confirm guesses.
func TestSessionsTriage(t *testing.T) {
	_, ts := newEnv(t, webtest.Options{})
	c := login(t, ts, webtest.AnalystEmail)
	viewer := login(t, ts, webtest.ViewerEmail)
	type page struct {
		Sessions []store.Chat `json:"sessions"`
		Total    *int         `json:"total"`
	}
	get := func(cl *client, q string) page {
		t.Helper()
		res, out := cl.api("GET", "/api/v1/sessions?"+q, nil, false)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", q, res.StatusCode, out)
		}
		var p page
		if err := json.Unmarshal([]byte(out), &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ids := func(p page) string {
		var out []string
		for _, s := range p.Sessions {
			out = append(out, s.ID+":"+itoa(int64(s.Violations)))
		}
		return strings.Join(out, " ")
	}
	// chat-leak: two findings on its prompt and the alert on its sharing.
	for _, tc := range []struct{ q, want string }{
		{"sort=violations", "chat-leak:3 chat-xss:1 chat-plan:0"},
		{"from=2025-03-10", "chat-leak:3"},
		{"to=2025-03-09", "chat-xss:1 chat-plan:0"},
		{"from=2025-03-08&to=2025-03-09&sort=violations", "chat-xss:1 chat-plan:0"},
	} {
		p := get(c, tc.q)
		if got := ids(p); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.q, got, tc.want)
		}
		if p.Total == nil || *p.Total != len(p.Sessions) {
			t.Errorf("%s: total %v", tc.q, p.Total)
		}
	}
	if p := get(c, "limit=1&offset=1"); p.Total == nil || *p.Total != 3 {
		t.Errorf("total of a later page: %v", p.Total)
	}
	for _, q := range []string{"sort=name", "from=yesterday"} {
		if res, _ := c.api("GET", "/api/v1/sessions?"+q, nil, false); res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d", q, res.StatusCode)
		}
	}
	if p := get(viewer, "q=key"); p.Total != nil {
		t.Errorf("a viewer's search reports a total: %d", *p.Total)
	}
	_, body := c.get("/sessions?sort=violations")
	for _, want := range []string{`id="sessions-total">Sessions 1–3 of 3`, `<th>Violations</th>`, `<span class="violation">3</span>`, `id="s-from"`} {
		if !strings.Contains(body, want) {
			t.Errorf("sessions page lacks %q", want)
		}
	}
}

// TestEventTotals: the events page and API tell how many events match, on
// every page, but not for a viewer's search.
func TestEventTotals(t *testing.T) {
	_, ts := newEnv(t, webtest.Options{})
	c := login(t, ts, webtest.AnalystEmail)
	viewer := login(t, ts, webtest.ViewerEmail)
	var p struct {
		Total *int   `json:"total"`
		Next  string `json:"next_cursor"`
	}
	_, out := c.api("GET", "/api/v1/events?kind=prompt&limit=2", nil, false)
	if err := json.Unmarshal([]byte(out), &p); err != nil || p.Total == nil || *p.Total != 6 || p.Next == "" {
		t.Fatalf("first page: %s", out)
	}
	_, out = c.api("GET", "/api/v1/events?kind=prompt&limit=2&view=interactions&cursor="+url.QueryEscape(p.Next), nil, false)
	if err := json.Unmarshal([]byte(out), &p); err != nil || p.Total == nil || *p.Total != 6 {
		t.Fatalf("second page: %s", out)
	}
	_, out = c.api("GET", "/api/v1/events?kind=access", nil, false)
	if err := json.Unmarshal([]byte(out), &p); err != nil || p.Total == nil || *p.Total != 3 {
		t.Fatalf("access events: %s", out)
	}
	_, out = viewer.api("GET", "/api/v1/events?kind=prompt&q=key", nil, false)
	if strings.Contains(out, `"total"`) {
		t.Fatalf("a viewer's search reports a total: %s", out)
	}
	for path, want := range map[string]string{
		"/events?kind=prompt":               "3 interactions on this page, from 6 messages matching",
		"/events?kind=prompt&view=messages": "6 shown of 6 messages matching",
		"/events?kind=access":               "3 shown of 3 access events matching",
	} {
		if _, body := c.get(path); !strings.Contains(body, want) {
			t.Errorf("%s lacks %q", path, want)
		}
	}
}
