// Package app wires claudit's parts from a Config: the store, one Compliance
// API client and syncer per integration, and the long-running workers of
// `serve`. Commands in cmd/claudit call it; it holds no domain logic itself.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/config"
	"github.com/claudit/claudit/internal/evaluate"
	"github.com/claudit/claudit/internal/ingest"
	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/store/sqlite"
)

// App is an opened configuration: store plus logger.
type App struct {
	Config *config.Config
	Store  store.Store
	Log    *slog.Logger
	// Evaluate, when set, evaluates stored events not yet evaluated (policies).
	Evaluate func(ctx context.Context) error
	// evaluator is the policy pipeline once OpenPipeline ran; ingest follows it.
	evaluator *evaluate.Pipeline
	// secret caches the sealing key, whose scrypt derivation is slow.
	secret secretKeyCache
}

// NewLogger builds the process logger at the configured level.
func NewLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// OpenStore opens the configured database.
func OpenStore(ctx context.Context, cfg *config.Config) (store.Store, error) {
	if path, ok := cfg.SQLitePath(); ok {
		if path == "" {
			return nil, fmt.Errorf("database %q names no file: use sqlite://./claudit.db", cfg.Database)
		}
		return sqlite.Open(ctx, path)
	}
	if strings.HasPrefix(cfg.Database, "postgres") {
		return openPostgres(ctx, cfg)
	}
	return nil, fmt.Errorf("database %q: unsupported scheme (sqlite:// or postgres://)", cfg.Database)
}

// Open loads the store and registers the configured integrations in it.
func Open(ctx context.Context, cfg *config.Config, log *slog.Logger) (*App, error) {
	st, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, Store: st, Log: log}
	for _, ci := range cfg.Integrations {
		in := &store.Integration{Name: ci.Name, BaseURL: ci.BaseURL, Project: ci.Project, Interval: ci.Interval.Duration,
			Source: "config", RateLimit: ci.RateLimit}
		existing, err := st.Integration(ctx, ci.Name)
		if err == nil {
			in.Paused = existing.Paused
		} else {
			in.Paused = ci.Paused
		}
		if err := st.UpsertIntegration(ctx, in); err != nil {
			st.Close()
			return nil, err
		}
		if ci.Paused && !in.Paused {
			_ = st.SetIntegrationState(ctx, in.ID, true, in.Mode)
		}
	}
	return a, nil
}

// Close releases the store.
func (a *App) Close() error { return a.Store.Close() }

// ConfigIntegration returns the config entry of an integration.
func (a *App) ConfigIntegration(name string) (config.Integration, bool) {
	for _, ci := range a.Config.Integrations {
		if ci.Name == name {
			return ci, true
		}
	}
	return config.Integration{}, false
}

// Version and Commit are claudit's release and the commit it was built
// from, stamped by `make release` (-ldflags -X); a plain build says "dev".
var (
	Version = "0.1.0"
	Commit  = "dev"
)

// VersionString is what `claudit --version` prints after "claudit ".
func VersionString() string {
	return fmt.Sprintf("%s (commit %s, %s)", Version, Commit, runtime.Version())
}

// Syncer builds an integration's syncer after verifying its key with one
// cheap call per endpoint family. A key that reaches only the Activity Feed
// switches the integration to feed-only mode with a notice instead of failing.
func (a *App) Syncer(ctx context.Context, name string) (*ingest.Syncer, error) {
	in, err := a.Store.Integration(ctx, name)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("integration %q is not in %s (known: %s)", name, a.configName(), strings.Join(a.names(), ", "))
		}
		return nil, err
	}
	// Integrations from the dashboard take the defaults of a config entry.
	ci, ok := a.ConfigIntegration(name)
	if !ok {
		ci = config.Integration{Name: name, BaseURL: in.BaseURL, RateLimit: in.RateLimit}
		tmp := &config.Config{Integrations: []config.Integration{ci}}
		tmp.ApplyDefaults()
		ci = tmp.Integrations[0]
	}
	key, err := a.integrationKey(ctx, in)
	if err != nil {
		return nil, err
	}
	c, err := compliance.New(compliance.Options{BaseURL: in.BaseURL, APIKey: key, RequestsPerMinute: ci.RateLimit,
		UserAgent: "claudit/" + Version, Logger: a.Log.With("integration", name), RefuseInternal: a.refuseInternal(in)})
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	reach, err := c.Probe(pctx)
	if err != nil {
		return nil, describeProbeError(name, in.BaseURL, err)
	}
	mode := "full"
	if reach.FeedOnly() {
		mode = "feed_only"
		a.Log.Warn("key reaches only the Activity Feed (an Admin API key or a key without read:compliance_user_data): running in feed-only mode, chats and messages are not synced",
			"integration", name)
	}
	if mode != in.Mode {
		if err := a.Store.SetIntegrationState(ctx, in.ID, in.Paused, mode); err != nil {
			return nil, err
		}
		in.Mode = mode
	}
	a.Log.Info("integration verified", "integration", name, "activities", reach.Activities, "user_data", reach.UserData, "org_data", reach.OrgData)
	set := ingest.Settings{PageSize: ci.PageSize, InitialLookback: ci.InitialLookback.Duration, Overlap: ci.Overlap.Duration,
		HydrateConcurrency: ci.HydrateConcurrency, FeedOnly: mode == "feed_only", SkipDirectory: !reach.OrgData}
	return ingest.NewSyncer(in, c, a.Store, set, a.Log), nil
}

// describeProbeError turns a failed key check into one actionable line that
// still unwraps to the cause, so its kind (compliance.FailureKind) is known.
func describeProbeError(name, baseURL string, err error) error {
	var ae *compliance.APIError
	if errors.As(err, &ae) {
		if hint := ae.Hint(); hint != "" {
			return &probeError{fmt.Sprintf("integration %s: %d %s from %s: %s", name, ae.Status, ae.Type, baseURL, hint), err}
		}
		return fmt.Errorf("integration %s: %w", name, err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &probeError{fmt.Sprintf("integration %s: %s did not answer in time; check base_url and the network", name, baseURL), err}
	}
	return &probeError{fmt.Sprintf("integration %s: cannot reach %s (%v); check base_url and that the service is running", name, baseURL, rootCause(err)), err}
}

// probeError is a failed key check told in the user's terms.
type probeError struct {
	msg   string
	cause error
}

func (e *probeError) Error() string { return e.msg }
func (e *probeError) Unwrap() error { return e.cause }

func rootCause(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

func (a *App) names() []string {
	var out []string
	for _, ci := range a.Config.Integrations {
		out = append(out, ci.Name)
	}
	if len(out) == 0 {
		out = []string{"none configured"}
	}
	return out
}

func (a *App) configName() string {
	if a.Config.Path() == "" {
		return "the configuration (no config file found)"
	}
	return a.Config.Path()
}

// IntegrationNames lists configured integrations, or just one if given.
func (a *App) IntegrationNames(only string) ([]string, error) {
	if only != "" {
		if _, ok := a.ConfigIntegration(only); !ok {
			return nil, fmt.Errorf("integration %q is not in %s (known: %s)", only, a.configName(), strings.Join(a.names(), ", "))
		}
		return []string{only}, nil
	}
	if len(a.Config.Integrations) == 0 {
		return nil, fmt.Errorf("no integrations in %s: add one under integrations: (name, base_url, api_key_env)", a.configName())
	}
	return a.names(), nil
}

// Stderr is where user-facing notices go; replaced in tests.
var Stderr io.Writer = os.Stderr
