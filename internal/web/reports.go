package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/claudit/claudit/internal/report"
	"github.com/claudit/claudit/internal/store"
)

// ReportSchedule is a scheduled report as the reports page lists it.
type ReportSchedule struct {
	Name       string   `json:"name"`
	Every      string   `json:"every"` // "daily" or "weekly"
	Format     string   `json:"format"`
	Recipients []string `json:"recipients"`
}

// reportCSP lets the standalone HTML report be framed by the reports page
// and keep its inline CSS; it has no script and loads nothing.
const reportCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; form-action 'none'; base-uri 'none'"

type reportsData struct {
	Integrations []store.Integration
	Integration  int64
	// From and To are the form's dates; To is the last day included.
	From, To string
	Report   *report.Report
	// Query is the period and scope; ViewURL, HTMLURL and MarkdownURL
	// show and download the report of it.
	Query                         url.Values
	ViewURL, HTMLURL, MarkdownURL string
	Schedules                     []ReportSchedule
	Runs                          []store.ReportRun
}

// buildReport reads the period the query names (default: the last 7 days,
// today included) in the query's tz, else report_timezone, else the
// account's display zone on pages and UTC in the API, and builds the report
// with its compliance sections.
func (s *Server) buildReport(r *http.Request) (*reportsData, error) {
	ctx, q := r.Context(), r.URL.Query()
	loc := s.cfg.ReportLocation
	if loc == nil {
		loc = locFrom(ctx)
	}
	if v := q.Get("tz"); v != "" {
		var err error
		if loc, err = parseZone(v); err != nil {
			return nil, err
		}
	}
	today := report.Day(s.now(), loc)
	to, from := today.AddDate(0, 0, 1), today.AddDate(0, 0, -6)
	var err error
	if v := q.Get("to"); v != "" {
		if to, err = parseReportDay("to", v, loc); err != nil {
			return nil, err
		}
		to = to.AddDate(0, 0, 1)
	}
	if v := q.Get("from"); v != "" {
		if from, err = parseReportDay("from", v, loc); err != nil {
			return nil, err
		}
	} else if q.Get("to") != "" {
		from = to.AddDate(0, 0, -7)
	}
	if !to.After(from) {
		return nil, badf("the period ends (%s) before it starts (%s): pick a later end or an earlier start", to.AddDate(0, 0, -1).Format(time.DateOnly), from.Format(time.DateOnly))
	}
	if from.AddDate(0, 0, 366).Before(to) {
		return nil, badf("the period is longer than 366 days: split it into shorter reports")
	}
	d := &reportsData{From: from.Format(time.DateOnly), To: to.AddDate(0, 0, -1).Format(time.DateOnly), Schedules: s.cfg.ReportSchedules}
	if d.Integrations, err = s.st.Integrations(ctx); err != nil {
		return nil, err
	}
	if v := q.Get("integration"); v != "" {
		if d.Integration, err = s.integrationParam(ctx, v); err != nil {
			return nil, err
		}
	}
	d.Query = url.Values{"from": {d.From}, "to": {d.To}}
	if q.Get("tz") != "" {
		d.Query.Set("tz", loc.String())
	}
	if d.Integration != 0 {
		d.Query.Set("integration", fmt.Sprint(d.Integration))
	}
	d.ViewURL = "/reports/view?" + d.Query.Encode()
	d.HTMLURL = "/reports/download?" + qset(d.Query, "format", "html")[1:]
	d.MarkdownURL = "/reports/download?" + qset(d.Query, "format", "md")[1:]
	facts := s.reportFacts()
	facts.BaseURL = "" // links stay in this dashboard
	d.Report, err = report.Build(ctx, s.st, report.Options{From: from, To: to, IntegrationID: d.Integration, GeneratedAt: s.now(), Compliance: &facts})
	if err != nil {
		return nil, err
	}
	if d.Runs, err = s.st.ReportRuns(ctx, 20); err != nil {
		return nil, err
	}
	return d, nil
}

// ReportFacts are the configuration facts the compliance sections cite.
func (s *Server) reportFacts() report.Facts {
	f := report.Facts{RetentionDays: s.cfg.RetentionDays, KeysSealed: len(s.cfg.SecretKey) > 0, BaseURL: s.cfg.BaseURL}
	for _, p := range s.policyList() {
		f.Policies = append(f.Policies, report.PolicyFact{Name: p.Name, Enabled: p.Enabled})
	}
	return f
}

func parseReportDay(name, v string, loc *time.Location) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, v, loc)
	if err != nil {
		return t, badf("%s %q: use a date like 2026-11-01 (YYYY-MM-DD, a day of %s)", name, v, loc)
	}
	return t, nil
}

func (s *Server) reportsPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.buildReport(r)
	if err != nil {
		return err
	}
	s.audit(r, "view", "report", d.From+"/"+d.To, d.Query.Encode())
	s.render(w, r, http.StatusOK, "reports.html", &pageData{Title: "Reports", Nav: "reports", Data: d})
	return nil
}

// reportView serves the standalone HTML report the reports page frames.
func (s *Server) reportView(w http.ResponseWriter, r *http.Request) error {
	return s.reportFile(w, r, false)
}

// reportDownload serves the report as an attachment: format md or html.
func (s *Server) reportDownload(w http.ResponseWriter, r *http.Request) error {
	return s.reportFile(w, r, true)
}

func (s *Server) reportFile(w http.ResponseWriter, r *http.Request, attach bool) error {
	d, err := s.buildReport(r)
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "html"
	}
	if format != "html" && format != "md" {
		return badf("format %q: use html or md", format)
	}
	var buf bytes.Buffer
	if err := report.Render(&buf, d.Report, format); err != nil {
		return err
	}
	action := "view"
	if attach {
		action = "download"
	}
	s.audit(r, action, "report", d.From+"/"+d.To, d.Query.Encode()+"&format="+format)
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if format == "md" {
		h.Set("Content-Type", "text/markdown; charset=utf-8")
	} else {
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", reportCSP)
		h.Set("X-Frame-Options", "SAMEORIGIN")
	}
	if attach {
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="claudit-report-%s-to-%s.%s"`, d.From, d.To, format))
	}
	w.Write(buf.Bytes())
	return nil
}

// apiReport returns the report as JSON (totals, tables and compliance
// sections), or rendered with format=md or html.
func (s *Server) apiReport(w http.ResponseWriter, r *http.Request) error {
	switch f := r.URL.Query().Get("format"); f {
	case "md", "html":
		// The rendered report answers its errors as the reports page
		// does, with the HTML error page.
		if err := s.reportFile(w, r, false); err != nil {
			s.fail(w, r, err)
		}
		return nil
	case "", "json":
	default:
		return badf("format %q: use json, md or html", f)
	}
	d, err := s.buildReport(r)
	if err != nil {
		return err
	}
	s.audit(r, "view", "report", d.From+"/"+d.To, d.Query.Encode())
	rep := d.Report
	writeJSON(w, http.StatusOK, map[string]any{
		"from": rep.From, "to": rep.To, "integrations": rep.Integrations, "totals": rep.Totals,
		"users": rep.Users, "models": rep.Models, "activity_types": rep.ActivityTypes, "policies": rep.Policies,
		"open_alerts": rep.OpenAlerts, "risky_users": rep.RiskyUsers, "compliance": rep.Compliance,
		"schedules": d.Schedules, "runs": d.Runs,
	})
	return nil
}

// sendReport sends a schedule's latest period at once (a test that the
// mail arrives); the scheduled sending of the period still happens.
func (s *Server) sendReport(r *http.Request) (string, error) {
	name := r.PathValue("name")
	known := false
	for _, sc := range s.cfg.ReportSchedules {
		known = known || sc.Name == name
	}
	if !known || s.cfg.SendReport == nil {
		return "", badf("no scheduled report named %q: schedules are under reports: in the config file", name)
	}
	what, err := s.cfg.SendReport(r.Context(), name)
	if err != nil {
		s.audit(r, "send", "report", name, "failed: "+err.Error())
		return "", badf("report %s was not sent: %v", name, err)
	}
	s.audit(r, "send", "report", name, what)
	return what, nil
}

func (s *Server) reportSendSubmit(w http.ResponseWriter, r *http.Request) error {
	what, err := s.sendReport(r)
	if err != nil {
		return err
	}
	s.setFlash(w, "Sent: "+what+".")
	http.Redirect(w, r, "/reports", http.StatusSeeOther)
	return nil
}

func (s *Server) apiReportSend(w http.ResponseWriter, r *http.Request) error {
	what, err := s.sendReport(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"sent": what})
	return nil
}
