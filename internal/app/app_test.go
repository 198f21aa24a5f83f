package app_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/app"
	"github.com/claudit/claudit/internal/config"
	"github.com/claudit/claudit/internal/simulator"
)

func openApp(t *testing.T, yaml string) (*app.App, *bytes.Buffer) {
	t.Helper()
	cfg, err := config.Parse("c.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	a, err := app.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a, &logs
}

func sim(t *testing.T) (*simulator.Server, string) {
	s, err := simulator.New(simulator.Config{Seed: 2, Users: 5, Days: 1, RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return s, srv.URL
}

func yamlFor(t *testing.T, url, key string, paused bool) string {
	db := filepath.Join(t.TempDir(), "c.db")
	return fmt.Sprintf("database: sqlite://%s\nintegrations:\n  - name: acme\n    base_url: %s\n    api_key: %s\n    paused: %v\n", db, url, key, paused)
}

// Each failure is one clear line and leaves no partial state.
func TestSyncFailuresAreClearAndLeaveNoState(t *testing.T) {
	_, url := sim(t)
	tests := []struct {
		name, url, key string
		paused         bool
		want           string
	}{
		{"wrong key", url, "sk-ant-api01-not-the-key", false, "API key was rejected"},
		{"claude api key", url, "sk-ant-api03-wrong-type", false, "cannot be used"},
		{"unreachable", "http://127.0.0.1:1", simulator.DefaultKey, false, "cannot reach http://127.0.0.1:1"},
		{"paused", url, simulator.DefaultKey, true, "integration acme is paused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := openApp(t, yamlFor(t, tc.url, tc.key, tc.paused))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, err := a.SyncOnceAndEvaluate(ctx, "acme")
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q should be one line containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), tc.key) && tc.key != simulator.DefaultKey {
				t.Fatalf("the key leaked into the error: %v", err)
			}
			c, _ := a.Store.Counts(context.Background(), 0)
			if c.Activities+c.Messages+c.Chats != 0 {
				t.Fatalf("partial state: %+v", c)
			}
		})
	}
}

func TestAdminKeyRunsFeedOnly(t *testing.T) {
	s, url := sim(t)
	a, logs := openApp(t, yamlFor(t, url, simulator.DefaultAdminKey, false))
	run, err := a.SyncOnceAndEvaluate(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	if run.Activities != s.Summary().Activities || run.Messages != 0 {
		t.Fatalf("feed-only run: %+v", run)
	}
	in, _ := a.Store.Integration(context.Background(), "acme")
	if in.Mode != "feed_only" || !strings.Contains(logs.String(), "feed-only mode") {
		t.Fatalf("mode %q, logs: %s", in.Mode, logs.String())
	}
}

func TestSyncEvaluatesAndAlerts(t *testing.T) {
	s, url := sim(t)
	a, _ := openApp(t, yamlFor(t, url, simulator.DefaultKey, false))
	p, err := a.OpenPipeline(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_ = p
	if _, err := a.SyncOnceAndEvaluate(context.Background(), "acme"); err != nil {
		t.Fatal(err)
	}
	c, _ := a.Store.Counts(context.Background(), 0)
	if c.Messages != s.Summary().Messages || c.Findings == 0 {
		t.Fatalf("no findings after evaluation: %+v", c)
	}
	left, _ := a.Store.UnevaluatedMessages(context.Background(), 10)
	if len(left) != 0 {
		t.Fatalf("%d messages left unevaluated", len(left))
	}
}
