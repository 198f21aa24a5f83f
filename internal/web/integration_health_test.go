package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/web"
	"github.com/claudit/claudit/internal/web/webtest"
)

// TestIntegrationAddRunsConnectionTest: a rejected key or a dead host is
// refused with the test's message and nothing is stored; a new key on edit
// is tested the same way.
func TestIntegrationAddRunsConnectionTest(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	c := login(t, ts, webtest.AdminEmail)
	for _, tc := range []struct{ key, want string }{
		{"sk-ant-api01-" + webtest.BadKey, "401"},
		{"sk-ant-api01-" + webtest.DeadKey, "connection refused"},
	} {
		res, out := c.api("POST", "/api/v1/integrations", map[string]any{"name": "zeta", "base_url": "https://api.anthropic.com", "api_key": tc.key}, true)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(out, tc.want) || !strings.Contains(out, "not added") {
			t.Fatalf("add with %s: %d %s", tc.key, res.StatusCode, out)
		}
		if _, err := e.Store.Integration(t.Context(), "zeta"); err == nil {
			t.Fatalf("integration stored after a failed connection test (%s)", tc.key)
		}
	}
	// The form says the same on the page.
	res, page := c.postForm("/integrations", url.Values{"csrf_token": {c.csrf}, "name": {"zeta"}, "base_url": {"https://api.anthropic.com"},
		"api_key": {"sk-ant-api01-" + webtest.BadKey}, "interval": {"5m"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "connection test failed") {
		t.Fatalf("form add with a rejected key: %d", res.StatusCode)
	}

	res, out := c.api("POST", "/api/v1/integrations", map[string]any{"name": "zeta", "base_url": "https://api.anthropic.com", "api_key": "sk-ant-api01-good"}, true)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("add: %d %s", res.StatusCode, out)
	}
	zeta, _ := e.Store.Integration(t.Context(), "zeta")
	res, out = c.api("PATCH", "/api/v1/integrations/"+itoa(zeta.ID), map[string]any{"api_key": "sk-ant-api01-" + webtest.BadKey}, true)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(out, "nothing was changed") {
		t.Fatalf("edit to a rejected key: %d %s", res.StatusCode, out)
	}

	// An Admin API key reaches only the feed: feed-only from the start, and
	// full again once a Compliance Access Key replaces it.
	res, out = c.api("POST", "/api/v1/integrations", map[string]any{"name": "eta", "base_url": "https://api.anthropic.com", "api_key": "sk-ant-admin01-k"}, true)
	if res.StatusCode != http.StatusCreated || !strings.Contains(out, `"mode": "feed_only"`) {
		t.Fatalf("add with an admin key: %d %s", res.StatusCode, out)
	}
	eta, _ := e.Store.Integration(t.Context(), "eta")
	if _, page := c.get("/integrations/" + itoa(eta.ID)); !strings.Contains(page, ">"+web.HealthFeedOnly+"</span>") {
		t.Fatal("an integration added with an admin key is not shown as feed-only")
	}
	if res, out := c.api("PATCH", "/api/v1/integrations/"+itoa(eta.ID), map[string]any{"api_key": "sk-ant-api01-full"}, true); res.StatusCode != http.StatusOK || !strings.Contains(out, `"mode": "full"`) {
		t.Fatalf("a full key: %d %s", res.StatusCode, out)
	}
}

// TestIntegrationHealth: the list, the page and the API say what is wrong
// and what to do, instead of a green "syncing" over a failing integration.
func TestIntegrationHealth(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	c := login(t, ts, webtest.AdminEmail)
	ctx := t.Context()
	id := e.Acme.ID
	for _, tc := range []struct {
		name          string
		set           func() error
		status, words string
	}{
		{"ok", func() error { return nil }, web.HealthOK, ""},
		{"auth", func() error {
			return e.Store.SetIntegrationFailure(ctx, id, compliance.FailureAuth, "integration acme: 401 authentication_error")
		}, web.HealthAuthFailed, "enter a valid Compliance Access Key"},
		{"scope", func() error {
			return e.Store.SetIntegrationFailure(ctx, id, compliance.FailureScope, "403 permission_error")
		},
			web.HealthMissingScope, "read:compliance_user_data"},
		{"unreachable", func() error {
			return e.Store.SetIntegrationFailure(ctx, id, compliance.FailureUnreachable, "cannot reach https://compliance.acme.test")
		}, web.HealthUnreachable, "check the base URL"},
		{"rate", func() error {
			return e.Store.SetIntegrationFailure(ctx, id, compliance.FailureRateLimited, "429 rate_limit_error")
		},
			web.HealthRateLimited, "lower rate_limit"},
		{"other", func() error { return e.Store.MarkSynced(ctx, id, webtest.Base, "disk full") }, web.HealthSyncError, "The last sync failed"},
		{"feed-only", func() error {
			if err := e.Store.SetIntegrationFailure(ctx, id, "", ""); err != nil {
				return err
			}
			return e.Store.SetIntegrationState(ctx, id, false, "feed_only")
		}, web.HealthFeedOnly, "reaches only the Activity Feed"},
		{"paused", func() error { return e.Store.SetIntegrationState(ctx, id, true, "feed_only") }, web.HealthPaused, "resume it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.set(); err != nil {
				t.Fatal(err)
			}
			_, out := c.api("GET", "/api/v1/integrations/"+itoa(id), nil, false)
			var got struct {
				Integration web.IntegrationView `json:"integration"`
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatal(err)
			}
			h := got.Integration.Health
			if h.Status != tc.status || !strings.Contains(h.Action, tc.words) {
				t.Fatalf("health %+v, want %q with %q", h, tc.status, tc.words)
			}
			_, list := c.get("/integrations")
			if !strings.Contains(list, `data-field="health" title="`) || !strings.Contains(list, ">"+tc.status+"</span>") || strings.Contains(list, ">syncing<") {
				t.Fatalf("list does not show %q", tc.status)
			}
			_, page := c.get("/integrations/" + itoa(id))
			if !strings.Contains(page, `id="sync-state"`) || !strings.Contains(page, ">"+tc.status+"</span>") {
				t.Fatalf("page does not show %q", tc.status)
			}
			if strings.Contains(page, ">feed_only<") || strings.Contains(list, ">feed_only<") {
				t.Fatal("the raw word feed_only is shown")
			}
			if tc.name == "feed-only" && (!strings.Contains(list, `id="feed-only-acme"`) || !strings.Contains(page, "chats, messages and files are not synced")) {
				t.Fatal("feed-only mode is not explained")
			}
		})
	}

	// A connection test records its outcome: passing clears the failure.
	if err := e.Store.SetIntegrationState(ctx, id, false, "full"); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.SetIntegrationFailure(ctx, id, compliance.FailureAuth, "401"); err != nil {
		t.Fatal(err)
	}
	if res, out := c.api("POST", "/api/v1/integrations/"+itoa(id)+"/test", nil, true); res.StatusCode != http.StatusOK || !strings.Contains(out, `"status": "ok"`) {
		t.Fatalf("test action: %d %s", res.StatusCode, out)
	}
}
