package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/testenv"
	"github.com/claudit/claudit/internal/web/webtest"
)

// chromiumPath is where Debian's chromium package installs the browser.
const chromiumPath = "/usr/bin/chromium"

// browserCtx starts headless Chromium with a fresh profile, or skips.
func browserCtx(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		testenv.Skip(t, testenv.Browser, "no chromium",
			fmt.Sprintf("browser tests need Chromium at %s (apt-get update && apt-get install -y chromium): %v", chromiumPath, err))
	}
	testenv.Ran(t, testenv.Browser)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 900),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	// The browser's zone is UTC whatever the machine's: a new account takes
	// the browser's zone at its first page, and app.js reloads the page
	// when that zone is not UTC, which would race the tests' next step.
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "UTC"}); err != nil {
		t.Fatalf("browser time zone: %v", err)
	}
	return ctx
}

// step runs actions with a deadline so a broken page fails instead of hanging.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := retryContextLost(func() error { return chromedp.Do(sctx, actions...) }); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// retryContextLost runs f again when Chromium reports that the page's
// JavaScript context went away under it ("Cannot find context with
// specified id"): a navigation that finished just as the action started,
// not a failure of the page.
func retryContextLost(f func() error) error {
	var err error
	for range 3 {
		if err = f(); err == nil || !strings.Contains(err.Error(), "Cannot find context with specified id") {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

// follow clicks something that navigates and waits for the new page.
func follow(t *testing.T, ctx context.Context, what string, click chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.RunResponse(sctx, click); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	var v T
	err := retryContextLost(func() (err error) {
		v, err = chromedp.Run(ctx, chromedp.Evaluate[T](js))
		return err
	})
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// TestBrowser drives the dashboard in real headless Chromium: sign in,
// filter, open a detail and its session, acknowledge an alert, run a
// backfill to 100%, export CSV, and check hostile chats stay inert.
func TestBrowser(t *testing.T) {
	ctx := browserCtx(t)
	e, ts := newEnv(t, webtest.Options{RunBackfills: true, Step: 100 * time.Millisecond})
	acme := itoa(e.Acme.ID)

	// Any JavaScript dialog means a payload ran (the app itself only uses
	// confirm() on forms this test never submits).
	var dialogs atomic.Int32
	dctx, stopDialogs := context.WithCancel(ctx)
	defer stopDialogs()
	opened := chromedp.Events(dctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range opened {
			if err != nil {
				return
			}
			dialogs.Add(1)
			chromedp.Call(dctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()

	must(t, "login", func(t *testing.T) {
		step(t, ctx, "open login", chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.ID("email")))
		step(t, ctx, "fill login", chromedp.SendKeys(chromedp.ID("email"), webtest.AdminEmail), chromedp.SendKeys(chromedp.ID("password"), webtest.Password))
		follow(t, ctx, "submit login", chromedp.Click(chromedp.ID("login-submit")))
		step(t, ctx, "overview", chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	})

	must(t, "filter by user and date", func(t *testing.T) {
		step(t, ctx, "events", chromedp.Navigate(ts.URL+"/events?kind=prompt"), chromedp.WaitVisible(chromedp.ID("events-table")),
			chromedp.SetValue(chromedp.ID("f-user"), "alice@example.com"),
			chromedp.SetValue(chromedp.ID("f-from"), "2025-03-10"),
			chromedp.SetValue(chromedp.ID("f-to"), "2025-03-10"))
		follow(t, ctx, "apply filters", chromedp.Click(chromedp.ID("f-apply")))
		users := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('#events-table tbody tr.row')).map(r => r.querySelector('.who').textContent.trim())`)
		if len(users) == 0 {
			t.Fatal("no rows after filtering")
		}
		for _, u := range users {
			if u != "alice@example.com" {
				t.Fatalf("row of %q in a filter for alice", u)
			}
		}
		if v := eval[string](t, ctx, `document.getElementById('f-from').value`); v != "2025-03-10" {
			t.Fatalf("date filter not kept: %q", v)
		}
	})

	must(t, "event detail", func(t *testing.T) {
		follow(t, ctx, "open row", chromedp.Click(chromedp.CSS("#events-table tbody tr.row a.open")))
		step(t, ctx, "drawer", chromedp.WaitVisible(chromedp.ID("drawer")))
		text := eval[string](t, ctx, `document.getElementById('drawer').innerText`)
		for _, want := range []string{"msg-leak", "Token usage", "estimates", "secrets", "alice@example.com", "u-alice", "chat-leak", "anthropic",
			"Input", "Output", "rotate it now", "Violations", "Actions taken"} {
			if !strings.Contains(text, want) {
				t.Errorf("drawer lacks %q", want)
			}
		}
	})

	must(t, "session", func(t *testing.T) {
		follow(t, ctx, "open session", chromedp.Click(chromedp.ID("open-session")))
		step(t, ctx, "transcript", chromedp.WaitVisible(chromedp.ID("transcript")))
		if n := eval[int](t, ctx, `document.querySelectorAll('#transcript mark').length`); n < 2 {
			t.Fatalf("%d highlighted findings, want 2 or more", n)
		}
		if n := eval[int](t, ctx, `document.querySelectorAll('#transcript li.msg').length`); n != 2 {
			t.Fatalf("%d messages", n)
		}
	})

	must(t, "hostile content is inert", func(t *testing.T) {
		for _, path := range []string{
			"/sessions/" + acme + "/chat-xss",
			"/events?kind=prompt&open=prompt/" + acme + "/msg-xss",
			"/events?kind=access&open=access/" + acme + "/act-xss",
			"/sessions", "/alerts",
		} {
			step(t, ctx, path, chromedp.Navigate(ts.URL+path), chromedp.WaitVisible(chromedp.CSS("main")))
			if n := eval[int](t, ctx, `document.querySelectorAll('main img, main script, main b, main [onerror]').length`); n != 0 {
				t.Errorf("%s: %d elements injected by chat content", path, n)
			}
			if eval[bool](t, ctx, `Array.from(document.querySelectorAll('a')).some(a => a.href.toLowerCase().startsWith('javascript:'))`) {
				t.Errorf("%s: a javascript: link", path)
			}
			if !eval[bool](t, ctx, `document.querySelector('main').textContent.includes('<script>alert("xss")</script>')`) {
				t.Errorf("%s: hostile text not shown as text", path)
			}
		}
		step(t, ctx, "xss session", chromedp.Navigate(ts.URL+"/sessions/"+acme+"/chat-xss"), chromedp.WaitVisible(chromedp.ID("transcript")))
	})

	must(t, "acknowledge alert", func(t *testing.T) {
		step(t, ctx, "alerts", chromedp.Navigate(ts.URL+"/alerts?status=open"), chromedp.WaitVisible(chromedp.ID("alerts-table")))
		step(t, ctx, "alert", chromedp.Navigate(ts.URL+"/alerts/1"), chromedp.WaitVisible(chromedp.ID("alert-form")),
			chromedp.SendKeys(chromedp.ID("alert-comment"), "Checked with Alice; key rotated."))
		follow(t, ctx, "acknowledge", chromedp.Click(chromedp.ID("btn-acknowledge")))
		if s := eval[string](t, ctx, `document.getElementById('alert-status').textContent`); s != store.AlertAcknowledged {
			t.Fatalf("status shown %q", s)
		}
		a, _ := e.Alerts.AlertByID(t.Context(), 1)
		if a.Status != store.AlertAcknowledged || a.Comment != "Checked with Alice; key rotated." || a.UpdatedBy != webtest.AdminEmail {
			t.Fatalf("alert %+v", a)
		}
	})

	must(t, "backfill progress reaches 100%", func(t *testing.T) {
		step(t, ctx, "backfill tab", chromedp.Navigate(ts.URL+"/integrations/"+acme+"?tab=backfill"), chromedp.WaitVisible(chromedp.ID("backfill-form")),
			chromedp.SetValue(chromedp.ID("bf-from"), "2025-03-01"), chromedp.SetValue(chromedp.ID("bf-to"), "2025-03-05"))
		follow(t, ctx, "start backfill", chromedp.Click(chromedp.ID("bf-start")))
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		// The page polls the API and moves the bar without a reload.
		if _, err := chromedp.Run(pctx, chromedp.Poll[bool](`(() => {
			const row = document.querySelector('#backfills-table tr[data-backfill]');
			return !!row && row.querySelector('[data-field="percent"]').textContent === '100%' && row.querySelector('progress').value === 100;
		})()`, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			t.Fatalf("progress never reached 100%%: %v", err)
		}
		bs, _ := e.Store.Backfills(t.Context(), e.Acme.ID)
		if len(bs) == 0 || bs[0].Batches != 5 {
			t.Fatalf("backfills %+v", bs)
		}
		step(t, ctx, "jobs tab", chromedp.Navigate(ts.URL+"/integrations/"+acme+"?tab=jobs"), chromedp.WaitVisible(chromedp.ID("batches-table")))
		if n := eval[int](t, ctx, `document.querySelectorAll('#batches-table tbody tr').length`); n != 5 {
			t.Fatalf("%d batch rows", n)
		}
	})

	must(t, "export CSV", func(t *testing.T) {
		dir := t.TempDir()
		step(t, ctx, "events", chromedp.Navigate(ts.URL+"/events?kind=prompt&user=alice@example.com"), chromedp.WaitVisible(chromedp.ID("export-csv")))
		dctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		progress := chromedp.Events(dctx, browser.DownloadProgress)
		on := true
		step(t, ctx, "click export", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &on})
			return err
		}), chromedp.Click(chromedp.ID("export-csv")))
		var guid string
		for ev, err := range progress {
			if err != nil {
				t.Fatalf("download: %v", err)
			}
			if ev.State == browser.DownloadProgressStateCompleted {
				guid = ev.GUID
				break
			}
		}
		b, err := os.ReadFile(filepath.Join(dir, guid))
		if err != nil {
			t.Fatal(err)
		}
		// The page lists interactions, so its export does too: one record
		// per prompt and response, whose cells may span lines.
		rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil || len(rows) != 3 || rows[0][0] != "kind" || !slices.ContainsFunc(rows, func(r []string) bool { return r[0] == "interaction" && r[1] == "msg-leak" }) {
			t.Fatalf("exported CSV (%v):\n%s", err, b)
		}
	})

	must(t, "other pages", func(t *testing.T) {
		for _, p := range []struct{ path, wait string }{
			{"/integrations", "#integrations-table"},
			{"/policies", "#policies-table"},
			{"/audit", "#audit-table"},
			{"/sessions", "main table"},
			{"/users/" + acme + "/u-alice", "main dl"},
			{"/events?kind=access&open=access/" + acme + "/act-share", "#drawer"},
		} {
			step(t, ctx, p.path, chromedp.Navigate(ts.URL+p.path), chromedp.WaitVisible(chromedp.CSS(p.wait)))
		}
	})

	must(t, "viewer sees redacted text", func(t *testing.T) {
		follow(t, ctx, "sign out", chromedp.Click(chromedp.CSS("nav.side .me button")))
		step(t, ctx, "login as viewer", chromedp.WaitVisible(chromedp.ID("email")),
			chromedp.SendKeys(chromedp.ID("email"), webtest.ViewerEmail), chromedp.SendKeys(chromedp.ID("password"), webtest.Password))
		follow(t, ctx, "submit login", chromedp.Click(chromedp.ID("login-submit")))
		step(t, ctx, "session", chromedp.Navigate(ts.URL+"/sessions/"+acme+"/chat-leak"), chromedp.WaitVisible(chromedp.ID("transcript")))
		text := eval[string](t, ctx, `document.querySelector('main').innerText`)
		if strings.Contains(text, webtest.SecretKey) || strings.Contains(text, webtest.PrivateMail) || !strings.Contains(text, "[REDACTED]") {
			t.Fatalf("viewer page not redacted:\n%s", text)
		}
	})

	if n := dialogs.Load(); n != 0 {
		t.Fatalf("%d JavaScript dialogs opened: chat content ran as script", n)
	}
}

// must runs a subtest and stops the walk at the first failing step, whose
// later steps would only time out.
func must(t *testing.T, name string, f func(t *testing.T)) {
	t.Helper()
	if !t.Run(name, f) {
		t.FailNow()
	}
}
