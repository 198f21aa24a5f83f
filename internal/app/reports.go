package app

import (
	"context"
	"fmt"
	"time"

	"github.com/claudit/claudit/internal/alert/sink"
	"github.com/claudit/claudit/internal/mail"
	"github.com/claudit/claudit/internal/policy"
	"github.com/claudit/claudit/internal/report"
	"github.com/claudit/claudit/internal/web"
)

// ReportScheduler builds the scheduler of the config's reports: each sent
// through the SMTP server and sender of the email sink it names. nil when
// no report is scheduled.
func (a *App) ReportScheduler(ctx context.Context, p *Pipeline) (*report.Scheduler, error) {
	if len(a.Config.Reports) == 0 {
		return nil, nil
	}
	cfgs, err := a.SinkConfigs()
	if err != nil {
		return nil, err
	}
	emails := map[string]sink.Config{}
	for _, sc := range cfgs {
		if sc.Type == "email" && sc.Email != nil {
			emails[sc.Name] = sc
		}
	}
	servers := map[string]mail.Server{}
	sc := &report.Scheduler{Source: a.Store, Runs: a.Store, Log: a.Log, Facts: a.reportFacts(p)}
	for i, r := range a.Config.Reports {
		f := fmt.Sprintf("reports[%d]", i)
		es, ok := emails[r.Sink]
		if !ok {
			return nil, a.Config.FieldError(f+".sink", "%q is not the name of an email sink under sinks:", r.Sink)
		}
		if _, ok := servers[r.Sink]; !ok {
			if servers[r.Sink], err = mailServer(es); err != nil {
				return nil, a.Config.FieldError(f+".sink", "%v", err)
			}
		}
		s := report.Schedule{Name: r.Name, Every: r.Every, Weekday: r.WeekdayOf(), Hour: r.Hour, Location: a.Config.ReportLocation(), To: r.To, Format: r.Format, Title: r.Title}
		if len(s.To) == 0 {
			s.To = es.Email.To
		}
		if len(s.To) == 0 {
			return nil, a.Config.FieldError(f+".to", "no recipients: list them here or in the %s sink's to", r.Sink)
		}
		if r.Integration != "" {
			in, err := a.Store.Integration(ctx, r.Integration)
			if err != nil {
				return nil, a.Config.FieldError(f+".integration", "%q: %v", r.Integration, err)
			}
			s.IntegrationID = in.ID
		}
		sc.Schedules = append(sc.Schedules, s)
	}
	sc.Send = func(ctx context.Context, s report.Schedule, m report.Mail) error {
		var sinkName string
		for _, r := range a.Config.Reports {
			if r.Name == s.Name {
				sinkName = r.Sink
			}
		}
		msg := mail.Message{To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML,
			Attachments: []mail.Attachment{{Name: m.FileName, ContentType: m.FileType, Data: m.File}}}
		return servers[sinkName].Send(ctx, msg, time.Now())
	}
	return sc, nil
}

// mailServer is the SMTP side of an email sink's settings.
func mailServer(sc sink.Config) (mail.Server, error) {
	ec := sc.Email
	tlsCfg, err := ec.TLS.Client(ec.Host)
	if err != nil {
		return mail.Server{}, err
	}
	return mail.Server{Host: ec.Host, Port: ec.Port, Username: ec.Username, Password: ec.Password, From: ec.From,
		StartTLS: ec.StartTLS, TLS: tlsCfg, Timeout: 2 * time.Minute}, nil
}

// reportFacts are the configuration facts the compliance sections cite;
// without a pipeline the policies are read from the policies file.
func (a *App) reportFacts(p *Pipeline) report.Facts {
	f := report.Facts{RetentionDays: a.Config.RetentionDays, BaseURL: a.Config.BaseURL}
	if key, err := a.SecretKey(); err == nil && key != nil {
		f.KeysSealed = true
	}
	pols := (*policy.Reloadable)(nil)
	if p != nil {
		pols = p.Policies
	} else if r, err := policy.NewReloadable(a.Config.PoliciesFile, policy.WithLogger(a.Log)); err == nil {
		pols = r
	} else {
		a.Log.Warn("compliance sections: policies not read", "err", err)
	}
	if pols != nil {
		for _, pol := range pols.Engine().Config().Policies {
			f.Policies = append(f.Policies, report.PolicyFact{Name: pol.Name, Enabled: pol.Enabled})
		}
	}
	return f
}

// ReportFacts are the facts `claudit report` cites in its compliance sections.
func (a *App) ReportFacts() report.Facts { return a.reportFacts(nil) }

// webReportSchedules lists the schedules for the reports page.
func (a *App) webReportSchedules() []web.ReportSchedule {
	var out []web.ReportSchedule
	for _, r := range a.Config.Reports {
		every := r.Every
		if r.Every == "weekly" {
			every = "weekly on " + r.WeekdayOf().String()
		}
		to := r.To
		if len(to) == 0 {
			to = []string{"the " + r.Sink + " sink's recipients"}
		}
		out = append(out, web.ReportSchedule{Name: r.Name, Every: fmt.Sprintf("%s from %02d:00 %s", every, r.Hour, a.Config.ReportLocation()), Format: r.Format, Recipients: to})
	}
	return out
}

// reportLocation is report_timezone for the dashboard, nil when it is not
// set (pages then count the days of each account's display zone).
func (a *App) reportLocation() *time.Location {
	if a.Config.ReportTimezone == "" {
		return nil
	}
	return a.Config.ReportLocation()
}
