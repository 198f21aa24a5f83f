package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/web/webtest"
)

// createdToken is the answer of POST /api/v1/tokens.
type createdToken struct {
	Token    string         `json:"token"`
	APIToken store.APIToken `json:"api_token"`
}

func createToken(t *testing.T, c *client, body map[string]any) createdToken {
	t.Helper()
	res, out := c.api("POST", "/api/v1/tokens", body, true)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create token %v: %d %s", body, res.StatusCode, out)
	}
	var ct createdToken
	if err := json.Unmarshal([]byte(out), &ct); err != nil {
		t.Fatal(err)
	}
	return ct
}

// bearer sends a request with a token and no cookies.
func bearer(t *testing.T, base, token, method, path string) (*http.Response, string) {
	t.Helper()
	c := &client{t: t, base: base, hc: &http.Client{}}
	req, _ := http.NewRequest(method, base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	return c.do(req)
}

// TestAPITokenPullsAlerts is the SIEM of docs/API.md: a viewer token made by
// an analyst pulls open alerts (redacted, as a viewer sees them), cannot
// change them, is audited on every use, and stops working once revoked.
func TestAPITokenPullsAlerts(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	c := login(t, ts, webtest.AnalystEmail)
	ct := createToken(t, c, map[string]any{"name": "siem", "role": "viewer", "expires_in_days": 30})
	if !strings.HasPrefix(ct.Token, "claudit_") || ct.APIToken.Role != store.RoleViewer || !strings.HasPrefix(ct.Token, ct.APIToken.Prefix) {
		t.Fatalf("created %+v", ct)
	}

	res, body := bearer(t, ts.URL, ct.Token, "GET", "/api/v1/alerts?status=open")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("pull alerts: %d %s", res.StatusCode, body)
	}
	var l struct {
		Alerts []store.Alert `json:"alerts"`
	}
	if err := json.Unmarshal([]byte(body), &l); err != nil || len(l.Alerts) == 0 {
		t.Fatalf("alerts: %v %s", err, body)
	}
	if strings.Contains(body, webtest.SecretKey) {
		t.Fatal("a viewer token saw an unredacted secret")
	}
	// A viewer token cannot work alerts, and needs no CSRF token to be told so.
	if res, body := bearer(t, ts.URL, ct.Token, "POST", "/api/v1/alerts/2/acknowledge"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("viewer token acknowledged an alert: %d %s", res.StatusCode, body)
	}

	// The token is never shown again.
	_, list := c.get("/api/v1/tokens")
	if strings.Contains(list, ct.Token) || !strings.Contains(list, `"siem"`) {
		t.Fatalf("token list: %s", list)
	}

	// Every use is in the access audit, with its outcome.
	es, err := e.Store.AuditLog(t.Context(), store.AuditFilter{Object: "api_token", Action: "use", Limit: 10})
	if err != nil || len(es) != 2 {
		t.Fatalf("audit of token use: %+v %v", es, err)
	}
	if es[1].Actor != webtest.AnalystEmail || es[1].Role != store.RoleViewer || !strings.Contains(es[1].Detail, "GET /api/v1/alerts?status=open -> 200") ||
		!strings.Contains(es[0].Detail, "-> 403") {
		t.Fatalf("audit entries: %+v", es)
	}

	// Revoked, it is refused.
	if res, out := c.api("DELETE", "/api/v1/tokens/"+itoa(ct.APIToken.ID), nil, true); res.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %d %s", res.StatusCode, out)
	}
	res, body = bearer(t, ts.URL, ct.Token, "GET", "/api/v1/alerts")
	if res.StatusCode != http.StatusUnauthorized || res.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("revoked token: %d %s", res.StatusCode, body)
	}
}

// TestAPITokenRoleAndLifetime checks the limits of a token: never above its
// owner, capped by the owner's role when used, bounded in time, not a way to
// mint more tokens, and only a bearer scheme.
func TestAPITokenRoleAndLifetime(t *testing.T) {
	clk := &clock{t: webtest.Base.Add(24 * time.Hour)}
	e, ts := newEnv(t, webtest.Options{Now: clk.now})
	analyst := login(t, ts, webtest.AnalystEmail)
	if res, out := analyst.api("POST", "/api/v1/tokens", map[string]any{"name": "x", "role": "admin"}, true); res.StatusCode != http.StatusBadRequest ||
		!strings.Contains(out, "above your own") {
		t.Fatalf("token above the owner's role: %d %s", res.StatusCode, out)
	}
	for _, body := range []map[string]any{{"name": ""}, {"name": "x", "expires_in_days": 9999}, {"name": "x", "role": "root"}} {
		if res, out := analyst.api("POST", "/api/v1/tokens", body, true); res.StatusCode != http.StatusBadRequest {
			t.Fatalf("%v: %d %s", body, res.StatusCode, out)
		}
	}
	// Without the session's CSRF token a browser session cannot create one.
	if res, _ := analyst.api("POST", "/api/v1/tokens", map[string]any{"name": "x"}, false); res.StatusCode != http.StatusForbidden {
		t.Fatalf("token created without CSRF: %d", res.StatusCode)
	}

	// A token acts without CSRF; it cannot make more tokens.
	ct := createToken(t, analyst, map[string]any{"name": "soar", "expires_in_days": 1})
	if ct.APIToken.Role != store.RoleAnalyst {
		t.Fatalf("default role %s, want the owner's", ct.APIToken.Role)
	}
	if res, out := bearer(t, ts.URL, ct.Token, "POST", "/api/v1/alerts/2/acknowledge"); res.StatusCode != http.StatusOK {
		t.Fatalf("analyst token acknowledges: %d %s", res.StatusCode, out)
	}
	req, _ := http.NewRequest("POST", ts.URL+"/api/v1/tokens", strings.NewReader(`{"name":"more"}`))
	req.Header.Set("Authorization", "Bearer "+ct.Token)
	if res, out := (&client{t: t, hc: &http.Client{}}).do(req); res.StatusCode != http.StatusBadRequest || !strings.Contains(out, "cannot create tokens") {
		t.Fatalf("token minting a token: %d %s", res.StatusCode, out)
	}

	// The owner's role at the time of use caps the token's.
	acct, _ := e.Store.AccountByEmail(t.Context(), webtest.AnalystEmail)
	acct.Role = store.RoleViewer
	if err := e.Store.UpdateAccount(t.Context(), acct); err != nil {
		t.Fatal(err)
	}
	if res, _ := bearer(t, ts.URL, ct.Token, "POST", "/api/v1/alerts/2/resolve"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("token of a demoted owner: %d", res.StatusCode)
	}
	if res, _ := bearer(t, ts.URL, ct.Token, "GET", "/api/v1/me"); res.StatusCode != http.StatusOK {
		t.Fatalf("token of a demoted owner reading: %d", res.StatusCode)
	}

	// Expired, it is refused.
	clk.add(25 * time.Hour)
	if res, _ := bearer(t, ts.URL, ct.Token, "GET", "/api/v1/me"); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("expired token: %d", res.StatusCode)
	}
	// Unknown tokens and other schemes are refused.
	for _, h := range []string{"Bearer claudit_nope", "Bearer " + strings.Repeat("x", 40), "Basic YWRtaW46cGFzcw==", "Bearer"} {
		req, _ := http.NewRequest("GET", ts.URL+"/api/v1/me", nil)
		req.Header.Set("Authorization", h)
		if res, _ := (&client{t: t, hc: &http.Client{}}).do(req); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("Authorization %q: %d", h, res.StatusCode)
		}
	}
}

var newTokenCode = regexp.MustCompile(`<code id="new-token">([^<]+)</code>`)

// TestAPITokensPage creates a token in the dashboard, where it is shown
// once, and revokes it there; an admin sees and can revoke everyone's.
func TestAPITokensPage(t *testing.T) {
	_, ts := newEnv(t, webtest.Options{})
	v := login(t, ts, webtest.ViewerEmail)
	res, page := v.get("/tokens")
	if res.StatusCode != http.StatusOK || !strings.Contains(page, `id="token-form"`) || strings.Contains(page, "<option>analyst</option>") {
		t.Fatalf("tokens page: %d", res.StatusCode)
	}
	res, page = v.postForm("/tokens", url.Values{"csrf_token": {v.csrf}, "name": {"script"}, "role": {"viewer"}, "expires_in_days": {"7"}})
	m := newTokenCode.FindStringSubmatch(page)
	if res.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("create from the page: %d", res.StatusCode)
	}
	if _, again := v.get("/tokens"); strings.Contains(again, m[1]) || !strings.Contains(again, "script") {
		t.Fatal("the token is shown again, or not listed")
	}
	if res, _ := bearer(t, ts.URL, m[1], "GET", "/api/v1/overview"); res.StatusCode != http.StatusOK {
		t.Fatalf("page-made token: %d", res.StatusCode)
	}
	// Another non-admin cannot see or revoke it; an admin can.
	var l struct {
		Tokens []store.APIToken `json:"tokens"`
	}
	a := login(t, ts, webtest.AnalystEmail)
	a.getJSON("/api/v1/tokens", &l)
	if len(l.Tokens) != 0 {
		t.Fatalf("analyst sees others' tokens: %+v", l.Tokens)
	}
	admin := login(t, ts, webtest.AdminEmail)
	admin.getJSON("/api/v1/tokens", &l)
	if len(l.Tokens) != 1 || l.Tokens[0].Email != webtest.ViewerEmail {
		t.Fatalf("admin's list: %+v", l.Tokens)
	}
	id := itoa(l.Tokens[0].ID)
	if res, _ := a.postForm("/tokens/"+id+"/revoke", url.Values{"csrf_token": {a.csrf}}); res.StatusCode != http.StatusNotFound {
		t.Fatalf("analyst revoked a viewer's token: %d", res.StatusCode)
	}
	if res, _ := admin.postForm("/tokens/"+id+"/revoke", url.Values{"csrf_token": {admin.csrf}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("admin revoke: %d", res.StatusCode)
	}
	if res, _ := bearer(t, ts.URL, m[1], "GET", "/api/v1/overview"); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("revoked token: %d", res.StatusCode)
	}
	if _, page := v.get("/tokens"); !strings.Contains(page, "revoked") {
		t.Fatal("the page does not show the token as revoked")
	}
}
