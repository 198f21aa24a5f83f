package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/claudit/claudit/internal/web/webtest"
)

// TestBrowserOIDCSignIn signs in through single sign-on in real headless
// Chromium: the dashboard's button, the provider's own login page on
// 127.0.0.1, and back to the dashboard as the analyst the groups claim makes.
func TestBrowserOIDCSignIn(t *testing.T) {
	ctx := browserCtx(t)
	_, ts, p := ssoEnv(t, "")
	const email = "sso-analyst@example.com"
	step(t, ctx, "open login", chromedp.Navigate(ts.URL+"/alerts"), chromedp.WaitVisible(chromedp.ID("login-sso")))
	follow(t, ctx, "single sign-on", chromedp.Click(chromedp.ID("login-sso")))
	step(t, ctx, "provider login page", chromedp.WaitVisible(chromedp.ID("username")))
	if u := eval[string](t, ctx, `location.origin`); u != p.Issuer {
		t.Fatalf("sign-in page at %s, want the provider %s", u, p.Issuer)
	}
	step(t, ctx, "fill provider login", chromedp.SendKeys(chromedp.ID("username"), email), chromedp.SendKeys(chromedp.ID("password"), webtest.SSOPassword))
	follow(t, ctx, "submit provider login", chromedp.Click(chromedp.ID("submit")))
	step(t, ctx, "back on the dashboard", chromedp.WaitVisible(chromedp.CSS(".me .who")))
	if u := eval[string](t, ctx, `location.origin + location.pathname`); u != ts.URL+"/alerts" {
		t.Fatalf("landed on %s, want the page asked for first", u)
	}
	who := eval[string](t, ctx, `document.querySelector('.me .who').textContent + ' ' + document.querySelector('.me .role').textContent`)
	if !strings.Contains(who, email) || !strings.Contains(who, "analyst") {
		t.Fatalf("signed in as %q", who)
	}
}
