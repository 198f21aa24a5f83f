package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/claudit/claudit/internal/web/webtest"
)

// TestBrowserPolicies: on the policies page an admin edits a session rule
// through its form (a bad window is refused with the loader's message
// beside the field), toggles an activity rule, sees the pending changes,
// runs a trial, loads a template and installs it.
func TestBrowserPolicies(t *testing.T) {
	ctx := browserCtx(t)
	_, ts := newEnv(t, webtest.Options{})
	unit := func(key string) string { return `document.getElementById('unit-` + key + `')` }
	must(t, "login", func(t *testing.T) {
		step(t, ctx, "open login", chromedp.Navigate(ts.URL+"/login"), chromedp.WaitVisible(chromedp.ID("email")),
			chromedp.SendKeys(chromedp.ID("email"), webtest.AdminEmail), chromedp.SendKeys(chromedp.ID("password"), webtest.Password))
		follow(t, ctx, "submit login", chromedp.Click(chromedp.ID("login-submit")))
	})

	must(t, "every kind of policy", func(t *testing.T) {
		step(t, ctx, "policies", chromedp.EmulateViewport(1440, 900), chromedp.Navigate(ts.URL+"/policies"), chromedp.WaitVisible(chromedp.ID("policies-table")))
		counts := eval[map[string]int](t, ctx, `Object.fromEntries(['text','session','activity','settings'].map(k =>
			[k, document.querySelectorAll('#group-'+k+' tr[id^="unit-"]').length]))`)
		if counts["text"] < 10 || counts["session"] != 3 || counts["activity"] < 7 || counts["settings"] != 2 {
			t.Fatalf("units per kind %v", counts)
		}
		if got := eval[string](t, ctx, unit("agent-pipe-to-shell")+`.querySelector('.roles').innerText`); strings.TrimSpace(got) != "assistant" {
			t.Fatalf("roles %q", got)
		}
	})

	must(t, "a refused edit", func(t *testing.T) {
		step(t, ctx, "open the form", chromedp.Evaluate[chromedp.Void](unit("session.repeated_attempts")+`.querySelector('summary').click()`))
		step(t, ctx, "type a bad window", chromedp.Evaluate[chromedp.Void](unit("session.repeated_attempts")+`.querySelector('input[name=window]').value = 'soon'`))
		follow(t, ctx, "save", chromedp.Evaluate[chromedp.Void](unit("session.repeated_attempts")+`.querySelector('form.policy-form button').click()`))
		got := eval[string](t, ctx, unit("session.repeated_attempts")+`.querySelector('.error').innerText`)
		if !strings.Contains(got, "window:") || !strings.Contains(got, "is not a positive duration like 10m or 1h") {
			t.Fatalf("error beside the field %q", got)
		}
		if !eval[bool](t, ctx, unit("session.repeated_attempts")+`.querySelector('details').open`) {
			t.Fatal("the form with the error is closed")
		}
	})

	must(t, "pending changes", func(t *testing.T) {
		step(t, ctx, "fix the window", chromedp.Evaluate[chromedp.Void](unit("session.repeated_attempts")+`.querySelector('input[name=window]').value = '45m'`))
		follow(t, ctx, "save", chromedp.Evaluate[chromedp.Void](unit("session.repeated_attempts")+`.querySelector('form.policy-form button').click()`))
		follow(t, ctx, "toggle secrets", chromedp.Evaluate[chromedp.Void](unit("secrets")+`.querySelector('button.toggle').click()`))
		follow(t, ctx, "toggle new_ip", chromedp.Evaluate[chromedp.Void](unit("activity.new_ip")+`.querySelector('button.toggle').click()`))
		rows := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('#pending-changes tr[data-policy]')).map(r => r.innerText.replace(/\s+/g, ' ').trim())`)
		want := []string{"secrets changed enabled on off", "session.repeated_attempts changed window 30m 45m", "activity.new_ip changed enabled on off"}
		if strings.Join(rows, "|") != strings.Join(want, "|") {
			t.Fatalf("pending changes %q", rows)
		}
		if got := eval[string](t, ctx, unit("activity.new_ip")+`.querySelector('button.toggle').innerText`); got != "Off" {
			t.Fatalf("toggle shows %q", got)
		}
	})

	must(t, "trial run", func(t *testing.T) {
		step(t, ctx, "days", chromedp.SetValue(chromedp.ID("trial-days"), "30"))
		follow(t, ctx, "run", chromedp.Click(chromedp.ID("trial-run")))
		if got := eval[string](t, ctx, `document.getElementById('trial-summary').innerText`); !strings.Contains(got, "6 messages in 3 chats and 3 access events") {
			t.Fatalf("summary %q", got)
		}
		row := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('#trial-results tr[data-policy="secrets"] td')).map(c => c.innerText.trim())`)
		if len(row) != 6 || row[1] == "0" || row[2] != "0" || row[4] != "−"+row[1] || !strings.HasPrefix(row[5], "−") {
			t.Fatalf("secrets trial row %q", row)
		}
		if n := eval[int](t, ctx, `document.querySelectorAll('#trial-results tr[data-policy="session.repeated_attempts"]').length`); n != 1 {
			t.Fatal("no trial row for the changed session rule")
		}
		follow(t, ctx, "open an example", chromedp.Evaluate[chromedp.Void](`document.querySelector('#trial-results a.example').click()`))
		if got := eval[string](t, ctx, `location.pathname`); !strings.HasPrefix(got, "/events/prompt/") {
			t.Fatalf("example led to %q", got)
		}
	})

	must(t, "template and install", func(t *testing.T) {
		step(t, ctx, "policies", chromedp.Navigate(ts.URL+"/policies"), chromedp.WaitVisible(chromedp.ID("templates")))
		follow(t, ctx, "load prompt-attack", chromedp.Click(chromedp.CSS(`button[data-template="prompt-attack"]`)))
		status := eval[map[string]string](t, ctx, `Object.fromEntries(Array.from(document.querySelectorAll('#pending-changes tr[data-policy]'))
			.filter(r => r.cells[1].innerText).map(r => [r.dataset.policy, r.cells[1].innerText]))`)
		if status["pii"] != "removed" || status["prompt-injection"] != "changed" || status["session.repeated_attempts"] != "changed" {
			t.Fatalf("template changes %v", status)
		}
		follow(t, ctx, "trial", chromedp.Click(chromedp.ID("trial-run")))
		if n := eval[int](t, ctx, `document.querySelectorAll('#trial-results tr[data-policy]').length`); n == 0 {
			t.Fatal("no trial rows for the template")
		}
		follow(t, ctx, "install", chromedp.Click(chromedp.ID("policy-install")))
		if got := eval[string](t, ctx, `document.getElementById('policy-installed').innerText`); !strings.Contains(got, "by "+webtest.AdminEmail) {
			t.Fatalf("last installed %q", got)
		}
		if !eval[bool](t, ctx, `document.getElementById('no-pending') !== null && document.getElementById('unit-pii') === null`) {
			t.Fatal("the installed template is not the set shown")
		}
	})
}
