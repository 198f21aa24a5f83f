// Package report builds the periodic summary a compliance officer sends on:
// activity volume by user, model and day, the policies most violated, open
// alerts and the riskiest users, rendered as Markdown or as one self-contained
// HTML file with inline SVG charts. The store does the aggregation
// (Source); this package shapes and renders it.
package report

import (
	"context"
	"fmt"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// Options selects the period and scope of a report.
type Options struct {
	From, To      time.Time
	IntegrationID int64 // 0 = every integration
	// GeneratedAt is printed in the header; tests fix it for golden files.
	GeneratedAt time.Time
	// Title heads the report; empty means "Claude activity report".
	Title string
	// Compliance, when set, adds the compliance sections citing these facts
	// and the evidence the store counts (Source.Evidence).
	Compliance *Facts
}

// Day is the midnight that starts t's day in loc (nil: UTC), the bound
// callers give a period of whole days.
func Day(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// DefaultTitle heads a report without Options.Title.
const DefaultTitle = "Claude activity report"

// maxDailyBuckets is the longest period shown day by day; longer ones are
// shown by week so tables and charts stay readable.
const maxDailyBuckets = 62

// Report is the rendered model: the store's aggregates plus the period laid
// out in buckets and the chart geometry.
type Report struct {
	Title        string
	From, To     time.Time
	GeneratedAt  time.Time
	AllScope     bool // every integration, not one
	Integrations []string

	Totals store.ReportTotals
	// Unit is "day" or "week"; Buckets cover the whole period, empty ones included.
	Unit    string
	Buckets []Bucket

	Users         []store.UserVolume
	Models        []store.ModelVolume
	ActivityTypes []store.TypeCount
	Policies      []store.PolicyCount
	OpenAlerts    []store.SeverityCount
	OpenTotal     int
	RecentAlerts  []store.Alert
	RiskyUsers    []store.RiskyUser
	// Compliance maps the period onto controls of SOC 2, HIPAA, GDPR,
	// ISO/IEC 42001 and the EU AI Act; empty unless Options.Compliance is set.
	Compliance []Section

	Charts Charts
}

// Bucket is one day or week of the period.
type Bucket struct {
	Start      time.Time
	Label      string
	Prompts    int
	Responses  int
	Activities int
	Violations int
}

// Source is what a report is read from (the store's aggregates).
type Source interface {
	// ReportData aggregates events in [from, to) of one integration (0 = all).
	ReportData(ctx context.Context, from, to time.Time, integrationID int64) (store.ReportData, error)
	// Evidence counts the compliance evidence of [from, to).
	Evidence(ctx context.Context, from, to time.Time) (store.Evidence, error)
}

// Build reads the period's aggregates from the store and lays them out.
func Build(ctx context.Context, r Source, opt Options) (*Report, error) {
	if opt.From.IsZero() || opt.To.IsZero() || !opt.To.After(opt.From) {
		return nil, fmt.Errorf("report period %s to %s: the end must be after the start",
			opt.From.Format(time.RFC3339), opt.To.Format(time.RFC3339))
	}
	d, err := r.ReportData(ctx, opt.From, opt.To, opt.IntegrationID)
	if err != nil {
		return nil, err
	}
	rep := New(d, opt)
	if opt.Compliance != nil {
		e, err := r.Evidence(ctx, opt.From, opt.To)
		if err != nil {
			return nil, err
		}
		rep.Compliance = Compliance(rep, e, *opt.Compliance)
	}
	return rep, nil
}

// New lays out aggregates already read.
func New(d store.ReportData, opt Options) *Report {
	rep := &Report{
		Title:         opt.Title,
		From:          d.From,
		To:            d.To.In(d.From.Location()),
		GeneratedAt:   opt.GeneratedAt.UTC(),
		AllScope:      d.IntegrationID == 0,
		Integrations:  d.Integrations,
		Totals:        d.Totals,
		Users:         d.Users,
		Models:        d.Models,
		ActivityTypes: d.ActivityTypes,
		Policies:      d.Policies,
		OpenAlerts:    d.OpenAlerts,
		RecentAlerts:  d.RecentAlerts,
		RiskyUsers:    d.RiskyUsers,
	}
	if rep.Title == "" {
		rep.Title = DefaultTitle
	}
	if rep.GeneratedAt.IsZero() {
		rep.GeneratedAt = time.Now().UTC()
	}
	for _, a := range d.OpenAlerts {
		rep.OpenTotal += a.Count
	}
	rep.Unit, rep.Buckets = buckets(rep.From, rep.To, d.Days)
	rep.Charts = charts(rep)
	return rep
}

// Days is the period's length in days, rounded up; a day that daylight
// saving time makes 23 or 25 hours long counts as one.
func (r *Report) Days() int {
	civil := func(t time.Time) time.Time {
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	}
	return int((civil(r.To).Sub(civil(r.From)) + 24*time.Hour - 1) / (24 * time.Hour))
}

// Zone names the time zone whose days the report counts ("UTC",
// "Europe/Berlin").
func (r *Report) Zone() string {
	return r.From.Location().String()
}

// buckets covers [from, to) with the days of from's time zone, or
// Monday-based weeks when the period is long, and adds each day's volume to
// its bucket.
func buckets(from, to time.Time, days []store.DayVolume) (string, []Bucket) {
	unit, start := "day", midnight(from)
	last := midnight(to.Add(-time.Microsecond))
	if int(last.Sub(start)/(24*time.Hour))+1 > maxDailyBuckets {
		unit, start, last = "week", monday(start), monday(last)
	}
	step := func(t time.Time) time.Time {
		if unit == "week" {
			return t.AddDate(0, 0, 7)
		}
		return t.AddDate(0, 0, 1)
	}
	var out []Bucket
	index := map[int64]int{} // by the bucket's start in Unix seconds
	for t := start; !t.After(last); t = step(t) {
		index[t.Unix()] = len(out)
		out = append(out, Bucket{Start: t, Label: t.Format("2006-01-02")})
	}
	for _, d := range days {
		key := midnight(d.Day)
		if unit == "week" {
			key = monday(key)
		}
		i, ok := index[key.Unix()]
		if !ok {
			continue
		}
		b := &out[i]
		b.Prompts += d.Prompts
		b.Responses += d.Responses
		b.Activities += d.Activities
		b.Violations += d.Violations
	}
	return unit, out
}

// midnight starts t's day in t's own time zone.
func midnight(t time.Time) time.Time {
	return Day(t, t.Location())
}

func monday(t time.Time) time.Time {
	return t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
}

// userLabel names a user row; the store leaves it empty when neither email nor id is known.
func userLabel(u string) string {
	if u == "" {
		return "(unknown user)"
	}
	return u
}

func modelLabel(m string) string {
	if m == "" {
		return "(model not reported)"
	}
	return m
}

// UsersTruncated reports whether more users were active than listed.
func (r *Report) UsersTruncated() bool {
	return len(r.Users) >= store.ReportTopUsers && r.Totals.Users > len(r.Users)
}

// RiskWeights describes how risk scores are weighed.
func (r *Report) RiskWeights() string {
	return fmt.Sprintf("critical %d, high %d, medium %d, low %d",
		store.RiskWeightCritical, store.RiskWeightHigh, store.RiskWeightMedium, store.RiskWeightLow)
}
