package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// testBackendName: each backend names itself, and only SQLite writes
// through one connection.
func testBackendName(t *testing.T, s store.Store) {
	switch b := s.Backend(); b {
	case "sqlite", "postgres":
		if s.SingleWriter() != (b == "sqlite") {
			t.Fatalf("%s: SingleWriter %v", b, s.SingleWriter())
		}
	default:
		t.Fatalf("backend %q", b)
	}
}

// testAccounts: emails are kept lower-cased and unique, and an account's
// role, password hash, disabled flag and last sign-in are saved.
func testAccounts(t *testing.T, s store.Store) {
	ctx := context.Background()
	if n, err := s.CountAccounts(ctx); err != nil || n != 0 {
		t.Fatalf("accounts of an empty store: %d %v", n, err)
	}
	ana := &store.Account{Email: " Ana@Example.com", Role: store.RoleAnalyst, PasswordHash: "h-ana", CreatedAt: t0}
	bo := &store.Account{Email: "bo@example.com", Role: store.RoleAdmin, PasswordHash: "h-bo"}
	for _, a := range []*store.Account{bo, ana} {
		if err := s.CreateAccount(ctx, a); err != nil || a.ID == 0 {
			t.Fatalf("create %s: %v", a.Email, err)
		}
	}
	if ana.Email != "ana@example.com" || bo.CreatedAt.IsZero() {
		t.Fatalf("created: %+v %+v", ana, bo)
	}
	if err := s.CreateAccount(ctx, &store.Account{Email: "ANA@example.com", Role: store.RoleViewer}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("same email twice: %v, want ErrExists", err)
	}
	got, err := s.AccountByEmail(ctx, "ANA@example.com ")
	if err != nil || got.ID != ana.ID || got.Role != store.RoleAnalyst || got.PasswordHash != "h-ana" || got.Disabled || !got.CreatedAt.Equal(t0) || !got.LastLoginAt.IsZero() {
		t.Fatalf("by email: %+v %v", got, err)
	}
	if _, err := s.AccountByEmail(ctx, "nobody@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown email: %v", err)
	}
	if got, err := s.AccountByID(ctx, bo.ID); err != nil || got.Email != "bo@example.com" {
		t.Fatalf("by id: %+v %v", got, err)
	}
	if _, err := s.AccountByID(ctx, bo.ID+ana.ID+1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
	all, err := s.Accounts(ctx)
	if err != nil || len(all) != 2 || all[0].Email != "ana@example.com" || all[1].Email != "bo@example.com" {
		t.Fatalf("accounts by email: %+v %v", all, err)
	}
	if n, err := s.CountAccounts(ctx); err != nil || n != 2 {
		t.Fatalf("count: %d %v", n, err)
	}
	ana.Role, ana.PasswordHash, ana.Disabled = store.RoleViewer, "h-ana-2", true
	if err := s.UpdateAccount(ctx, ana); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateAccount(ctx, &store.Account{ID: bo.ID + ana.ID + 1, Role: store.RoleViewer}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update unknown: %v", err)
	}
	if err := s.TouchAccountLogin(ctx, ana.ID, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, err = s.AccountByID(ctx, ana.ID)
	if err != nil || got.Role != store.RoleViewer || got.PasswordHash != "h-ana-2" || !got.Disabled || !got.LastLoginAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("after update and sign-in: %+v %v", got, err)
	}
}

// testWebSessions: a browser session is read back whole, slides its expiry,
// and ends by sign-out, by signing the account out everywhere or by expiring.
func testWebSessions(t *testing.T, s store.Store) {
	ctx := context.Background()
	ana := &store.Account{Email: "ana@example.com", Role: store.RoleAnalyst}
	bo := &store.Account{Email: "bo@example.com", Role: store.RoleAdmin}
	for _, a := range []*store.Account{ana, bo} {
		if err := s.CreateAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	sessions := []store.WebSession{
		{ID: "h1", AccountID: ana.ID, CSRFToken: "c1", IP: "192.0.2.1", UserAgent: "Firefox", CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(time.Hour)},
		{ID: "h2", AccountID: ana.ID, CSRFToken: "c2", CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(30 * time.Minute)},
		{ID: "h3", AccountID: bo.ID, CSRFToken: "c3", CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(3 * time.Hour)},
	}
	for i := range sessions {
		if err := s.CreateWebSession(ctx, &sessions[i]); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.WebSession(ctx, "h1")
	if err != nil || got.AccountID != ana.ID || got.CSRFToken != "c1" || got.IP != "192.0.2.1" || got.UserAgent != "Firefox" ||
		!got.CreatedAt.Equal(t0) || !got.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("read: %+v %v", got, err)
	}
	if _, err := s.WebSession(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown session: %v", err)
	}
	if err := s.TouchWebSession(ctx, "h1", t0.Add(10*time.Minute), t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.WebSession(ctx, "h1"); err != nil || !got.LastSeenAt.Equal(t0.Add(10*time.Minute)) || !got.ExpiresAt.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("touched: %+v %v", got, err)
	}
	if n, err := s.PruneWebSessions(ctx, t0.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("pruned %d (%v), want h2 only", n, err)
	}
	if _, err := s.WebSession(ctx, "h2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired session kept: %v", err)
	}
	if err := s.DeleteWebSession(ctx, "h1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WebSession(ctx, "h1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("signed-out session kept: %v", err)
	}
	if err := s.DeleteAccountSessions(ctx, bo.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WebSession(ctx, "h3"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("session of an account signed out everywhere kept: %v", err)
	}
}

// testDatasets: a dataset keeps its messages in saved order, pages through
// them, has a unique name and is deleted with its items.
func testDatasets(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	seedMessages(t, s, in, 2)
	items := []store.DatasetItem{{IntegrationID: in.ID, MessageID: "claude_chat_001_msg_1"}, {IntegrationID: in.ID, MessageID: "claude_chat_000_msg_0"}, {IntegrationID: in.ID, MessageID: "claude_chat_000_msg_1"}}
	d := &store.Dataset{Name: "evals", Description: "for red teaming", Filter: "q=invoices", CreatedBy: "ana@example.com", CreatedAt: t0}
	if err := s.CreateDataset(ctx, d, items); err != nil || d.ID == 0 || d.Items != 3 {
		t.Fatalf("create: %+v %v", d, err)
	}
	later := &store.Dataset{Name: "later", Filter: "", CreatedBy: "bo@example.com"}
	if err := s.CreateDataset(ctx, later, items[:1]); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateDataset(ctx, &store.Dataset{Name: "evals"}, nil); !errors.Is(err, store.ErrExists) {
		t.Fatalf("same name twice: %v, want ErrExists", err)
	}
	all, err := s.Datasets(ctx)
	if err != nil || len(all) != 2 || all[0].ID != later.ID || all[1].ID != d.ID {
		t.Fatalf("datasets, newest first: %+v %v", all, err)
	}
	got, err := s.Dataset(ctx, d.ID)
	if err != nil || got.Name != "evals" || got.Description != "for red teaming" || got.Filter != "q=invoices" || got.Items != 3 ||
		got.CreatedBy != "ana@example.com" || !got.CreatedAt.Equal(t0) {
		t.Fatalf("read: %+v %v", got, err)
	}
	ids := func(offset, limit int) string {
		t.Helper()
		ms, err := s.DatasetMessages(ctx, d.ID, offset, limit)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return strings.Join(out, " ")
	}
	if got := ids(0, 0); got != "claude_chat_001_msg_1 claude_chat_000_msg_0 claude_chat_000_msg_1" {
		t.Fatalf("messages in saved order: %s", got)
	}
	if got := ids(1, 1); got != "claude_chat_000_msg_0" {
		t.Fatalf("second message alone: %s", got)
	}
	if err := s.DeleteDataset(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Dataset(ctx, d.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted dataset read: %v", err)
	}
	if got := ids(0, 10); got != "" {
		t.Fatalf("items of a deleted dataset: %s", got)
	}
	if err := s.DeleteDataset(ctx, d.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
}

// testIntegrationKey: a sealed key is stored per integration, "" until set.
func testIntegrationKey(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	if k, err := s.IntegrationKey(ctx, in.ID); err != nil || k != "" {
		t.Fatalf("key before any: %q %v", k, err)
	}
	if err := s.SetIntegrationKey(ctx, in.ID, "sealed-1"); err != nil {
		t.Fatal(err)
	}
	if k, err := s.IntegrationKey(ctx, in.ID); err != nil || k != "sealed-1" {
		t.Fatalf("key: %q %v", k, err)
	}
	if err := s.SetIntegrationKey(ctx, in.ID+1, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("key of an unknown integration stored: %v", err)
	}
	if _, err := s.IntegrationKey(ctx, in.ID+1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("key of an unknown integration read: %v", err)
	}
}

// seedDashboard stores three chats (user_b's 000 and 002, user_a's 001;
// six messages of model claude-opus-5 on t0's day), two activities and
// one violation on claude_chat_000_msg_0.
func seedDashboard(t *testing.T, s store.Store) *store.Integration {
	t.Helper()
	ctx := context.Background()
	in := integration(t, s, "acme")
	for i := range 3 {
		p := chatPage(in, fmt.Sprintf("claude_chat_%03d", i), []string{fmt.Sprintf("question %d", i), fmt.Sprintf("answer %d", i)}, false)
		for j := range p.Chats[0].Messages {
			m := &p.Chats[0].Messages[j]
			m.CreatedAt, m.Model = t0.Add(time.Duration(i*2+j)*time.Minute), "claude-opus-5"
			if i%2 == 0 {
				m.UserID, m.UserEmail = "user_b", "b@example.com"
			}
		}
		if _, err := s.SaveChatPage(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	page := store.ActivityPage{IntegrationID: in.ID, Activities: []store.Activity{
		act("activity_1", t0.Add(time.Hour), "user_logged_in", "user_a"), act("activity_2", t0.Add(2*time.Hour), "user_logged_out", "user_a")}}
	if _, err := s.SaveActivityPage(ctx, page); err != nil {
		t.Fatal(err)
	}
	logged := finding("secrets", "user_a", "", t0.Add(time.Hour))
	logged.EffectiveAction = "log"
	evals := []store.Evaluation{
		{IntegrationID: in.ID, Kind: "prompt", EventID: "claude_chat_000_msg_0", Version: "v1", Findings: []store.Finding{finding("pii", "user_b", "claude_chat_000", t0)}},
		{IntegrationID: in.ID, Kind: "access", EventID: "activity_1", Version: "v1", Findings: []store.Finding{logged}},
	}
	if err := s.SaveEvaluations(ctx, evals); err != nil {
		t.Fatal(err)
	}
	return in
}

// testOverview: the dashboard's summary of a day counts events and
// violations, per day, policy, user and model, within one integration.
func testOverview(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := seedDashboard(t, s)
	day := t0.Truncate(24 * time.Hour)
	o, err := s.Overview(ctx, in.ID, day, day.Add(24*time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if o.Prompts != 6 || o.Access != 2 || o.Violations != 1 || len(o.Days) != 1 || !o.Days[0].Day.Equal(day) || o.Days[0].Prompts != 6 {
		t.Fatalf("overview: %+v", o)
	}
	if got := fmt.Sprint(o.ByPolicy, o.TopUsers, o.Models); got != "[{pii 1}] [{b@example.com 2} {a@example.com 1}] [{claude-opus-5 6}]" {
		t.Fatalf("by policy, top users, models: %s", got)
	}
	if top, err := s.Overview(ctx, 0, day, day.Add(24*time.Hour), 1); err != nil || len(top.TopUsers) != 1 || top.Prompts != 6 {
		t.Fatalf("every integration, top 1: %+v %v", top, err)
	}
	other, err := s.Overview(ctx, in.ID+1, day, day.Add(48*time.Hour), 10)
	if err != nil || other.Prompts != 0 || other.Violations != 0 || len(other.Days) != 2 || len(other.ByPolicy) != 0 {
		t.Fatalf("another integration: %+v %v", other, err)
	}
}

// testReportData: the report's aggregates of a period.
func testReportData(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := seedDashboard(t, s)
	day := t0.Truncate(24 * time.Hour)
	d, err := s.ReportData(ctx, day, day.Add(24*time.Hour), in.ID)
	if err != nil {
		t.Fatal(err)
	}
	tt := d.Totals
	// Users: a@ and b@ wrote messages; the activities' actor is user_a@.
	if tt.Messages != 6 || tt.Prompts != 3 || tt.Responses != 3 || tt.Chats != 3 || tt.Activities != 2 || tt.Findings != 2 || tt.Violations != 1 || tt.Users != 3 {
		t.Fatalf("totals: %+v", tt)
	}
	if len(d.Integrations) != 1 || d.Integrations[0] != "acme" || len(d.Days) != 1 {
		t.Fatalf("integrations and days: %v %+v", d.Integrations, d.Days)
	}
	if len(d.Users) != 2 || d.Users[0].User != "b@example.com" || d.Users[0].Messages != 4 || d.Users[0].Violations != 1 {
		t.Fatalf("users: %+v", d.Users)
	}
	if len(d.Models) != 1 || d.Models[0].Model != "claude-opus-5" || d.Models[0].Messages != 6 {
		t.Fatalf("models: %+v", d.Models)
	}
	if len(d.Policies) != 2 || d.Policies[0].Policy != "pii" || d.Policies[0].Violations != 1 {
		t.Fatalf("policies: %+v", d.Policies)
	}
	if len(d.ActivityTypes) != 2 {
		t.Fatalf("activity types: %+v", d.ActivityTypes)
	}
	empty, err := s.ReportData(ctx, day.Add(-48*time.Hour), day, in.ID)
	if err != nil || empty.Totals.Messages != 0 || len(empty.Users) != 0 {
		t.Fatalf("a period before any event: %+v %v", empty, err)
	}
}

// testEventFindings reads the findings of many events in one call, in
// chunks past the backends' parameter limits.
func testEventFindings(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := seedDashboard(t, s)
	var refs []store.EventRef
	for i := range 250 {
		refs = append(refs, store.EventRef{IntegrationID: in.ID, ID: fmt.Sprintf("missing_%d", i)})
	}
	refs = append(refs, store.EventRef{IntegrationID: in.ID, ID: "claude_chat_001_msg_0"}, store.EventRef{IntegrationID: in.ID, ID: "claude_chat_000_msg_0"})
	fs, err := s.EventFindings(ctx, "prompt", refs)
	if err != nil || len(fs) != 1 || fs[0].EventID != "claude_chat_000_msg_0" || fs[0].Policy != "pii" || fs[0].PolicyVersion != "v1" {
		t.Fatalf("prompt findings: %+v %v", fs, err)
	}
	if fs, err := s.EventFindings(ctx, "access", []store.EventRef{{IntegrationID: in.ID, ID: "activity_1"}}); err != nil || len(fs) != 1 || fs[0].EffectiveAction != "log" {
		t.Fatalf("access findings: %+v %v", fs, err)
	}
	if fs, err := s.EventFindings(ctx, "prompt", nil); err != nil || len(fs) != 0 {
		t.Fatalf("no refs: %+v %v", fs, err)
	}
}

// testSuppressions: rules are listed in order and deleted one by one.
func testSuppressions(t *testing.T, s store.Store) {
	ctx := context.Background()
	until := time.Now().Add(time.Hour).Truncate(time.Microsecond)
	a := &store.Suppression{Policy: "pii", Reason: "known test data", CreatedBy: "ana@example.com", Until: until}
	b := &store.Suppression{User: "user_c", Pattern: "invoice", Until: until}
	for _, sp := range []*store.Suppression{a, b} {
		if err := s.AddSuppression(ctx, sp); err != nil || sp.ID == 0 || sp.CreatedAt.IsZero() {
			t.Fatalf("add: %+v %v", sp, err)
		}
	}
	if err := s.AddSuppression(ctx, &store.Suppression{Policy: "pii", Until: time.Now().Add(-time.Minute)}); err == nil {
		t.Fatalf("suppression ending in the past accepted")
	}
	all, err := s.Suppressions(ctx)
	if err != nil || len(all) != 2 || all[0].ID != a.ID || all[0].Reason != "known test data" || all[0].CreatedBy != "ana@example.com" ||
		!all[0].Until.Equal(until) || all[1].User != "user_c" || all[1].Pattern != "invoice" {
		t.Fatalf("suppressions: %+v %v", all, err)
	}
	if err := s.DeleteSuppression(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if all, err := s.Suppressions(ctx); err != nil || len(all) != 1 || all[0].ID != b.ID {
		t.Fatalf("after deleting one: %+v %v", all, err)
	}
}
