package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/claudit/claudit/internal/web/webtest"
)

// TestBrowserTimeZone: on the first sign-in the browser's zone becomes the
// account's display zone, and pages show ISO 8601 times in it.
func TestBrowserTimeZone(t *testing.T) {
	ctx := browserCtx(t)
	_, ts := newEnv(t, webtest.Options{})
	must(t, "login in Paris", func(t *testing.T) {
		if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Europe/Paris"}); err != nil {
			t.Fatal(err)
		}
		step(t, ctx, "open login", chromedp.Navigate(ts.URL+"/login"), chromedp.WaitVisible(chromedp.ID("email")),
			chromedp.SendKeys(chromedp.ID("email"), webtest.ViewerEmail), chromedp.SendKeys(chromedp.ID("password"), webtest.Password))
		follow(t, ctx, "submit login", chromedp.Click(chromedp.ID("login-submit")))
		// app.js reloads the page once the zone is saved: a poll that the
		// reload interrupts starts again on the new page.
		for attempt := 1; ; attempt++ {
			sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			_, err := chromedp.Run(sctx, chromedp.Poll[chromedp.Void](`(() => { const z = document.getElementById('my-zone'); return z && z.innerText === 'Europe/Paris'; })()`))
			cancel()
			if err == nil {
				break
			}
			if attempt == 3 || !(strings.Contains(err.Error(), "navigated") || strings.Contains(err.Error(), "context")) {
				t.Fatalf("zone detected: %v", err)
			}
		}
	})
	must(t, "times in the zone", func(t *testing.T) {
		step(t, ctx, "sessions", chromedp.Navigate(ts.URL+"/sessions"), chromedp.WaitVisible(chromedp.ID("sessions-table")))
		got := eval[string](t, ctx, `document.querySelector('#sessions-table tbody tr td').innerText`)
		if got != "2025-03-10T11:10:00+01:00" {
			t.Fatalf("first session updated %q, want ISO 8601 in Paris time", got)
		}
		if eval[bool](t, ctx, `document.body.hasAttribute('data-zone-unset')`) {
			t.Fatal("the page still asks for the zone")
		}
	})
	must(t, "change on the account page", func(t *testing.T) {
		step(t, ctx, "account", chromedp.Navigate(ts.URL+"/account"), chromedp.WaitVisible(chromedp.ID("zone-form")),
			chromedp.SetValue(chromedp.ID("zone-input"), "America/New_York"))
		follow(t, ctx, "save", chromedp.Click(chromedp.ID("zone-save")))
		if got := eval[string](t, ctx, `document.getElementById('account-zone').innerText`); !strings.HasPrefix(got, "America/New_York") {
			t.Fatalf("account zone %q", got)
		}
	})
}
