// Package webtest builds a dashboard over a real SQLite store seeded with a
// small organization (including hostile chat content), with in-memory fakes
// for alerts, policies and integration control. Tests and benchmarks share
// it; the README's screenshots come from the demo (tools/screenshots).
package webtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/ingest"
	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/store/sqlite"
	"github.com/claudit/claudit/internal/store/sqlstore"
	"github.com/claudit/claudit/internal/web"
)

// Base is the seeded organization's "now": events fall in the days before it.
var Base = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

// Password is every seeded account's password.
const Password = "correct-horse-battery"

// Seeded accounts, one per role.
const (
	AdminEmail   = "admin@example.com"
	AnalystEmail = "analyst@example.com"
	ViewerEmail  = "viewer@example.com"
)

// Hostile texts stored as chat messages; they must render inert.
const (
	XSSScript   = `<script>alert("xss")</script>`
	XSSImg      = `<img src=x onerror=alert(2)>`
	XSSLink     = `[click me](javascript:alert(3))`
	SecretKey   = "sk-ant-api03-SECRETSECRET1234567890"
	PrivateMail = "alice.private@example.org"
)

// Env is a seeded dashboard.
type Env struct {
	Store    *sqlstore.Store
	Server   *web.Server
	Alerts   *Alerts
	Policies *Policies
	Control  *Control
	Acme     *store.Integration
	Beta     *store.Integration
}

// Options tunes New.
type Options struct {
	// RunBackfills makes the fake control work on started backfills, one batch per Step.
	RunBackfills bool
	Step         time.Duration
	// BulkMessages adds this many extra prompt events (for pagination and benchmarks).
	BulkMessages int
	// Now is the server's clock (default Base plus one day).
	Now func() time.Time
	// SessionIdle and SessionLifetime are the server's SessionTTL and
	// SessionMaxAge (default: the server's defaults).
	SessionIdle, SessionLifetime time.Duration
	// AllowInternalBaseURLs is the server's setting of that name.
	AllowInternalBaseURLs bool
	// PolicySets installs the policies page's drafts (default: in memory).
	PolicySets web.PolicySets
	// Hosts answers the server's look-ups of base URL hosts; a name not in
	// it does not resolve (tests run without a network).
	Hosts map[string][]netip.Addr
	// OIDC turns on single sign-on (see StartProvider).
	OIDC *web.OIDCConfig
}

// New opens a store in dir, seeds it and builds the server.
func New(ctx context.Context, dir string, o Options) (*Env, error) {
	st, err := sqlite.Open(ctx, filepath.Join(dir, "claudit.db"))
	if err != nil {
		return nil, err
	}
	e := &Env{Store: st, Alerts: NewAlerts(), Policies: NewPolicies()}
	e.Alerts.Members = st.GroupUserIDs
	e.Control = &Control{Store: st, Run: o.RunBackfills, Step: o.Step}
	if err := e.seed(ctx, o.BulkMessages); err != nil {
		st.Close()
		return nil, err
	}
	now := o.Now
	if now == nil {
		now = func() time.Time { return Base.Add(24 * time.Hour) }
	}
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i + 1)
	}
	e.Server, err = web.New(web.Config{Store: st, Alerts: e.Alerts, Web: st, Policies: e.Policies, Control: e.Control,
		Log: slog.New(slog.DiscardHandler), SecretKey: key, Now: now, AllowInternalBaseURLs: o.AllowInternalBaseURLs,
		SessionTTL: o.SessionIdle, SessionMaxAge: o.SessionLifetime, OIDC: o.OIDC, PolicySets: o.PolicySets,
		LookupHost: func(_ context.Context, host string) ([]netip.Addr, error) {
			if ips, ok := o.Hosts[host]; ok {
				return ips, nil
			}
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}})
	if err != nil {
		st.Close()
		return nil, err
	}
	return e, nil
}

// Close releases the store.
func (e *Env) Close() error { return e.Store.Close() }

func (e *Env) seed(ctx context.Context, bulk int) error {
	for _, a := range []struct{ email, role string }{{AdminEmail, store.RoleAdmin}, {AnalystEmail, store.RoleAnalyst}, {ViewerEmail, store.RoleViewer}} {
		if _, err := web.AddUser(ctx, e.Store, a.email, a.role, Password); err != nil {
			return err
		}
	}
	e.Acme = &store.Integration{Name: "acme", BaseURL: "https://compliance.acme.test", Project: "prod", Interval: 5 * time.Minute, Source: "config"}
	e.Beta = &store.Integration{Name: "beta", BaseURL: "https://compliance.beta.test", Interval: 10 * time.Minute, Source: "api"}
	for _, in := range []*store.Integration{e.Acme, e.Beta} {
		if err := e.Store.UpsertIntegration(ctx, in); err != nil {
			return err
		}
	}
	if err := e.Store.MarkSynced(ctx, e.Acme.ID, Base.Add(-5*time.Minute), ""); err != nil {
		return err
	}
	at := func(d time.Duration) time.Time { return Base.Add(d) }
	alice := store.User{ID: "u-alice", Email: "alice@example.com", FullName: "Alice Liddell", Role: "user", FirstSeen: at(-72 * time.Hour), LastSeen: at(0)}
	bob := store.User{ID: "u-bob", Email: "bob@example.com", FullName: "Bob Builder", Role: "admin", FirstSeen: at(-48 * time.Hour), LastSeen: at(0)}
	leak := "Please review my key " + SecretKey + " and reply to " + PrivateMail + " today."
	hostile := XSSScript + " " + XSSImg + " " + XSSLink
	msg := func(id, chat string, seq int, role, text string, u store.User, t time.Time) store.Message {
		m := store.Message{ID: id, ChatID: chat, Seq: seq, Role: role, Text: text, Model: "claude-sonnet-4", CreatedAt: t, Tokens: (len(text) + 3) / 4}
		if role == "user" {
			m.UserID, m.UserEmail = u.ID, u.Email
		}
		return m
	}
	chats := []store.HydratedChat{
		{Chat: store.Chat{ID: "chat-leak", Name: "Key review", UserID: alice.ID, UserEmail: alice.Email, Model: "claude-sonnet-4", CreatedAt: at(-2 * time.Hour), UpdatedAt: at(-110 * time.Minute)},
			Messages: []store.Message{
				msg("msg-leak", "chat-leak", 0, "user", leak, alice, at(-2*time.Hour)),
				msg("msg-leak-reply", "chat-leak", 1, "assistant", "Never share keys like "+SecretKey+" in chats; rotate it now.", alice, at(-119*time.Minute)),
			}},
		{Chat: store.Chat{ID: "chat-xss", Name: XSSScript, UserID: bob.ID, UserEmail: bob.Email, Model: "claude-opus-4", CreatedAt: at(-26 * time.Hour), UpdatedAt: at(-25 * time.Hour)},
			Messages: []store.Message{
				msg("msg-xss", "chat-xss", 0, "user", hostile, bob, at(-26*time.Hour)),
				msg("msg-xss-reply", "chat-xss", 1, "assistant", "Here is <b>bold</b> and "+XSSImg, bob, at(-26*time.Hour+time.Minute)),
			}},
		{Chat: store.Chat{ID: "chat-plan", Name: "Quarterly plan", UserID: alice.ID, UserEmail: alice.Email, Model: "claude-haiku-4", CreatedAt: at(-50 * time.Hour), UpdatedAt: at(-49 * time.Hour)},
			Messages: []store.Message{
				msg("msg-plan", "chat-plan", 0, "user", "Draft a plan for the quarterly planning offsite.", alice, at(-50*time.Hour)),
				msg("msg-plan-reply", "chat-plan", 1, "assistant", "1. Goals\n2. Budget\n3. Agenda", alice, at(-50*time.Hour+time.Minute)),
			}},
	}
	if bulk > 0 {
		bc := store.HydratedChat{Chat: store.Chat{ID: "chat-bulk", Name: "Bulk", UserID: bob.ID, UserEmail: bob.Email, CreatedAt: at(-70 * time.Hour), UpdatedAt: at(-69 * time.Hour)}}
		for i := 0; i < bulk; i++ {
			role := "user"
			if i%2 == 1 {
				role = "assistant"
			}
			bc.Messages = append(bc.Messages, msg(fmt.Sprintf("msg-bulk-%05d", i), "chat-bulk", i, role, fmt.Sprintf("bulk message number %d about routine work", i), bob, at(-70*time.Hour+time.Duration(i)*time.Second)))
		}
		chats = append(chats, bc)
	}
	for i := range chats {
		for j := range chats[i].Messages {
			if chats[i].Chat.Model != "" {
				chats[i].Messages[j].Model = chats[i].Chat.Model
			}
		}
	}
	if _, err := e.Store.SaveChatPage(ctx, store.ChatPage{IntegrationID: e.Acme.ID, Chats: chats, Users: []store.User{alice, bob}}); err != nil {
		return err
	}
	acts := []store.Activity{
		{ID: "act-login", CreatedAt: at(-3 * time.Hour), Type: "user_logged_in", ActorType: "user", ActorUserID: alice.ID, ActorEmail: alice.Email, IP: "203.0.113.7", UserAgent: "Mozilla/5.0", Raw: []byte(`{"type":"user_logged_in","ip":"203.0.113.7"}`)},
		{ID: "act-share", CreatedAt: at(-90 * time.Minute), Type: "chat_shared", ActorType: "user", ActorUserID: alice.ID, ActorEmail: alice.Email, IP: "203.0.113.7", ChatID: "chat-leak", Raw: []byte(`{"type":"chat_shared"}`)},
		{ID: "act-xss", CreatedAt: at(-25 * time.Hour), Type: "project_created", ActorType: "user", ActorUserID: bob.ID, ActorEmail: bob.Email, IP: "198.51.100.4", UserAgent: XSSScript, Raw: []byte(`{"name":"<script>alert(1)</script>"}`)},
	}
	if _, err := e.Store.SaveActivityPage(ctx, store.ActivityPage{IntegrationID: e.Acme.ID, Activities: acts, Users: []store.User{alice, bob}}); err != nil {
		return err
	}
	ks, ke := strings.Index(leak, SecretKey), strings.Index(leak, SecretKey)+len(SecretKey)
	ms, me := strings.Index(leak, PrivateMail), strings.Index(leak, PrivateMail)+len(PrivateMail)
	find := func(policy, entity, sev string, start, end int, text string) store.Finding {
		return store.Finding{ChatID: "chat-leak", UserID: alice.ID, UserEmail: alice.Email, Policy: policy, Detector: policy, Entity: entity, Severity: sev,
			Action: "alert", EffectiveAction: "alert", Score: 1, Start: start, End: end, Excerpt: text[start:start+4] + "****", EventTime: at(-2 * time.Hour)}
	}
	evals := []store.Evaluation{
		{IntegrationID: e.Acme.ID, Kind: "prompt", EventID: "msg-leak", Version: "v1", Tags: []string{"secrets", "pii"},
			Findings: []store.Finding{find("secrets", "anthropic_api_key", "critical", ks, ke, leak), find("pii", "email", "medium", ms, me, leak)}},
		{IntegrationID: e.Acme.ID, Kind: "prompt", EventID: "msg-xss", Version: "v1", Tags: []string{"prompt-injection"},
			Findings: []store.Finding{{ChatID: "chat-xss", UserID: bob.ID, UserEmail: bob.Email, Policy: "prompt_injection", Detector: "injection", Entity: "script_tag",
				Severity: "high", Action: "alert", EffectiveAction: "alert", Score: 0.9, Start: 0, End: len(XSSScript), Excerpt: XSSScript, EventTime: at(-26 * time.Hour)}}},
		{IntegrationID: e.Acme.ID, Kind: "access", EventID: "act-share", Version: "v1", Tags: []string{"sharing"},
			Findings: []store.Finding{{ChatID: "chat-leak", UserID: alice.ID, UserEmail: alice.Email, Policy: "external_sharing", Detector: "activity", Entity: "chat_shared",
				Severity: "high", Action: "alert", EffectiveAction: "alert", Score: 1, EventTime: at(-90 * time.Minute)}}},
	}
	if err := e.Store.SaveEvaluations(ctx, evals); err != nil {
		return err
	}
	e.Alerts.Add(store.Alert{IntegrationID: e.Acme.ID, Policy: "secrets", Detector: "secrets", Severity: "critical", Action: "alert", Status: store.AlertOpen,
		UserID: alice.ID, UserEmail: alice.Email, ChatID: "chat-leak", EventKind: "prompt", EventID: "msg-leak", Entity: "anthropic_api_key",
		Excerpt: "sk-a****", Count: 1, FirstSeen: at(-2 * time.Hour), LastSeen: at(-2 * time.Hour)})
	e.Alerts.Add(store.Alert{IntegrationID: e.Acme.ID, Policy: "prompt_injection", Detector: "injection", Severity: "high", Action: "alert", Status: store.AlertOpen,
		UserID: bob.ID, UserEmail: bob.Email, ChatID: "chat-xss", EventKind: "prompt", EventID: "msg-xss", Entity: "script_tag",
		Excerpt: XSSScript, Count: 2, FirstSeen: at(-26 * time.Hour), LastSeen: at(-25 * time.Hour)})
	return nil
}

// Alerts is an in-memory web.AlertStore.
type Alerts struct {
	mu      sync.Mutex
	alerts  []store.Alert
	sups    []store.Suppression
	history map[int64][]store.AlertChange
	// Members resolves the group filter as the store does (its GroupUserIDs).
	Members func(ctx context.Context, integrationID int64, group string) ([]string, error)
}

var _ web.AlertStore = (*Alerts)(nil)

// NewAlerts returns an empty alert store.
func NewAlerts() *Alerts { return &Alerts{} }

// Add stores an alert and assigns its id.
func (a *Alerts) Add(al store.Alert) int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	al.ID = int64(len(a.alerts) + 1)
	a.alerts = append(a.alerts, al)
	return al.ID
}

// Alerts lists matching alerts, newest activity first unless sorted.
func (a *Alerts) Alerts(ctx context.Context, f store.AlertFilter) ([]store.Alert, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	out, err := a.match(f)
	if err != nil {
		return nil, err
	}
	if f.Offset > 0 {
		out = out[min(f.Offset, len(out)):]
	}
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

var sevRank = map[string]int{"critical": 5, "high": 4, "medium": 3, "low": 2, "info": 1}

func (a *Alerts) match(f store.AlertFilter) ([]store.Alert, error) {
	var out []store.Alert
	for _, al := range a.alerts {
		switch {
		case f.IntegrationID != 0 && al.IntegrationID != f.IntegrationID,
			f.Status != "" && al.Status != f.Status,
			f.Severity != "" && al.Severity != f.Severity,
			f.Policy != "" && al.Policy != f.Policy,
			f.User != "" && al.UserID != f.User && al.UserEmail != f.User,
			f.Assignee == "-" && al.Assignee != "",
			f.Assignee != "" && f.Assignee != "-" && al.Assignee != f.Assignee,
			!f.From.IsZero() && al.LastSeen.Before(f.From),
			!f.To.IsZero() && !al.LastSeen.Before(f.To),
			f.Group != "" && !a.inGroup(al, f.Group):
			continue
		}
		out = append(out, al)
	}
	var less func(x, y store.Alert) int
	switch f.Sort {
	case "", "last_seen":
		less = func(x, y store.Alert) int { return x.LastSeen.Compare(y.LastSeen) }
	case "first_seen":
		less = func(x, y store.Alert) int { return x.FirstSeen.Compare(y.FirstSeen) }
	case "severity":
		less = func(x, y store.Alert) int { return sevRank[x.Severity] - sevRank[y.Severity] }
	case "count":
		less = func(x, y store.Alert) int { return x.Count - y.Count }
	case "status":
		less = func(x, y store.Alert) int { return strings.Compare(x.Status, y.Status) }
	case "policy":
		less = func(x, y store.Alert) int { return strings.Compare(x.Policy, y.Policy) }
	case "user":
		less = func(x, y store.Alert) int { return strings.Compare(x.UserEmail, y.UserEmail) }
	case "assignee":
		less = func(x, y store.Alert) int { return strings.Compare(x.Assignee, y.Assignee) }
	default:
		return nil, fmt.Errorf("alert sort %q is not one of %s", f.Sort, strings.Join(store.AlertSorts, ", "))
	}
	sort.SliceStable(out, func(i, j int) bool {
		c := less(out[i], out[j])
		if c == 0 {
			c = out[i].LastSeen.Compare(out[j].LastSeen)
		}
		if f.Asc {
			return c < 0
		}
		return c > 0
	})
	return out, nil
}

// inGroup reports whether an alert's user is a member of the group.
func (a *Alerts) inGroup(al store.Alert, group string) bool {
	if a.Members == nil || al.UserID == "" {
		return false
	}
	ids, err := a.Members(context.Background(), al.IntegrationID, group)
	return err == nil && slices.Contains(ids, al.UserID)
}

// CountAlerts counts matching alerts.
func (a *Alerts) CountAlerts(ctx context.Context, f store.AlertFilter) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	out, err := a.match(f)
	return len(out), err
}

// AssignAlert sets the assignee and records the change.
func (a *Alerts) AssignAlert(ctx context.Context, id int64, assignee, by string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if id < 1 || int(id) > len(a.alerts) {
		return store.ErrNotFound
	}
	al := &a.alerts[id-1]
	if al.Assignee == assignee {
		return nil
	}
	a.record(id, store.AlertChange{At: time.Now(), By: by, FromStatus: al.Status, ToStatus: al.Status, FromAssignee: al.Assignee, ToAssignee: assignee})
	al.Assignee, al.UpdatedBy, al.UpdatedAt = assignee, by, time.Now()
	return nil
}

// AlertHistory lists the recorded changes of an alert.
func (a *Alerts) AlertHistory(ctx context.Context, id int64) ([]store.AlertChange, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]store.AlertChange(nil), a.history[id]...), nil
}

func (a *Alerts) record(id int64, c store.AlertChange) {
	if a.history == nil {
		a.history = map[int64][]store.AlertChange{}
	}
	a.history[id] = append(a.history[id], c)
}

// AlertByID reads one alert.
func (a *Alerts) AlertByID(ctx context.Context, id int64) (*store.Alert, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if id < 1 || int(id) > len(a.alerts) {
		return nil, store.ErrNotFound
	}
	al := a.alerts[id-1]
	return &al, nil
}

// SetAlertStatus records a lifecycle change.
func (a *Alerts) SetAlertStatus(ctx context.Context, id int64, status, by, comment string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if id < 1 || int(id) > len(a.alerts) {
		return store.ErrNotFound
	}
	al := &a.alerts[id-1]
	a.record(id, store.AlertChange{At: time.Now(), By: by, FromStatus: al.Status, ToStatus: status, FromAssignee: al.Assignee, ToAssignee: al.Assignee, Comment: comment})
	al.Status, al.UpdatedBy, al.Comment, al.UpdatedAt = status, by, comment, time.Now()
	return nil
}

// Suppressions lists suppressions.
func (a *Alerts) Suppressions(ctx context.Context) ([]store.Suppression, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]store.Suppression(nil), a.sups...), nil
}

// AddSuppression stores a suppression.
func (a *Alerts) AddSuppression(ctx context.Context, s *store.Suppression) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	s.ID = int64(len(a.sups) + 1)
	a.sups = append(a.sups, *s)
	return nil
}

// DeleteSuppression removes a suppression.
func (a *Alerts) DeleteSuppression(ctx context.Context, id int64) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, s := range a.sups {
		if s.ID == id {
			a.sups = append(a.sups[:i], a.sups[i+1:]...)
			return nil
		}
	}
	return store.ErrNotFound
}

// Policies is an in-memory web.Policies; Test flags the word "secret".
type Policies struct {
	mu sync.Mutex
	ps []web.PolicyInfo
}

// NewPolicies returns three policies.
func NewPolicies() *Policies {
	return &Policies{ps: []web.PolicyInfo{
		{Name: "secrets", Detector: "secrets", Severity: "critical", Action: "alert", Enabled: true, Tags: []string{"secrets"}, PassTag: "No Secrets", Params: map[string]any{"entropy": 3.5}},
		{Name: "pii", Detector: "pii", Severity: "medium", Action: "alert", Enabled: true, Tags: []string{"pii"}, PassTag: "No PII", Params: map[string]any{"entities": []any{"email", "phone"}}},
		{Name: "prompt_injection", Detector: "injection", Severity: "high", Action: "block", Enabled: false, Tags: []string{"prompt-injection"}, PassTag: "No Prompt Injection"},
	}}
}

// List returns the policies.
func (p *Policies) List() []web.PolicyInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]web.PolicyInfo(nil), p.ps...)
}

func (p *Policies) find(name string) (*web.PolicyInfo, error) {
	for i := range p.ps {
		if p.ps[i].Name == name {
			return &p.ps[i], nil
		}
	}
	return nil, fmt.Errorf("no policy named %q", name)
}

// SetEnabled turns a policy on or off.
func (p *Policies) SetEnabled(name string, on bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	pi, err := p.find(name)
	if err != nil {
		return err
	}
	pi.Enabled = on
	return nil
}

// SetParams replaces a policy's parameters.
func (p *Policies) SetParams(name string, params map[string]any) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	pi, err := p.find(name)
	if err != nil {
		return err
	}
	pi.Params = params
	return nil
}

// Test finds the word "secret" in text.
func (p *Policies) Test(ctx context.Context, name, text string) ([]store.Finding, []string, error) {
	p.mu.Lock()
	pi, err := p.find(name)
	p.mu.Unlock()
	if err != nil {
		return nil, nil, err
	}
	var fs []store.Finding
	for i := 0; ; {
		j := strings.Index(text[i:], "secret")
		if j < 0 {
			break
		}
		fs = append(fs, store.Finding{Policy: name, Detector: pi.Detector, Entity: "word", Severity: pi.Severity, Action: pi.Action,
			EffectiveAction: "alert", Score: 1, Start: i + j, End: i + j + 6, Excerpt: "se**et"})
		i += j + 6
	}
	if len(fs) == 0 {
		return nil, nil, nil
	}
	return fs, pi.Tags, nil
}

// Control is a fake web.Control: connection tests succeed when the key is
// non-empty; backfills are real jobs in the store, optionally worked on by a
// goroutine that finishes one batch per Step.
type Control struct {
	Store store.Store
	Run   bool
	Step  time.Duration
	// Keys records the keys TestConnection received.
	mu   sync.Mutex
	Keys []string
}

// TestConnection reports success for integrations with a key or from config.
// Keys containing BadKey fail as the API rejects a key (401), those
// containing DeadKey as an unreachable host would.
func (c *Control) TestConnection(ctx context.Context, in *store.Integration, apiKey string) (string, error) {
	c.mu.Lock()
	c.Keys = append(c.Keys, apiKey)
	c.mu.Unlock()
	switch {
	case in.Source != "config" && apiKey == "":
		return "", fmt.Errorf("no key")
	case strings.Contains(apiKey, BadKey):
		return "", &compliance.APIError{Status: http.StatusUnauthorized, Type: compliance.ErrAuthentication, Message: "invalid x-api-key",
			Method: "GET", Path: "/v1/compliance/activities"}
	case strings.Contains(apiKey, DeadKey):
		return "", fmt.Errorf("cannot reach %s: %w", in.BaseURL, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")})
	}
	return "activities, chats and org data reachable", nil
}

// TestMode is TestConnection with the mode: keys of an Admin API key
// (sk-ant-admin01-) reach only the Activity Feed.
func (c *Control) TestMode(ctx context.Context, in *store.Integration, apiKey string) (string, string, error) {
	msg, err := c.TestConnection(ctx, in, apiKey)
	if err != nil {
		return "", "", err
	}
	if strings.HasPrefix(apiKey, "sk-ant-admin01-") {
		return "the key reaches only the Activity Feed", "feed_only", nil
	}
	return msg, "full", nil
}

// Marks in a test API key that make the fake connection test fail.
const (
	BadKey  = "rejected"
	DeadKey = "unreachable"
)

// StartBackfill creates the job through ingest and, with Run, works on it.
func (c *Control) StartBackfill(ctx context.Context, integrationID int64, from, to time.Time) (*store.Backfill, error) {
	b, _, err := ingest.StartBackfill(ctx, c.Store, integrationID, from, to, 24*time.Hour)
	if err != nil {
		return nil, err
	}
	if c.Run {
		go c.work(b.ID)
	}
	return b, nil
}

func (c *Control) work(id int64) {
	ctx := context.Background()
	step := c.Step
	if step <= 0 {
		step = 150 * time.Millisecond
	}
	for {
		time.Sleep(step)
		bs, err := c.Store.ClaimBatches(ctx, id, "webtest", 1, time.Minute, 3)
		if err != nil || len(bs) == 0 {
			break
		}
		_ = c.Store.FinishBatch(ctx, bs[0].ID, "webtest", "")
	}
	if b, err := c.Store.Backfill(ctx, id); err == nil && b.Status == store.BackfillRunning && b.BatchesDone == b.Batches {
		_ = c.Store.SetBackfillStatus(ctx, id, store.BackfillDone, "")
	}
}
