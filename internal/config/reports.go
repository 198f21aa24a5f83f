package config

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
	// Time zone names load without the host's zoneinfo (distroless and
	// scratch images have none).
	_ "time/tzdata"
)

// Report is a report `claudit serve` e-mails on a schedule: the summary
// and compliance sections of the period just ended, through an email sink.
type Report struct {
	// Name identifies the schedule in logs and on the reports page; unique.
	Name string `yaml:"name"`
	// Every is daily (the previous day) or weekly (the 7 days before the
	// weekday it is sent on), days of report_timezone.
	Every string `yaml:"every"`
	// Weekday is the day a weekly report is sent (default monday).
	Weekday string `yaml:"weekday"`
	// Hour is the hour of report_timezone, 0 to 23, from which the report
	// is sent (default 0: as soon as the period has ended).
	Hour int `yaml:"hour"`
	// Sink names the email sink (under sinks:) whose SMTP server and sender are used.
	Sink string `yaml:"sink"`
	// To lists the recipients (default: the sink's to).
	To []string `yaml:"to"`
	// Format is html (the report in the message, and attached) or md (the
	// Markdown report as text, and attached); default html.
	Format string `yaml:"format"`
	// Integration limits the report to one integration (default: all).
	Integration string `yaml:"integration"`
	// Title heads the report and the subject (default "Claude activity report").
	Title string `yaml:"title"`
}

// WeekdayOf is the day a weekly report is sent, as a time.Weekday.
func (r Report) WeekdayOf() time.Weekday {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(d.String(), r.Weekday) {
			return d
		}
	}
	return time.Monday
}

func (c *Config) applyReportDefaults() {
	for i := range c.Reports {
		r := &c.Reports[i]
		if r.Every == "weekly" && r.Weekday == "" {
			r.Weekday = "monday"
		}
		if r.Format == "" {
			r.Format = "html"
		}
	}
}

// ReportLocation is the time zone of report_timezone (UTC when unset or
// not valid: validation reports the latter).
func (c *Config) ReportLocation() *time.Location {
	loc, err := LoadTimezone(c.ReportTimezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// LoadTimezone loads an IANA time zone by name ("" and "UTC" are UTC), with
// an error that says what a valid name looks like.
func LoadTimezone(name string) (*time.Location, error) {
	if name == "" || strings.EqualFold(name, "utc") {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil || strings.EqualFold(name, "local") {
		return nil, fmt.Errorf("%q is not an IANA time zone name (like Europe/Berlin, America/New_York or UTC)", name)
	}
	return loc, nil
}

func (c *Config) validateReports() []error {
	var errs []error
	if _, err := LoadTimezone(c.ReportTimezone); err != nil {
		errs = append(errs, c.fieldErr("report_timezone", "%v", err))
	}
	seen := map[string]bool{}
	for i, r := range c.Reports {
		f := fmt.Sprintf("reports[%d]", i)
		switch {
		case r.Name == "":
			errs = append(errs, c.fieldErr(f+".name", "is required"))
		case seen[r.Name]:
			errs = append(errs, c.fieldErr(f+".name", "%q is used twice", r.Name))
		}
		seen[r.Name] = true
		switch r.Every {
		case "daily":
			if r.Weekday != "" {
				errs = append(errs, c.fieldErr(f+".weekday", "only a weekly report has a weekday"))
			}
		case "weekly":
			valid := false
			for d := time.Sunday; d <= time.Saturday; d++ {
				valid = valid || strings.EqualFold(d.String(), r.Weekday)
			}
			if !valid {
				errs = append(errs, c.fieldErr(f+".weekday", "%q is not a day of the week (monday … sunday)", r.Weekday))
			}
		default:
			errs = append(errs, c.fieldErr(f+".every", "%q: use daily or weekly", r.Every))
		}
		if r.Hour < 0 || r.Hour > 23 {
			errs = append(errs, c.fieldErr(f+".hour", "%d is outside 0..23 (an hour of the day in report_timezone)", r.Hour))
		}
		if r.Sink == "" {
			errs = append(errs, c.fieldErr(f+".sink", "is required: name an email sink under sinks:"))
		}
		for j, to := range r.To {
			if a, err := mail.ParseAddress(to); err != nil || a.Address != strings.TrimSpace(to) {
				errs = append(errs, c.fieldErr(fmt.Sprintf("%s.to[%d]", f, j), "%q is not an e-mail address (like soc@example.com)", to))
			}
		}
		if r.Format != "html" && r.Format != "md" {
			errs = append(errs, c.fieldErr(f+".format", "%q: use html or md", r.Format))
		}
	}
	return errs
}

// FieldError locates a problem found outside this package (a report's sink
// that is not an email sink) at its line in the file.
func (c *Config) FieldError(field string, format string, args ...any) error {
	return c.fieldErr(field, format, args...)
}
