package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/app"
)

// TestHealthcheck is the container HEALTHCHECK: 0 when /readyz answers 200,
// 1 otherwise.
func TestHealthcheck(t *testing.T) {
	ready := true
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" || !ready {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer ts.Close()
	if code := run(context.Background(), []string{"healthcheck", "--url", ts.URL + "/readyz"}); code != 0 {
		t.Fatalf("ready server: exit %d", code)
	}
	ready = false
	if code := run(context.Background(), []string{"healthcheck", "--url", ts.URL + "/readyz"}); code != 1 {
		t.Fatalf("unready server: exit %d", code)
	}
	// The default URL comes from listen: of the config.
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte("listen: "+strings.TrimPrefix(ts.URL, "http://")+"\n"), 0o600)
	ready = true
	if code := run(context.Background(), []string{"healthcheck", "--config", cfg}); code != 0 {
		t.Fatalf("from the config: exit %d", code)
	}
	for in, want := range map[string]string{"0.0.0.0:8080": "127.0.0.1:8080", "[::]:9000": "127.0.0.1:9000", ":8080": "127.0.0.1:8080", "10.1.2.3:80": "10.1.2.3:80"} {
		if got := localAddr(in); got != want {
			t.Errorf("localAddr(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRelativeSQLitePathFromConfigFolder: a config with a relative sqlite
// path, used from another working directory, opens the database beside it.
func TestRelativeSQLitePathFromConfigFolder(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "etc", "claudit.yaml")
	os.MkdirAll(filepath.Dir(cfg), 0o700)
	os.WriteFile(cfg, []byte("database: sqlite://./data.db\n"), 0o600)
	t.Chdir(t.TempDir())
	if code := run(context.Background(), []string{"user", "add", "--config", cfg, "--email", "ana@example.com"}); code != 0 {
		t.Fatalf("user add: exit %d", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "etc", "data.db")); err != nil {
		t.Fatalf("database not beside the config: %v", err)
	}
	if _, err := os.Stat("data.db"); err == nil {
		t.Fatal("database created in the working directory")
	}
}

func TestVersionString(t *testing.T) {
	old, oldCommit := app.Version, app.Commit
	t.Cleanup(func() { app.Version, app.Commit = old, oldCommit })
	app.Version, app.Commit = "1.2.3", "abc1234"
	if v := app.VersionString(); !strings.HasPrefix(v, "1.2.3 (commit abc1234, go") {
		t.Fatalf("version %q", v)
	}
}
