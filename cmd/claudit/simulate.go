package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/claudit/claudit/internal/app"
	"github.com/claudit/claudit/internal/simulator"
)

func init() {
	register("simulate", "serve a fake Compliance API with a synthetic organization", cmdSimulate)
}

func cmdSimulate(ctx context.Context, args []string) error {
	fs := newFlags("simulate", "[flags]", `
Serves a fake Anthropic Compliance API over HTTP with a deterministic synthetic
organization (users, chats, files, projects, logins, admin and MCP events, and a
realistic share of risky content), so claudit can be tried without a key.
Point an integration's base_url at it and use the printed key.`)
	addr := fs.String("addr", "127.0.0.1:18080", "listen address")
	seed := fs.Int64("seed", 1, "seed of the synthetic organization (same seed, same data)")
	users := fs.Int("users", 50, "number of users")
	days := fs.Int("days", 7, "days of history ending now")
	key := fs.String("key", simulator.DefaultKey, "the Compliance Access Key the server accepts")
	adminKey := fs.String("admin-key", simulator.DefaultAdminKey, "the Admin API key the server accepts (Activity Feed only)")
	live := fs.Bool("live", false, "keep generating new activity in real time")
	liveInterval := fs.Duration("live-interval", 2*time.Second, "how often --live adds activity")
	faults := fs.Float64("faults", 0, "share of requests (0..1) answered with 429, 500, 502, 503, 504, 529, a slow or a malformed response")
	rateLimit := fs.Int("rate-limit", 600, "requests per minute of the shared budget (negative: unlimited)")
	undecodable := fs.Int("undecodable", 0, "add this many activities a client cannot decode (to see quarantine working)")
	ingestDelay := fs.Duration("ingest-delay", 0, "delay before new activities become visible (the real API: up to 1m)")
	legacyAuth := fs.Bool("legacy-auth", false, "answer 401 instead of 404 for a missing or wrong-type key (older API behaviour)")
	recordAccess := fs.Bool("record-access", false, "append a compliance_api_accessed activity for every request, as the real API does")
	summary := fs.Bool("summary", false, "print the ground-truth counts as JSON and exit")
	endS := fs.String("end", "", "end of the generated history, RFC 3339 (default: now); fix it for byte-identical output")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of serving (not of generating the organization) to this file on shutdown")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *faults < 0 || *faults > 1 {
		return fmt.Errorf("--faults %v must be between 0 and 1", *faults)
	}
	end, err := optTime("--end", *endS)
	if err != nil {
		return err
	}
	log := app.NewLogger(os.Stderr, "info")
	s, err := simulator.New(simulator.Config{Seed: *seed, End: end, Users: *users, Days: *days, Key: *key, AdminKey: *adminKey,
		Faults: *faults, Live: *live, LiveInterval: *liveInterval, IngestDelay: *ingestDelay, RecordAccess: *recordAccess,
		LegacyAuth: *legacyAuth, RateLimit: *rateLimit, Undecodable: *undecodable, Logger: log})
	if err != nil {
		return err
	}
	if *summary {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(s.Summary())
	}
	sum := s.Summary()
	fmt.Fprintf(os.Stderr, "claudit simulator on http://%s\n  key:       %s\n  admin key: %s\n  %d users, %d chats, %d messages, %d activities, %d local + %d remote sessions, %d transcript messages, %d readable + %d unreadable files\n",
		*addr, *key, *adminKey, sum.Users, sum.Chats, sum.Messages, sum.Activities, sum.LocalSessions, sum.RemoteSessions, sum.SessionMessages,
		sum.FileTexts, sum.UnreadableFiles)
	stop, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	return s.ListenAndServe(ctx, *addr)
}
