package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/web"
	"github.com/claudit/claudit/internal/web/webtest"
)

// ssoEnv serves the dashboard with single sign-on through a real OpenID
// Connect provider (webtest.StartProvider), both on 127.0.0.1.
func ssoEnv(t testing.TB, defaultRole string) (*webtest.Env, *httptest.Server, *webtest.Provider) {
	t.Helper()
	var h http.Handler
	ready := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-ready
		h.ServeHTTP(w, r)
	}))
	p, err := webtest.StartProvider(ts.URL + "/login/oidc/callback")
	if err != nil {
		t.Fatal(err)
	}
	e, err := webtest.New(context.Background(), t.TempDir(), webtest.Options{OIDC: &web.OIDCConfig{
		Issuer: p.Issuer, ClientID: p.ClientID, ClientSecret: p.ClientSecret, RedirectURL: ts.URL + "/login/oidc/callback",
		Roles: webtest.SSOGroups, DefaultRole: defaultRole, Label: "Sign in with Example SSO"}})
	if err != nil {
		t.Fatal(err)
	}
	h = e.Server.Handler()
	close(ready)
	t.Cleanup(func() {
		ts.Close()
		p.Close()
		e.Close()
	})
	return e, ts, p
}

var providerLoginID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// ssoLogin signs in as a browser would, following redirects from the
// dashboard to the provider's login page and back; it returns the client
// and the final response.
func ssoLogin(t *testing.T, ts *httptest.Server, p *webtest.Provider, email, next string) (*client, *http.Response, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	res, err := hc.Get(ts.URL + "/login/oidc?next=" + url.QueryEscape(next))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.HasPrefix(res.Request.URL.String(), p.Issuer) {
		t.Fatalf("not sent to the provider: %s", res.Request.URL)
	}
	m := providerLoginID.FindSubmatch(page)
	if m == nil {
		t.Fatalf("provider login page has no request id: %s", page)
	}
	res, err = hc.PostForm(p.Issuer+"/login/username", url.Values{"id": {string(m[1])}, "username": {email}, "password": {webtest.SSOPassword}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	c := &client{t: t, base: ts.URL, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	return c, res, string(body)
}

// TestOIDCSignIn signs people in through the provider: the groups claim
// picks their role, the account is created on first sign-in and follows the
// provider's claims afterwards, and the sign-in is audited.
func TestOIDCSignIn(t *testing.T) {
	e, ts, p := ssoEnv(t, "")
	_, body := newClient(t, ts).get("/login")
	if !strings.Contains(body, `id="login-sso"`) || !strings.Contains(body, "Sign in with Example SSO") {
		t.Fatal("the sign-in page offers no single sign-on")
	}
	for _, tc := range []struct{ email, role string }{
		{"sso-admin@example.com", store.RoleAdmin}, {"sso-analyst@example.com", store.RoleAnalyst}, {"sso-viewer@example.com", store.RoleViewer},
	} {
		c, res, _ := ssoLogin(t, ts, p, tc.email, "/alerts?status=open")
		if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/alerts" || res.Request.URL.RawQuery != "status=open" {
			t.Fatalf("%s: ended at %d %s", tc.email, res.StatusCode, res.Request.URL)
		}
		var me struct {
			Account store.Account `json:"account"`
		}
		c.getJSON("/api/v1/me", &me)
		if me.Account.Email != tc.email || me.Account.Role != tc.role {
			t.Fatalf("%s: signed in as %+v, want role %s", tc.email, me.Account, tc.role)
		}
	}
	es, _ := e.Store.AuditLog(t.Context(), store.AuditFilter{Action: "login", Actor: "sso-analyst@example.com", Limit: 5})
	if len(es) != 1 || !strings.Contains(es[0].Detail, "oidc "+p.Issuer) {
		t.Fatalf("audit of the sign-in: %+v", es)
	}

	// The provider's claims decide the role at every sign-in.
	acct, _ := e.Store.AccountByEmail(t.Context(), "sso-viewer@example.com")
	acct.Role = store.RoleAdmin
	if err := e.Store.UpdateAccount(t.Context(), acct); err != nil {
		t.Fatal(err)
	}
	c, _, _ := ssoLogin(t, ts, p, "sso-viewer@example.com", "/")
	var me struct {
		Account store.Account `json:"account"`
	}
	c.getJSON("/api/v1/me", &me)
	if me.Account.Role != store.RoleViewer {
		t.Fatalf("role after sign-in: %s, want the claims' viewer", me.Account.Role)
	}
	// A person with no account can not sign in with a password.
	if res, _ := newClient(t, ts).postForm("/login", url.Values{"email": {"sso-viewer@example.com"}, "password": {""}}); res.StatusCode == http.StatusSeeOther {
		t.Fatal("password sign-in of an SSO account without a password")
	}
}

// TestOIDCRefusals: no mapped group, a disabled account and a callback that did not start here are all refused.
func TestOIDCRefusals(t *testing.T) {
	e, ts, p := ssoEnv(t, "")
	for _, tc := range []struct{ email, says string }{
		{"contractor@example.com", "grant no claudit role"},
	} {
		_, res, body := ssoLogin(t, ts, p, tc.email, "/")
		if res.StatusCode != http.StatusForbidden && res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, tc.says) {
			t.Fatalf("%s: %d %s", tc.email, res.StatusCode, body)
		}
		if _, err := e.Store.AccountByEmail(t.Context(), tc.email); err == nil {
			t.Fatalf("%s: account created", tc.email)
		}
	}
	if es, _ := e.Store.AuditLog(t.Context(), store.AuditFilter{Action: "login_failed", Limit: 5}); len(es) != 1 {
		t.Fatalf("refusals audited: %+v", es)
	}
	if _, err := web.AddUser(t.Context(), e.Store, "sso-analyst@example.com", store.RoleAnalyst, ""); err != nil {
		t.Fatal(err)
	}
	acct, _ := e.Store.AccountByEmail(t.Context(), "sso-analyst@example.com")
	acct.Disabled = true
	if err := e.Store.UpdateAccount(t.Context(), acct); err != nil {
		t.Fatal(err)
	}
	if _, res, body := ssoLogin(t, ts, p, "sso-analyst@example.com", "/"); res.StatusCode != http.StatusForbidden || !strings.Contains(body, "disabled") {
		t.Fatalf("disabled account: %d", res.StatusCode)
	}
	// A callback without the state cookie of this browser is refused.
	if res, _ := newClient(t, ts).get("/login/oidc/callback?state=x&code=y"); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("forged callback: %d", res.StatusCode)
	}
}

// TestOIDCDefaultRole gives people outside the mapped groups the default role.
func TestOIDCDefaultRole(t *testing.T) {
	_, ts, p := ssoEnv(t, store.RoleViewer)
	c, res, _ := ssoLogin(t, ts, p, "contractor@example.com", "/")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("contractor: %d", res.StatusCode)
	}
	var me struct {
		Account store.Account `json:"account"`
	}
	c.getJSON("/api/v1/me", &me)
	if me.Account.Role != store.RoleViewer {
		t.Fatalf("default role: %+v", me.Account)
	}
}
