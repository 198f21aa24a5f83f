package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseDefaultsAndErrors(t *testing.T) {
	tests := []struct {
		name, yaml, wantErr string
	}{
		{"minimal", "integrations:\n  - name: acme\n    api_key_env: K\n", ""},
		{"unknown field", "integrations:\n  - name: acme\n    api_kye: x\n", "c.yaml:3: field api_kye not found"},
		{"bad interval", "integrations:\n  - name: acme\n    api_key: k\n    interval: soon\n", `c.yaml:4: "soon" is not a duration`},
		{"no key", "integrations:\n  - name: acme\n", "c.yaml:2: integrations[0]: set exactly one of"},
		{"two keys", "integrations:\n  - name: a\n    api_key: k\n    api_key_env: K\n", "c.yaml:2: integrations[0]: set exactly one"},
		{"page size", "integrations:\n  - name: acme\n    api_key: k\n    page_size: 9000\n", "c.yaml:4: integrations[0].page_size: 9000 is outside 1..5000"},
		{"duplicate", "integrations:\n  - name: a\n    api_key: k\n  - name: a\n    api_key: k\n", `c.yaml:4: integrations[1].name: "a" is used twice`},
		{"database", "database: mysql://x\n", `c.yaml:1: database: "mysql://x" must start with sqlite://`},
		{"base url", "integrations:\n  - name: a\n    api_key: k\n    base_url: ftp://x\n", "c.yaml:4: integrations[0].base_url"},
		{"syntax", "integrations: [\n", "c.yaml: "},
		{"pool too small", "database_pool: 2\nintegrations:\n  - name: a\n    api_key: k\n", "c.yaml:1: database_pool: 2 is below 4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("c.yaml", []byte(tc.yaml))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				in := c.Integrations[0]
				if in.Interval.Duration != 5*time.Minute || in.BaseURL != "https://api.anthropic.com" || in.PageSize != 1000 || c.Database != "sqlite://./claudit.db" || c.DatabasePool != 16 {
					t.Fatalf("defaults not applied: %+v", in)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %q does not contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestResolveAPIKeyNeverLeaksKey(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "key")
	os.WriteFile(f, []byte("sk-ant-api01-secret\n"), 0o600)
	k, err := Integration{Name: "a", APIKeyFile: f}.ResolveAPIKey()
	if err != nil || k != "sk-ant-api01-secret" {
		t.Fatalf("file key: %q %v", k, err)
	}
	t.Setenv("CLAUDIT_TEST_KEY", "sk-ant-api01-env")
	k, _ = Integration{Name: "a", APIKeyEnv: "CLAUDIT_TEST_KEY"}.ResolveAPIKey()
	if k != "sk-ant-api01-env" {
		t.Fatalf("env key: %q", k)
	}
	_, err = Integration{Name: "a", APIKeyEnv: "CLAUDIT_TEST_MISSING"}.ResolveAPIKey()
	if err == nil || !strings.Contains(err.Error(), "CLAUDIT_TEST_MISSING") {
		t.Fatalf("missing env: %v", err)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"7d": 7 * 24 * time.Hour, "90s": 90 * time.Second, "0": 0, "1.5h": 90 * time.Minute} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	for _, bad := range []string{"-1h", "x", "3w"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// TestSQLitePathFollowsConfigFile: a relative sqlite path is taken from the
// config file's folder, whatever the working directory.
func TestSQLitePathFollowsConfigFile(t *testing.T) {
	tests := []struct{ cfgPath, database, want string }{
		{"/etc/claudit/claudit.yaml", "sqlite://./claudit.db", "/etc/claudit/claudit.db"},
		{"/etc/claudit/claudit.yaml", "sqlite://data/c.db", "/etc/claudit/data/c.db"},
		{"/etc/claudit/claudit.yaml", "sqlite://../var/c.db", "/etc/var/c.db"},
		{"/etc/claudit/claudit.yaml", "sqlite:///var/lib/claudit/c.db", "/var/lib/claudit/c.db"},
		{"claudit.yaml", "sqlite://./claudit.db", "claudit.db"},
		{"conf/claudit.yaml", "sqlite://claudit.db", "conf/claudit.db"},
	}
	for _, tc := range tests {
		c, err := Parse(tc.cfgPath, []byte("database: "+tc.database+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := c.SQLitePath(); !ok || got != tc.want {
			t.Errorf("%s in %s: %q, want %q", tc.database, tc.cfgPath, got, tc.want)
		}
	}
	// Without a config file, the working directory.
	if got, _ := Default().SQLitePath(); got != "./claudit.db" {
		t.Errorf("default: %q", got)
	}
	if _, ok := (&Config{Database: "postgres://x"}).SQLitePath(); ok {
		t.Error("a postgres URL is not a sqlite path")
	}
}

func TestOIDCValidation(t *testing.T) {
	base := "base_url: https://claudit.example.com\noidc:\n  issuer: https://login.example.com\n  client_id: claudit\n"
	tests := []struct{ name, yaml, wantErr string }{
		{"ok", base + "  analysts: [soc]\n", ""},
		{"default role only", base + "  default_role: viewer\n", ""},
		{"no roles", base, "oidc: no one could sign in"},
		{"bad default", base + "  default_role: root\n", `oidc.default_role: "root" is not one of`},
		{"no client", "base_url: https://c.example.com\noidc:\n  issuer: https://login.example.com\n  admins: [a]\n", "c.yaml:3: oidc.client_id: is required"},
		{"no base url", "oidc:\n  issuer: https://login.example.com\n  client_id: c\n  admins: [a]\n", "set base_url (or oidc.redirect_url)"},
		{"issuer scheme", "base_url: https://c.example.com\noidc:\n  issuer: login.example.com\n  client_id: c\n  admins: [a]\n", "oidc.issuer"},
		{"off", "oidc: {}\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("c.yaml", []byte(tc.yaml))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.OIDC.Enabled() && (c.OIDCRedirectURL() != "https://claudit.example.com/login/oidc/callback" || c.OIDC.RoleClaim != "groups" ||
					c.OIDC.ClientSecretEnv != "CLAUDIT_OIDC_CLIENT_SECRET") {
					t.Fatalf("defaults: %+v %s", c.OIDC, c.OIDCRedirectURL())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %q does not contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestReportSchedules(t *testing.T) {
	good := `database: sqlite://x.db
reports:
  - name: weekly
    every: weekly
    sink: mail
    to: [ciso@example.com]
  - name: daily
    every: daily
    hour: 7
    format: md
    sink: mail
`
	c, err := Parse("c.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if w := c.Reports[0]; w.Weekday != "monday" || w.WeekdayOf() != time.Monday || w.Format != "html" {
		t.Errorf("weekly defaults: %+v", w)
	}
	if c.ReportLocation() != time.UTC {
		t.Errorf("default report time zone %v", c.ReportLocation())
	}
	c, err = Parse("c.yaml", []byte("report_timezone: America/New_York\n"+good))
	if err != nil || c.ReportLocation().String() != "America/New_York" {
		t.Fatalf("report_timezone: %v %v", c, err)
	}
	bad := `database: sqlite://x.db
report_timezone: Mars/Olympus
reports:
  - name: r
    every: hourly
    sink: mail
  - name: r
    every: weekly
    weekday: someday
    hour: 24
    to: [not-an-address]
    format: pdf
`
	_, err = Parse("c.yaml", []byte(bad))
	if err == nil {
		t.Fatal("a bad schedule was accepted")
	}
	for _, want := range []string{`c.yaml:2: report_timezone: "Mars/Olympus" is not an IANA time zone name`,
		`c.yaml:5: reports[0].every: "hourly": use daily or weekly`, `c.yaml:7: reports[1].name: "r" is used twice`,
		`c.yaml:9: reports[1].weekday`, `c.yaml:10: reports[1].hour: 24 is outside 0..23`, `reports[1].sink: is required`,
		`reports[1].to[0]: "not-an-address"`, `c.yaml:12: reports[1].format: "pdf"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
