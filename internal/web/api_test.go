package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/store/sqlite"
	"github.com/claudit/claudit/internal/web"
	"github.com/claudit/claudit/internal/web/webtest"
)

type eventsPage struct {
	Events []struct {
		Kind  string `json:"kind"`
		Event struct {
			ID   string `json:"id"`
			Text string `json:"text"`
		} `json:"event"`
		Policies []string `json:"policies"`
	} `json:"events"`
	Next string `json:"next_cursor"`
}

func TestEventsCursorPagination(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{BulkMessages: 45})
	c := login(t, ts, webtest.AnalystEmail)
	counts, err := e.Store.Counts(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		var p eventsPage
		if res := c.getJSON("/api/v1/events?kind=prompt&limit=10&cursor="+url.QueryEscape(cursor), &p); res.StatusCode != 200 {
			t.Fatalf("page %d: %d", pages, res.StatusCode)
		}
		pages++
		for _, ev := range p.Events {
			if seen[ev.Event.ID] {
				t.Fatalf("event %s on two pages", ev.Event.ID)
			}
			seen[ev.Event.ID] = true
		}
		if p.Next == "" {
			break
		}
		cursor = p.Next
	}
	if len(seen) != counts.Messages || pages != (counts.Messages+9)/10 {
		t.Fatalf("paged %d events in %d pages; store has %d", len(seen), pages, counts.Messages)
	}
	if res, _ := c.get("/api/v1/events?cursor=garbage!"); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad cursor: %d", res.StatusCode)
	}
}

func TestEventsFilters(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	c := login(t, ts, webtest.AnalystEmail)
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"kind=prompt&user=alice@example.com&role=user", []string{"msg-leak", "msg-plan"}},
		{"kind=prompt&user=u-bob&role=user", []string{"msg-xss"}},
		{"kind=prompt&from=2025-03-10&to=2025-03-10", []string{"msg-leak-reply", "msg-leak"}},
		{"kind=prompt&policy=secrets", []string{"msg-leak"}},
		{"kind=prompt&severity=high", []string{"msg-xss"}},
		{"kind=prompt&violations=1", []string{"msg-leak", "msg-xss"}},
		{"kind=prompt&q=quarterly", []string{"msg-plan"}},
		{"kind=prompt&model=claude-haiku-4", []string{"msg-plan-reply", "msg-plan"}},
		{"kind=prompt&tag=pii", []string{"msg-leak"}},
		{"kind=access&user=alice@example.com", []string{"act-share", "act-login"}},
		{"kind=access&integration=acme&violations=1", []string{"act-share"}},
		{"kind=access&integration=" + itoa(e.Beta.ID), nil},
	} {
		t.Run(tc.query, func(t *testing.T) {
			var p eventsPage
			if res := c.getJSON("/api/v1/events?"+tc.query, &p); res.StatusCode != 200 {
				t.Fatalf("status %d", res.StatusCode)
			}
			var got []string
			for _, ev := range p.Events {
				got = append(got, ev.Event.ID)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	for _, bad := range []string{"kind=nope", "from=yesterday", "limit=0", "integration=missing"} {
		if res, _ := c.get("/api/v1/events?" + bad); res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", bad, res.StatusCode)
		}
	}
}

func TestEventAndSessionDetail(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	c := login(t, ts, webtest.AnalystEmail)
	acme := itoa(e.Acme.ID)
	var d struct {
		Kind     string          `json:"kind"`
		Endpoint string          `json:"endpoint"`
		Tokens   web.TokenUsage  `json:"token_usage"`
		Findings []store.Finding `json:"findings"`
		Actions  []string        `json:"actions_taken"`
		Chat     store.Chat      `json:"chat"`
	}
	if res := c.getJSON("/api/v1/events/prompt/"+acme+"/msg-leak", &d); res.StatusCode != 200 {
		t.Fatalf("detail: %d", res.StatusCode)
	}
	if !d.Tokens.Estimated || d.Tokens.Prompt == 0 || d.Tokens.Response == 0 || d.Tokens.Total != d.Tokens.Context+d.Tokens.Prompt+d.Tokens.Response {
		t.Fatalf("token usage %+v", d.Tokens)
	}
	if len(d.Findings) != 2 || len(d.Actions) != 2 || d.Chat.ID != "chat-leak" || !strings.Contains(d.Endpoint, "compliance.acme.test") {
		t.Fatalf("detail %+v", d)
	}
	var s struct {
		Chat     store.Chat `json:"chat"`
		Messages []struct {
			ID       string          `json:"id"`
			Seq      int             `json:"seq"`
			Findings []store.Finding `json:"findings"`
		} `json:"messages"`
	}
	c.getJSON("/api/v1/sessions/"+acme+"/chat-leak", &s)
	if len(s.Messages) != 2 || s.Messages[0].ID != "msg-leak" || s.Messages[1].Seq != 1 || len(s.Messages[0].Findings) != 2 {
		t.Fatalf("session %+v", s)
	}
	// Violations are highlighted in place in the session page.
	_, body := c.get("/sessions/" + acme + "/chat-leak")
	if !strings.Contains(body, `<mark class="sev sev-critical" title="secrets · anthropic_api_key">`+webtest.SecretKey+`</mark>`) {
		t.Fatalf("secret not highlighted in place")
	}
	for _, path := range []string{"/api/v1/events/prompt/" + acme + "/nope", "/api/v1/sessions/" + acme + "/nope", "/api/v1/events/other/" + acme + "/x"} {
		if res, _ := c.get(path); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", path, res.StatusCode)
		}
	}
}

func TestExport(t *testing.T) {
	_, ts := newEnv(t, webtest.Options{BulkMessages: 20})
	c := login(t, ts, webtest.AnalystEmail)
	for _, tc := range []struct {
		format, ctype string
	}{{"csv", "text/csv"}, {"json", "application/json"}, {"jsonl", "application/x-ndjson"}} {
		t.Run(tc.format, func(t *testing.T) {
			res, body := c.get("/api/v1/export?kind=prompt&format=" + tc.format)
			if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), tc.ctype) ||
				!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment;") {
				t.Fatalf("status %d, headers %v", res.StatusCode, res.Header)
			}
			const want = 26 // 6 seeded messages and 20 bulk ones
			switch tc.format {
			case "csv":
				rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
				if err != nil || len(rows) != want+1 || rows[0][0] != "kind" {
					t.Fatalf("csv: %v, %d rows", err, len(rows))
				}
			case "json":
				var recs []map[string]any
				if err := json.Unmarshal([]byte(body), &recs); err != nil || len(recs) != want {
					t.Fatalf("json: %v, %d records", err, len(recs))
				}
			case "jsonl":
				n := 0
				sc := bufio.NewScanner(strings.NewReader(body))
				for sc.Scan() {
					var rec map[string]any
					if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
						t.Fatal(err)
					}
					n++
				}
				if n != want {
					t.Fatalf("jsonl: %d lines", n)
				}
			}
		})
	}
	if res, _ := c.get("/api/v1/export?format=xml"); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("xml: %d", res.StatusCode)
	}
	// Both kinds together when no kind is given.
	_, body := c.get("/export?format=jsonl")
	if strings.Count(body, "\n") != 26+3 {
		t.Fatalf("export of all events: %d lines", strings.Count(body, "\n"))
	}
}

func TestAuditTrail(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	acme := itoa(e.Acme.ID)
	analyst, admin := login(t, ts, webtest.AnalystEmail), login(t, ts, webtest.AdminEmail)
	analyst.get("/events?kind=prompt&open=prompt/" + acme + "/msg-leak")
	analyst.get("/api/v1/events/access/" + acme + "/act-login")
	analyst.get("/sessions/" + acme + "/chat-leak")
	analyst.get("/users/" + acme + "/u-alice")
	analyst.get("/export?kind=prompt&format=csv&user=alice@example.com")
	bad := newClient(t, ts)
	_, lb := bad.get("/login")
	bad.postForm("/login", url.Values{"csrf_token": {csrfInput.FindStringSubmatch(lb)[1]}, "email": {webtest.AnalystEmail}, "password": {"wrong-password!"}})

	var log struct {
		Entries []store.AuditEntry `json:"entries"`
	}
	admin.getJSON("/api/v1/audit?limit=1000", &log)
	has := func(actor, action, object, id string) bool {
		for _, en := range log.Entries {
			if en.Actor == actor && en.Action == action && en.Object == object && (id == "" || en.ObjectID == id) {
				return true
			}
		}
		return false
	}
	for _, tc := range []struct{ actor, action, object, id string }{
		{webtest.AnalystEmail, "login", "account", webtest.AnalystEmail},
		{webtest.AnalystEmail, "view", "event", "prompt/" + acme + "/msg-leak"},
		{webtest.AnalystEmail, "view", "event", "access/" + acme + "/act-login"},
		{webtest.AnalystEmail, "view", "session", acme + "/chat-leak"},
		{webtest.AnalystEmail, "view", "user", acme + "/u-alice"},
		{webtest.AnalystEmail, "export", "events", ""},
		{"", "login_failed", "account", webtest.AnalystEmail},
	} {
		if !has(tc.actor, tc.action, tc.object, tc.id) {
			t.Errorf("no audit entry %+v", tc)
		}
	}
	// Searchable by account and object, and exportable.
	admin.getJSON("/api/v1/audit?actor="+url.QueryEscape(webtest.AnalystEmail)+"&object=session", &log)
	if len(log.Entries) != 1 {
		t.Fatalf("filtered audit: %+v", log.Entries)
	}
	admin.getJSON("/api/v1/audit?q=chat-leak", &log)
	if len(log.Entries) == 0 {
		t.Fatal("audit search by object id found nothing")
	}
	res, body := admin.get("/audit/export?format=csv&actor=" + url.QueryEscape(webtest.AnalystEmail))
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if res.StatusCode != 200 || err != nil || len(rows) < 6 {
		t.Fatalf("audit export: %d %v %d rows", res.StatusCode, err, len(rows))
	}
	if _, body := admin.get("/audit?actor=" + url.QueryEscape(webtest.AnalystEmail)); !strings.Contains(body, "chat-leak") {
		t.Fatal("audit page does not list the session view")
	}
}

func TestDatasets(t *testing.T) {
	_, ts := newEnv(t, webtest.Options{})
	c := login(t, ts, webtest.AnalystEmail)
	body := map[string]any{"name": "alice prompts", "description": "red team seed", "filter": map[string]string{"user": "alice@example.com", "role": "user"}}
	res, out := c.api("POST", "/api/v1/datasets", body, true)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", res.StatusCode, out)
	}
	var d store.Dataset
	json.Unmarshal([]byte(out), &d)
	if d.Items != 2 || d.CreatedBy != webtest.AnalystEmail {
		t.Fatalf("dataset %+v", d)
	}
	if res, _ := c.api("POST", "/api/v1/datasets", body, true); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("duplicate name: %d", res.StatusCode)
	}
	if res, _ := c.api("POST", "/api/v1/datasets", map[string]any{"name": "empty", "filter": map[string]string{"user": "nobody"}}, true); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("empty dataset: %d", res.StatusCode)
	}
	res, dl := c.get("/api/v1/datasets/" + itoa(d.ID) + "/download")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("download: %d %v", res.StatusCode, res.Header)
	}
	var recs []web.DatasetRecord
	dec := json.NewDecoder(strings.NewReader(dl))
	for dec.More() {
		var r web.DatasetRecord
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	if len(recs) != 2 || recs[0].ID != "msg-plan" || recs[1].ID != "msg-leak" || !strings.Contains(recs[1].Text, webtest.SecretKey) ||
		strings.Join(recs[1].Policies, ",") != "secrets,pii" {
		t.Fatalf("records %+v", recs)
	}
	// The form on the events page saves the current filters.
	res, _ = c.postForm("/datasets", url.Values{"csrf_token": {c.csrf}, "name": {"violations"}, "kind": {"prompt"}, "violations": {"1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("form save: %d", res.StatusCode)
	}
	if _, page := c.get("/datasets"); !strings.Contains(page, "violations") || !strings.Contains(page, "alice prompts") {
		t.Fatal("datasets page misses the saved sets")
	}
	if res, _ := c.api("DELETE", "/api/v1/datasets/"+itoa(d.ID), nil, true); res.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %d", res.StatusCode)
	}
}

func TestIntegrations(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	c := login(t, ts, webtest.AdminEmail)
	const key = "sk-ant-admin01-verysecret"
	res, out := c.api("POST", "/api/v1/integrations", map[string]any{"name": "gamma", "base_url": "https://api.anthropic.com", "project": "p1", "api_key": key}, true)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", res.StatusCode, out)
	}
	if strings.Contains(out, key) {
		t.Fatal("API echoes the key")
	}
	var in store.Integration
	json.Unmarshal([]byte(out), &in)
	sealed, err := e.Store.IntegrationKey(t.Context(), in.ID)
	if err != nil || sealed == "" || strings.Contains(sealed, key) || !strings.HasPrefix(sealed, "v1:") {
		t.Fatalf("stored key %q, %v", sealed, err)
	}
	for _, tc := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"POST", "/api/v1/integrations", map[string]any{"name": "gamma", "base_url": "https://x.test", "api_key": "k"}, 400},
		{"POST", "/api/v1/integrations", map[string]any{"name": "bad name!", "base_url": "https://x.test", "api_key": "k"}, 400},
		{"POST", "/api/v1/integrations", map[string]any{"name": "delta", "base_url": "javascript:alert(1)", "api_key": "k"}, 400},
		{"POST", "/api/v1/integrations", map[string]any{"name": "delta", "base_url": "https://x.test"}, 400},
		{"POST", "/api/v1/integrations/" + itoa(in.ID) + "/test", nil, 200},
		{"POST", "/api/v1/integrations/" + itoa(in.ID) + "/pause", nil, 200},
		{"POST", "/api/v1/integrations/" + itoa(in.ID) + "/resume", nil, 200},
		{"PATCH", "/api/v1/integrations/" + itoa(in.ID), map[string]any{"project": "p2", "interval": "10m"}, 200},
		{"PATCH", "/api/v1/integrations/" + itoa(e.Acme.ID), map[string]any{"project": "p2"}, 400},
		{"DELETE", "/api/v1/integrations/" + itoa(e.Acme.ID), nil, 400},
		{"DELETE", "/api/v1/integrations/" + itoa(in.ID), nil, 204},
		{"GET", "/api/v1/integrations/" + itoa(in.ID), nil, 404},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			if res, body := c.api(tc.method, tc.path, tc.body, true); res.StatusCode != tc.want {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.want, body)
			}
		})
	}
	// Once when the integration was added, once by the test action.
	if len(e.Control.Keys) != 2 || e.Control.Keys[0] != key || e.Control.Keys[1] != key {
		t.Fatalf("test connection got keys %q", e.Control.Keys)
	}
	// The UI form does the same.
	res, _ = c.postForm("/integrations", url.Values{"csrf_token": {c.csrf}, "name": {"epsilon"}, "base_url": {"https://api.anthropic.com"}, "api_key": {"k-123"}, "interval": {"5m"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("form create: %d", res.StatusCode)
	}
	if _, page := c.get("/integrations"); !strings.Contains(page, "epsilon") {
		t.Fatal("integration list misses the new one")
	}
}

func TestIntegrationKeyNeedsSecret(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv, err := web.New(web.Config{Store: st, Web: st})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := web.AddUser(t.Context(), st, webtest.AdminEmail, store.RoleAdmin, webtest.Password); err != nil {
		t.Fatal(err)
	}
	ts := newServer(t, srv)
	c := login(t, ts, webtest.AdminEmail)
	res, body := c.api("POST", "/api/v1/integrations", map[string]any{"name": "x", "base_url": "https://x.test", "api_key": "k"}, true)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "CLAUDIT_SECRET_KEY") {
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	if ins, _ := st.Integrations(t.Context()); len(ins) != 0 {
		t.Fatal("integration stored without its key")
	}
}

func TestBackfills(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	c := login(t, ts, webtest.AdminEmail)
	res, out := c.api("POST", "/api/v1/backfills", map[string]any{"integration_id": e.Acme.ID, "from": "2025-03-01", "to": "2025-03-03"}, true)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", res.StatusCode, out)
	}
	var b web.BackfillView
	json.Unmarshal([]byte(out), &b)
	if b.Batches != 3 || b.Status != store.BackfillRunning || b.Percent != 0 {
		t.Fatalf("backfill %+v", b)
	}
	id := itoa(b.ID)
	for _, tc := range []struct {
		action, want string
		code         int
	}{
		{"resume", "", 400},
		{"pause", store.BackfillPaused, 200},
		{"pause", "", 400},
		{"resume", store.BackfillRunning, 200},
		{"cancel", store.BackfillCancelled, 200},
		{"cancel", "", 400},
		{"explode", "", 400},
	} {
		res, out := c.api("POST", "/api/v1/backfills/"+id+"/"+tc.action, nil, true)
		if res.StatusCode != tc.code {
			t.Fatalf("%s: %d %s", tc.action, res.StatusCode, out)
		}
		if tc.want != "" {
			json.Unmarshal([]byte(out), &b)
			if b.Status != tc.want {
				t.Fatalf("%s: status %s", tc.action, b.Status)
			}
		}
	}
	var batches struct {
		Batches []store.Batch `json:"batches"`
	}
	c.getJSON("/api/v1/backfills/"+id+"/batches", &batches)
	if len(batches.Batches) != 3 {
		t.Fatalf("batches %+v", batches)
	}
	for _, bad := range []map[string]any{
		{"integration_id": e.Acme.ID, "from": "2025-03-03", "to": "2025-03-01"},
		{"integration_id": e.Acme.ID, "from": "2025-03-03"},
		{"integration_id": 999, "from": "2025-03-01", "to": "2025-03-02"},
	} {
		if res, _ := c.api("POST", "/api/v1/backfills", bad, true); res.StatusCode == http.StatusCreated {
			t.Errorf("accepted %v", bad)
		}
	}
	// The page shows progress bars for running jobs.
	res, _ = c.postForm("/backfills", url.Values{"csrf_token": {c.csrf}, "integration_id": {itoa(e.Acme.ID)}, "from": {"2025-02-01"}, "to": {"2025-02-02"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("form: %d", res.StatusCode)
	}
	_, page := c.get("/integrations/" + itoa(e.Acme.ID) + "?tab=backfill")
	if !strings.Contains(page, `<progress max="100" value="0"`) || !strings.Contains(page, `data-poll="/api/v1/backfills/`) {
		t.Fatal("backfill tab lacks progress")
	}
}

func TestAlertsAPI(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	c := login(t, ts, webtest.AnalystEmail)
	var l struct {
		Alerts []store.Alert `json:"alerts"`
	}
	c.getJSON("/api/v1/alerts?status=open&severity=critical", &l)
	if len(l.Alerts) != 1 || l.Alerts[0].Policy != "secrets" {
		t.Fatalf("alerts %+v", l.Alerts)
	}
	for _, tc := range []struct{ action, status string }{
		{"acknowledge", store.AlertAcknowledged}, {"resolve", store.AlertResolved}, {"false_positive", store.AlertFalsePositive}, {"reopen", store.AlertOpen},
	} {
		res, out := c.api("POST", "/api/v1/alerts/2/"+tc.action, map[string]string{"comment": "because " + tc.action}, true)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", tc.action, res.StatusCode, out)
		}
		a, _ := e.Alerts.AlertByID(t.Context(), 2)
		if a.Status != tc.status || a.Comment != "because "+tc.action || a.UpdatedBy != webtest.AnalystEmail {
			t.Fatalf("%s: %+v", tc.action, a)
		}
	}
	if res, _ := c.api("POST", "/api/v1/alerts/2/delete", nil, true); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("unknown action: %d", res.StatusCode)
	}
	if res, _ := c.api("POST", "/api/v1/alerts/99/resolve", nil, true); res.StatusCode != http.StatusNotFound {
		t.Fatalf("missing alert: %d", res.StatusCode)
	}
}

func TestSuppressionsAPI(t *testing.T) {
	_, ts := newEnv(t, webtest.Options{})
	c := login(t, ts, webtest.AnalystEmail)
	until := time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
	res, out := c.api("POST", "/api/v1/suppressions", map[string]string{"policy": "pii", "user": "bob@example.com", "until": until, "reason": "known test data"}, true)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", res.StatusCode, out)
	}
	if res, _ := c.api("POST", "/api/v1/suppressions", map[string]string{"until": until}, true); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("a rule without criteria: %d", res.StatusCode)
	}
	var l struct {
		Suppressions []store.Suppression `json:"suppressions"`
	}
	c.getJSON("/api/v1/suppressions", &l)
	if len(l.Suppressions) != 1 || l.Suppressions[0].CreatedBy != webtest.AnalystEmail {
		t.Fatalf("list: %+v", l.Suppressions)
	}
	if res, _ := c.api("DELETE", fmt.Sprintf("/api/v1/suppressions/%d", l.Suppressions[0].ID), nil, true); res.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	v := login(t, ts, webtest.ViewerEmail)
	if res, _ := v.api("POST", "/api/v1/suppressions", map[string]string{"policy": "pii", "until": until}, true); res.StatusCode != http.StatusForbidden {
		t.Fatalf("viewer created a suppression: %d", res.StatusCode)
	}
}

func TestAlertsDisabled(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv, _ := web.New(web.Config{Store: st, Web: st})
	web.AddUser(t.Context(), st, webtest.AdminEmail, store.RoleAdmin, webtest.Password)
	c := login(t, newServer(t, srv), webtest.AdminEmail)
	if res, body := c.get("/alerts"); res.StatusCode != 200 || !strings.Contains(body, "not enabled") {
		t.Fatalf("alerts page without alert store: %d", res.StatusCode)
	}
	if res, _ := c.get("/api/v1/alerts"); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("alerts API without alert store: %d", res.StatusCode)
	}
	if res, _ := c.get("/"); res.StatusCode != 200 {
		t.Fatalf("overview: %d", res.StatusCode)
	}
}

func TestPoliciesAPI(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	admin, analyst := login(t, ts, webtest.AdminEmail), login(t, ts, webtest.AnalystEmail)
	if res, _ := admin.api("POST", "/api/v1/policies/pii/disable", nil, true); res.StatusCode != 200 {
		t.Fatalf("disable: %d", res.StatusCode)
	}
	if res, _ := admin.api("PUT", "/api/v1/policies/secrets/params", map[string]any{"params": map[string]any{"entropy": 4.0}}, true); res.StatusCode != 200 {
		t.Fatalf("params: %d", res.StatusCode)
	}
	if res, _ := admin.api("POST", "/api/v1/policies/nope/enable", nil, true); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("unknown policy: %d", res.StatusCode)
	}
	for _, p := range e.Policies.List() {
		if p.Name == "pii" && p.Enabled || p.Name == "secrets" && p.Params["entropy"] != 4.0 {
			t.Fatalf("policy not updated: %+v", p)
		}
	}
	var r web.PolicyTestResult
	res, out := analyst.api("POST", "/api/v1/policies/secrets/test", map[string]string{"text": "my secret and another secret"}, true)
	json.Unmarshal([]byte(out), &r)
	if res.StatusCode != 200 || len(r.Findings) != 2 || len(r.Tags) != 1 {
		t.Fatalf("test: %d %+v", res.StatusCode, r)
	}
	// The page form highlights the hits.
	res, page := analyst.postForm("/policies/_/test", url.Values{"csrf_token": {analyst.csrf}, "policy": {"secrets"}, "text": {"a secret <script>"}})
	if res.StatusCode != 200 || !strings.Contains(page, ">secret</mark>") || strings.Contains(page, "a secret <script>") {
		t.Fatalf("policy test page: %d", res.StatusCode)
	}
	if res, _ := analyst.postForm("/policies/pii/enable", url.Values{"csrf_token": {analyst.csrf}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("analyst toggles a policy: %d", res.StatusCode)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	c := newClient(t, ts)
	for _, path := range []string{"/healthz", "/readyz"} {
		if res, _ := c.get(path); res.StatusCode != 200 {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
	}
	c.get("/login")
	_, body := c.get("/metrics")
	for _, want := range []string{`claudit_http_requests_total{code="200",method="GET",route="GET /login"}`, `claudit_stored_events{kind="prompt"} 6`,
		`claudit_integration_last_synced_timestamp_seconds{integration="acme"}`, "go_goroutines"} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// Stored totals are reused between scrapes for a while, so a busy
	// scraper does not count a large store's rows each time.
	now := time.Now().UTC()
	if _, err := e.Store.SaveChatPage(t.Context(), store.ChatPage{IntegrationID: e.Acme.ID, Chats: []store.HydratedChat{{
		Chat:     store.Chat{ID: "chat-new", Name: "New", CreatedAt: now, UpdatedAt: now},
		Messages: []store.Message{{ID: "msg-new", ChatID: "chat-new", Role: "user", Text: "hello", CreatedAt: now}}}}}); err != nil {
		t.Fatal(err)
	}
	if _, body := c.get("/metrics"); !strings.Contains(body, `claudit_stored_events{kind="prompt"} 6`) {
		t.Errorf("second scrape counted again instead of reusing the totals")
	}
}

func TestEnsureAdminAndAddUser(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out bytes.Buffer
	if err := web.EnsureAdmin(t.Context(), st, "root@example.com", &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "root@example.com with password ") {
		t.Fatalf("first start printed %q", out.String())
	}
	out.Reset()
	if err := web.EnsureAdmin(t.Context(), st, "root@example.com", &out); err != nil || out.Len() != 0 {
		t.Fatalf("second start: %v %q", err, out.String())
	}
	a, err := st.AccountByEmail(t.Context(), "ROOT@example.com")
	if err != nil || a.Role != store.RoleAdmin || a.PasswordHash == "" || strings.Contains(a.PasswordHash, "password") {
		t.Fatalf("admin %+v %v", a, err)
	}
	for _, tc := range []struct{ email, role, pw string }{
		{"not-an-email", store.RoleViewer, ""}, {"x@example.com", "owner", ""}, {"x@example.com", store.RoleViewer, "short"}, {"root@example.com", store.RoleViewer, ""},
	} {
		if _, err := web.AddUser(context.Background(), st, tc.email, tc.role, tc.pw); err == nil {
			t.Errorf("AddUser(%q, %q, %q) accepted", tc.email, tc.role, tc.pw)
		}
	}
}

func TestAccountsAdmin(t *testing.T) {
	_, ts := newEnv(t, webtest.Options{})
	admin, viewer := login(t, ts, webtest.AdminEmail), login(t, ts, webtest.ViewerEmail)
	res, page := admin.postForm("/accounts", url.Values{"csrf_token": {admin.csrf}, "email": {"new@example.com"}, "role": {"analyst"}})
	if res.StatusCode != 200 || !strings.Contains(page, `id="new-password"`) {
		t.Fatalf("create account: %d", res.StatusCode)
	}
	var accts struct {
		Accounts []store.Account `json:"accounts"`
	}
	admin.getJSON("/api/v1/accounts", &accts)
	var viewerID int64
	for _, a := range accts.Accounts {
		if a.Email == webtest.ViewerEmail {
			viewerID = a.ID
		}
	}
	// Disabling an account signs it out at once.
	if res, _ := admin.postForm("/accounts/"+itoa(viewerID), url.Values{"csrf_token": {admin.csrf}, "action": {"disable"}}); res.StatusCode != 200 {
		t.Fatalf("disable: %d", res.StatusCode)
	}
	if res, _ := viewer.get("/api/v1/me"); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("disabled account still signed in: %d", res.StatusCode)
	}
}

func newServer(t *testing.T, srv *web.Server) *httptest.Server {
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts
}

// BenchmarkEventsAPI measures one page of 50 prompt events through the full
// stack: session lookup, query, findings, JSON and the audit write.
func BenchmarkEventsAPI(b *testing.B) {
	_, ts := newEnv(b, webtest.Options{BulkMessages: 5000})
	c := login(b, ts, webtest.AnalystEmail)
	b.ResetTimer()
	for b.Loop() {
		res, _ := c.get("/api/v1/events?kind=prompt&limit=50")
		if res.StatusCode != 200 {
			b.Fatal(res.StatusCode)
		}
	}
}

// TestSearchRejectsControlCharacters sends search text no index can take (a
// NUL byte, invalid UTF-8) and wants 400 with a message, not a 500.
func TestSearchRejectsControlCharacters(t *testing.T) {
	_, ts := newEnv(t, webtest.Options{})
	c := login(t, ts, webtest.AdminEmail)
	for _, path := range []string{
		"/api/v1/events?kind=prompt&q=%00", "/api/v1/events?kind=prompt&q=a%00b", "/api/v1/events?kind=prompt&q=%FF",
		"/api/v1/events?kind=access&q=%00", "/api/v1/sessions?q=%00", "/api/v1/users?q=%00", "/api/v1/audit?q=%00",
		"/api/v1/export?format=csv&kind=prompt&q=%00", "/events?kind=prompt&q=%00", "/sessions?q=%00", "/users?q=%00",
	} {
		res, body := c.get(path)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "search text") {
			t.Errorf("GET %s: %d %s", path, res.StatusCode, body)
		}
	}
	// A percent sign is text to search for, not an error.
	if res, body := c.get("/api/v1/users?q=%25"); res.StatusCode != http.StatusOK || strings.Contains(body, `"id"`) {
		t.Errorf("q=%%: %d %s", res.StatusCode, body)
	}
}
