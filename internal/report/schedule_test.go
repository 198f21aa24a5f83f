package report_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/report"
)

func TestSchedulePeriod(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		s                  report.Schedule
		now                string
		from, to, dueAfter string
	}{
		{report.Schedule{Every: "daily"}, "2026-11-09T00:00:00Z", "2026-11-08T00:00:00Z", "2026-11-09T00:00:00Z", "2026-11-09T00:00:00Z"},
		{report.Schedule{Every: "daily", Hour: 6}, "2026-11-09T05:59:00Z", "2026-11-07T00:00:00Z", "2026-11-08T00:00:00Z", "2026-11-08T06:00:00Z"},
		{report.Schedule{Every: "daily", Hour: 6}, "2026-11-09T06:00:00Z", "2026-11-08T00:00:00Z", "2026-11-09T00:00:00Z", "2026-11-09T06:00:00Z"},
		// 2026-11-09 is a Monday.
		{report.Schedule{Every: "weekly", Weekday: time.Monday}, "2026-11-11T10:00:00Z", "2026-11-02T00:00:00Z", "2026-11-09T00:00:00Z", "2026-11-09T00:00:00Z"},
		{report.Schedule{Every: "weekly", Weekday: time.Monday, Hour: 7}, "2026-11-09T06:00:00Z", "2026-10-26T00:00:00Z", "2026-11-02T00:00:00Z", "2026-11-02T07:00:00Z"},
		{report.Schedule{Every: "weekly", Weekday: time.Friday}, "2026-11-09T06:00:00Z", "2026-10-30T00:00:00Z", "2026-11-06T00:00:00Z", "2026-11-06T00:00:00Z"},
	}
	// In Berlin, where summer time ended on 2026-10-25: that day is 25
	// hours long, and 06:00 is 05:00 UTC after it.
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	tests = append(tests, struct {
		s                  report.Schedule
		now                string
		from, to, dueAfter string
	}{report.Schedule{Every: "daily", Hour: 6, Location: berlin}, "2026-10-26T05:30:00Z", "2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00", "2026-10-26T06:00:00+01:00"},
		struct {
			s                  report.Schedule
			now                string
			from, to, dueAfter string
		}{report.Schedule{Every: "daily", Hour: 6, Location: berlin}, "2026-10-26T04:59:00Z", "2026-10-24T00:00:00+02:00", "2026-10-25T00:00:00+02:00", "2026-10-25T06:00:00+01:00"})
	for _, tc := range tests {
		from, to, due := tc.s.Period(at(tc.now))
		if got := from.Format(time.RFC3339) + " " + to.Format(time.RFC3339) + " " + due.Format(time.RFC3339); got != tc.from+" "+tc.to+" "+tc.dueAfter {
			t.Errorf("%+v at %s: %s, want %s %s %s", tc.s, tc.now, got, tc.from, tc.to, tc.dueAfter)
		}
	}
}

// TestSchedulerSendsEachPeriodOnce: a due period is sent once however
// often the scheduler runs; a failed sending is retried after the delay.
func TestSchedulerSendsEachPeriodOnce(t *testing.T) {
	s := openSQLite(t)
	seed(t, s)
	now := to.Add(6 * time.Hour) // the seed's week ends on Sunday 2026-11-08
	var sent []report.Mail
	fail := errors.New("421 try later")
	var failing bool
	sc := &report.Scheduler{Source: s, Runs: s, Now: func() time.Time { return now }, RetryAfter: time.Hour, MaxAttempts: 3,
		Facts: report.Facts{BaseURL: "https://claudit.example.com"},
		Schedules: []report.Schedule{
			{Name: "weekly", Every: "weekly", Weekday: time.Sunday, To: []string{"ciso@example.com"}, Format: "html"},
			{Name: "daily", Every: "daily", Hour: 7, To: []string{"soc@example.com"}, Format: "md"},
		},
		Send: func(ctx context.Context, sch report.Schedule, m report.Mail) error {
			if failing {
				return fail
			}
			sent = append(sent, m)
			return nil
		}}
	ctx := context.Background()
	// At 06:00 on Sunday the week before is due, and the daily report of
	// Friday (Saturday's is due from 07:00).
	if n := sc.RunOnce(ctx); n != 2 || len(sent) != 2 || sent[1].FileName != "claudit-report-2026-11-06-to-2026-11-06.md" {
		t.Fatalf("first run sent %d", n)
	}
	w := sent[0]
	if w.Subject != "[claudit] Claude activity report: 2026-11-01 to 2026-11-07" || w.FileName != "claudit-report-2026-11-01-to-2026-11-07.html" ||
		!strings.Contains(w.HTML, `id="soc2-cc7-2"`) || !strings.Contains(w.HTML, `href="https://claudit.example.com/alerts"`) || !strings.Contains(w.Text, "## Compliance evidence") {
		t.Fatalf("weekly mail: %q %q", w.Subject, w.FileName)
	}
	if n := sc.RunOnce(ctx); n != 0 {
		t.Fatalf("the same period was sent again (%d)", n)
	}
	now = now.Add(time.Hour) // 07:00: the daily report of Saturday is due
	failing = true
	if n := sc.RunOnce(ctx); n != 0 {
		t.Fatal("a failing sending counted as sent")
	}
	failing = false
	if n := sc.RunOnce(ctx); n != 0 {
		t.Fatal("a failed sending was retried before the delay")
	}
	now = now.Add(time.Hour + time.Minute)
	if n := sc.RunOnce(ctx); n != 1 {
		t.Fatal("a failed sending was not retried after the delay")
	}
	d := sent[2]
	if d.HTML != "" || d.FileName != "claudit-report-2026-11-07-to-2026-11-07.md" || !strings.HasPrefix(d.Text, "# Claude activity report") {
		t.Fatalf("daily mail: %q %q", d.Subject, d.FileName)
	}
	runs, err := s.ReportRuns(ctx, 10)
	if err != nil || len(runs) != 3 || runs[0].Schedule != "daily" || runs[0].Attempts != 2 || runs[0].SentAt.IsZero() {
		t.Fatalf("runs %+v %v", runs, err)
	}
}

func TestSendNow(t *testing.T) {
	s := openSQLite(t)
	seed(t, s)
	var got []report.Mail
	sc := &report.Scheduler{Source: s, Runs: s, Now: func() time.Time { return to.Add(time.Hour) },
		Schedules: []report.Schedule{{Name: "weekly", Every: "weekly", Weekday: time.Sunday, To: []string{"ciso@example.com"}, Format: "md"}},
		Send:      func(ctx context.Context, sch report.Schedule, m report.Mail) error { got = append(got, m); return nil }}
	from, end, err := sc.SendNow(context.Background(), "weekly")
	if err != nil || !end.Equal(to) || !from.Equal(to.AddDate(0, 0, -7)) || len(got) != 1 {
		t.Fatalf("SendNow: %v %v %v, %d mails", from, end, err, len(got))
	}
	// Not claimed: the scheduled sending of the period still happens.
	if n := sc.RunOnce(context.Background()); n != 1 {
		t.Fatalf("the scheduled sending after SendNow sent %d", n)
	}
	if _, _, err := sc.SendNow(context.Background(), "nope"); err == nil {
		t.Error("an unknown schedule was sent")
	}
}
