package web_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/web/webtest"
)

// TestAccountTimeZone: pages show ISO 8601 times in the account's zone and
// read typed dates in it; the browser's zone fills only an unset one; the
// JSON API stays UTC.
func TestAccountTimeZone(t *testing.T) {
	_, ts := newEnv(t, webtest.Options{})
	c := login(t, ts, webtest.AnalystEmail)
	_, page := c.get("/sessions")
	if !strings.Contains(page, `data-zone-unset="1"`) || !strings.Contains(page, `id="my-zone" href="/account" title="Times are shown in this zone; change it on your account page">UTC</a>`) {
		t.Fatal("a new account is not asked for its zone")
	}
	// chat-leak was updated at Base-110m = 2025-03-10T10:10:00Z.
	if !strings.Contains(page, "2025-03-10T10:10:00Z") {
		t.Fatal("times are not ISO 8601 in UTC before a zone is set")
	}
	detect := func(zone string) int {
		res, _ := c.postForm("/account", url.Values{"csrf_token": {c.csrf}, "time_zone": {zone}, "detected": {"1"}})
		return res.StatusCode
	}
	if got := detect("Asia/Tokyo"); got != http.StatusNoContent {
		t.Fatalf("detected zone: %d", got)
	}
	if got := detect("Europe/Paris"); got != http.StatusNoContent {
		t.Fatalf("second detection: %d", got)
	}
	page = c.page("/sessions")
	if !strings.Contains(page, "2025-03-10T19:10:00+09:00") || strings.Contains(page, "data-zone-unset") {
		t.Fatal("sessions are not shown in the detected zone, or a detection replaced it")
	}
	res, _ := c.postForm("/account", url.Values{"csrf_token": {c.csrf}, "time_zone": {"Europe/Paris"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("choose a zone: %d", res.StatusCode)
	}
	if res, body := c.postForm("/account", url.Values{"csrf_token": {c.csrf}, "time_zone": {"Mars/Olympus"}}); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "IANA") {
		t.Fatalf("an unknown zone: %d", res.StatusCode)
	}
	page = c.page("/sessions")
	if !strings.Contains(page, "2025-03-10T11:10:00+01:00") {
		t.Fatal("sessions are not shown in Europe/Paris")
	}
	// A typed date is a day in the account's zone: 2025-03-10 in Paris starts at 2025-03-09T23:00Z.
	_, page = c.get("/events?kind=access&view=messages&from=2025-03-10+14:00&to=2025-03-10+15:00")
	// act-login is at Base-3h = 09:00Z = 10:00 Paris, act-share at 10:30Z = 11:30 Paris: none between 14:00 and 15:00 Paris.
	if strings.Contains(page, `data-event="act-share"`) || strings.Contains(page, `data-event="act-login"`) {
		t.Fatal("the page read the times as UTC")
	}
	_, page = c.get("/events?kind=access&from=2025-03-10+11:00&to=2025-03-10+12:00")
	if !strings.Contains(page, "act-share") || strings.Contains(page, "act-login") {
		t.Fatal("11:00 to 12:00 Paris should hold act-share only")
	}
	// The API keeps UTC: 10:00 to 11:00 UTC holds act-share (10:30Z).
	if _, out := c.get("/api/v1/events?kind=access&from=2025-03-10T10:00&to=2025-03-10T11:00"); !strings.Contains(out, `"act-share"`) || strings.Contains(out, `"act-login"`) {
		t.Fatalf("API events between 10:00 and 11:00 UTC: %.400s", out)
	}
	if res, _ := c.api("PUT", "/api/v1/me/time_zone", map[string]string{"time_zone": "America/New_York"}, true); res.StatusCode != http.StatusOK {
		t.Fatalf("PUT time_zone: %d", res.StatusCode)
	}
	if res, _ := c.api("PUT", "/api/v1/me/time_zone", map[string]string{"time_zone": "nowhere"}, true); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("PUT a bad time_zone: %d", res.StatusCode)
	}
}

// TestBackfillDateAndTime: the form and the API take a time of day, read in
// the account's zone on the page and in UTC in the API, and refuse empty,
// reversed and future ranges with a message.
func TestBackfillDateAndTime(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	a := login(t, ts, webtest.AdminEmail)
	if res, _ := a.api("PUT", "/api/v1/me/time_zone", map[string]string{"time_zone": "Europe/Paris"}, true); res.StatusCode != http.StatusOK {
		t.Fatal(res.StatusCode)
	}
	page := a.page("/integrations/" + itoa(e.Acme.ID) + "?tab=backfill")
	// The server's clock is Base+24h = 2025-03-11T12:00Z = 13:00 in Paris.
	if !strings.Contains(page, `value="2025-03-11 13:00"`) || !strings.Contains(page, `value="2025-02-11 00:00"`) {
		t.Fatal("the backfill form's defaults are not a date and time in the account's zone")
	}
	res, body := a.postForm("/backfills", url.Values{"csrf_token": {a.csrf}, "integration_id": {itoa(e.Acme.ID)}, "from": {"2025-03-01 08:30"}, "to": {"2025-03-02 18:00"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("form backfill: %d %.300s", res.StatusCode, body)
	}
	var bfs struct {
		Backfills []struct {
			From string `json:"from"`
			To   string `json:"to"`
		} `json:"backfills"`
	}
	a.getJSON("/api/v1/backfills?integration="+itoa(e.Acme.ID), &bfs)
	if len(bfs.Backfills) != 1 || bfs.Backfills[0].From != "2025-03-01T07:30:00Z" || bfs.Backfills[0].To != "2025-03-02T17:00:00Z" {
		t.Fatalf("the form's range was not read in Paris time: %+v", bfs.Backfills)
	}
	res, out := a.api("POST", "/api/v1/backfills", map[string]any{"integration_id": e.Beta.ID, "from": "2025-03-01T08:30", "to": "2025-03-01T09:45:00+01:00"}, true)
	if res.StatusCode != http.StatusCreated || !strings.Contains(out, `"from": "2025-03-01T08:30:00Z"`) || !strings.Contains(out, `"to": "2025-03-01T08:45:00Z"`) {
		t.Fatalf("API backfill with times: %d %s", res.StatusCode, out)
	}
	for _, bad := range []struct{ from, to, want string }{
		{"2025-03-02 10:00", "2025-03-02 09:00", "the range is empty"},
		{"2025-04-01", "2025-04-02", "in the future"},
		{"2025-03-01 8h", "2025-03-02", "from:"},
		{"", "2025-03-02", "give both"},
	} {
		res, body := a.postForm("/backfills", url.Values{"csrf_token": {a.csrf}, "integration_id": {itoa(e.Acme.ID)}, "from": {bad.from}, "to": {bad.to}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, bad.want) {
			t.Errorf("%s..%s: %d, want 400 with %q", bad.from, bad.to, res.StatusCode, bad.want)
		}
	}
}

// page reads a page as the browser shows its text: entities decoded.
func (c *client) page(path string) string {
	c.t.Helper()
	_, body := c.get(path)
	return html.UnescapeString(body)
}
