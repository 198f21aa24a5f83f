package web_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/claudit/claudit/internal/web/webtest"
)

// TestBrowserNoSidewaysScroll: the wide tables (alerts, access audit,
// sessions, users, reports) fit laptop widths without a horizontal scroll bar.
func TestBrowserNoSidewaysScroll(t *testing.T) {
	ctx := browserCtx(t)
	_, ts := newEnv(t, webtest.Options{})
	c := login(t, ts, webtest.AdminEmail)
	// A long search leaves a long, unbroken detail in the access audit.
	c.get("/events?kind=prompt&q=" + "averyveryverylongsearchtermwithoutanyspacesatallthatwouldstretchacell")
	must(t, "login", func(t *testing.T) {
		step(t, ctx, "open login", chromedp.Navigate(ts.URL+"/login"), chromedp.WaitVisible(chromedp.ID("email")),
			chromedp.SendKeys(chromedp.ID("email"), webtest.AdminEmail), chromedp.SendKeys(chromedp.ID("password"), webtest.Password))
		follow(t, ctx, "submit login", chromedp.Click(chromedp.ID("login-submit")))
	})
	for _, width := range []int64{1280, 1366, 1440} {
		for _, path := range []string{"/alerts?status=open", "/audit", "/sessions", "/users", "/reports?from=2025-03-01&to=2025-03-11", "/events?kind=access"} {
			t.Run(fmt.Sprintf("%s at %d px", path, width), func(t *testing.T) {
				step(t, ctx, "open", chromedp.EmulateViewport(width, 900), chromedp.Navigate(ts.URL+path), chromedp.WaitVisible(chromedp.CSS("main h1")))
				box := eval[map[string]float64](t, ctx, `(() => {
					let widest = 0;
					document.querySelectorAll('main table').forEach(t => { widest = Math.max(widest, t.getBoundingClientRect().right); });
					return {scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth, table: widest};
				})()`)
				if box["scroll"] > box["client"]+1 || box["table"] > box["client"]+1 {
					t.Fatalf("the page scrolls sideways: %v", box)
				}
			})
		}
	}
}
