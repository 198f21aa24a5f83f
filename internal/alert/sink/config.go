package sink

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"
)

// Defaults shared by every sink type.
const (
	// DefaultMaxTextBytes bounds Event.Text and Alert.Excerpt in a payload.
	DefaultMaxTextBytes = 64 << 10
	// DefaultTimeout bounds one attempt (one request, one connection).
	DefaultTimeout = 10 * time.Second
)

// Config is one configured sink, as read from YAML:
//
//	sinks:
//	  - type: webhook
//	    name: soc
//	    filter: {min_severity: high}
//	    webhook: {url: https://soc.example/hook, secret: ...}
//
// Type picks the sink and the matching sub-struct holds its settings; the
// sub-structs of other types must be empty.
type Config struct {
	// Type is one of Types(): webhook, slack, splunk_hec, syslog, ocsf,
	// email, pagerduty.
	Type string `yaml:"type"`
	// Name identifies the sink in logs and the outbox; defaults to Type.
	Name   string `yaml:"name"`
	Filter Filter `yaml:"filter"`
	// MaxTextBytes truncates Event.Text and Alert.Excerpt (payloads say so);
	// 0 means DefaultMaxTextBytes (some sinks use a lower default, see each).
	MaxTextBytes int `yaml:"max_text_bytes"`
	// Timeout bounds one attempt; 0 means DefaultTimeout.
	Timeout time.Duration `yaml:"timeout"`
	// Version is claudit's version, set by the program (not from YAML); it
	// appears in CEF headers and OCSF metadata.
	Version string `yaml:"-"`

	Webhook *WebhookConfig `yaml:"webhook"`
	Slack   *SlackConfig   `yaml:"slack"`
	Splunk  *SplunkConfig  `yaml:"splunk_hec"`
	Syslog  *SyslogConfig  `yaml:"syslog"`
	OCSF    *OCSFConfig    `yaml:"ocsf"`
	Email   *EmailConfig   `yaml:"email"`
	// PagerDuty is set for type "pagerduty".
	PagerDuty *PagerDutyConfig `yaml:"pagerduty"`
}

// TextLimit returns MaxTextBytes or def when unset.
func (c Config) TextLimit(def int) int {
	if c.MaxTextBytes > 0 {
		return c.MaxTextBytes
	}
	return def
}

// AttemptTimeout returns Timeout or DefaultTimeout when unset.
func (c Config) AttemptTimeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

// ProductVersion returns Version or "dev" when unset.
func (c Config) ProductVersion() string {
	if c.Version != "" {
		return c.Version
	}
	return "dev"
}

// WebhookConfig configures a generic JSON webhook (type "webhook").
type WebhookConfig struct {
	// URL receives a POST per delivery (or per batch).
	URL string `yaml:"url"`
	// Secret keys the HMAC-SHA256 signature in X-Claudit-Signature; empty
	// sends no signature.
	Secret string `yaml:"secret"`
	// Batch sends one JSON array per Send instead of one object per delivery.
	Batch bool `yaml:"batch"`
	// Headers are added to every request (e.g. Authorization).
	Headers map[string]string `yaml:"headers"`
	TLS     TLSConfig         `yaml:"tls"`
}

// PagerDutyConfig configures the PagerDuty Events API v2 (type "pagerduty").
type PagerDutyConfig struct {
	// RoutingKey is the integration key of an Events API v2 service.
	RoutingKey string `yaml:"routing_key"`
	// URL is the enqueue endpoint; empty means
	// https://events.pagerduty.com/v2/enqueue.
	URL string    `yaml:"url"`
	TLS TLSConfig `yaml:"tls"`
}

// SlackConfig configures a Slack incoming webhook (type "slack").
type SlackConfig struct {
	// WebhookURL is the incoming-webhook URL Slack gave the app.
	WebhookURL string `yaml:"webhook_url"`
}

// SplunkConfig configures a Splunk HTTP Event Collector (type "splunk_hec").
type SplunkConfig struct {
	// URL is the HEC base URL, e.g. https://splunk.example:8088; the
	// /services/collector/event path is appended unless already present.
	URL   string `yaml:"url"`
	Token string `yaml:"token"`
	// Index, Source, SourceType and Host set the HEC metadata; empty Index
	// uses the token's default index. SourceType defaults to "claudit:alert"
	// or "claudit:event" by kind, Source to "claudit", Host to the hostname.
	Index      string `yaml:"index"`
	Source     string `yaml:"source"`
	SourceType string `yaml:"sourcetype"`
	Host       string `yaml:"host"`
	// Ack enables indexer acknowledgement: Send waits until Splunk reports
	// the events indexed, or AckTimeout (default 30s) passes, polling every
	// AckInterval (default 1s).
	Ack         bool          `yaml:"ack"`
	AckTimeout  time.Duration `yaml:"ack_timeout"`
	AckInterval time.Duration `yaml:"ack_interval"`
	// MaxRequestBytes splits a batch into requests of at most this size
	// (default 1 MiB, below HEC's default max_content_length).
	MaxRequestBytes int       `yaml:"max_request_bytes"`
	TLS             TLSConfig `yaml:"tls"`
}

// SyslogConfig configures RFC 5424 syslog (type "syslog").
type SyslogConfig struct {
	// Network is "udp", "tcp" (RFC 6587 octet counting) or "tls" (RFC 5425).
	Network string `yaml:"network"`
	// Address is host:port of the collector.
	Address string `yaml:"address"`
	// Format of the message body: "json" (default) or "cef".
	Format string `yaml:"format"`
	// Facility name: kern, user, mail, daemon, auth, syslog, lpr, news,
	// uucp, cron, authpriv, ftp, local0 … local7; default local0.
	Facility string `yaml:"facility"`
	// AppName is the APP-NAME header field; default "claudit".
	AppName string `yaml:"app_name"`
	// Hostname is the HOSTNAME header field; default the machine's name.
	Hostname string    `yaml:"hostname"`
	TLS      TLSConfig `yaml:"tls"`
}

// OCSFConfig configures the OCSF JSON-lines output (type "ocsf").
type OCSFConfig struct {
	// Output is "file" (append to Path, fsync per batch), "stdout" or
	// "http" (POST application/x-ndjson to URL).
	Output  string            `yaml:"output"`
	Path    string            `yaml:"path"`
	URL     string            `yaml:"url"`
	Headers map[string]string `yaml:"headers"`
	TLS     TLSConfig         `yaml:"tls"`
	// DataSecurityDetectors lists the detectors whose alerts map to Data
	// Security Finding (2006) instead of Detection Finding (2004); default
	// pii and secrets.
	DataSecurityDetectors []string `yaml:"data_security_detectors"`
}

// EmailConfig configures SMTP mail (type "email").
type EmailConfig struct {
	// Host and Port of the SMTP server; Port defaults to 587.
	Host string `yaml:"host"`
	Port int    `yaml:"port"`
	// Username and Password enable AUTH PLAIN, which is only sent over TLS
	// (or to localhost).
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	From     string `yaml:"from"`
	// To lists the recipients of every message.
	To []string `yaml:"to"`
	// StartTLS is "auto" (default: upgrade when the server offers it),
	// "require" (fail if not offered) or "never".
	StartTLS string    `yaml:"starttls"`
	TLS      TLSConfig `yaml:"tls"`
	// SubjectPrefix starts every subject; default "[claudit]".
	SubjectPrefix string `yaml:"subject_prefix"`
	// MaxPerMessage caps the alerts in one message (default 50); a larger
	// batch is sent as several messages.
	MaxPerMessage int `yaml:"max_per_message"`
}

// TLSConfig is the client side of a TLS connection.
type TLSConfig struct {
	// CAFile is a PEM bundle of CAs to trust instead of the system pool.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are a client certificate for mutual TLS.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ServerName overrides the name checked in the server certificate.
	ServerName string `yaml:"server_name"`
	// InsecureSkipVerify disables certificate checks; for tests only.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// Client builds a *tls.Config; serverName is used when ServerName is empty.
func (c TLSConfig) Client(serverName string) (*tls.Config, error) {
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         serverName,
		InsecureSkipVerify: c.InsecureSkipVerify, //nolint:gosec // opt-in, documented as test-only
	}
	if c.ServerName != "" {
		cfg.ServerName = c.ServerName
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read tls ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls ca_file %s: no PEM certificates found", c.CAFile)
		}
		cfg.RootCAs = pool
	}
	if c.CertFile != "" || c.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load tls client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// Factory builds a sink of one type from its Config.
type Factory func(Config) (Sink, error)

// registry is filled by the sink subpackages' init functions only and read
// afterwards, so it needs no lock.
var registry = map[string]Factory{}

// Register makes a sink type available to New. Sink subpackages call it from
// init; registering a type twice panics, as it is a programming error.
func Register(typ string, f Factory) {
	if _, dup := registry[typ]; dup {
		panic("sink: Register called twice for type " + typ)
	}
	registry[typ] = f
}

// Types lists the registered sink types, sorted.
func Types() []string {
	return slices.Sorted(maps.Keys(registry))
}

// New builds the sink cfg describes. The sink types must be registered,
// normally by importing internal/alert/sink/all.
func New(cfg Config) (Sink, error) {
	if cfg.Name == "" {
		cfg.Name = cfg.Type
	}
	f, ok := registry[cfg.Type]
	if !ok {
		valid := strings.Join(Types(), ", ")
		if valid == "" {
			valid = "none registered: import internal/alert/sink/all"
		}
		return nil, fmt.Errorf("sink %q: unknown type %q (valid types: %s)", cfg.Name, cfg.Type, valid)
	}
	if err := cfg.Filter.Validate(); err != nil {
		return nil, fmt.Errorf("sink %q: %w", cfg.Name, err)
	}
	if err := cfg.checkSettings(); err != nil {
		return nil, fmt.Errorf("sink %q: %w", cfg.Name, err)
	}
	if cfg.MaxTextBytes < 0 {
		return nil, fmt.Errorf("sink %q: max_text_bytes must not be negative", cfg.Name)
	}
	s, err := f(cfg)
	if err != nil {
		return nil, fmt.Errorf("sink %q (%s): %w", cfg.Name, cfg.Type, err)
	}
	return s, nil
}

// checkSettings rejects a settings block meant for another type, a likely
// copy-paste mistake that would otherwise be ignored silently.
func (c Config) checkSettings() error {
	given := map[string]bool{
		"webhook": c.Webhook != nil, "slack": c.Slack != nil, "splunk_hec": c.Splunk != nil,
		"syslog": c.Syslog != nil, "ocsf": c.OCSF != nil, "email": c.Email != nil, "pagerduty": c.PagerDuty != nil,
	}
	for _, typ := range slices.Sorted(maps.Keys(given)) {
		if given[typ] && typ != c.Type {
			return fmt.Errorf("has %s settings but type %q; remove them or set type: %s", typ, c.Type, typ)
		}
	}
	if !given[c.Type] {
		return fmt.Errorf("type %s needs a %s: block with its settings", c.Type, c.Type)
	}
	return nil
}
