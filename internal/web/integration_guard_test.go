package web_test

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/web/webtest"
)

// TestIntegrationBaseURLGuard: an admin cannot move a stored key to another
// address without entering it again, nor point an integration at loopback,
// link-local or metadata addresses, by literal or by a name resolving there.
func TestIntegrationBaseURLGuard(t *testing.T) {
	hosts := map[string][]netip.Addr{
		"metadata.example": {netip.MustParseAddr("169.254.169.254")},
		"sneaky.example":   {netip.MustParseAddr("203.0.113.7"), netip.MustParseAddr("::1")},
		"api.example":      {netip.MustParseAddr("203.0.113.8")},
	}
	e, ts := newEnv(t, webtest.Options{Hosts: hosts})
	c := login(t, ts, webtest.AdminEmail)
	res, out := c.api("POST", "/api/v1/integrations", map[string]any{"name": "gamma", "base_url": "https://api.example", "api_key": "sk-ant-api01-k1"}, true)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", res.StatusCode, out)
	}
	var in store.Integration
	_ = json.Unmarshal([]byte(out), &in)
	path := "/api/v1/integrations/" + itoa(in.ID)

	// Only the base URL changes: the key must be entered again.
	res, out = c.api("PATCH", path, map[string]any{"base_url": "https://elsewhere.example"}, true)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(out, "API key again") {
		t.Fatalf("base URL changed without the key: %d %s", res.StatusCode, out)
	}
	if got, _ := e.Store.IntegrationByID(t.Context(), in.ID); got.BaseURL != "https://api.example" {
		t.Fatalf("base URL moved to %s", got.BaseURL)
	}
	if res, out := c.api("PATCH", path, map[string]any{"base_url": "https://elsewhere.example", "api_key": "sk-ant-api01-k2"}, true); res.StatusCode != http.StatusOK {
		t.Fatalf("base URL with a new key: %d %s", res.StatusCode, out)
	}
	// Other edits keep the key.
	if res, out := c.api("PATCH", path, map[string]any{"project": "p2"}, true); res.StatusCode != http.StatusOK {
		t.Fatalf("edit without the key: %d %s", res.StatusCode, out)
	}

	for _, u := range []string{
		"http://127.0.0.1:8080", "http://127.9.9.9", "http://[::1]:8080", "http://169.254.169.254/latest/meta-data",
		"http://169.254.1.1", "http://[fe80::1]/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0:80",
		"http://metadata.example", "https://sneaky.example",
	} {
		t.Run(u, func(t *testing.T) {
			res, out := c.api("POST", "/api/v1/integrations", map[string]any{"name": "evil", "base_url": u, "api_key": "k"}, true)
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(out, "allow_internal_base_urls") {
				t.Fatalf("create at %s: %d %s", u, res.StatusCode, out)
			}
			res, out = c.api("PATCH", path, map[string]any{"base_url": u, "api_key": "k"}, true)
			if res.StatusCode != http.StatusBadRequest {
				t.Fatalf("edit to %s: %d %s", u, res.StatusCode, out)
			}
		})
	}

	// The config can allow them (a local simulator).
	_, ts2 := newEnv(t, webtest.Options{AllowInternalBaseURLs: true})
	c2 := login(t, ts2, webtest.AdminEmail)
	if res, out := c2.api("POST", "/api/v1/integrations", map[string]any{"name": "sim", "base_url": "http://127.0.0.1:8181", "api_key": "k"}, true); res.StatusCode != http.StatusCreated {
		t.Fatalf("allowed loopback: %d %s", res.StatusCode, out)
	}
}
