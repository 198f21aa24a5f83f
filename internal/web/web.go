// Package web serves claudit's investigation dashboard and its JSON API
// (/api/v1) from one http.Handler: server-rendered html/template pages with
// embedded assets, local accounts with roles, CSRF protection, a strict
// Content-Security-Policy and an access audit of what each account viewed.
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/claudit/claudit/internal/deletion"
	"github.com/claudit/claudit/internal/policy"
	"github.com/claudit/claudit/internal/policyset"
	"github.com/claudit/claudit/internal/store"
)

//go:embed templates/*.html static/*
var assets embed.FS

// PolicyInfo describes one policy for the dashboard.
type PolicyInfo struct {
	Name     string   `json:"name"`
	Detector string   `json:"detector"`
	Severity string   `json:"severity"`
	Action   string   `json:"action"`
	Enabled  bool     `json:"enabled"`
	Tags     []string `json:"tags,omitempty"`
	// PassTag is the tag of a text the policy found nothing in ("No PII").
	PassTag string         `json:"pass_tag,omitempty"`
	Params  map[string]any `json:"params,omitempty"`
}

// Policies is the policy engine as the dashboard sees it.
type Policies interface {
	List() []PolicyInfo
	SetEnabled(name string, on bool) error
	SetParams(name string, params map[string]any) error
	// Test evaluates text against one policy and returns its findings and tags.
	Test(ctx context.Context, name, text string) ([]store.Finding, []string, error)
}

// PolicySets installs the policy sets edited on the policies page
// (policyset.Installer).
type PolicySets interface {
	// Installed returns the policy file in effect and where it comes from.
	Installed() (data []byte, source string, err error)
	// Install makes data the policy file in effect and reloads the engine.
	Install(data []byte) error
	// Options are the running engine's options, for trial runs.
	Options() []policy.Option
}

// Control acts on integrations: checking a key and starting backfills.
type Control interface {
	// TestConnection checks an integration's key and reports what it reaches.
	TestConnection(ctx context.Context, in *store.Integration, apiKey string) (string, error)
	// StartBackfill creates (or resumes) a backfill job and gets it worked on.
	StartBackfill(ctx context.Context, integrationID int64, from, to time.Time) (*store.Backfill, error)
}

// BackfillResumer is optionally implemented by a Control that must be told
// when a paused backfill is resumed; without it, resuming only sets the status.
type BackfillResumer interface {
	ResumeBackfill(ctx context.Context, backfillID int64) error
}

// AlertStore is the part of the store the alert and suppression pages
// use; tests give the server an in-memory one (webtest.Alerts).
type AlertStore interface {
	Alerts(ctx context.Context, f store.AlertFilter) ([]store.Alert, error)
	AlertByID(ctx context.Context, id int64) (*store.Alert, error)
	SetAlertStatus(ctx context.Context, id int64, status, by, comment string) error
	CountAlerts(ctx context.Context, f store.AlertFilter) (int, error)
	AssignAlert(ctx context.Context, id int64, assignee, by string) error
	AlertHistory(ctx context.Context, id int64) ([]store.AlertChange, error)
	Suppressions(ctx context.Context) ([]store.Suppression, error)
	AddSuppression(ctx context.Context, s *store.Suppression) error
	DeleteSuppression(ctx context.Context, id int64) error
}

// Config is what the server needs; Store, Web and Log are required.
type Config struct {
	Store    store.Store
	Alerts   AlertStore // nil until alerting is wired: alert pages say so
	Web      store.Store
	Policies Policies // nil: the policies page is empty
	Control  Control  // nil: test connection and backfills are unavailable
	Log      *slog.Logger
	// SecretKey seals API keys of integrations created in the UI (32 bytes);
	// empty refuses to store keys.
	SecretKey []byte
	// SecretKeyEnv names the variable SecretKey came from, for error messages.
	SecretKeyEnv string
	// BaseURL is the public URL of the dashboard (used to check Origin headers).
	BaseURL string
	// SecureCookies marks cookies Secure (serve over HTTPS).
	SecureCookies bool
	// SessionTTL is how long an idle browser session lasts (default 12h).
	SessionTTL time.Duration
	// SessionMaxAge is how long a session lasts however busy it is
	// (default 7 days): then its user signs in again.
	SessionMaxAge time.Duration
	// AccountLimit and AddressLimit lock sign-ins after repeated failures
	// for one account or from one client address (default
	// DefaultAccountLimit and DefaultAddressLimit).
	AccountLimit, AddressLimit LoginLimit
	// AllowInternalBaseURLs lets integrations entered here point at
	// loopback, link-local and metadata addresses (the simulator, tests);
	// off, such base URLs are refused.
	AllowInternalBaseURLs bool
	// LookupHost resolves a base URL's host for that check (default: the
	// system resolver); tests replace it.
	LookupHost func(ctx context.Context, host string) ([]netip.Addr, error)
	// Deletions carries out approved deletions; nil: deletion is unavailable.
	Deletions *deletion.Service
	// PolicySets installs edited policy sets; nil keeps them in memory
	// over the built-in defaults, without an engine (tests).
	PolicySets PolicySets
	// OIDC turns on single sign-on; nil offers passwords only.
	OIDC *OIDCConfig
	// RetentionDays is the configured retention, for the compliance
	// sections of reports (0 keeps events until deleted).
	RetentionDays int
	// ReportSchedules are the scheduled reports serve sends, listed on the
	// reports page.
	ReportSchedules []ReportSchedule
	// ReportLocation is the time zone whose days reports cover, nil when
	// report_timezone is not set (pages then use the account's display
	// zone, the API UTC); a request's tz parameter overrides it.
	ReportLocation *time.Location
	// SendReport sends a schedule's latest period now and says what was
	// sent; nil: the reports page offers no "Send now".
	SendReport func(ctx context.Context, schedule string) (string, error)
	// Now replaces the clock in tests.
	Now func() time.Time
}

// Server is the dashboard and API.
type Server struct {
	cfg    Config
	st     store.Store
	ws     store.Store
	alerts AlertStore
	log    *slog.Logger
	pages  map[string]*pageTemplate // times in UTC
	// zonePages are the pages parsed for other display zones.
	zonePages zonePages
	static    fs.FS
	metrics   *metrics
	sso       *sso // nil without single sign-on
	handler   http.Handler
}

// New builds a server from its configuration.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Web == nil {
		return nil, errors.New("web: Store and Web are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.SessionMaxAge <= 0 {
		cfg.SessionMaxAge = 7 * 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.AccountLimit = cfg.AccountLimit.orDefault(DefaultAccountLimit)
	cfg.AddressLimit = cfg.AddressLimit.orDefault(DefaultAddressLimit)
	if cfg.SecretKeyEnv == "" {
		cfg.SecretKeyEnv = "CLAUDIT_SECRET_KEY"
	}
	if len(cfg.SecretKey) != 0 && len(cfg.SecretKey) != 32 {
		return nil, fmt.Errorf("web: secret key must be 32 bytes, got %d", len(cfg.SecretKey))
	}
	if cfg.PolicySets == nil {
		cfg.PolicySets = &policyset.Installer{}
	}
	s := &Server{cfg: cfg, st: cfg.Store, ws: cfg.Web, alerts: cfg.Alerts, log: cfg.Log}
	var err error
	if cfg.OIDC != nil {
		if s.sso, err = newSSO(*cfg.OIDC); err != nil {
			return nil, err
		}
	}
	if s.pages, err = parsePages(funcsIn(time.UTC)); err != nil {
		return nil, err
	}
	s.static, _ = fs.Sub(assets, "static")
	s.metrics = newMetrics(s)
	s.handler = s.routes()
	return s, nil
}

// Handler returns the root handler: pages, /api/v1, /static, /healthz, /readyz and /metrics.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) now() time.Time { return s.cfg.Now() }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	// Unauthenticated.
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", s.metrics.handler())
	mux.Handle("GET /static/", http.StripPrefix("/static/", s.staticHandler()))
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.loginSubmit)
	mux.HandleFunc("POST /logout", s.logout)
	if s.sso != nil {
		mux.HandleFunc("GET /login/oidc", s.oidcStart)
		mux.HandleFunc("GET /login/oidc/callback", s.oidcCallback)
	}

	// Pages.
	// A handler returns its error; the page wrapper answers it with the
	// HTML error page, the API wrapper with the JSON error (render.go).
	page := func(pattern string, role string, h handler) {
		mux.Handle(pattern, s.requirePage(role, s.pageErrors(h)))
	}
	page("GET /{$}", store.RoleViewer, s.overviewPage)
	page("GET /events", store.RoleViewer, s.eventsPage)
	page("GET /events/{kind}/{iid}/{id}", store.RoleViewer, s.eventPage)
	page("GET /sessions", store.RoleViewer, s.sessionsPage)
	page("GET /sessions/{iid}/{id}", store.RoleViewer, s.sessionPage)
	page("GET /users", store.RoleViewer, s.usersPage)
	page("GET /users/{iid}/{id}", store.RoleViewer, s.userPage)
	page("GET /alerts", store.RoleViewer, s.alertsPage)
	page("GET /alerts/{id}", store.RoleViewer, s.alertPage)
	page("POST /alerts/{id}/status", store.RoleAnalyst, s.alertStatusSubmit)
	page("POST /alerts/{id}/assign", store.RoleAnalyst, s.alertAssignSubmit)
	page("POST /alerts/bulk", store.RoleAnalyst, s.alertsBulkSubmit)
	page("GET /suppressions", store.RoleViewer, s.suppressionsPage)
	page("POST /suppressions", store.RoleAnalyst, s.suppressionCreateSubmit)
	page("POST /suppressions/{id}/delete", store.RoleAnalyst, s.suppressionDeleteSubmit)
	page("GET /inventory", store.RoleAnalyst, s.inventoryPage)
	page("GET /deletions", store.RoleAnalyst, s.deletionsPage)
	page("POST /deletions", store.RoleAnalyst, s.deletionCreateSubmit)
	page("POST /deletions/{id}/{action}", store.RoleAdmin, s.deletionActionSubmit)
	page("GET /integrations", store.RoleViewer, s.integrationsPage)
	page("POST /integrations", store.RoleAdmin, s.integrationCreateSubmit)
	page("GET /integrations/{id}", store.RoleViewer, s.integrationPage)
	page("POST /integrations/{id}", store.RoleAdmin, s.integrationEditSubmit)
	page("POST /integrations/{id}/{action}", store.RoleAdmin, s.integrationActionSubmit)
	page("POST /backfills", store.RoleAdmin, s.backfillCreateSubmit)
	page("POST /backfills/{id}/{action}", store.RoleAdmin, s.backfillActionSubmit)
	page("GET /policies", store.RoleViewer, s.policiesPage)
	page("POST /policies/{name}/{action}", store.RoleAnalyst, s.policyActionSubmit)
	page("POST /policies/draft/{action}", store.RoleAnalyst, s.policyDraftSubmit)
	page("POST /policies/units/{key}/{action}", store.RoleAdmin, s.policyUnitSubmit)
	page("GET /reports", store.RoleAnalyst, s.reportsPage)
	page("GET /reports/view", store.RoleAnalyst, s.reportView)
	page("GET /reports/download", store.RoleAnalyst, s.reportDownload)
	page("POST /reports/schedules/{name}/send", store.RoleAdmin, s.reportSendSubmit)
	page("GET /datasets", store.RoleAnalyst, s.datasetsPage)
	page("POST /datasets", store.RoleAnalyst, s.datasetCreateSubmit)
	page("POST /datasets/{id}/delete", store.RoleAnalyst, s.datasetDeleteSubmit)
	page("GET /datasets/{id}/download", store.RoleAnalyst, s.jsonErrors(s.datasetDownload))
	page("GET /export", store.RoleViewer, s.jsonErrors(s.exportEvents))
	page("GET /audit", store.RoleAdmin, s.auditPage)
	page("GET /audit/export", store.RoleAdmin, s.jsonErrors(s.auditExport))
	page("GET /accounts", store.RoleAdmin, s.accountsPage)
	page("POST /accounts", store.RoleAdmin, s.accountCreateSubmit)
	page("POST /accounts/{id}", store.RoleAdmin, s.accountEditSubmit)
	page("POST /lockouts/lift", store.RoleAdmin, s.unlockSubmit)
	page("GET /account", store.RoleViewer, s.accountPage)
	page("POST /account", store.RoleViewer, s.accountZoneSubmit)
	page("GET /tokens", store.RoleViewer, s.tokensPage)
	page("POST /tokens", store.RoleViewer, s.tokenCreateSubmit)
	page("POST /tokens/{id}/revoke", store.RoleViewer, s.tokenRevokeSubmit)

	// JSON API.
	api := func(pattern string, role string, h handler) { mux.Handle(pattern, s.requireAPI(role, s.apiErrors(h))) }
	api("GET /api/v1/me", store.RoleViewer, s.apiMe)
	api("GET /api/v1/overview", store.RoleViewer, s.apiOverview)
	api("GET /api/v1/events", store.RoleViewer, s.apiEvents)
	api("GET /api/v1/events/{kind}/{iid}/{id}", store.RoleViewer, s.apiEvent)
	api("GET /api/v1/sessions", store.RoleViewer, s.apiSessions)
	api("GET /api/v1/sessions/{iid}/{id}", store.RoleViewer, s.apiSession)
	api("GET /api/v1/users", store.RoleViewer, s.apiUsers)
	api("GET /api/v1/users/{iid}/{id}", store.RoleViewer, s.apiUser)
	api("GET /api/v1/alerts", store.RoleViewer, s.apiAlerts)
	api("GET /api/v1/alerts/{id}", store.RoleViewer, s.apiAlert)
	api("POST /api/v1/alerts/{id}/{action}", store.RoleAnalyst, s.apiAlertAction)
	api("GET /api/v1/alerts/{id}/history", store.RoleViewer, s.apiAlertHistory)
	api("POST /api/v1/alerts/{id}/assign", store.RoleAnalyst, s.apiAlertAssign)
	api("POST /api/v1/alerts/bulk", store.RoleAnalyst, s.apiAlertsBulk)
	api("GET /api/v1/suppressions", store.RoleViewer, s.apiSuppressions)
	api("POST /api/v1/suppressions", store.RoleAnalyst, s.apiAddSuppression)
	api("DELETE /api/v1/suppressions/{id}", store.RoleAnalyst, s.apiDeleteSuppression)
	api("GET /api/v1/inventory", store.RoleAnalyst, s.apiInventory)
	api("GET /api/v1/deletions", store.RoleAnalyst, s.apiDeletions)
	api("POST /api/v1/deletions", store.RoleAnalyst, s.apiDeletionCreate)
	api("POST /api/v1/deletions/{id}/{action}", store.RoleAdmin, s.apiDeletionAction)
	api("GET /api/v1/integrations", store.RoleViewer, s.apiIntegrations)
	api("POST /api/v1/integrations", store.RoleAdmin, s.apiIntegrationCreate)
	api("GET /api/v1/integrations/{id}", store.RoleViewer, s.apiIntegration)
	api("PATCH /api/v1/integrations/{id}", store.RoleAdmin, s.apiIntegrationEdit)
	api("DELETE /api/v1/integrations/{id}", store.RoleAdmin, s.apiIntegrationDelete)
	api("POST /api/v1/integrations/{id}/{action}", store.RoleAdmin, s.apiIntegrationAction)
	api("GET /api/v1/backfills", store.RoleViewer, s.apiBackfills)
	api("POST /api/v1/backfills", store.RoleAdmin, s.apiBackfillCreate)
	api("GET /api/v1/backfills/{id}", store.RoleViewer, s.apiBackfill)
	api("GET /api/v1/backfills/{id}/batches", store.RoleViewer, s.apiBatches)
	api("POST /api/v1/backfills/{id}/{action}", store.RoleAdmin, s.apiBackfillAction)
	api("GET /api/v1/policies", store.RoleViewer, s.apiPolicies)
	api("POST /api/v1/policies/{name}/enable", store.RoleAdmin, s.apiPolicyEnable)
	api("POST /api/v1/policies/{name}/disable", store.RoleAdmin, s.apiPolicyDisable)
	api("PUT /api/v1/policies/{name}/params", store.RoleAdmin, s.apiPolicyParams)
	api("POST /api/v1/policies/{name}/test", store.RoleAnalyst, s.apiPolicyTest)
	api("GET /api/v1/export", store.RoleViewer, s.exportEvents)
	api("GET /api/v1/reports", store.RoleAnalyst, s.apiReport)
	api("POST /api/v1/reports/schedules/{name}/send", store.RoleAdmin, s.apiReportSend)
	api("GET /api/v1/datasets", store.RoleAnalyst, s.apiDatasets)
	api("POST /api/v1/datasets", store.RoleAnalyst, s.apiDatasetCreate)
	api("GET /api/v1/datasets/{id}", store.RoleAnalyst, s.apiDataset)
	api("GET /api/v1/datasets/{id}/download", store.RoleAnalyst, s.datasetDownload)
	api("DELETE /api/v1/datasets/{id}", store.RoleAnalyst, s.apiDatasetDelete)
	api("GET /api/v1/audit", store.RoleAdmin, s.apiAudit)
	api("GET /api/v1/audit/export", store.RoleAdmin, s.auditExport)
	api("GET /api/v1/accounts", store.RoleAdmin, s.apiAccounts)
	api("GET /api/v1/lockouts", store.RoleAdmin, s.apiLockouts)
	api("DELETE /api/v1/lockouts/{key}", store.RoleAdmin, s.apiUnlock)
	api("PUT /api/v1/me/time_zone", store.RoleViewer, s.apiAccountZone)
	api("GET /api/v1/tokens", store.RoleViewer, s.apiTokens)
	api("POST /api/v1/tokens", store.RoleViewer, s.apiTokenCreate)
	api("DELETE /api/v1/tokens/{id}", store.RoleViewer, s.apiTokenRevoke)
	mux.Handle("/api/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such API endpoint: see docs/API.md")
	}))
	return s.metrics.instrument(securityHeaders(mux))
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if _, err := s.st.Integrations(ctx); err != nil {
		s.log.Warn("readiness check failed", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("store unavailable\n"))
		return
	}
	if _, err := s.ws.CountAccounts(ctx); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("store unavailable\n"))
		return
	}
	w.Write([]byte("ready\n"))
}

func (s *Server) staticHandler() http.Handler {
	fsrv := http.FileServerFS(s.static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fsrv.ServeHTTP(w, r)
	})
}

// securityHeaders sets the strict CSP and companions on every response.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin") // no-referrer would make browsers send "Origin: null" on our own forms
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// ContentSecurityPolicy is sent with every response: no inline script or
// style, nothing from other origins.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
