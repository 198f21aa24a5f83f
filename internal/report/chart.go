package report

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Charts are the HTML report's figures, laid out in Go so the template only
// places shapes: no script, no external asset, labels escaped by html/template.
type Charts struct {
	Volume   LineChart
	Users    BarChart
	Models   BarChart
	Types    BarChart
	Policies BarChart
	Alerts   BarChart
	Risk     BarChart
}

// BarChart is a horizontal bar chart, one labelled row per item.
type BarChart struct {
	Title         string
	Width, Height int
	// LabelX is where labels end (right-aligned); bars start at BarX.
	LabelX, BarX int
	Bars         []Bar
}

// Bar is one row of a BarChart, in pixels.
type Bar struct {
	Label string // shortened to fit; Full is the whole label (tooltip)
	Full  string
	Value string
	Class string
	Y     int
	TextY int
	W     int
	H     int
	// ValueX is where the value is written, just after the bar.
	ValueX int
}

// LineChart plots the period's buckets as one line per series.
type LineChart struct {
	Title         string
	Width, Height int
	Left, Right   int // plot area x range
	Top, Bottom   int // plot area y range
	YTicks        []Tick
	XTicks        []Tick
	Series        []Series
}

// Tick is an axis label and its position.
type Tick struct {
	Label string
	Pos   int
}

// Series is one line of a LineChart.
type Series struct {
	Name   string
	Class  string
	Points string // SVG polyline points
	Dots   []Point
}

// Point is a marker on a line.
type Point struct{ X, Y int }

const (
	barWidth   = 720
	barLabelX  = 230 // labels end here
	barStartX  = 240
	barMaxLen  = 380
	barRow     = 24
	barThick   = 16
	barPad     = 6
	labelRunes = 34
	maxXTicks  = 8
	maxDots    = 62
)

func charts(r *Report) Charts {
	var c Charts
	c.Volume = volumeChart(r)

	var bars []barItem
	for _, u := range r.Users {
		bars = append(bars, barItem{userLabel(u.User), u.Messages, "s0"})
	}
	c.Users = barChart("Messages by user", bars)

	bars = nil
	for _, m := range r.Models {
		bars = append(bars, barItem{modelLabel(m.Model), m.Messages, "s1"})
	}
	c.Models = barChart("Messages by model", bars)

	bars = nil
	for _, t := range r.ActivityTypes {
		bars = append(bars, barItem{t.Type, t.Count, "s2"})
	}
	c.Types = barChart("Access events by type", bars)

	bars = nil
	for _, p := range r.Policies {
		bars = append(bars, barItem{p.Policy, p.Violations, severityClass(p.Severity)})
	}
	c.Policies = barChart("Violations by policy", bars)

	bars = nil
	for _, a := range r.OpenAlerts {
		bars = append(bars, barItem{a.Severity, a.Count, severityClass(a.Severity)})
	}
	c.Alerts = barChart("Open alerts by severity", bars)

	bars = nil
	for _, u := range r.RiskyUsers {
		bars = append(bars, barItem{userLabel(u.User), u.Score, "s3"})
	}
	c.Risk = barChart("Risk score by user", bars)
	return c
}

type barItem struct {
	label string
	value int
	class string
}

func barChart(title string, items []barItem) BarChart {
	c := BarChart{Title: title, Width: barWidth, LabelX: barLabelX, BarX: barStartX}
	top := 1
	for _, it := range items {
		top = max(top, it.value)
	}
	for i, it := range items {
		y := barPad + i*barRow
		w := it.value * barMaxLen / top
		if it.value > 0 {
			w = max(w, 2)
		}
		c.Bars = append(c.Bars, Bar{
			Label: shorten(it.label, labelRunes), Full: it.label, Value: thousands(int64(it.value)), Class: it.class,
			Y: y, TextY: y + barThick - 4, W: w, H: barThick, ValueX: barStartX + w + 6,
		})
	}
	c.Height = 2*barPad + len(items)*barRow
	return c
}

func volumeChart(r *Report) LineChart {
	c := LineChart{Title: "Volume per " + r.Unit, Width: 720, Height: 260, Left: 56, Right: 680, Top: 16, Bottom: 216}
	type series struct {
		name, class string
		v           func(Bucket) int
	}
	all := []series{
		{"Prompts", "s0", func(b Bucket) int { return b.Prompts }},
		{"Responses", "s1", func(b Bucket) int { return b.Responses }},
		{"Access events", "s2", func(b Bucket) int { return b.Activities }},
		{"Violations", "s3", func(b Bucket) int { return b.Violations }},
	}
	top := 0
	for _, b := range r.Buckets {
		for _, s := range all {
			top = max(top, s.v(b))
		}
	}
	step := niceStep(top)
	ymax := step * 4
	for i := 0; i <= 4; i++ {
		c.YTicks = append(c.YTicks, Tick{Label: thousands(int64(i * step)), Pos: c.Bottom - i*(c.Bottom-c.Top)/4})
	}
	n := len(r.Buckets)
	x := func(i int) int {
		if n <= 1 {
			return (c.Left + c.Right) / 2
		}
		return c.Left + i*(c.Right-c.Left)/(n-1)
	}
	y := func(v int) int { return c.Bottom - v*(c.Bottom-c.Top)/ymax }
	every := (n + maxXTicks - 1) / maxXTicks
	for i, b := range r.Buckets {
		if i%max(every, 1) == 0 {
			c.XTicks = append(c.XTicks, Tick{Label: b.Start.Format("Jan 2"), Pos: x(i)})
		}
	}
	for _, s := range all {
		ln := Series{Name: s.name, Class: s.class}
		pts := make([]string, 0, n)
		for i, b := range r.Buckets {
			px, py := x(i), y(s.v(b))
			pts = append(pts, strconv.Itoa(px)+","+strconv.Itoa(py))
			if n <= maxDots {
				ln.Dots = append(ln.Dots, Point{px, py})
			}
		}
		ln.Points = strings.Join(pts, " ")
		c.Series = append(c.Series, ln)
	}
	return c
}

// niceStep is the smallest 1, 2 or 5 × 10^k with 4 steps reaching top.
func niceStep(top int) int {
	for mag := 1; ; mag *= 10 {
		for _, m := range []int{1, 2, 5} {
			if m*mag*4 >= top {
				return m * mag
			}
		}
	}
}

// severityClass maps a severity to a CSS class; unknown values get a neutral one.
func severityClass(s string) string {
	switch s {
	case "critical", "high", "medium", "low", "info":
		return "sev-" + s
	}
	return "sev-other"
}

func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// thousands writes n with comma separators: 12,345.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
