package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/config"
	"github.com/claudit/claudit/internal/report"
)

func init() {
	register("report", "write a period summary for compliance (Markdown or HTML)", cmdReport)
}

func cmdReport(ctx context.Context, args []string) error {
	fs := newFlags("report", "[--from TIME] [--to TIME] [--format md|html] [--integration NAME] [--out FILE]", `
Summarises a period of stored activity for a compliance officer: volume by
day, user and model (prompts, responses, estimated tokens), access events by
type, the policies most violated, open alerts and the riskiest users (each
violation weighs critical 10, high 5, medium 2, low 1), then the evidence
claudit holds for SOC 2 CC7.2, HIPAA §164.312(b), GDPR Art. 30 and 32,
ISO/IEC 42001 and the EU AI Act (--compliance=false leaves it out); its
links point at base_url when the config sets it.

Markdown renders as tables; HTML is one self-contained file with inline SVG
charts (no script, nothing loaded from elsewhere) that prints cleanly to PDF
from a browser. Times are RFC 3339 (2026-11-01T00:00:00Z) or a date
(2026-11-01, midnight in the report's time zone); the period includes
--from and excludes --to. Days are those of --tz (default the config's
report_timezone, else UTC). Without --from and --to the report covers the
last 7 days.

Examples:
  claudit report --out weekly.html
  claudit report --from 2026-10-01 --to 2026-11-01 --format md --integration acme
  claudit report --tz America/New_York --from 2026-11-01 --to 2026-11-08`)
	cfgPath := configFlag(fs)
	fromS := fs.String("from", "", "start of the period, inclusive (default: 7 days before --to)")
	toS := fs.String("to", "", "end of the period, exclusive (default: now)")
	format := fs.String("format", "", "md or html (default: html when --out ends in .html, else md)")
	integration := fs.String("integration", "", "only this integration (default: all)")
	out := fs.String("out", "", "write to this file instead of stdout")
	title := fs.String("title", report.DefaultTitle, "heading of the report")
	compliance := fs.Bool("compliance", true, "add the compliance sections (SOC 2, HIPAA, GDPR, ISO/IEC 42001, EU AI Act)")
	tz := fs.String("tz", "", "IANA time zone whose days the report counts, like Europe/Berlin (default: the config's report_timezone, else UTC)")
	if err := parse(fs, args); err != nil {
		return err
	}
	var loc *time.Location
	if *tz != "" {
		var err error
		if loc, err = config.LoadTimezone(*tz); err != nil {
			return fmt.Errorf("--tz: %w", err)
		}
	}
	f := strings.ToLower(*format)
	if f == "" {
		f = "md"
		if ext := strings.ToLower(filepath.Ext(*out)); ext == ".html" || ext == ".htm" {
			f = "html"
		}
	}
	if f == "markdown" {
		f = "md"
	}
	if f != "md" && f != "html" {
		return fmt.Errorf("--format %q: use md or html (for PDF, print the HTML report from a browser)", *format)
	}

	a, err := openApp(ctx, fs, *cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	if loc == nil {
		loc = a.Config.ReportLocation()
	}
	now := time.Now().In(loc)
	to, err := reportTime("--to", *toS, now, loc)
	if err != nil {
		return err
	}
	from, err := reportTime("--from", *fromS, to.AddDate(0, 0, -7), loc)
	if err != nil {
		return err
	}
	if !to.After(from) {
		return fmt.Errorf("--to %s is not after --from %s: give a later --to or an earlier --from", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	opt := report.Options{From: from, To: to, GeneratedAt: now, Title: *title}
	if *compliance {
		facts := a.ReportFacts()
		opt.Compliance = &facts
	}
	if *integration != "" {
		in, err := a.Store.Integration(ctx, *integration)
		if err != nil {
			return fmt.Errorf("%w (list integrations in the config or the dashboard)", err)
		}
		opt.IntegrationID = in.ID
	}
	rep, err := report.Build(ctx, a.Store, opt)
	if err != nil {
		return err
	}
	// Render fully before creating the file so a failure leaves no partial report.
	var buf bytes.Buffer
	if err := report.Render(&buf, rep, f); err != nil {
		return err
	}
	if *out == "" {
		_, err := os.Stdout.Write(buf.Bytes())
		return err
	}
	// Reports name users and findings: readable by the owner only.
	if err := os.WriteFile(*out, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	fmt.Fprintf(os.Stderr, "wrote %s report for %s to %s to %s\n", f, from.Format(time.RFC3339), to.Format(time.RFC3339), *out)
	return nil
}

// reportTime parses an RFC 3339 time or a date (midnight UTC); empty is def.
func reportTime(flag, v string, def time.Time, loc *time.Location) (time.Time, error) {
	if v == "" {
		return def, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.In(loc), nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, v, loc); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%s %q is not RFC 3339 (like 2026-11-01T00:00:00Z) or a date (2026-11-01)", flag, v)
}
