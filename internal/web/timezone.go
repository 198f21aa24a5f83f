package web

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/claudit/claudit/internal/config"
)

// isoTime is how the dashboard shows a time: ISO 8601 with the offset of
// the account's zone ("Z" in UTC).
const isoTime = "2006-01-02T15:04:05Z07:00"

// commonZones are offered first in the account page's zone list; any IANA
// zone name is accepted.
var commonZones = []string{"UTC", "America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York", "America/Sao_Paulo",
	"Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Europe/Madrid", "Europe/Rome", "Europe/Amsterdam",
	"Europe/Zurich", "Europe/Stockholm", "Europe/Warsaw", "Europe/Athens", "Europe/Helsinki", "Europe/Istanbul", "Africa/Johannesburg",
	"Asia/Dubai", "Asia/Kolkata", "Asia/Singapore", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Tokyo", "Asia/Seoul", "Australia/Sydney",
	"Pacific/Auckland"}

// loadZone reads the account's display zone into the identity: "" (shown
// as UTC) until the account chose one or the browser's was detected.
func (s *Server) loadZone(ctx context.Context, id *identity) {
	id.loc = time.UTC
	if id.Account == nil {
		return
	}
	st, err := s.ws.AccountSettings(ctx, id.Account.ID)
	if err != nil {
		s.log.Warn("read account settings", "account", id.Account.Email, "err", err)
		return
	}
	if loc, err := parseZone(st.TimeZone); err == nil && st.TimeZone != "" {
		id.zone, id.loc = st.TimeZone, loc
	}
}

// parseZone checks an IANA zone name.
func parseZone(name string) (*time.Location, error) {
	name = strings.TrimSpace(name)
	if name == "" || strings.ContainsAny(name, " \\") || len(name) > 64 {
		return nil, badf("time zone %q: use an IANA name like Europe/Paris or UTC", name)
	}
	loc, err := config.LoadTimezone(name)
	if err != nil {
		return nil, badf("time zone %q is unknown: use an IANA name like Europe/Paris or America/New_York", name)
	}
	return loc, nil
}

// locFrom is the display zone of the page being served: the account's
// zone on pages, UTC for the JSON API (its dates are UTC by contract).
func locFrom(ctx context.Context) *time.Location {
	if id, _ := ctx.Value(ctxKey{}).(*identity); id != nil && id.loc != nil && id.pageZone {
		return id.loc
	}
	return time.UTC
}

// parseWhen reads a filter time: a date (midnight in loc; the next
// midnight for an end), a date and time of day in loc ("2025-01-31 14:30"
// or "2025-01-31T14:30", seconds optional), or RFC 3339 with its offset.
func parseWhen(loc *time.Location, v string, end bool) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, v, loc); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, badf("time %q: use YYYY-MM-DD, YYYY-MM-DD HH:MM (%s) or RFC 3339 (2025-01-31T12:00:00Z)", v, loc)
}

// funcsIn are the template functions with times shown in loc.
func funcsIn(loc *time.Location) template.FuncMap {
	fm := template.FuncMap{}
	for k, v := range funcs {
		fm[k] = v
	}
	fm["fmtTime"] = func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(loc).Format(isoTime)
	}
	date := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format(time.DateOnly)
	}
	fm["fmtDate"] = date
	// fmtClock is fmtTime's part after the date ("T15:04:05+01:00"), so a
	// narrow column can break a time between its date and its clock.
	fm["fmtClock"] = func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format("T15:04:05Z07:00")
	}
	// fmtEndDate shows an exclusive range end as the last day it includes.
	fm["fmtEndDate"] = func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return date(t.Add(-time.Microsecond))
	}
	fm["zoneName"] = func() string { return loc.String() }
	return fm
}

// zonePages parses the pages once per display zone in use.
type zonePages struct {
	mu    sync.Mutex
	zones map[string]map[string]*pageTemplate
}

// maxZonePages bounds the parsed copies; past it, pages show in UTC.
const maxZonePages = 64

func (z *zonePages) get(loc *time.Location) (map[string]*pageTemplate, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if p, ok := z.zones[loc.String()]; ok {
		return p, nil
	}
	if len(z.zones) >= maxZonePages {
		return nil, fmt.Errorf("more than %d display time zones in use", maxZonePages)
	}
	p, err := parsePages(funcsIn(loc))
	if err != nil {
		return nil, err
	}
	if z.zones == nil {
		z.zones = map[string]map[string]*pageTemplate{}
	}
	z.zones[loc.String()] = p
	return p, nil
}

// ---- the account page ----

type accountData struct {
	Zone      string // "" until set
	Zones     []string
	Effective string
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) error {
	id := identityFrom(r)
	d := accountData{Zone: id.zone, Zones: commonZones, Effective: id.loc.String()}
	s.render(w, r, http.StatusOK, "account.html", &pageData{Title: "Your account", Nav: "account", Data: d})
	return nil
}

// accountZoneSubmit saves the account's display zone. With detected=1 (the
// browser's zone, sent by app.js) it only fills a zone not chosen yet.
func (s *Server) accountZoneSubmit(w http.ResponseWriter, r *http.Request) error {
	id := identityFrom(r)
	detected := r.PostFormValue("detected") == "1"
	if err := s.setZone(r, id, r.PostFormValue("time_zone"), detected); err != nil {
		if detected {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return nil
		}
		return err
	}
	if detected {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	s.setFlash(w, "Times are shown in "+strings.TrimSpace(r.PostFormValue("time_zone"))+".")
	http.Redirect(w, r, "/account", http.StatusSeeOther)
	return nil
}

// apiAccountZone sets the display zone: {"time_zone": "Europe/Paris"}.
func (s *Server) apiAccountZone(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		TimeZone string `json:"time_zone"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.setZone(r, identityFrom(r), in.TimeZone, false); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"time_zone": strings.TrimSpace(in.TimeZone)})
	return nil
}

func (s *Server) setZone(r *http.Request, id *identity, zone string, onlyIfUnset bool) error {
	zone = strings.TrimSpace(zone)
	if _, err := parseZone(zone); err != nil {
		return err
	}
	if onlyIfUnset && id.zone != "" {
		return nil
	}
	if err := s.ws.SetAccountTimeZone(r.Context(), id.Account.ID, zone, s.now()); err != nil {
		return err
	}
	detail := "time_zone=" + zone
	if onlyIfUnset {
		detail += " (detected from the browser)"
	}
	s.audit(r, "update", "account", id.Account.Email, detail)
	return nil
}
