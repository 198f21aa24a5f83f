package app

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/deletion"
	"github.com/claudit/claudit/internal/ingest"
	"github.com/claudit/claudit/internal/policy"
	"github.com/claudit/claudit/internal/policy/detect"
	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/web"
	"github.com/claudit/claudit/internal/web/secretbox"
)

// SecretKey reads the key that seals API keys stored from the dashboard;
// nil when the configured environment variable is unset. A passphrase is
// stretched with scrypt, salted with the database's install id; keys that
// earlier versions sealed with the passphrase's plain SHA-256 are re-sealed
// with the new key the first time it is read. The key is derived once per
// App (scrypt costs tens of milliseconds and every stored key's use asks for
// it), and again only if the variable's value changes.
func (a *App) SecretKey() ([]byte, error) {
	v := os.Getenv(a.Config.SecretKeyEnv)
	if v == "" {
		return nil, nil
	}
	c := &a.secret
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.key != nil && c.value == v {
		return c.key, nil
	}
	k, err := a.deriveSecretKey(v)
	if err != nil {
		return nil, err
	}
	c.value, c.key = v, k
	c.derivations++
	return k, nil
}

// secretKeyCache holds the derived sealing key and the environment value it
// was derived from; a failed derivation is not cached, so it is retried.
type secretKeyCache struct {
	mu          sync.Mutex
	value       string
	key         []byte
	derivations int // for the test that the key is derived once
}

// deriveSecretKey turns the variable's value v into the sealing key and
// re-seals what the legacy key of a passphrase sealed.
func (a *App) deriveSecretKey(v string) ([]byte, error) {
	id, err := a.Store.InstallID(context.Background())
	if err != nil {
		return nil, err
	}
	k, err := secretbox.ParseKeySalted(v, []byte(id))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.Config.SecretKeyEnv, err)
	}
	if secretbox.IsPassphrase(v) {
		if err := a.resealLegacy(context.Background(), secretbox.LegacyKey(v), k); err != nil {
			return nil, fmt.Errorf("re-seal stored API keys with the scrypt-derived key: %w", err)
		}
	}
	return k, nil
}

// resealLegacy re-seals, with key, the stored API keys sealed with legacy.
func (a *App) resealLegacy(ctx context.Context, legacy, key []byte) error {
	ins, err := a.Store.Integrations(ctx)
	if err != nil {
		return err
	}
	n := 0
	for _, in := range ins {
		sealed, err := a.Store.IntegrationKey(ctx, in.ID)
		if err != nil || sealed == "" {
			continue
		}
		if _, err := secretbox.Open(key, sealed); err == nil {
			continue
		}
		plain, err := secretbox.Open(legacy, sealed)
		if err != nil {
			continue // sealed with another key: integrationKey reports it
		}
		again, err := secretbox.Seal(key, plain)
		if err != nil {
			return err
		}
		if err := a.Store.SetIntegrationKey(ctx, in.ID, again); err != nil {
			return err
		}
		n++
	}
	if n > 0 {
		a.Log.Info("re-sealed stored API keys with the scrypt-derived secret key", "keys", n)
	}
	return nil
}

// refuseInternal says whether connections of in must not reach loopback,
// link-local or metadata addresses: those of integrations entered in the
// dashboard, unless the config allows internal base URLs. The config file's
// own integrations are the operator's to point anywhere.
func (a *App) refuseInternal(in *store.Integration) bool {
	if _, ok := a.ConfigIntegration(in.Name); ok {
		return false
	}
	return !a.Config.AllowInternalBaseURLs
}

// integrationKey resolves an integration's API key: from the config file for
// config integrations, else the sealed key stored by the dashboard.
func (a *App) integrationKey(ctx context.Context, in *store.Integration) (string, error) {
	if ci, ok := a.ConfigIntegration(in.Name); ok {
		return ci.ResolveAPIKey()
	}
	sealed, err := a.Store.IntegrationKey(ctx, in.ID)
	if err != nil {
		return "", err
	}
	if sealed == "" {
		return "", fmt.Errorf("integration %s has no stored API key: set one in the dashboard", in.Name)
	}
	key, err := a.SecretKey()
	if err != nil {
		return "", err
	}
	if key == nil {
		return "", fmt.Errorf("integration %s: its API key is encrypted; set %s to the key used when it was stored", in.Name, a.Config.SecretKeyEnv)
	}
	return secretbox.Open(key, sealed)
}

// Handler builds the dashboard and JSON API for serve.
func (a *App) Handler(ctx context.Context, p *Pipeline) (http.Handler, error) {
	key, err := a.SecretKey()
	if err != nil {
		return nil, err
	}
	if key == nil {
		a.Log.Warn("dashboard cannot store API keys of new integrations until a secret key is set",
			"env", a.Config.SecretKeyEnv, "hint", "export "+a.Config.SecretKeyEnv+"=$(openssl rand -base64 32)")
	}
	if err := web.EnsureAdmin(ctx, a.Store, "", os.Stderr); err != nil {
		return nil, err
	}
	sso, err := a.oidcConfig()
	if err != nil {
		return nil, err
	}
	// The reports page's "Send now": a scheduler of its own, whose sendings
	// are not claimed, so the scheduled ones still happen.
	reports, err := a.ReportScheduler(ctx, p)
	if err != nil {
		return nil, err
	}
	var sendReport func(ctx context.Context, name string) (string, error)
	if reports != nil {
		sendReport = func(ctx context.Context, name string) (string, error) {
			from, to, err := reports.SendNow(ctx, name)
			return fmt.Sprintf("%s, %s to %s", name, from.Format(time.DateOnly), to.AddDate(0, 0, -1).Format(time.DateOnly)), err
		}
	}
	srv, err := web.New(web.Config{Store: a.Store, Alerts: a.Store, Web: a.Store, Policies: &policyAdapter{r: p.Policies}, PolicySets: p.PolicySets,
		Control: &control{a: a}, Deletions: a.DeletionService(), Log: a.Log, SecretKey: key, SecretKeyEnv: a.Config.SecretKeyEnv, BaseURL: a.Config.BaseURL,
		SecureCookies: strings.HasPrefix(a.Config.BaseURL, "https://"), AllowInternalBaseURLs: a.Config.AllowInternalBaseURLs,
		SessionTTL: a.Config.Sessions.Idle.Duration, SessionMaxAge: a.Config.Sessions.Absolute.Duration, OIDC: sso,
		RetentionDays: a.Config.RetentionDays, ReportSchedules: a.webReportSchedules(), ReportLocation: a.reportLocation(), SendReport: sendReport})
	if err != nil {
		return nil, err
	}
	return srv.Handler(), nil
}

// oidcConfig turns the oidc section into the dashboard's single sign-on;
// nil when it is off. The client secret comes from the environment.
func (a *App) oidcConfig() (*web.OIDCConfig, error) {
	o := a.Config.OIDC
	if !o.Enabled() {
		return nil, nil
	}
	secret := os.Getenv(o.ClientSecretEnv)
	if secret == "" {
		return nil, fmt.Errorf("oidc: set %s to the client secret the provider gave claudit", o.ClientSecretEnv)
	}
	return &web.OIDCConfig{Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: secret, RedirectURL: a.Config.OIDCRedirectURL(),
		Scopes: o.Scopes, RoleClaim: o.RoleClaim, DefaultRole: o.DefaultRole, Label: o.Label,
		Roles: map[string][]string{store.RoleAdmin: o.Admins, store.RoleAnalyst: o.Analysts, store.RoleViewer: o.Viewers}}, nil
}

// policyAdapter shows the policy engine to the dashboard. Edits apply at once
// to new events and last until the policies file is reloaded or claudit restarts.
type policyAdapter struct {
	r  *policy.Reloadable
	mu sync.Mutex
}

func (p *policyAdapter) List() []web.PolicyInfo {
	cfg := p.r.Engine().Config()
	out := make([]web.PolicyInfo, 0, len(cfg.Policies))
	for _, pol := range cfg.Policies {
		tags := slices.Clone(pol.Tags)
		// The engine tags a pass with the detector's default when the
		// policy names none; the dashboard must know it to count it as passed.
		pass := pol.PassTag
		if pass == "" {
			pass = policy.DefaultPassTag(pol.Detector)
		}
		if pass != "" {
			tags = append(tags, pass)
		}
		out = append(out, web.PolicyInfo{Name: pol.Name, Detector: pol.Detector, Severity: string(pol.Severity),
			Action: string(pol.Action), Enabled: pol.Enabled, Tags: tags, PassTag: pass, Params: map[string]any(pol.Params)})
	}
	return out
}

// edit rebuilds the engine with one policy changed.
func (p *policyAdapter) edit(name string, change func(*policy.Policy)) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	cur := p.r.Engine().Config()
	next := *cur
	next.Policies = slices.Clone(cur.Policies)
	i := slices.IndexFunc(next.Policies, func(x policy.Policy) bool { return x.Name == name })
	if i < 0 {
		return fmt.Errorf("no policy named %q", name)
	}
	change(&next.Policies[i])
	eng, err := policy.NewEngine(&next, p.r.Options()...)
	if err != nil {
		return err // names the policy and the field, as policies --validate does
	}
	p.r.Set(eng)
	return nil
}

func (p *policyAdapter) SetEnabled(name string, on bool) error {
	return p.edit(name, func(pol *policy.Policy) { pol.Enabled = on })
}

func (p *policyAdapter) SetParams(name string, params map[string]any) error {
	return p.edit(name, func(pol *policy.Policy) { pol.Params = detect.Params(params) })
}

// Test evaluates text against one policy, enabled for the test even when it is off.
func (p *policyAdapter) Test(ctx context.Context, name, text string) ([]store.Finding, []string, error) {
	cur := p.r.Engine().Config()
	i := slices.IndexFunc(cur.Policies, func(x policy.Policy) bool { return x.Name == name })
	if i < 0 {
		return nil, nil, fmt.Errorf("no policy named %q", name)
	}
	one := *cur
	one.Policies = []policy.Policy{cur.Policies[i]}
	one.Policies[0].Enabled = true
	one.Policies[0].Roles = nil
	eng, err := policy.NewEngine(&one, p.r.Options()...)
	if err != nil {
		return nil, nil, err
	}
	res := eng.Evaluate(ctx, detect.Input{Text: text, Role: detect.RoleUser})
	var out []store.Finding
	for _, f := range res.Findings {
		out = append(out, store.Finding{Policy: f.Policy, Detector: f.Finding.Detector, Entity: f.Finding.Entity, Severity: string(f.Severity),
			Action: string(f.Action), EffectiveAction: string(f.EffectiveAction), Score: f.Finding.Score, Start: f.Finding.Start,
			End: f.Finding.End, Excerpt: f.Finding.Excerpt})
	}
	return out, res.Tags, nil
}

// DeletionService carries out approved deletions with the integrations'
// keys; nil when the store keeps no deletion requests.
func (a *App) DeletionService() *deletion.Service {
	return &deletion.Service{Store: a.Store, Deletions: a.Store, Audit: a.Store, Client: a.integrationClient}
}

// integrationClient builds a Compliance API client with an integration's key.
func (a *App) integrationClient(ctx context.Context, in *store.Integration) (*compliance.Client, error) {
	key, err := a.integrationKey(ctx, in)
	if err != nil {
		return nil, err
	}
	return compliance.New(compliance.Options{BaseURL: in.BaseURL, APIKey: key, RequestsPerMinute: in.RateLimit,
		UserAgent: "claudit/" + Version, Logger: a.Log.With("integration", in.Name), RefuseInternal: a.refuseInternal(in)})
}

// control lets the dashboard check keys and start backfills.
type control struct{ a *App }

func (c *control) TestConnection(ctx context.Context, in *store.Integration, apiKey string) (string, error) {
	msg, _, err := c.TestMode(ctx, in, apiKey)
	return msg, err
}

// TestMode is TestConnection that also tells the mode the key allows:
// "feed_only" for a key that reaches only the Activity Feed, else "full".
func (c *control) TestMode(ctx context.Context, in *store.Integration, apiKey string) (string, string, error) {
	stored := apiKey == "" // the delete scope is recorded only for the stored key
	if apiKey == "" {
		k, err := c.a.integrationKey(ctx, in)
		if err != nil {
			return "", "", err
		}
		apiKey = k
	}
	cl, err := compliance.New(compliance.Options{BaseURL: in.BaseURL, APIKey: apiKey, UserAgent: "claudit/" + Version,
		RefuseInternal: c.a.refuseInternal(in)})
	if err != nil {
		return "", "", err
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	reach, err := cl.Probe(pctx)
	if err != nil {
		return "", "", describeProbeError(in.Name, in.BaseURL, err)
	}
	parts := []string{"Activity Feed"}
	if reach.UserData {
		parts = append(parts, "chats, files, projects, users")
	}
	if reach.OrgData {
		parts = append(parts, "organizations, roles, groups")
	}
	if svc := c.a.DeletionService(); svc != nil && stored && in.ID != 0 && reach.UserData {
		held, err := svc.CheckScope(pctx, in)
		switch {
		case err != nil:
			c.a.Log.Warn("could not check the delete scope", "integration", in.Name, "err", err)
		case held:
			parts = append(parts, "deletes (approved deletion requests can be carried out)")
		}
	}
	msg, mode := "connected: the key reaches "+strings.Join(parts, "; "), "full"
	if reach.FeedOnly() {
		msg += " (feed-only mode: chats and messages are not synced)"
		mode = "feed_only"
	}
	return msg, mode, nil
}

func (c *control) StartBackfill(ctx context.Context, integrationID int64, from, to time.Time) (*store.Backfill, error) {
	job, _, err := ingest.StartBackfill(ctx, c.a.Store, integrationID, from, to, c.a.Config.Backfill.BatchWindow.Duration)
	if err != nil {
		return nil, err
	}
	return job, nil
}
