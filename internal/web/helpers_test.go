package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/web/webtest"
)

// newEnv seeds a store in a temp dir and serves the dashboard over loopback.
func newEnv(t testing.TB, o webtest.Options) (*webtest.Env, *httptest.Server) {
	t.Helper()
	e, err := webtest.New(context.Background(), t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(e.Server.Handler())
	t.Cleanup(func() {
		ts.Close()
		e.Close()
	})
	return e, ts
}

// client is a browser-like HTTP client: a cookie jar, no automatic redirects.
type client struct {
	t    testing.TB
	base string
	hc   *http.Client
	csrf string
}

func newClient(t testing.TB, ts *httptest.Server) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: ts.URL, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// login signs in through the real form and learns the session's CSRF token.
func login(t testing.TB, ts *httptest.Server, email string) *client {
	t.Helper()
	c := newClient(t, ts)
	res, body := c.get("/login")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /login: %d", res.StatusCode)
	}
	m := csrfInput.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("login form has no csrf token")
	}
	res, _ = c.postForm("/login", url.Values{"csrf_token": {m[1]}, "email": {email}, "password": {webtest.Password}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login %s: status %d", email, res.StatusCode)
	}
	var me struct {
		CSRF string `json:"csrf_token"`
	}
	c.getJSON("/api/v1/me", &me)
	c.csrf = me.CSRF
	return c
}

func (c *client) do(req *http.Request) (*http.Response, string) {
	c.t.Helper()
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func (c *client) get(path string) (*http.Response, string) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.base+path, nil)
	return c.do(req)
}

func (c *client) getJSON(path string, v any) *http.Response {
	c.t.Helper()
	res, body := c.get(path)
	if res.StatusCode == http.StatusOK {
		if err := json.Unmarshal([]byte(body), v); err != nil {
			c.t.Fatalf("GET %s: %v in %s", path, err, body)
		}
	}
	return res
}

func (c *client) postForm(path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// api sends JSON with the X-CSRF-Token header (unless csrf is false).
func (c *client) api(method, path string, body any, csrf bool) (*http.Response, string) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if csrf {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	return c.do(req)
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
