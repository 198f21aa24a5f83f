package report_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"github.com/claudit/claudit/internal/alert"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/report"
	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/store/postgres"
	"github.com/claudit/claudit/internal/store/sqlite"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The period is Sunday 2026-11-01 to Sunday 2026-11-08 (UTC).
var (
	from        = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	to          = from.AddDate(0, 0, 7)
	generatedAt = time.Date(2026, 11, 8, 6, 30, 0, 0, time.UTC)
	day2        = from.Add(24*time.Hour + 9*time.Hour)
	day4        = from.Add(3*24*time.Hour + 14*time.Hour)
)

// hostile is a user email and a policy name that would run script if a
// renderer failed to escape data.
const (
	hostileUser   = `<script>alert("u")</script>@evil.test`
	hostilePolicy = `<img src=x onerror=alert(1)> | pipe`
)

// backend is one store that implements everything the report needs to be seeded and read.
type backend interface {
	store.Store
}

func openSQLite(t *testing.T) backend {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openPostgres(t *testing.T) backend {
	t.Helper()
	s, err := postgres.Open(context.Background(), postgres.NewTestDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

type msg struct {
	user, model, role string
	at                time.Time
	tokens            int
}

func chat(in *store.Integration, id string, msgs []msg) store.ChatPage {
	c := store.Chat{ID: id, Name: "chat " + id, UserID: "id-" + msgs[0].user, UserEmail: msgs[0].user, Model: msgs[0].model, CreatedAt: msgs[0].at, UpdatedAt: msgs[len(msgs)-1].at}
	hc := store.HydratedChat{Chat: c}
	for i, m := range msgs {
		hc.Messages = append(hc.Messages, store.Message{ID: fmt.Sprintf("%s_msg_%d", id, i), ChatID: id, Seq: i, Role: m.role,
			Text: "text", Model: m.model, UserID: "id-" + m.user, UserEmail: m.user, CreatedAt: m.at, Tokens: m.tokens})
	}
	return store.ChatPage{IntegrationID: in.ID, Chats: []store.HydratedChat{hc}}
}

func finding(policy, severity, action, user, chatID string, at time.Time) store.Finding {
	eff := action
	if action == "block" {
		eff = "alert"
	}
	return store.Finding{Policy: policy, Detector: "test", Entity: "X", Severity: severity, Action: action, EffectiveAction: eff,
		Score: 1, UserID: "id-" + user, UserEmail: user, ChatID: chatID, Excerpt: "…", EventTime: at}
}

// seed stores two integrations' chats, activities and evaluations, with
// events on both sides of the period's edges.
func seed(t *testing.T, s backend) (acme, beta *store.Integration) {
	t.Helper()
	ctx := context.Background()
	acme = &store.Integration{Name: "acme", BaseURL: "http://127.0.0.1:1", Interval: time.Minute}
	beta = &store.Integration{Name: "beta", BaseURL: "http://127.0.0.1:2", Interval: time.Minute}
	for _, in := range []*store.Integration{acme, beta} {
		if err := s.UpsertIntegration(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	const alice, bob = "alice@example.com", "bob@example.com"
	pages := []store.ChatPage{
		chat(acme, "c1", []msg{
			{alice, "claude-opus-5", "user", day2, 100},
			{alice, "claude-opus-5", "assistant", day2.Add(time.Minute), 400},
			{alice, "claude-opus-5", "user", day2.Add(2 * time.Minute), 50},
			{alice, "claude-opus-5", "assistant", day2.Add(3 * time.Minute), 250},
		}),
		chat(acme, "c2", []msg{
			{bob, "claude-sonnet-5", "user", day4, 30},
			{bob, "claude-sonnet-5", "assistant", day4.Add(time.Minute), 70},
		}),
		chat(acme, "c3", []msg{{hostileUser, "", "user", day4.Add(time.Hour), 10}}),
		// Outside the period on both sides: never counted.
		chat(acme, "c-old", []msg{{alice, "claude-opus-5", "user", from.Add(-time.Microsecond), 999}}),
		chat(acme, "c-new", []msg{{alice, "claude-opus-5", "user", to, 999}}),
		chat(beta, "b1", []msg{{"carol@example.com", "claude-haiku-5", "user", day4, 5}}),
	}
	for _, p := range pages {
		if _, err := s.SaveChatPage(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	act := func(in *store.Integration, id, typ, email string, at time.Time) store.ActivityPage {
		return store.ActivityPage{IntegrationID: in.ID, Activities: []store.Activity{{ID: id, CreatedAt: at, Type: typ, ActorType: "user",
			ActorUserID: "id-" + email, ActorEmail: email, Raw: []byte(`{}`)}}}
	}
	for _, p := range []store.ActivityPage{
		act(acme, "a1", "user_signed_in", alice, day2),
		act(acme, "a2", "user_signed_in", bob, day4),
		act(acme, "a3", "claude_chat_created", alice, day2),
		act(acme, "a4", "user_signed_in", "dave@example.com", day4), // signed in only: still an active user
		act(acme, "a-old", "user_signed_in", alice, from.Add(-time.Hour)),
		act(beta, "b-a1", "user_signed_in", "carol@example.com", day4),
	} {
		if _, err := s.SaveActivityPage(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	evals := []store.Evaluation{
		{IntegrationID: acme.ID, Kind: "prompt", EventID: "c1_msg_0", Version: "v1", Findings: []store.Finding{
			finding("pii", "high", "alert", alice, "c1", day2),
			finding("pii-audit", "low", "log", alice, "c1", day2),
		}},
		{IntegrationID: acme.ID, Kind: "prompt", EventID: "c1_msg_2", Version: "v1", Findings: []store.Finding{
			finding("pii", "high", "alert", alice, "c1", day2.Add(2*time.Minute)),
		}},
		{IntegrationID: acme.ID, Kind: "prompt", EventID: "c2_msg_0", Version: "v1", Findings: []store.Finding{
			finding("secrets", "critical", "block", bob, "c2", day4),
		}},
		{IntegrationID: acme.ID, Kind: "prompt", EventID: "c3_msg_0", Version: "v1", Findings: []store.Finding{
			finding(hostilePolicy, "medium", "alert", hostileUser, "c3", day4.Add(time.Hour)),
		}},
		{IntegrationID: acme.ID, Kind: "access", EventID: "a4", Version: "v1", Findings: []store.Finding{
			finding("off-hours", "low", "alert", "dave@example.com", "", day4),
		}},
		{IntegrationID: acme.ID, Kind: "prompt", EventID: "c-old_msg_0", Version: "v1", Findings: []store.Finding{
			finding("secrets", "critical", "alert", alice, "c-old", from.Add(-time.Microsecond)),
		}},
		{IntegrationID: beta.ID, Kind: "prompt", EventID: "b1_msg_0", Version: "v1", Findings: []store.Finding{
			finding("pii", "high", "alert", "carol@example.com", "b1", day4),
		}},
	}
	if err := (&alert.Router{Window: time.Hour}).Save(ctx, s, evals); err != nil {
		t.Fatal(err)
	}
	// A resolved alert is not open any more.
	alerts, err := s.Alerts(ctx, store.AlertFilter{Policy: "off-hours"})
	if err != nil || len(alerts) != 1 {
		t.Fatalf("off-hours alert: %v %v", alerts, err)
	}
	if err := s.SetAlertStatus(ctx, alerts[0].ID, store.AlertResolved, "ana@example.com", "expected"); err != nil {
		t.Fatal(err)
	}
	return acme, beta
}

func TestAggregatesSQLite(t *testing.T)   { testAggregates(t, openSQLite(t)) }
func TestAggregatesPostgres(t *testing.T) { testAggregates(t, openPostgres(t)) }

func testAggregates(t *testing.T, s backend) {
	ctx := context.Background()
	acme, _ := seed(t, s)
	d, err := s.ReportData(ctx, from, to, acme.ID)
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
		}
	}
	check("integrations", d.Integrations, []string{"acme"})
	check("totals", d.Totals, store.ReportTotals{Messages: 7, Prompts: 4, Responses: 3, Tokens: 910, Chats: 3, Users: 4,
		Activities: 4, Findings: 6, Violations: 5})
	check("days", d.Days, []store.DayVolume{
		{Day: from.AddDate(0, 0, 1), Prompts: 2, Responses: 2, Activities: 2, Violations: 2},
		{Day: from.AddDate(0, 0, 3), Prompts: 2, Responses: 1, Activities: 2, Violations: 3},
	})
	check("users", d.Users, []store.UserVolume{
		{User: "alice@example.com", Messages: 4, Prompts: 2, Tokens: 800, Violations: 2},
		{User: "bob@example.com", Messages: 2, Prompts: 1, Tokens: 100, Violations: 1},
		{User: hostileUser, Messages: 1, Prompts: 1, Tokens: 10, Violations: 1},
	})
	check("models", d.Models, []store.ModelVolume{
		{Model: "claude-opus-5", Messages: 4, Prompts: 2, Tokens: 800},
		{Model: "claude-sonnet-5", Messages: 2, Prompts: 1, Tokens: 100},
		{Model: "", Messages: 1, Prompts: 1, Tokens: 10},
	})
	check("activity types", d.ActivityTypes, []store.TypeCount{{Type: "user_signed_in", Count: 3}, {Type: "claude_chat_created", Count: 1}})
	check("policies", d.Policies, []store.PolicyCount{
		{Policy: "pii", Severity: "high", Findings: 2, Violations: 2, Users: 1},
		{Policy: hostilePolicy, Severity: "medium", Findings: 1, Violations: 1, Users: 1},
		{Policy: "off-hours", Severity: "low", Findings: 1, Violations: 1, Users: 1},
		{Policy: "secrets", Severity: "critical", Findings: 1, Violations: 1, Users: 1},
		{Policy: "pii-audit", Severity: "low", Findings: 1, Violations: 0, Users: 1},
	})
	// off-hours was resolved; the old secrets alert ended before the period.
	check("open alerts", d.OpenAlerts, []store.SeverityCount{{Severity: "critical", Count: 1}, {Severity: "high", Count: 1}, {Severity: "medium", Count: 1}})
	var recent []string
	for _, a := range d.RecentAlerts {
		recent = append(recent, fmt.Sprintf("%s/%s/%d", a.Policy, a.UserEmail, a.Count))
	}
	check("recent alerts", recent, []string{hostilePolicy + "/" + hostileUser + "/1", "secrets/bob@example.com/1", "pii/alice@example.com/2"})
	check("risky users", d.RiskyUsers, []store.RiskyUser{
		{User: "alice@example.com", Score: 10, Violations: 2, High: 2},
		{User: "bob@example.com", Score: 10, Violations: 1, Critical: 1},
		{User: hostileUser, Score: 2, Violations: 1, Medium: 1},
		{User: "dave@example.com", Score: 1, Violations: 1, Low: 1},
	})

	all, err := s.ReportData(ctx, from, to, 0)
	if err != nil {
		t.Fatal(err)
	}
	check("all integrations", all.Integrations, []string{"acme", "beta"})
	if all.Totals.Messages != 8 || all.Totals.Users != 5 || all.Totals.Violations != 6 || len(all.OpenAlerts) != 3 || all.OpenAlerts[1].Count != 2 {
		t.Errorf("all integrations totals: %+v open %+v", all.Totals, all.OpenAlerts)
	}
	if _, err := s.ReportData(ctx, to, from, 0); err == nil {
		t.Errorf("a period ending before it starts was accepted")
	}
	// Both renderers produce the same report from either backend.
	rep := build(t, s, acme.ID)
	for _, f := range report.Formats {
		var buf bytes.Buffer
		if err := report.Render(&buf, rep, f); err != nil {
			t.Fatal(err)
		}
		golden(t, "report."+f+".golden", buf.Bytes())
	}
}

func build(t *testing.T, s report.Source, integrationID int64) *report.Report {
	t.Helper()
	rep, err := report.Build(context.Background(), s, report.Options{From: from, To: to, IntegrationID: integrationID, GeneratedAt: generatedAt})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update && strings.HasSuffix(t.Name(), "SQLite") {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run go test ./internal/report -update and review the diff\n%s", name, firstDiff(got, want))
	}
}

func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got %q\nwant %q", i+1, gl, wl)
		}
	}
	return ""
}

// TestHostileDataIsInert checks that data cannot inject markup: user emails
// and policy names are escaped in tables, chart labels and tooltips.
func TestHostileDataIsInert(t *testing.T) {
	s := openSQLite(t)
	acme, _ := seed(t, s)
	rep := build(t, s, acme.ID)

	var html bytes.Buffer
	if err := report.HTML(&html, rep); err != nil {
		t.Fatal(err)
	}
	out := html.String()
	for _, bad := range []string{"<script", "<img", "<link", "<iframe", "<object", "href=", "@import", "url(", "http://", "https://"} {
		if strings.Contains(out, bad) {
			t.Errorf("HTML report contains %q", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(&#34;u&#34;)&lt;/script&gt;@evil.test", "&lt;img src=x onerror=alert(1)&gt; | pipe", "<svg"} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML report lacks %q", want)
		}
	}

	var md bytes.Buffer
	if err := report.Markdown(&md, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`\<script\>alert("u")\</script\>@evil.test`, `\<img src=x onerror=alert(1)\> \| pipe`} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("Markdown report lacks escaped %q", want)
		}
	}
	// Every < of data is escaped, and every table row keeps its table's
	// column count: a | in data must not add a cell.
	lines := strings.Split(md.String(), "\n")
	cells := 0
	for i, line := range lines {
		if strings.Contains(strings.ReplaceAll(line, `\<`, ""), "<") {
			t.Errorf("Markdown line has an unescaped <: %q", line)
		}
		if !strings.HasPrefix(line, "|") {
			continue
		}
		if i+1 < len(lines) && strings.HasPrefix(lines[i+1], "|---") {
			cells = strings.Count(lines[i+1], "|")
		}
		if n := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|"); n != cells {
			t.Errorf("Markdown row has %d separators, its table %d: %q", n, cells, line)
		}
	}
}

func TestEmptyPeriodAndWeeks(t *testing.T) {
	s := openSQLite(t)
	seed(t, s)
	ctx := context.Background()
	// A quarter is shown by week; an empty period still renders every section.
	rep, err := report.Build(ctx, s, report.Options{From: from.AddDate(1, 0, 0), To: from.AddDate(1, 3, 0), GeneratedAt: generatedAt})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Unit != "week" || len(rep.Buckets) < 13 || len(rep.Buckets) > 15 || rep.Buckets[0].Start.Weekday() != time.Monday {
		t.Fatalf("weekly buckets: %s %d %v", rep.Unit, len(rep.Buckets), rep.Buckets[0].Start)
	}
	for _, f := range report.Formats {
		var buf bytes.Buffer
		if err := report.Render(&buf, rep, f); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), "No violations in this period.") {
			t.Errorf("%s: empty period lacks its note", f)
		}
	}
	if err := report.Render(&bytes.Buffer{}, rep, "pdf"); err == nil {
		t.Errorf("unknown format accepted")
	}
	// The weekly view adds days into their week.
	rep, err = report.Build(ctx, s, report.Options{From: from.AddDate(0, -2, 0), To: to, GeneratedAt: generatedAt})
	if err != nil {
		t.Fatal(err)
	}
	var prompts int
	for _, b := range rep.Buckets {
		prompts += b.Prompts
	}
	if rep.Unit != "week" || prompts != rep.Totals.Prompts || prompts != 6 {
		t.Errorf("weekly prompts %d of %d (%s)", prompts, rep.Totals.Prompts, rep.Unit)
	}
}

func TestDaysInTimeZoneSQLite(t *testing.T)   { testDaysInTimeZone(t, openSQLite(t)) }
func TestDaysInTimeZonePostgres(t *testing.T) { testDaysInTimeZone(t, openPostgres(t)) }

// testDaysInTimeZone: a report in Tokyo counts Tokyo's days. The events
// at 15:00 UTC fall on the next day there, and the events just before the
// UTC period (late on 31 October UTC) are inside the Tokyo one.
func testDaysInTimeZone(t *testing.T, s backend) {
	ctx := context.Background()
	acme, _ := seed(t, s)
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	tFrom := time.Date(2026, 11, 1, 0, 0, 0, 0, tokyo)
	rep, err := report.Build(ctx, s, report.Options{From: tFrom, To: tFrom.AddDate(0, 0, 7), IntegrationID: acme.ID, GeneratedAt: generatedAt})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range rep.Buckets {
		got = append(got, fmt.Sprintf("%s %d/%d/%d/%d", b.Start.Format(time.RFC3339), b.Prompts, b.Responses, b.Activities, b.Violations))
	}
	want := []string{
		"2026-11-01T00:00:00+09:00 1/0/1/1",
		"2026-11-02T00:00:00+09:00 2/2/2/2",
		"2026-11-03T00:00:00+09:00 0/0/0/0",
		"2026-11-04T00:00:00+09:00 1/1/2/2",
		"2026-11-05T00:00:00+09:00 1/0/0/1",
		"2026-11-06T00:00:00+09:00 0/0/0/0",
		"2026-11-07T00:00:00+09:00 0/0/0/0",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Tokyo days:\n got %q\nwant %q", got, want)
	}
	if rep.Zone() != "Asia/Tokyo" || rep.Days() != 7 {
		t.Errorf("zone %q, %d days", rep.Zone(), rep.Days())
	}
	var md bytes.Buffer
	if err := report.Render(&md, rep, "md"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "2026-11-01T00:00:00+09:00 to 2026-11-08T00:00:00+09:00 (7 days)") {
		t.Errorf("period not shown in Tokyo time:\n%s", md.String()[:400])
	}
}
