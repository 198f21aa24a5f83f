package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/claudit/claudit/internal/web/webtest"
)

// TestBrowserReports: the reports page shows the report of a chosen period
// in a frame as tall as the report, with its compliance sections and their
// evidence links, and downloads it as HTML or Markdown.
func TestBrowserReports(t *testing.T) {
	ctx := browserCtx(t)
	_, ts := newEnv(t, webtest.Options{})
	must(t, "login", func(t *testing.T) {
		step(t, ctx, "open login", chromedp.Navigate(ts.URL+"/login"), chromedp.WaitVisible(chromedp.ID("email")),
			chromedp.SendKeys(chromedp.ID("email"), webtest.AnalystEmail), chromedp.SendKeys(chromedp.ID("password"), webtest.Password))
		follow(t, ctx, "submit login", chromedp.Click(chromedp.ID("login-submit")))
	})

	must(t, "choose a period", func(t *testing.T) {
		step(t, ctx, "reports", chromedp.EmulateViewport(1440, 900), chromedp.Navigate(ts.URL+"/reports"), chromedp.WaitVisible(chromedp.ID("report-form")),
			chromedp.SetValue(chromedp.ID("r-from"), "2025-03-01"), chromedp.SetValue(chromedp.ID("r-to"), "2025-03-11"))
		follow(t, ctx, "show", chromedp.Click(chromedp.ID("r-apply")))
		step(t, ctx, "frame loaded", chromedp.Poll[chromedp.Void](`(() => { const d = document.getElementById('report-frame').contentDocument;
			return d && d.readyState === "complete" && d.getElementById("compliance") !== null; })()`))
		if got := eval[string](t, ctx, `location.search`); got != "?from=2025-03-01&to=2025-03-11&integration=&tz=UTC" {
			t.Fatalf("form sent %q", got)
		}
		if got := eval[string](t, ctx, `document.getElementById('report-cards').innerText`); !strings.Contains(got, "6\nmessages") {
			t.Fatalf("cards %q", got)
		}
	})

	must(t, "report in the frame", func(t *testing.T) {
		doc := `document.getElementById('report-frame').contentDocument`
		if got := eval[string](t, ctx, doc+`.querySelector('h1').innerText`); got != "Claude activity report" {
			t.Fatalf("report title %q", got)
		}
		heads := eval[[]string](t, ctx, `Array.from(`+doc+`.querySelectorAll('#compliance h3')).map(h => h.innerText)`)
		want := []string{"SOC 2 CC7.2", "HIPAA §164.312(b)", "GDPR Art. 30", "GDPR Art. 32", "ISO/IEC 42001", "EU AI Act"}
		if len(heads) != len(want) {
			t.Fatalf("compliance sections %q", heads)
		}
		for i, w := range want {
			if !strings.HasPrefix(heads[i], w) {
				t.Fatalf("section %d is %q, want %s", i, heads[i], w)
			}
		}
		// Evidence links open the dashboard's records in the whole window.
		link := eval[[]string](t, ctx, `(() => { const a = `+doc+`.querySelector('#soc2-cc7-2 a[href*="violations=1"]'); return [a.getAttribute('href'), a.target, a.innerText]; })()`)
		if !strings.Contains(link[0], "violations=1") || link[1] != "_top" || !strings.Contains(link[2], "(of 4 findings)") {
			t.Fatalf("violations link %q", link)
		}
		// The frame is as tall as the report: the page has one scroll bar.
		box := eval[map[string]float64](t, ctx, `({frame: document.getElementById('report-frame').getBoundingClientRect().height,
			content: `+doc+`.documentElement.scrollHeight, inner: `+doc+`.documentElement.clientHeight})`)
		if box["frame"] < box["content"] || box["inner"] < box["content"] {
			t.Fatalf("the frame (%v) does not fit the report", box)
		}
		if got := eval[string](t, ctx, `document.getElementById('report-md').getAttribute('href')`); !strings.Contains(got, "from=2025-03-01") || !strings.Contains(got, "format=md") {
			t.Fatalf("download link %q", got)
		}
	})

	must(t, "follow evidence", func(t *testing.T) {
		follow(t, ctx, "open the violations", chromedp.Evaluate[chromedp.Void](`document.getElementById('report-frame').contentDocument.querySelector('#soc2-cc7-2 a[href*="violations=1"]').click()`))
		if got := eval[string](t, ctx, `location.pathname + ' ' + new URLSearchParams(location.search).get('violations')`); got != "/events 1" {
			t.Fatalf("the evidence link led to %q", got)
		}
	})

	must(t, "bad period", func(t *testing.T) {
		step(t, ctx, "reports", chromedp.Navigate(ts.URL+"/reports?from=2025-03-11&to=2025-03-01"), chromedp.WaitVisible(chromedp.CSS("main")))
		if got := eval[string](t, ctx, `document.body.innerText`); !strings.Contains(got, "ends (2025-03-01) before it starts (2025-03-11)") {
			t.Fatalf("error page %.300q", got)
		}
	})
}
