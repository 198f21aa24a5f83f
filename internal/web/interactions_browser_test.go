package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/web/webtest"
)

// TestBrowserInteractions: prompt events are listed as interactions (a
// prompt and its response on one row) under Input | Output | Resource |
// Tags | Time, passing tags collapse into a count that expands, the drawer
// shows the metadata panel inside the viewport at 1280, 1440 and 1920 px,
// and single messages stay one click away.
func TestBrowserInteractions(t *testing.T) {
	ctx := browserCtx(t)
	e, ts := newEnv(t, webtest.Options{})
	acme := itoa(e.Acme.ID)
	// The plan chat passed every policy: three pass tags, no failing one.
	if err := e.Store.SaveEvaluations(t.Context(), []store.Evaluation{{IntegrationID: e.Acme.ID, Kind: "prompt", EventID: "msg-plan", Version: "v1",
		Tags: []string{"No Secrets", "No PII", "No Prompt Injection"}}}); err != nil {
		t.Fatal(err)
	}

	must(t, "login", func(t *testing.T) {
		step(t, ctx, "open login", chromedp.Navigate(ts.URL+"/login"), chromedp.WaitVisible(chromedp.ID("email")),
			chromedp.SendKeys(chromedp.ID("email"), webtest.AdminEmail), chromedp.SendKeys(chromedp.ID("password"), webtest.Password))
		follow(t, ctx, "submit login", chromedp.Click(chromedp.ID("login-submit")))
	})

	must(t, "events table", func(t *testing.T) {
		step(t, ctx, "events", chromedp.EmulateViewport(1440, 1000), chromedp.Navigate(ts.URL+"/events?kind=prompt"), chromedp.WaitVisible(chromedp.ID("events-table")))
		heads := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('#events-table thead th')).map(th => th.textContent.trim())`)
		if strings.Join(heads, "|") != "Input|Output|Resource|Tags|Time" { // without the drawer
			t.Fatalf("columns %q", heads)
		}
		rows := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('#events-table tbody tr.row')).map(r => r.dataset.event)`)
		if strings.Join(rows, ",") != "msg-leak,msg-xss,msg-plan" {
			t.Fatalf("interaction rows %q: want one per prompt, newest first", rows)
		}
		leak := eval[[]string](t, ctx, `Array.from(document.querySelector('tr[data-event="msg-leak"]').cells).map(c => c.innerText)`)
		if !strings.Contains(leak[0], "Please review my key") || !strings.Contains(leak[1], "rotate it now") || !strings.Contains(leak[0], "alice@example.com") {
			t.Fatalf("prompt and response not on one row: %q", leak)
		}
		if got := eval[string](t, ctx, `document.querySelector('tr[data-event="msg-leak"] .tagsum[data-side="Input"]').innerText`); !strings.Contains(got, "secrets") || !strings.Contains(got, "2 violations") {
			t.Fatalf("failing tags of the leak: %q", got)
		}
		plan := `document.querySelector('tr[data-event="msg-plan"] .tagsum[data-side="Input"]')`
		if got := eval[string](t, ctx, plan+`.querySelector('summary').innerText`); got != "0 violations · 3 passed" {
			t.Fatalf("collapsed tags %q", got)
		}
		if eval[bool](t, ctx, plan+`.querySelector('.tag-pass').checkVisibility()`) {
			t.Fatal("passed tags shown before expanding")
		}
		step(t, ctx, "expand", chromedp.Click(chromedp.CSS(`tr[data-event="msg-plan"] .tagsum summary`)))
		if !eval[bool](t, ctx, plan+`.querySelector('.tag-pass').checkVisibility()`) {
			t.Fatal("passed tags hidden after expanding")
		}
		// At most one line of tags per side: the rows stay short.
		if h := eval[float64](t, ctx, `document.querySelector('tr[data-event="msg-leak"]').getBoundingClientRect().height`); h > 130 {
			t.Fatalf("row is %.0f px high", h)
		}
	})

	for _, width := range []int64{1280, 1440, 1920} {
		must(t, fmt.Sprintf("drawer at %d px", width), func(t *testing.T) {
			step(t, ctx, "open", chromedp.EmulateViewport(width, 900),
				chromedp.Navigate(ts.URL+"/events?kind=prompt&open=interaction/"+acme+"/msg-leak"), chromedp.WaitVisible(chromedp.ID("drawer")))
			box := eval[map[string]float64](t, ctx, `(() => {
				const r = document.getElementById('drawer').getBoundingClientRect();
				const tb = document.getElementById('events-table').getBoundingClientRect();
				return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, vw: document.documentElement.clientWidth,
					vh: window.innerHeight, table: tb.right, scroll: document.documentElement.scrollWidth};
			})()`)
			if box["left"] < 0 || box["right"] > box["vw"]+0.5 || box["top"] < 0 || box["bottom"] > box["vh"]+0.5 || box["width"] < 300 {
				t.Fatalf("drawer %v is not inside the %dx900 viewport", box, width)
			}
			if box["table"] > box["left"]+0.5 {
				t.Fatalf("table (right edge %.0f) runs under the drawer (left edge %.0f)", box["table"], box["left"])
			}
			if box["scroll"] > box["vw"]+0.5 {
				t.Fatalf("page scrolls sideways: %.0f px wide in a %.0f px viewport", box["scroll"], box["vw"])
			}
			labels := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('#event-meta dt')).map(d => d.textContent.trim())`)
			for _, want := range []string{"Event id", "Provider", "Model", "Endpoint", "User", "User id", "Application", "Violations", "Actions taken"} {
				if !strings.Contains(strings.Join(labels, "|")+"|", want+"|") {
					t.Errorf("metadata panel lacks %q: %q", want, labels)
				}
			}
			text := eval[string](t, ctx, `document.getElementById('drawer').innerText`)
			for _, want := range []string{"Token usage", "Please review my key", "rotate it now", "u-alice", "secrets: alert"} {
				if !strings.Contains(text, want) {
					t.Errorf("drawer lacks %q", want)
				}
			}
			if v := eval[string](t, ctx, `document.getElementById('meta-violations').textContent`); v != "2" {
				t.Errorf("violations %q, want 2", v)
			}
		})
	}

	must(t, "single messages", func(t *testing.T) {
		step(t, ctx, "events", chromedp.EmulateViewport(1440, 1000), chromedp.Navigate(ts.URL+"/events?kind=prompt"), chromedp.WaitVisible(chromedp.ID("view-messages")))
		follow(t, ctx, "single messages", chromedp.Click(chromedp.ID("view-messages")))
		rows := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('#events-table tbody tr.row')).map(r => r.dataset.event)`)
		if len(rows) != 6 {
			t.Fatalf("single messages %q, want 6", rows)
		}
		step(t, ctx, "drawer link", chromedp.Navigate(ts.URL+"/events?kind=prompt&open=interaction/"+acme+"/msg-leak"), chromedp.WaitVisible(chromedp.ID("drawer-output")))
		follow(t, ctx, "response alone", chromedp.Click(chromedp.CSS(`#drawer h4 + #drawer-output, #drawer a.single[href$="msg-leak-reply"]`)))
		if text := eval[string](t, ctx, `document.querySelector('main').innerText`); !strings.Contains(text, "msg-leak-reply") || !strings.Contains(text, "assistant") {
			t.Fatalf("single message page:\n%s", text)
		}
	})
}
