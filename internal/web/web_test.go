package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/web"
	"github.com/claudit/claudit/internal/web/webtest"
)

func TestPagesRender(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	c := login(t, ts, webtest.AdminEmail)
	acme := e.Acme.ID
	for _, path := range []string{
		"/", "/?days=30", "/events", "/events?kind=access", "/events?kind=prompt&user=alice@example.com&from=2025-03-01&to=2025-03-10",
		"/events?kind=prompt&open=prompt/" + itoa(acme) + "/msg-leak", "/events?kind=access&open=access/" + itoa(acme) + "/act-share",
		"/events/prompt/" + itoa(acme) + "/msg-leak", "/events/access/" + itoa(acme) + "/act-login",
		"/sessions", "/sessions/" + itoa(acme) + "/chat-leak", "/users", "/users/" + itoa(acme) + "/u-alice",
		"/alerts", "/alerts?status=open", "/alerts/1", "/integrations", "/integrations/" + itoa(acme),
		"/integrations/" + itoa(acme) + "?tab=backfill", "/integrations/" + itoa(acme) + "?tab=jobs",
		"/policies", "/datasets", "/audit", "/accounts", "/suppressions",
	} {
		t.Run(path, func(t *testing.T) {
			res, body := c.get(path)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", res.StatusCode, body)
			}
			if got := res.Header.Get("Content-Security-Policy"); got != web.ContentSecurityPolicy {
				t.Fatalf("CSP = %q", got)
			}
			if strings.Contains(body, "style=") {
				t.Fatal("inline style attribute would be blocked by the CSP")
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	_, ts := newEnv(t, webtest.Options{})
	c := newClient(t, ts)
	for _, path := range []string{"/login", "/healthz", "/api/v1/events", "/static/app.css"} {
		res, _ := c.get(path)
		h := res.Header
		if h.Get("Content-Security-Policy") != web.ContentSecurityPolicy {
			t.Errorf("%s: CSP = %q", path, h.Get("Content-Security-Policy"))
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: missing security headers: %v", path, h)
		}
	}
	res, _ := c.get("/login")
	for _, ck := range res.Cookies() {
		if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
			t.Errorf("cookie %s: HttpOnly=%v SameSite=%v", ck.Name, ck.HttpOnly, ck.SameSite)
		}
	}
}

func TestAuthRequired(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	c := newClient(t, ts)
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/", http.StatusSeeOther},
		{"GET", "/events?kind=prompt", http.StatusSeeOther},
		{"GET", "/sessions/" + itoa(e.Acme.ID) + "/chat-leak", http.StatusSeeOther},
		{"GET", "/export?format=csv", http.StatusSeeOther},
		{"POST", "/alerts/1/status", http.StatusUnauthorized},
		{"GET", "/api/v1/events", http.StatusUnauthorized},
		{"GET", "/api/v1/export?format=csv", http.StatusUnauthorized},
		{"POST", "/api/v1/alerts/1/acknowledge", http.StatusUnauthorized},
		{"GET", "/api/v1/nope", http.StatusNotFound},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			res, _ := c.api(tc.method, tc.path, nil, false)
			if res.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.want)
			}
			if tc.want == http.StatusSeeOther && !strings.HasPrefix(res.Header.Get("Location"), "/login?next=") {
				t.Fatalf("redirect to %q", res.Header.Get("Location"))
			}
		})
	}
}

func TestLogin(t *testing.T) {
	_, ts := newEnv(t, webtest.Options{})
	for _, tc := range []struct {
		name, email, password string
		forgeCSRF             bool
		want                  int
	}{
		{"ok", webtest.AnalystEmail, webtest.Password, false, http.StatusSeeOther},
		{"wrong password", webtest.AnalystEmail, "nope-nope-nope", false, http.StatusUnauthorized},
		{"unknown email", "who@example.com", webtest.Password, false, http.StatusUnauthorized},
		{"no csrf", webtest.AnalystEmail, webtest.Password, true, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, ts)
			_, body := c.get("/login")
			tok := csrfInput.FindStringSubmatch(body)[1]
			if tc.forgeCSRF {
				tok = "forged"
			}
			res, _ := c.postForm("/login", url.Values{"csrf_token": {tok}, "email": {tc.email}, "password": {tc.password}, "next": {"//evil.example/"}})
			if res.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.want)
			}
			if tc.want == http.StatusSeeOther && res.Header.Get("Location") != "/" {
				t.Fatalf("open redirect: Location %q", res.Header.Get("Location"))
			}
		})
	}
	// Sign out ends the session server-side.
	c := login(t, ts, webtest.ViewerEmail)
	res, _ := c.postForm("/logout", url.Values{"csrf_token": {c.csrf}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	if res, _ := c.get("/api/v1/me"); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("after logout: %d", res.StatusCode)
	}
}

func TestRoles(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	viewer, analyst, admin := login(t, ts, webtest.ViewerEmail), login(t, ts, webtest.AnalystEmail), login(t, ts, webtest.AdminEmail)
	acme := itoa(e.Acme.ID)
	for _, tc := range []struct {
		name   string
		c      *client
		method string
		path   string
		body   any
		want   int
	}{
		{"viewer reads events", viewer, "GET", "/api/v1/events", nil, 200},
		{"viewer cannot acknowledge", viewer, "POST", "/api/v1/alerts/1/acknowledge", map[string]string{"comment": "x"}, 403},
		{"viewer cannot pause", viewer, "POST", "/api/v1/integrations/" + acme + "/pause", nil, 403},
		{"viewer cannot start backfill", viewer, "POST", "/api/v1/backfills", map[string]any{"integration_id": e.Acme.ID, "from": "2025-03-01", "to": "2025-03-02"}, 403},
		{"viewer cannot read audit", viewer, "GET", "/api/v1/audit", nil, 403},
		{"viewer cannot use datasets", viewer, "GET", "/api/v1/datasets", nil, 403},
		{"analyst cannot add integration", analyst, "POST", "/api/v1/integrations", map[string]string{"name": "x", "base_url": "https://x.test", "api_key": "k"}, 403},
		{"analyst cannot disable policy", analyst, "POST", "/api/v1/policies/pii/disable", nil, 403},
		{"analyst tests policy", analyst, "POST", "/api/v1/policies/secrets/test", map[string]string{"text": "a secret"}, 200},
		{"analyst acknowledges", analyst, "POST", "/api/v1/alerts/1/acknowledge", map[string]string{"comment": "looking"}, 200},
		{"admin pauses", admin, "POST", "/api/v1/integrations/" + acme + "/pause", nil, 200},
		{"admin reads audit", admin, "GET", "/api/v1/audit", nil, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := tc.c.api(tc.method, tc.path, tc.body, true)
			if res.StatusCode != tc.want {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.want, body)
			}
		})
	}
	// Viewer pages that change state answer 403 too.
	res, _ := viewer.postForm("/alerts/1/status", url.Values{"csrf_token": {viewer.csrf}, "action": {"resolve"}})
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("viewer form post: %d", res.StatusCode)
	}
}

func TestCSRF(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	c := login(t, ts, webtest.AnalystEmail)
	// JSON without the header.
	if res, _ := c.api("POST", "/api/v1/alerts/1/acknowledge", nil, false); res.StatusCode != http.StatusForbidden {
		t.Fatalf("API without X-CSRF-Token: %d", res.StatusCode)
	}
	// Form without the token, with a wrong one, and from another origin.
	for _, tc := range []struct {
		name   string
		form   url.Values
		origin string
	}{
		{"missing", url.Values{"action": {"acknowledge"}}, ""},
		{"wrong", url.Values{"action": {"acknowledge"}, "csrf_token": {"nope"}}, ""},
		{"cross origin", url.Values{"action": {"acknowledge"}, "csrf_token": {c.csrf}}, "https://evil.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", c.base+"/alerts/1/status", strings.NewReader(tc.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			if res, _ := c.do(req); res.StatusCode != http.StatusForbidden {
				t.Fatalf("status %d, want 403", res.StatusCode)
			}
		})
	}
	if a, _ := e.Alerts.AlertByID(t.Context(), 1); a.Status != "open" {
		t.Fatalf("alert changed without CSRF token: %s", a.Status)
	}
	res, _ := c.postForm("/alerts/1/status", url.Values{"csrf_token": {c.csrf}, "action": {"acknowledge"}, "comment": {"on it"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("with token: %d", res.StatusCode)
	}
	a, _ := e.Alerts.AlertByID(t.Context(), 1)
	if a.Status != "acknowledged" || a.UpdatedBy != webtest.AnalystEmail || a.Comment != "on it" {
		t.Fatalf("alert after acknowledge: %+v", a)
	}
}

func TestSuppressionsPage(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	analyst := login(t, ts, webtest.AnalystEmail)
	viewer := login(t, ts, webtest.ViewerEmail)
	until := time.Now().UTC().Add(48 * time.Hour).Format(time.DateOnly)

	res, body := analyst.get("/suppressions")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "No suppressions.") || !strings.Contains(body, `id="suppression-form"`) {
		t.Fatalf("empty page: %d", res.StatusCode)
	}
	res, _ = analyst.postForm("/suppressions", url.Values{"csrf_token": {analyst.csrf}, "policy": {"pii"},
		"pattern": {"<script>alert(1)</script>"}, "until": {until}, "reason": {"known test data"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add: %d", res.StatusCode)
	}
	sups, err := e.Alerts.Suppressions(t.Context())
	if err != nil || len(sups) != 1 || sups[0].Policy != "pii" || sups[0].CreatedBy != webtest.AnalystEmail ||
		sups[0].Until.Format(time.DateOnly) != until {
		t.Fatalf("stored %+v %v", sups, err)
	}
	_, body = analyst.get("/suppressions")
	if strings.Contains(body, "<script>alert(1)</script>") || !strings.Contains(body, "&lt;script&gt;") || !strings.Contains(body, "known test data") {
		t.Fatal("the pattern is not listed, or not escaped")
	}

	// Viewers see the list but cannot change it.
	_, body = viewer.get("/suppressions")
	if !strings.Contains(body, "known test data") || strings.Contains(body, `id="suppression-form"`) || strings.Contains(body, "delete-suppression-") {
		t.Fatal("viewer page shows the list wrongly or offers changes")
	}
	if res, _ := viewer.postForm("/suppressions", url.Values{"csrf_token": {viewer.csrf}, "policy": {"x"}, "until": {until}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("viewer add: %d", res.StatusCode)
	}

	// Bad input is refused with a reason.
	for _, form := range []url.Values{
		{"policy": {"pii"}, "until": {"next week"}},
		{"policy": {"pii"}, "until": {"2001-01-01"}},
		{"until": {until}},
	} {
		form.Set("csrf_token", analyst.csrf)
		if res, body := analyst.postForm("/suppressions", form); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "until") && !strings.Contains(body, "needs a policy") {
			t.Fatalf("bad form %v: %d", form, res.StatusCode)
		}
	}

	res, _ = analyst.postForm(fmt.Sprintf("/suppressions/%d/delete", sups[0].ID), url.Values{"csrf_token": {analyst.csrf}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	if sups, _ := e.Alerts.Suppressions(t.Context()); len(sups) != 0 {
		t.Fatalf("left after delete: %+v", sups)
	}
}

// TestLoginRedirectStaysLocal signs in with next values that browsers would
// turn into another origin (tabs dropped, backslashes read as slashes,
// escapes decoded) and wants a same-origin Location every time.
func TestLoginRedirectStaysLocal(t *testing.T) {
	_, ts := newEnv(t, webtest.Options{})
	for _, tc := range []struct{ next, want string }{
		{"/\t/evil.example", "/"},
		{"/%09/evil.example", "/"},
		{"/\\evil.example", "/"},
		{"/%5C%5Cevil.example", "/"},
		{"/%2F%2Fevil.example", "/"},
		{"/\r\n/evil.example", "/"},
		{"/alerts?status=open", "/alerts?status=open"},
	} {
		t.Run(url.QueryEscape(tc.next), func(t *testing.T) {
			c := newClient(t, ts)
			_, body := c.get("/login?next=" + url.QueryEscape(tc.next))
			tok := csrfInput.FindStringSubmatch(body)[1]
			res, _ := c.postForm("/login", url.Values{"csrf_token": {tok}, "email": {webtest.AnalystEmail}, "password": {webtest.Password}, "next": {tc.next}})
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("status %d", res.StatusCode)
			}
			if got := res.Header.Get("Location"); got != tc.want {
				t.Fatalf("Location %q, want %q", got, tc.want)
			}
		})
	}
}
