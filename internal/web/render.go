package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// pageTemplate is one page parsed together with the layout and partials.
type pageTemplate struct{ t *template.Template }

// pageData is what every page template receives. Only escaped text ever
// reaches the browser: no template.HTML is built from stored data.
type pageData struct {
	Title string
	Nav   string
	Me    *store.Account
	CSRF  string
	Flash string
	Error string
	// Redacted tells templates that PII and secrets are masked for this account.
	Redacted bool
	// Now is the server clock, for "5m ago".
	Now time.Time
	// Zone names the zone times are shown in; ZoneUnset asks app.js to
	// send the browser's zone (the account has none yet).
	Zone      string
	ZoneUnset bool
	Data      any
}

// funcs are the template functions; funcsIn adds those that show times
// (fmtTime, fmtDate, fmtEndDate, zoneName) in a display zone.
var funcs = template.FuncMap{
	"ago":     ago,
	"fmtRisk": fmtRisk,
	"riskClass": func(score float64) string {
		return "risk risk-" + riskLevel(score)
	},
	"healthOf": func(in store.Integration) IntegrationHealth { return healthOf(&in) },
	"join":     strings.Join,
	"pct":      pct,
	"add":      func(a, b int) int { return a + b },
	"trunc":    func(s string, n int) string { return shorten(s, n) },
	"sevClass": func(s string) string { return "sev sev-" + classSafe(s) },
	"statusClass": func(s string) string {
		return "status status-" + classSafe(s)
	},
	"roleAtLeast": func(a *store.Account, role string) bool { return a != nil && roleRank(a.Role) >= roleRank(role) },
	"json": func(v any) string {
		b, _ := json.MarshalIndent(v, "", "  ")
		return string(b)
	},
	"qset": qset,
	"tagside": func(side string, t *tagSummary) any {
		return struct {
			Side string
			Tags *tagSummary
		}{side, t}
	},
	"pathEsc": url.PathEscape,
	"exportURL": func(q url.Values, format string) string {
		c := url.Values{}
		for k, v := range q {
			c[k] = v
		}
		c.Set("format", format)
		return "/export?" + c.Encode()
	},
}

func parsePages(fm template.FuncMap) (map[string]*pageTemplate, error) {
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*pageTemplate{}
	for _, n := range names {
		base := strings.TrimPrefix(n, "templates/")
		if base == "layout.html" || base == "partials.html" {
			continue
		}
		t, err := template.New(base).Funcs(fm).ParseFS(assets, "templates/layout.html", "templates/partials.html", n)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", base, err)
		}
		out[base] = &pageTemplate{t: t}
	}
	return out, nil
}

// render executes a page into a buffer first so a template error never
// sends half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *pageData) {
	pages, loc := s.pages, time.UTC
	id := identityFrom(r)
	if id != nil && id.loc != nil && id.loc != time.UTC {
		zp, err := s.zonePages.get(id.loc)
		if err != nil {
			s.log.Warn("pages in a display zone", "zone", id.loc.String(), "err", err)
		} else {
			pages, loc = zp, id.loc
		}
	}
	pt, ok := pages[name]
	if !ok {
		http.Error(w, "template "+name+" missing", http.StatusInternalServerError)
		return
	}
	if id != nil && p.Me == nil {
		p.Me, p.CSRF, p.Redacted = id.Account, id.csrf(), id.redacted()
	}
	p.Zone = loc.String()
	p.ZoneUnset = id != nil && id.pageZone && id.zone == "" && id.Session != nil
	if p.Flash == "" {
		p.Flash = s.takeFlash(w, r)
	}
	p.Now = s.now()
	var buf bytes.Buffer
	entry := "layout"
	if name == "login.html" {
		entry = "bare"
	}
	if err := pt.t.ExecuteTemplate(&buf, entry, p); err != nil {
		s.log.Error("render page", "page", name, "err", err)
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// renderStatus shows an error page (403, 404, 500) with a message.
func (s *Server) renderStatus(w http.ResponseWriter, r *http.Request, id *identity, status int, msg string) {
	p := &pageData{Title: http.StatusText(status), Error: msg}
	if id != nil {
		p.Me, p.CSRF, p.Redacted = id.Account, id.csrf(), id.redacted()
	}
	s.render(w, r, status, "status.html", p)
}

// fail maps an error to a page: not found is 404, anything else 500 (logged).
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

func pct(done, total int) int {
	if total <= 0 {
		return 0
	}
	return done * 100 / total
}

// shorten cuts s to n runes with an ellipsis, on rune boundaries.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// classSafe keeps a class name suffix to [a-z0-9_-].
func classSafe(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// qset returns "?query" with key set to value (removed when value is "").
func qset(q url.Values, kv ...string) string {
	c := url.Values{}
	for k, v := range q {
		c[k] = append([]string(nil), v...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			c.Del(kv[i])
		} else {
			c.Set(kv[i], kv[i+1])
		}
	}
	if len(c) == 0 {
		return "?"
	}
	return "?" + c.Encode()
}

func parseID(s string) (int64, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 {
		return 0, badf("invalid id %q", s)
	}
	return v, nil
}

// prettyJSON indents raw JSON for display (as text, escaped by the template).
func prettyJSON(raw []byte) string {
	if len(raw) == 0 {
		return ""
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return string(raw)
	}
	return buf.String()
}

// decodeJSON reads a JSON body of at most 1 MiB, rejecting unknown fields.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badf("invalid JSON body: %v", err)
	}
	return nil
}
