package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/claudit/claudit/internal/web/webtest"
)

// TestBrowserRisk: the users list shows a risk column and sorts by it, the
// user page explains the score, the overview lists the riskiest users and
// the sessions list sorts by risk from its form.
func TestBrowserRisk(t *testing.T) {
	ctx := browserCtx(t)
	_, ts := newEnv(t, webtest.Options{})
	must(t, "login", func(t *testing.T) {
		step(t, ctx, "open login", chromedp.Navigate(ts.URL+"/login"), chromedp.WaitVisible(chromedp.ID("email")),
			chromedp.SendKeys(chromedp.ID("email"), webtest.AnalystEmail), chromedp.SendKeys(chromedp.ID("password"), webtest.Password))
		follow(t, ctx, "submit login", chromedp.Click(chromedp.ID("login-submit")))
	})

	must(t, "users by risk", func(t *testing.T) {
		step(t, ctx, "users", chromedp.EmulateViewport(1440, 900), chromedp.Navigate(ts.URL+"/users"), chromedp.WaitVisible(chromedp.ID("users-table")))
		heads := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('#users-table thead th')).map(th => th.textContent.trim())`)
		if !strings.Contains(strings.Join(heads, "|"), "Role|Risk|Violations") {
			t.Fatalf("columns %q", heads)
		}
		step(t, ctx, "choose risk", chromedp.SetValue(chromedp.ID("u-sort"), "risk"))
		follow(t, ctx, "apply", chromedp.Click(chromedp.ID("u-apply")))
		rows := eval[[][]string](t, ctx, `Array.from(document.querySelectorAll('#users-table tbody tr')).map(r => [r.cells[0].innerText, r.querySelector('[data-field=risk]').innerText, r.querySelector('[data-field=risk] span').className])`)
		if len(rows) != 2 || rows[0][0] != "alice@example.com" || rows[1][0] != "bob@example.com" {
			t.Fatalf("rows by risk %q", rows)
		}
		if want := fmtScore(fixtureRisk("u-alice")); rows[0][1] != want || rows[0][2] != "risk risk-medium" {
			t.Fatalf("alice's risk cell %q, want %s in the medium band", rows[0], want)
		}
		if want := fmtScore(fixtureRisk("u-bob")); rows[1][1] != want || rows[1][2] != "risk risk-low" {
			t.Fatalf("bob's risk cell %q, want %s in the low band", rows[1], want)
		}
	})

	must(t, "user page", func(t *testing.T) {
		follow(t, ctx, "open alice", chromedp.Click(chromedp.CSS(`#users-table tbody tr:first-child a`)))
		got := eval[string](t, ctx, `document.getElementById('user-risk').innerText`)
		if !strings.Contains(got, fmtScore(fixtureRisk("u-alice"))) || !strings.Contains(got, "3 violations") || !strings.Contains(got, "1 critical") {
			t.Fatalf("user risk %q", got)
		}
	})

	must(t, "overview", func(t *testing.T) {
		step(t, ctx, "overview", chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.ID("risky-users")))
		got := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('#risky-users tr')).map(r => r.cells[0].innerText + ' ' + r.cells[2].innerText)`)
		if len(got) != 2 || got[0] != "alice@example.com "+fmtScore(fixtureRisk("u-alice")) {
			t.Fatalf("riskiest users %q", got)
		}
	})

	must(t, "sessions by risk", func(t *testing.T) {
		step(t, ctx, "sessions", chromedp.Navigate(ts.URL+"/sessions"), chromedp.WaitVisible(chromedp.ID("sessions-table")),
			chromedp.SetValue(chromedp.ID("s-sort"), "risk"))
		follow(t, ctx, "apply", chromedp.Click(chromedp.ID("s-apply")))
		names := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('#sessions-table tbody tr')).map(r => r.cells[2].innerText + '=' + r.querySelector('[data-field=risk]').innerText)`)
		if len(names) < 3 || !strings.HasPrefix(names[0], "Key review=") || strings.HasSuffix(names[0], "=0") || !strings.HasSuffix(names[2], "=0") {
			t.Fatalf("sessions by risk %q", names)
		}
	})
}
