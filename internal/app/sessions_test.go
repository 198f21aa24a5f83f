package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/app"
	"github.com/claudit/claudit/internal/config"
	"github.com/claudit/claudit/internal/simulator"
	"github.com/claudit/claudit/internal/store"
)

// TestSessionsRaiseAgentFindings: synced Claude Code and Cowork sessions
// are evaluated with the same policies as chats plus the agent policies;
// each agent policy fires on session tool calls, prompt injection arriving
// through a tool result is found on a message of role tool, and the text of
// uploaded files, project files and documents and code artifacts is
// scanned too.
func TestSessionsRaiseAgentFindings(t *testing.T) {
	t.Parallel()
	// A fixed end: which sessions the generated history holds depends on
	// where it ends, and the test asserts on kinds that a run ending at
	// another hour may not contain.
	s, err := simulator.New(simulator.Config{Seed: 7, Users: 20, Days: 2, End: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC), RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	ctx := context.Background()
	yaml := fmt.Sprintf("database: sqlite://%s\nintegrations:\n  - name: acme\n    base_url: %s\n    api_key: %s\n",
		filepath.Join(t.TempDir(), "a.db"), srv.URL, simulator.DefaultKey)
	cfg, err := config.Parse("c.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if _, err := a.OpenPipeline(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.SyncOnceAndEvaluate(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	in, err := a.Store.Integration(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	fs, err := a.Store.Findings(ctx, in.ID, "prompt", "", "")
	if err != nil {
		t.Fatal(err)
	}
	byPolicy := map[string]int{}
	injectionViaTool, inFile, inProject, inCodeArtifact := 0, 0, 0, 0
	for _, f := range fs {
		switch {
		case strings.HasPrefix(f.EventID, "claude_file_") && strings.HasPrefix(f.ChatID, "claude_chat_"):
			inFile++ // a finding inside an uploaded file's text
		case strings.HasPrefix(f.ChatID, "claude_proj_"):
			inProject++ // inside a project's file or document
		case strings.HasPrefix(f.ChatID, "cart_"):
			inCodeArtifact++ // inside a code artifact version
		}
		kind := store.ChatKind(f.ChatID)
		if f.Detector == "agent" && kind == store.KindChat {
			continue // chats may carry tool calls too; the test is about sessions
		}
		if kind == store.KindChat {
			continue
		}
		byPolicy[f.Policy]++
		if f.Policy == "prompt-injection" {
			m, err := a.Store.Message(ctx, in.ID, f.EventID)
			if err != nil {
				t.Fatal(err)
			}
			if m.Role == "tool" {
				injectionViaTool++
			}
		}
	}
	for _, p := range []string{"agent-destructive-commands", "agent-pipe-to-shell", "agent-credential-read", "agent-network-egress", "agent-safety-disabled"} {
		if byPolicy[p] == 0 {
			t.Errorf("no %s finding on any session (session findings by policy: %v)", p, byPolicy)
		}
	}
	if inFile == 0 || inProject == 0 || inCodeArtifact == 0 {
		t.Errorf("findings inside uploaded files %d, project files and documents %d, code artifacts %d; want some of each", inFile, inProject, inCodeArtifact)
	}
	if injectionViaTool == 0 {
		t.Errorf("no prompt injection found in a tool result (session findings by policy: %v)", byPolicy)
	}
}
