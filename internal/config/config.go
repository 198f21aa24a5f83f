// Package config loads claudit's YAML configuration: types, defaults and
// validation whose errors name the file, line and field.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the whole claudit configuration.
type Config struct {
	// Database is sqlite://PATH (default ./claudit.db; a relative PATH is
	// taken from the config file's folder) or postgres://….
	Database string `yaml:"database"`
	// DatabasePool caps this process's PostgreSQL connections (default 16;
	// docs/SCALING.md has the arithmetic for several processes).
	DatabasePool int `yaml:"database_pool"`
	// Listen is the dashboard/API address of `claudit serve`.
	Listen string `yaml:"listen"`
	// BaseURL is how users reach the dashboard, for links in alerts.
	BaseURL string `yaml:"base_url"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `yaml:"log_level"`
	// PoliciesFile overrides the built-in default policy set.
	PoliciesFile string        `yaml:"policies_file"`
	Integrations []Integration `yaml:"integrations"`
	Backfill     Backfill      `yaml:"backfill"`
	// Sinks are alert and event destinations; each entry is decoded by the sink package.
	Sinks []yaml.Node `yaml:"sinks"`
	// AlertWindow groups findings of one policy, user and chat into one alert (default 1h).
	AlertWindow Duration `yaml:"alert_window"`
	// Retention drops stored events older than this many days (0 keeps everything).
	RetentionDays int `yaml:"retention_days"`
	// SecretKeyEnv names the environment variable holding the key that encrypts stored API keys.
	SecretKeyEnv string `yaml:"secret_key_env"`
	// AllowInternalBaseURLs lets integrations entered in the dashboard point
	// at loopback, link-local and metadata addresses (a local simulator);
	// off by default, so an admin cannot send the stored key to this host or
	// the cloud metadata service.
	AllowInternalBaseURLs bool `yaml:"allow_internal_base_urls"`
	// Sessions bounds dashboard sign-ins.
	Sessions Sessions `yaml:"sessions"`
	// OIDC turns on single sign-on to the dashboard through an OpenID
	// Connect provider, beside local accounts.
	OIDC OIDC `yaml:"oidc"`
	// Reports are e-mailed on a schedule by serve (docs/DASHBOARD.md).
	Reports []Report `yaml:"reports"`
	// ReportTimezone is the IANA time zone (Europe/Berlin) whose days
	// reports cover and whose hours schedules are sent in; default UTC.
	ReportTimezone string `yaml:"report_timezone"`

	// Process names what this process runs (the command, like "serve"); the
	// command line sets it, and PostgreSQL shows it in application_name.
	Process string `yaml:"-"`

	path string
	root *yaml.Node
}

// Integration is one Compliance API connection.
type Integration struct {
	// Name identifies the integration in the dashboard, logs and commands; unique.
	Name string `yaml:"name"`
	// BaseURL is the Compliance API's address (default https://api.anthropic.com).
	BaseURL string `yaml:"base_url"`
	// APIKey is the Compliance Access Key itself; set exactly one of
	// api_key, api_key_env and api_key_file, preferably not this one.
	APIKey string `yaml:"api_key"`
	// APIKeyEnv names the environment variable holding the key.
	APIKeyEnv string `yaml:"api_key_env"`
	// APIKeyFile is a file holding the key.
	APIKeyFile string `yaml:"api_key_file"`
	// Project is a label stored with the integration and shown in the
	// dashboard; the sync covers the whole organization either way.
	Project string `yaml:"project"`
	// Interval between sync cycles (default 5m).
	Interval Duration `yaml:"interval"`
	// Paused pauses syncing at every start; false leaves the pause and
	// resume of the dashboard in force.
	Paused bool `yaml:"paused"`
	// RateLimit is requests per minute this integration may use (default 600).
	RateLimit int `yaml:"rate_limit"`
	// PageSize is the activity page size (default 1000, max 5000).
	PageSize int `yaml:"page_size"`
	// InitialLookback bounds the first sync (0 = the whole history).
	InitialLookback Duration `yaml:"initial_lookback"`
	// Overlap re-polls this trailing window each cycle for late activities (default 10m).
	Overlap Duration `yaml:"overlap"`
	// HydrateConcurrency is how many chats are fetched at once (default 8).
	HydrateConcurrency int `yaml:"hydrate_concurrency"`
}

// Backfill tunes backfill jobs.
type Backfill struct {
	// BatchWindow is the time span of one batch (default 24h).
	BatchWindow Duration `yaml:"batch_window"`
	// Concurrency is how many batches run at once (default 4).
	Concurrency int `yaml:"concurrency"`
	// MaxAttempts before a batch stays failed (default 5).
	MaxAttempts int `yaml:"max_attempts"`
	// Lease is how long a process holds a batch without renewing it; a
	// killed process's batches are taken over after it (default 2m).
	Lease Duration `yaml:"lease"`
}

// Sessions are the lifetimes of a dashboard sign-in.
type Sessions struct {
	// Idle ends a session unused this long (default 12h).
	Idle Duration `yaml:"idle"`
	// Absolute ends a session this long after sign-in, however busy
	// (default 7d).
	Absolute Duration `yaml:"absolute"`
}

// OIDC is single sign-on through an OpenID Connect provider (Okta, Entra
// ID, Google, Keycloak, ...); an empty issuer turns it off. A person's
// account is created at their first sign-in, and the role claim decides
// their role at every sign-in.
type OIDC struct {
	// Issuer is the provider's issuer URL, where
	// /.well-known/openid-configuration is found.
	Issuer string `yaml:"issuer"`
	// ClientID is claudit's client id at the provider.
	ClientID string `yaml:"client_id"`
	// ClientSecretEnv names the environment variable holding the client
	// secret.
	ClientSecretEnv string `yaml:"client_secret_env"`
	// RedirectURL is the callback to register at the provider (default:
	// base_url followed by /login/oidc/callback).
	RedirectURL string `yaml:"redirect_url"`
	// Scopes are asked for besides openid; add the one that makes your
	// provider send the role claim (often groups).
	Scopes []string `yaml:"scopes"`
	// RoleClaim names the claim holding a person's groups or roles: a
	// string or a list of strings, from the ID token or userinfo.
	RoleClaim string `yaml:"role_claim"`
	// Admins lists the role claim values that grant the admin role; of
	// admins, analysts and viewers the most powerful match wins.
	Admins []string `yaml:"admins"`
	// Analysts lists the role claim values that grant the analyst role.
	Analysts []string `yaml:"analysts"`
	// Viewers lists the role claim values that grant the viewer role.
	Viewers []string `yaml:"viewers"`
	// DefaultRole is the role of people whose claim matches none of those
	// (admin, analyst or viewer); empty refuses them.
	DefaultRole string `yaml:"default_role"`
	// Label is the text of the sign-in button.
	Label string `yaml:"label"`
}

// Enabled reports whether single sign-on is configured.
func (o OIDC) Enabled() bool { return o.Issuer != "" }

// Duration is a time.Duration written as "5m", "24h" or "7d".
type Duration struct{ time.Duration }

// UnmarshalYAML parses Go durations plus a "d" (days) suffix.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	d.Duration = v
	return nil
}

// MarshalYAML writes the Go spelling.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// ParseDuration parses "90s", "5m", "24h" and "7d".
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q is not a duration (use 90s, 5m, 24h or 7d)", s)
		}
		return time.Duration(n * 24 * float64(time.Hour)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration (use 90s, 5m, 24h or 7d)", s)
	}
	return d, nil
}

// Default is the configuration used when no file exists.
func Default() *Config {
	c := &Config{}
	c.ApplyDefaults()
	return c
}

// DefaultDatabasePool and MinDatabasePool bound database_pool.
const (
	DefaultDatabasePool = 16
	MinDatabasePool     = 4
)

// ApplyDefaults fills every unset field with its default.
func (c *Config) ApplyDefaults() {
	c.applyReportDefaults()
	if c.Database == "" {
		c.Database = "sqlite://./claudit.db"
	}
	if c.DatabasePool == 0 {
		c.DatabasePool = DefaultDatabasePool
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	if c.SecretKeyEnv == "" {
		c.SecretKeyEnv = "CLAUDIT_SECRET_KEY"
	}
	if c.Backfill.BatchWindow.Duration == 0 {
		c.Backfill.BatchWindow.Duration = 24 * time.Hour
	}
	if c.Backfill.Concurrency == 0 {
		c.Backfill.Concurrency = 4
	}
	if c.Backfill.MaxAttempts == 0 {
		c.Backfill.MaxAttempts = 5
	}
	if c.Backfill.Lease.Duration == 0 {
		c.Backfill.Lease.Duration = 2 * time.Minute
	}
	if c.OIDC.ClientSecretEnv == "" {
		c.OIDC.ClientSecretEnv = "CLAUDIT_OIDC_CLIENT_SECRET"
	}
	if c.OIDC.RoleClaim == "" {
		c.OIDC.RoleClaim = "groups"
	}
	if len(c.OIDC.Scopes) == 0 {
		c.OIDC.Scopes = []string{"email", "profile"}
	}
	if c.OIDC.Label == "" {
		c.OIDC.Label = "Sign in with single sign-on"
	}
	if c.Sessions.Idle.Duration == 0 {
		c.Sessions.Idle.Duration = 12 * time.Hour
	}
	if c.Sessions.Absolute.Duration == 0 {
		c.Sessions.Absolute.Duration = 7 * 24 * time.Hour
	}
	for i := range c.Integrations {
		in := &c.Integrations[i]
		if in.BaseURL == "" {
			in.BaseURL = "https://api.anthropic.com"
		}
		if in.Interval.Duration == 0 {
			in.Interval.Duration = 5 * time.Minute
		}
		if in.RateLimit == 0 {
			in.RateLimit = 600
		}
		if in.PageSize == 0 {
			in.PageSize = 1000
		}
		if in.Overlap.Duration == 0 {
			in.Overlap.Duration = 10 * time.Minute
		}
		if in.HydrateConcurrency == 0 {
			in.HydrateConcurrency = 8
		}
	}
}

// Path is the file the config was loaded from ("" for defaults).
func (c *Config) Path() string { return c.path }

// Load reads and validates a config file. A missing file at the default path
// yields the defaults; a missing explicit path is an error.
func Load(path string, explicit bool) (*Config, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && !explicit {
		return Default(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, b)
}

// Parse decodes and validates YAML; errors read "file:line: field: problem".
func Parse(path string, b []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c := &Config{path: path, root: &root}
	if len(root.Content) > 0 {
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(c); err != nil {
			return nil, decodeError(path, err)
		}
	}
	c.ApplyDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// decodeError rewrites yaml's "line N: msg" errors as "path:N: msg", one per line.
func decodeError(path string, err error) error {
	var te *yaml.TypeError
	msgs := []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	out := make([]string, 0, len(msgs))
	for _, m := range msgs {
		m = strings.TrimSpace(m)
		if rest, ok := strings.CutPrefix(m, "line "); ok {
			if num, msg, ok := strings.Cut(rest, ": "); ok {
				out = append(out, fmt.Sprintf("%s:%s: %s", path, num, msg))
				continue
			}
		}
		out = append(out, path+": "+m)
	}
	return errors.New(strings.Join(out, "\n"))
}

// FieldError is a validation error located in the file.
type FieldError struct {
	Path  string
	Line  int
	Field string
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s: %s", e.Path, e.Line, e.Field, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", e.Path, e.Field, e.Msg)
}

// fieldErr locates a dotted field path like integrations[1].interval.
func (c *Config) fieldErr(field string, format string, args ...any) error {
	return &FieldError{Path: c.path, Line: LineOf(c.root, field), Field: field, Msg: fmt.Sprintf(format, args...)}
}

func (c *Config) validate() error {
	var errs []error
	if !strings.HasPrefix(c.Database, "sqlite://") && !strings.HasPrefix(c.Database, "postgres://") && !strings.HasPrefix(c.Database, "postgresql://") {
		errs = append(errs, c.fieldErr("database", "%q must start with sqlite:// or postgres://", c.Database))
	}
	if c.Sessions.Idle.Duration < 0 || c.Sessions.Absolute.Duration < 0 || c.Sessions.Absolute.Duration < c.Sessions.Idle.Duration {
		errs = append(errs, c.fieldErr("sessions", "idle %s and absolute %s must be positive, with absolute at least idle", c.Sessions.Idle.Duration, c.Sessions.Absolute.Duration))
	}
	if c.DatabasePool < MinDatabasePool {
		errs = append(errs, c.fieldErr("database_pool", "%d is below %d: a process holds one connection for leadership and needs more for syncs, backfills, delivery and the dashboard", c.DatabasePool, MinDatabasePool))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, c.fieldErr("log_level", "%q is not one of debug, info, warn, error", c.LogLevel))
	}
	seen := map[string]bool{}
	for i, in := range c.Integrations {
		f := fmt.Sprintf("integrations[%d]", i)
		if in.Name == "" {
			errs = append(errs, c.fieldErr(f+".name", "is required"))
		} else if seen[in.Name] {
			errs = append(errs, c.fieldErr(f+".name", "%q is used twice", in.Name))
		}
		seen[in.Name] = true
		if !strings.HasPrefix(in.BaseURL, "http://") && !strings.HasPrefix(in.BaseURL, "https://") {
			errs = append(errs, c.fieldErr(f+".base_url", "%q must be an http:// or https:// URL", in.BaseURL))
		}
		n := 0
		for _, k := range []string{in.APIKey, in.APIKeyEnv, in.APIKeyFile} {
			if k != "" {
				n++
			}
		}
		if n != 1 {
			errs = append(errs, c.fieldErr(f, "set exactly one of api_key_env, api_key_file or api_key"))
		}
		if in.Interval.Duration < time.Second {
			errs = append(errs, c.fieldErr(f+".interval", "must be at least 1s"))
		}
		if in.PageSize < 1 || in.PageSize > 5000 {
			errs = append(errs, c.fieldErr(f+".page_size", "%d is outside 1..5000", in.PageSize))
		}
		if in.RateLimit < 1 {
			errs = append(errs, c.fieldErr(f+".rate_limit", "must be positive (requests per minute)"))
		}
	}
	errs = append(errs, c.validateOIDC()...)
	errs = append(errs, c.validateReports()...)
	if c.Backfill.Concurrency < 1 || c.Backfill.Concurrency > 64 {
		errs = append(errs, c.fieldErr("backfill.concurrency", "%d is outside 1..64", c.Backfill.Concurrency))
	}
	if c.Backfill.BatchWindow.Duration < time.Minute {
		errs = append(errs, c.fieldErr("backfill.batch_window", "must be at least 1m"))
	}
	return errors.Join(errs...)
}

func (c *Config) validateOIDC() []error {
	o := c.OIDC
	if !o.Enabled() {
		return nil
	}
	var errs []error
	if !strings.HasPrefix(o.Issuer, "https://") && !strings.HasPrefix(o.Issuer, "http://") {
		errs = append(errs, c.fieldErr("oidc.issuer", "%q must be the provider's https:// issuer URL", o.Issuer))
	}
	if o.ClientID == "" {
		errs = append(errs, c.fieldErr("oidc.client_id", "is required: register claudit at the provider and copy its client id"))
	}
	if o.RedirectURL == "" && c.BaseURL == "" {
		errs = append(errs, c.fieldErr("oidc", "set base_url (or oidc.redirect_url) so the provider can send people back"))
	}
	switch o.DefaultRole {
	case "", "admin", "analyst", "viewer":
	default:
		errs = append(errs, c.fieldErr("oidc.default_role", "%q is not one of admin, analyst, viewer (or empty to refuse)", o.DefaultRole))
	}
	if len(o.Admins)+len(o.Analysts)+len(o.Viewers) == 0 && o.DefaultRole == "" {
		errs = append(errs, c.fieldErr("oidc", "no one could sign in: list role claim values under admins, analysts or viewers, or set default_role"))
	}
	return errs
}

// OIDCRedirectURL is the callback the provider sends people back to.
func (c *Config) OIDCRedirectURL() string {
	if c.OIDC.RedirectURL != "" {
		return c.OIDC.RedirectURL
	}
	return strings.TrimRight(c.BaseURL, "/") + "/login/oidc/callback"
}

// APIKey resolves an integration's key from the env, a file or the literal value.
// The key itself never appears in errors.
func (in Integration) ResolveAPIKey() (string, error) {
	switch {
	case in.APIKeyEnv != "":
		v := strings.TrimSpace(os.Getenv(in.APIKeyEnv))
		if v == "" {
			return "", fmt.Errorf("integration %s: environment variable %s is empty or not set", in.Name, in.APIKeyEnv)
		}
		return v, nil
	case in.APIKeyFile != "":
		b, err := os.ReadFile(in.APIKeyFile)
		if err != nil {
			return "", fmt.Errorf("integration %s: read api_key_file: %w", in.Name, err)
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("integration %s: api_key_file %s is empty", in.Name, in.APIKeyFile)
		}
		return v, nil
	}
	return in.APIKey, nil
}

// SQLitePath returns the file of a sqlite:// database URL. A relative path
// is taken from the folder of the config file, so `claudit serve --config
// /etc/claudit/claudit.yaml` finds the same database from any working
// directory; without a config file it is taken from the working directory.
func (c *Config) SQLitePath() (string, bool) {
	p, ok := strings.CutPrefix(c.Database, "sqlite://")
	if !ok || p == "" || filepath.IsAbs(p) || c.path == "" {
		return p, ok
	}
	return filepath.Join(filepath.Dir(c.path), p), true
}

// LineOf finds the line of a dotted path like "integrations[1].interval" in a
// parsed YAML document, falling back to the nearest existing parent (0 if none).
func LineOf(root *yaml.Node, path string) int {
	if root == nil {
		return 0
	}
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, part := range strings.Split(path, ".") {
		key, idx := part, -1
		if i := strings.IndexByte(part, '['); i >= 0 && strings.HasSuffix(part, "]") {
			key = part[:i]
			idx, _ = strconv.Atoi(part[i+1 : len(part)-1])
		}
		next := mapValue(n, key)
		if next == nil {
			return line
		}
		n, line = next, next.Line
		if idx >= 0 {
			if n.Kind != yaml.SequenceNode || idx >= len(n.Content) {
				return line
			}
			n, line = n.Content[idx], n.Content[idx].Line
		}
	}
	return line
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			// Point at the key's line: that is where the user looks.
			v := n.Content[i+1]
			if v.Kind == yaml.ScalarNode {
				return &yaml.Node{Kind: v.Kind, Value: v.Value, Line: n.Content[i].Line}
			}
			return v
		}
	}
	return nil
}
