package report

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// Schedule is a report sent on a schedule: the period just ended, every
// day or week, from an hour of the day in Location.
type Schedule struct {
	Name string
	// Every is "daily" (the previous day) or "weekly" (the 7 days before
	// Weekday).
	Every   string
	Weekday time.Weekday
	Hour    int
	// Location is the time zone of the days and the hour (nil: UTC).
	Location *time.Location
	To       []string
	// Format is "html" (the report is the message, and attached) or "md".
	Format        string
	IntegrationID int64
	Title         string
}

// Period is the latest period of s due at now: [from, to), sent from due.
// Days and the hour are those of s.Location, so a period is 23 or 25 hours
// longer or shorter across a change of daylight saving time.
func (s Schedule) Period(now time.Time) (from, to, due time.Time) {
	day := Day(now, s.Location)
	// The hour on the clock of day d, also on a day that daylight saving
	// time lengthens or shortens.
	at := func(d time.Time) time.Time {
		return time.Date(d.Year(), d.Month(), d.Day(), s.Hour, 0, 0, 0, d.Location())
	}
	if s.Every == "weekly" {
		to = day.AddDate(0, 0, -((int(day.Weekday()) - int(s.Weekday) + 7) % 7))
		if now.Before(at(to)) {
			to = to.AddDate(0, 0, -7)
		}
		return to.AddDate(0, 0, -7), to, at(to)
	}
	to = day
	if now.Before(at(to)) {
		to = to.AddDate(0, 0, -1)
	}
	return to.AddDate(0, 0, -1), to, at(to)
}

// Mail is a rendered report ready to send.
type Mail struct {
	To      []string
	Subject string
	Text    string
	HTML    string // "" for a Markdown report
	// File is the report as an attachment, named FileName.
	File     []byte
	FileName string
	FileType string
}

// RunStore records which periods were sent (store.ReportRun).
type RunStore interface {
	ClaimReportRun(ctx context.Context, r store.ReportRun, retryAfter time.Time, maxAttempts int) (bool, error)
	FinishReportRun(ctx context.Context, schedule string, periodEnd, sentAt time.Time, errText string) error
}

// Scheduler sends scheduled reports. Each period of each schedule is
// claimed in the store first, so several processes and restarts send it
// once; a failed sending is tried again after RetryAfter, MaxAttempts times.
type Scheduler struct {
	Source    Source
	Runs      RunStore
	Schedules []Schedule
	// Facts are cited by the compliance sections; their BaseURL makes the
	// evidence links absolute.
	Facts Facts
	// Send delivers a rendered report (through the SMTP server of an email sink).
	Send        func(ctx context.Context, s Schedule, m Mail) error
	Now         func() time.Time
	Log         *slog.Logger
	RetryAfter  time.Duration // default 15m
	MaxAttempts int           // default 3
}

// Run checks the schedules every interval until ctx ends.
func (sc *Scheduler) Run(ctx context.Context, interval time.Duration) {
	for {
		sc.RunOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

// RunOnce sends every period due and not sent yet; it returns how many it sent.
func (sc *Scheduler) RunOnce(ctx context.Context) int {
	now, log := time.Now, sc.Log
	if sc.Now != nil {
		now = sc.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	retry, attempts := sc.RetryAfter, sc.MaxAttempts
	if retry <= 0 {
		retry = 15 * time.Minute
	}
	if attempts <= 0 {
		attempts = 3
	}
	sent := 0
	for _, s := range sc.Schedules {
		t := now()
		from, to, due := s.Period(t)
		if t.Before(due) {
			continue
		}
		ok, err := sc.Runs.ClaimReportRun(ctx, store.ReportRun{Schedule: s.Name, PeriodStart: from, PeriodEnd: to, AttemptedAt: t,
			Recipients: strings.Join(s.To, ", ")}, t.Add(-retry), attempts)
		if err != nil {
			log.Error("scheduled report", "schedule", s.Name, "err", err)
			continue
		}
		if !ok {
			continue
		}
		errText := ""
		if err := sc.send(ctx, s, from, to, t); err != nil {
			errText = err.Error()
			log.Error("scheduled report not sent", "schedule", s.Name, "from", from, "to", to, "err", err)
		} else {
			sent++
			log.Info("scheduled report sent", "schedule", s.Name, "from", from, "to", to, "recipients", len(s.To))
		}
		if err := sc.Runs.FinishReportRun(ctx, s.Name, to, now(), errText); err != nil {
			log.Error("scheduled report", "schedule", s.Name, "err", err)
		}
	}
	return sent
}

func (sc *Scheduler) send(ctx context.Context, s Schedule, from, to, now time.Time) error {
	facts := sc.Facts
	rep, err := Build(ctx, sc.Source, Options{From: from, To: to, IntegrationID: s.IntegrationID, GeneratedAt: now, Title: s.Title, Compliance: &facts})
	if err != nil {
		return err
	}
	m := Mail{To: s.To, Subject: fmt.Sprintf("[claudit] %s: %s to %s", rep.Title, from.Format(time.DateOnly), to.AddDate(0, 0, -1).Format(time.DateOnly))}
	base := fmt.Sprintf("claudit-report-%s-to-%s", from.Format(time.DateOnly), to.AddDate(0, 0, -1).Format(time.DateOnly))
	var md bytes.Buffer
	if err := Markdown(&md, rep); err != nil {
		return err
	}
	m.Text = md.String()
	m.File, m.FileName, m.FileType = md.Bytes(), base+".md", "text/markdown; charset=utf-8"
	if s.Format != "md" {
		var html bytes.Buffer
		if err := HTML(&html, rep); err != nil {
			return err
		}
		m.HTML = html.String()
		m.File, m.FileName, m.FileType = html.Bytes(), base+".html", "text/html; charset=utf-8"
	}
	return sc.Send(ctx, s, m)
}

// SendNow sends the latest due period of one schedule at once, without
// claiming it: the scheduled sending of that period still happens (an
// admin's test that the mail arrives).
func (sc *Scheduler) SendNow(ctx context.Context, name string) (from, to time.Time, err error) {
	now := time.Now
	if sc.Now != nil {
		now = sc.Now
	}
	for _, s := range sc.Schedules {
		if s.Name != name {
			continue
		}
		t := now()
		from, to, _ = s.Period(t)
		return from, to, sc.send(ctx, s, from, to, t)
	}
	return from, to, fmt.Errorf("no scheduled report named %q", name)
}
