package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/web/webtest"
)

func TestReportsRoutes(t *testing.T) {
	_, ts := newEnv(t, webtest.Options{})
	a := login(t, ts, webtest.AnalystEmail)
	res, body := a.get("/reports")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `id="report-frame"`) || !strings.Contains(body, "SOC 2 CC7.2") {
		t.Fatalf("GET /reports: %d", res.StatusCode)
	}
	// The fixture's events are in March 2025; the default period is the last 7 days before the server's clock.
	res, body = a.get("/reports/view?from=2025-03-01&to=2025-03-11")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "<h2>Compliance evidence</h2>") || !strings.Contains(body, `id="eu-ai-act"`) {
		t.Fatalf("GET /reports/view: %d %.300s", res.StatusCode, body)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'self'") || strings.Contains(csp, "script-src") {
		t.Errorf("report view CSP %q", csp)
	}
	if strings.Contains(body, "<script") {
		t.Error("the report has a script")
	}
	res, body = a.get("/reports/download?from=2025-03-01&to=2025-03-11&format=md")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Disposition"), `attachment; filename="claudit-report-2025-03-01-to-2025-03-11.md"`) ||
		!strings.Contains(body, "### SOC 2 CC7.2") {
		t.Fatalf("download md: %d %q", res.StatusCode, res.Header.Get("Content-Disposition"))
	}
	var rep struct {
		Totals struct {
			Messages int `json:"messages"`
		} `json:"totals"`
		Compliance []struct {
			ID string `json:"id"`
		} `json:"compliance"`
	}
	a.getJSON("/api/v1/reports?from=2025-03-01&to=2025-03-11", &rep)
	if rep.Totals.Messages == 0 || len(rep.Compliance) != 6 {
		t.Fatalf("API report: %+v", rep)
	}
	// The same days in another time zone; an unknown zone is refused.
	res, body = a.get("/reports/download?from=2025-03-01&to=2025-03-11&format=md&tz=America/New_York")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "2025-03-01T00:00:00-05:00 to 2025-03-12T00:00:00-04:00 (11 days)") {
		t.Fatalf("report in New York time: %d %.600s", res.StatusCode, body)
	}
	for _, bad := range []string{"from=2025-3-1", "from=2025-03-10&to=2025-03-01", "format=pdf", "from=2020-01-01&to=2025-01-01", "tz=Mars/Olympus"} {
		if res, _ := a.get("/api/v1/reports?" + bad); res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", bad, res.StatusCode)
		}
	}
	v := login(t, ts, webtest.ViewerEmail)
	if res, _ := v.get("/reports"); res.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer got /reports: %d", res.StatusCode)
	}
}
