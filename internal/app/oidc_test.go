package app

import (
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/config"
	"github.com/claudit/claudit/internal/store"
)

// TestOIDCConfig: the oidc section becomes the dashboard's single sign-on,
// with the client secret from the environment and the callback under base_url.
func TestOIDCConfig(t *testing.T) {
	cfg, err := config.Parse("c.yaml", []byte("base_url: https://claudit.example.com/\noidc:\n  issuer: https://login.example.com\n  client_id: claudit\n  client_secret_env: CLAUDIT_TEST_OIDC_SECRET\n  admins: [sec-admins]\n  viewers: [staff]\n"))
	if err != nil {
		t.Fatal(err)
	}
	a := &App{Config: cfg}
	t.Setenv("CLAUDIT_TEST_OIDC_SECRET", "")
	if _, err := a.oidcConfig(); err == nil || !strings.Contains(err.Error(), "CLAUDIT_TEST_OIDC_SECRET") {
		t.Fatalf("no secret: %v", err)
	}
	t.Setenv("CLAUDIT_TEST_OIDC_SECRET", "s3cret")
	o, err := a.oidcConfig()
	if err != nil {
		t.Fatal(err)
	}
	if o.ClientSecret != "s3cret" || o.RedirectURL != "https://claudit.example.com/login/oidc/callback" || o.Roles[store.RoleAdmin][0] != "sec-admins" ||
		len(o.Roles[store.RoleAnalyst]) != 0 || o.RoleClaim != "groups" {
		t.Fatalf("web config: %+v", o)
	}
	if o, err := (&App{Config: config.Default()}).oidcConfig(); o != nil || err != nil {
		t.Fatalf("off: %+v %v", o, err)
	}
}
