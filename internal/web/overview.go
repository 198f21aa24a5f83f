package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// barChart is a server-rendered SVG bar chart: only numbers and escaped
// labels go into the template, no markup built in Go.
type barChart struct {
	Width, Height int
	Bars          []chartBar
	Labels        []chartLabel
	Max           int
}

type chartBar struct {
	X, Y, W, H int
	Class      string
	Title      string
}

type chartLabel struct {
	X, Y   int
	Text   string
	Anchor string
}

const chartW, chartH, chartPad = 760, 200, 28

// volumeChart draws prompts, access events and violations per day as grouped bars.
func volumeChart(days []store.DayCount) barChart {
	c := barChart{Width: chartW, Height: chartH}
	for _, d := range days {
		c.Max = max(c.Max, d.Prompts, d.Access)
	}
	if len(days) == 0 {
		return c
	}
	top := max(c.Max, 1)
	plotH := chartH - 2*chartPad
	slot := (chartW - 2*chartPad) / len(days)
	bw := max(slot/4, 1)
	h := func(v int) int { return v * plotH / top }
	for i, d := range days {
		x := chartPad + i*slot + max((slot-3*bw)/2, 0)
		day := d.Day.Format(time.DateOnly)
		for j, s := range []struct {
			v     int
			class string
			what  string
		}{{d.Prompts, "bar-prompt", "prompt events"}, {d.Access, "bar-access", "access events"}, {d.Violations, "bar-violation", "with violations"}} {
			bh := h(s.v)
			c.Bars = append(c.Bars, chartBar{X: x + j*bw, Y: chartH - chartPad - bh, W: bw, H: bh, Class: s.class,
				Title: fmt.Sprintf("%s: %d %s", day, s.v, s.what)})
		}
		if len(days) <= 16 || i%(len(days)/8+1) == 0 {
			c.Labels = append(c.Labels, chartLabel{X: chartPad + i*slot + slot/2, Y: chartH - 8, Text: d.Day.Format("01-02"), Anchor: "middle"})
		}
	}
	c.Labels = append(c.Labels,
		chartLabel{X: chartPad - 4, Y: chartPad + 4, Text: strconv.Itoa(c.Max), Anchor: "end"},
		chartLabel{X: chartPad - 4, Y: chartH - chartPad, Text: "0", Anchor: "end"})
	return c
}

type overviewData struct {
	Days         int
	Overview     *store.Overview
	Chart        barChart
	Integrations []store.Integration
	OpenAlerts   []store.Alert
	AlertsOn     bool
	MaxPolicy    int
	MaxUser      int
	MaxModel     int
	Counts       store.Counts
	// RiskyUsers are the users with the highest risk scores now.
	RiskyUsers []store.UserRisk
}

func (s *Server) loadOverview(r *http.Request) (*overviewData, error) {
	ctx := r.Context()
	days := 14
	if v := r.URL.Query().Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 366 {
			return nil, badf("days %q: use 1 to 366", v)
		}
		days = n
	}
	var iid int64
	if v := r.URL.Query().Get("integration"); v != "" {
		var err error
		if iid, err = s.integrationParam(ctx, v); err != nil {
			return nil, err
		}
	}
	to := s.now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	from := to.AddDate(0, 0, -days)
	o, err := s.ws.Overview(ctx, iid, from, to, 8)
	if err != nil {
		return nil, err
	}
	d := &overviewData{Days: days, Overview: o, Chart: volumeChart(o.Days), AlertsOn: s.alerts != nil}
	if d.Integrations, err = s.st.Integrations(ctx); err != nil {
		return nil, err
	}
	if s.alerts != nil {
		if d.OpenAlerts, err = s.alerts.Alerts(ctx, store.AlertFilter{IntegrationID: iid, Status: store.AlertOpen, Limit: 10}); err != nil {
			return nil, err
		}
		if identityFrom(r).redacted() {
			redactAlerts(d.OpenAlerts)
		}
	}
	if rs := s.riskStore(); rs != nil {
		if d.RiskyUsers, err = rs.UserRisks(ctx, store.RiskFilter{IntegrationID: iid, Limit: 8, RiskParams: s.riskParams()}); err != nil {
			return nil, err
		}
	}
	for _, nc := range o.ByPolicy {
		d.MaxPolicy = max(d.MaxPolicy, nc.Count)
	}
	for _, nc := range o.TopUsers {
		d.MaxUser = max(d.MaxUser, nc.Count)
	}
	for _, nc := range o.Models {
		d.MaxModel = max(d.MaxModel, nc.Count)
	}
	return d, nil
}

func (s *Server) overviewPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.loadOverview(r)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "overview.html", &pageData{Title: "Overview", Nav: "overview", Data: d})
	return nil
}

func (s *Server) apiOverview(w http.ResponseWriter, r *http.Request) error {
	d, err := s.loadOverview(r)
	if err != nil {
		return err
	}
	type syncInfo struct {
		ID           int64     `json:"id"`
		Name         string    `json:"name"`
		Paused       bool      `json:"paused"`
		LastSyncedAt time.Time `json:"last_synced_at"`
		LastError    string    `json:"last_error,omitempty"`
		Status       string    `json:"status"`
	}
	syncs := make([]syncInfo, 0, len(d.Integrations))
	for _, in := range d.Integrations {
		syncs = append(syncs, syncInfo{in.ID, in.Name, in.Paused, in.LastSyncedAt, in.LastError, healthOf(&in).Status})
	}
	if d.OpenAlerts == nil {
		d.OpenAlerts = []store.Alert{}
	}
	if d.RiskyUsers == nil {
		d.RiskyUsers = []store.UserRisk{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"overview": d.Overview, "open_alerts": d.OpenAlerts, "integrations": syncs, "risky_users": d.RiskyUsers})
	return nil
}
