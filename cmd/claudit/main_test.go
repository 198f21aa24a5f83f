package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/store/sqlite"
)

// testConfig writes a config with a SQLite database in a temp dir and
// returns its path and the database's.
func testConfig(t *testing.T) (cfg, db string) {
	t.Helper()
	dir := t.TempDir()
	db = filepath.Join(dir, "claudit.db")
	cfg = filepath.Join(dir, "claudit.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("database: sqlite://%s\n", db)), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg, db
}

// withStdin makes os.Stdin read text for the rest of the test.
func withStdin(t *testing.T, text string) {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stdin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, 0); err != nil {
		t.Fatal(err)
	}
	old := os.Stdin
	os.Stdin = f
	t.Cleanup(func() { os.Stdin = old; f.Close() })
}

// openStore opens the test database directly.
func openStore(t *testing.T, db string) store.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestOutputFilesPrivate wants the database and the files of export --out
// and report --out readable by their owner only: they hold prompts and PII.
func TestOutputFilesPrivate(t *testing.T) {
	cfg, db := testConfig(t)
	dir := filepath.Dir(cfg)
	exp, rep := filepath.Join(dir, "events.jsonl"), filepath.Join(dir, "weekly.html")
	if code := run(context.Background(), []string{"export", "--config", cfg, "--out", exp}); code != 0 {
		t.Fatalf("export: exit %d", code)
	}
	if code := run(context.Background(), []string{"report", "--config", cfg, "--out", rep}); code != 0 {
		t.Fatalf("report: exit %d", code)
	}
	// A report in another time zone prints the period with its offset; an
	// unknown zone is refused.
	md := filepath.Join(dir, "tokyo.md")
	if code := run(context.Background(), []string{"report", "--config", cfg, "--tz", "Asia/Tokyo", "--from", "2026-11-01", "--to", "2026-11-08", "--out", md}); code != 0 {
		t.Fatalf("report --tz: exit %d", code)
	}
	if b, err := os.ReadFile(md); err != nil || !strings.Contains(string(b), "2026-11-01T00:00:00+09:00 to 2026-11-08T00:00:00+09:00 (7 days)") {
		t.Errorf("report --tz Asia/Tokyo: %v\n%.500s", err, b)
	}
	if code := run(context.Background(), []string{"report", "--config", cfg, "--tz", "Mars/Olympus"}); code == 0 {
		t.Error("report --tz Mars/Olympus was accepted")
	}
	for _, p := range []string{db, exp, rep} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(p), perm)
		}
	}
}

// TestUserAddPassword wants the password read from standard input, never
// from the command line where ps shows it.
func TestUserAddPassword(t *testing.T) {
	ctx := context.Background()
	cfg, db := testConfig(t)
	const pw = "a long enough password"
	withStdin(t, pw+"\n")
	if code := run(ctx, []string{"user", "add", "--config", cfg, "--email", "ana@example.com", "--password-stdin"}); code != 0 {
		t.Fatalf("user add --password-stdin: exit %d", code)
	}
	// The old form, with the password as an argument, is refused.
	if code := run(ctx, []string{"user", "add", "--config", cfg, "--email", "bo@example.com", "--password", "visible-in-ps-123"}); code == 0 {
		t.Fatal("user add --password PW was accepted")
	}
	// --password prompts on a terminal only; a file is not one.
	withStdin(t, pw+"\n")
	if code := run(ctx, []string{"user", "add", "--config", cfg, "--email", "cy@example.com", "--password"}); code == 0 {
		t.Fatal("user add --password without a terminal was accepted")
	}
	ws := openStore(t, db)
	a, err := ws.AccountByEmail(ctx, "ana@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if bcrypt.CompareHashAndPassword([]byte(a.PasswordHash), []byte(pw)) != nil {
		t.Fatal("the stored password is not the one from stdin")
	}
	for _, email := range []string{"bo@example.com", "cy@example.com"} {
		if _, err := ws.AccountByEmail(ctx, email); err == nil {
			t.Errorf("%s was created", email)
		}
	}
}

// TestLogLevelFlag wants --log-level on every command, before or after it,
// overriding the config, and an unknown level refused.
func TestLogLevelFlag(t *testing.T) {
	cfg, _ := testConfig(t)
	out := filepath.Join(filepath.Dir(cfg), "e.jsonl")
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"export", "--log-level", "debug", "--config", cfg, "--out", out}, 0},
		{[]string{"--log-level", "warn", "export", "--config", cfg, "--out", out}, 0},
		{[]string{"--log-level=error", "export", "--config", cfg, "--out", out}, 0},
		{[]string{"export", "--config", cfg, "--log-level", "loud", "--out", out}, 1},
	} {
		if code := run(context.Background(), tc.args); code != tc.want {
			t.Errorf("%q: exit %d, want %d", tc.args, code, tc.want)
		}
	}
	fs := newFlags("x", "", "")
	path := configFlag(fs)
	if err := parse(fs, []string{"--config", cfg, "--log-level", "DEBUG"}); err != nil {
		t.Fatal(err)
	}
	c, err := loadConfig(fs, *path)
	if err != nil || c.LogLevel != "debug" {
		t.Fatalf("log level %q, %v", c.LogLevel, err)
	}
}

// TestFlagsInAnyPosition runs "backfill status 1 --config X": flags may
// follow the positional arguments.
func TestFlagsInAnyPosition(t *testing.T) {
	ctx := context.Background()
	cfg, db := testConfig(t)
	s := openStore(t, db)
	in := &store.Integration{Name: "acme", BaseURL: "http://127.0.0.1:1"}
	if err := s.UpsertIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	b := &store.Backfill{IntegrationID: in.ID, From: from, To: from.Add(24 * time.Hour)}
	if err := s.CreateBackfill(ctx, b, []store.Batch{{From: b.From, To: b.To}}); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"backfill", "status", "1", "--config", cfg},
		{"backfill", "status", "--config", cfg, "1"},
		{"backfill", "list", "--config", cfg, "--integration", "acme"},
		{"user", "--config", cfg, "add", "--email", "dee@example.com"},
		{"user", "add", "--email", "eve@example.com", "--config", cfg, "--role", "viewer"},
	} {
		if code := run(ctx, args); code != 0 {
			t.Errorf("%q: exit %d", args, code)
		}
	}
	// After "--" every argument is positional.
	fs := newFlags("x", "", "")
	fs.Bool("v", false, "")
	if err := parse(fs, []string{"a", "-v", "--", "-v", "b"}); err != nil || fmt.Sprint(fs.Args()) != "[a -v b]" {
		t.Fatalf("args %q, %v", fs.Args(), err)
	}
}
