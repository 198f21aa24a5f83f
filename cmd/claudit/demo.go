package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/app"
	"github.com/claudit/claudit/internal/config"
	"github.com/claudit/claudit/internal/deletion"
	"github.com/claudit/claudit/internal/oversight"
	"github.com/claudit/claudit/internal/policy"
	"github.com/claudit/claudit/internal/simulator"
	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/web"
	"github.com/claudit/claudit/internal/web/secretbox"
)

func init() {
	register("demo", "run the whole product against the built-in simulator", cmdDemo)
}

func cmdDemo(ctx context.Context, args []string) error {
	fs := newFlags("demo", "[--listen ADDR] [--db FILE]", `
Starts the Compliance API simulator with a synthetic organization that keeps
producing activity, points an integration at it, and runs claudit serve: sync
every 15 seconds, policies, alerts to a local OCSF file, and the dashboard.
Nothing leaves this machine. Stop with Ctrl-C; run again to continue.`)
	listen := fs.String("listen", "127.0.0.1:8080", "dashboard address")
	db := fs.String("db", "claudit-demo.db", "SQLite database file")
	users := fs.Int("users", 40, "users in the synthetic organization")
	days := fs.Int("days", 7, "days of history")
	seed := fs.Int64("seed", 42, "seed of the synthetic organization")
	if err := parse(fs, args); err != nil {
		return err
	}
	log := app.NewLogger(os.Stderr, "info")
	sim, err := simulator.New(simulator.Config{Seed: *seed, Users: *users, Days: *days, Live: true, LiveInterval: 3 * time.Second,
		RateLimit: 60000, Logger: log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	simAddr := ln.Addr().String()
	ln.Close()
	simCtx, stopSim := context.WithCancel(ctx)
	defer stopSim()
	simErr := make(chan error, 1)
	go func() { simErr <- sim.ListenAndServe(simCtx, simAddr) }()
	policies, err := demoPolicies()
	if err != nil {
		return err
	}
	if err := os.WriteFile(demoPoliciesFile, policies, 0o644); err != nil {
		return fmt.Errorf("write the demo's policy file: %w", err)
	}
	yaml := fmt.Sprintf(`database: sqlite://%s
listen: %s
base_url: http://%s
allow_internal_base_urls: true   # the simulator listens on loopback
policies_file: %s
integrations:
  - name: demo-org
    base_url: http://%s
    api_key: %s
    interval: 15s
    rate_limit: 60000
    page_size: 5000
sinks:
  - type: ocsf
    name: ocsf-file
    filter: {min_severity: medium}
    ocsf: {output: file, path: claudit-demo-alerts.ocsf.jsonl}
`, *db, *listen, *listen, demoPoliciesFile, simAddr, simulator.DefaultKey)
	cfg, err := config.Parse("demo", []byte(yaml))
	if err != nil {
		return err
	}
	if err := demoSecretKey(cfg.SecretKeyEnv, *db+".secret"); err != nil {
		return err
	}
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	// A known login for the demo (it listens on loopback only).
	for _, u := range []struct{ email, role string }{{demoEmail, store.RoleAdmin}, {demoAnalyst, store.RoleAnalyst}} {
		if _, err := web.AddUser(ctx, a.Store, u.email, u.role, demoPassword); err != nil && !strings.Contains(err.Error(), "already exists") {
			return err
		}
	}
	go demoDeletionRequest(ctx, a)
	go demoSettingsDrift(ctx, a, sim)
	err = serve(ctx, a, func(addr string) {
		sum := sim.Summary()
		fmt.Fprintf(os.Stderr, `
claudit demo is running.
  dashboard:  http://%s   (sign in as %s / %s; the analyst %s has the same password)
  simulator:  http://%s (%d users, %d chats, %d messages; new activity every few seconds)
  database:   %s
  alerts:     claudit-demo-alerts.ocsf.jsonl (OCSF)
  policies:   %s (the defaults and a policy for the contractors group)
Press Ctrl-C to stop.

`, addr, demoEmail, demoPassword, demoAnalyst, simAddr, sum.Users, sum.Chats, sum.Messages, *db, demoPoliciesFile)
	})
	stopSim()
	<-simErr
	return err
}

// demoPoliciesFile is the demo's policy file, written on every start.
const demoPoliciesFile = "claudit-demo-policies.yaml"

// demoGroupPolicy is the demo's group-scoped policy: the simulated
// organization has a contractors group, whose source code pastes alert
// where everyone else's are only logged (the default source-code policy).
const demoGroupPolicy = `  # Demo: a group-scoped policy. Source code a contractor pastes or
  # uploads alerts (high); for everyone else source-code only logs it.
  - name: contractor-source-code
    detector: code
    roles: [user, file]
    groups: [contractors]
    threshold: 0.6
    severity: high
    action: alert
    tags: [Contractor]
`

// demoPolicies returns the default policy file with demoGroupPolicy first
// in its list, checked to parse.
func demoPolicies() ([]byte, error) {
	def := string(policy.DefaultPoliciesYAML())
	i := strings.Index(def, "\npolicies:\n")
	if i < 0 {
		return nil, fmt.Errorf("the default policy file has no policies list")
	}
	i += len("\npolicies:\n")
	out := []byte(def[:i] + demoGroupPolicy + def[i:])
	if _, err := policy.ParseConfig(out, demoPoliciesFile); err != nil {
		return nil, err
	}
	return out, nil
}

// The demo's dashboard accounts.
const (
	demoEmail    = "admin@demo.local"
	demoAnalyst  = "analyst@demo.local"
	demoPassword = "claudit-demo"
)

// demoSettingsDrift weakens one organization setting in the simulator once
// the first sync has stored the settings, as an admin might in claude.ai:
// the next sync raises a settings-drift alert.
func demoSettingsDrift(ctx context.Context, a *app.App, sim *simulator.Server) {
	ds := a.Store
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		ins, err := a.Store.Integrations(ctx)
		if err != nil || len(ins) == 0 {
			continue
		}
		d, err := ds.Directory(ctx, ins[0].ID)
		if err != nil || len(d.Settings) == 0 {
			continue
		}
		for _, st := range d.Settings {
			var on bool
			if st.Type != "boolean" || json.Unmarshal(st.Value, &on) != nil {
				continue
			}
			flipped := json.RawMessage(strconv.FormatBool(!on))
			if _, _, weakens := oversight.Weakens(store.SettingChange{Name: st.Name, Old: st.Value, New: flipped}); weakens {
				_ = sim.SetOrgSetting(st.OrganizationUUID, st.Name, st.Type, !on)
				return
			}
		}
		return
	}
}

// demoDeletionRequest files, as the demo analyst, a request to delete the
// first chat that holds a finding, once the first sync has evaluated one, so
// the dashboard shows a deletion awaiting an admin's approval. Nothing is
// deleted until someone approves it.
func demoDeletionRequest(ctx context.Context, a *app.App) {
	svc := a.DeletionService()
	ws := a.Store
	if svc == nil {
		return
	}
	if pending, err := svc.Deletions.DeletionRequests(ctx, "", 1); err != nil || len(pending) > 0 {
		return // one is enough, also across runs
	}
	acct, err := ws.AccountByEmail(ctx, demoAnalyst)
	if err != nil {
		return
	}
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		ms, _, err := a.Store.PromptEvents(ctx, store.EventFilter{Kind: "prompt", ViolationsOnly: true, Limit: 1})
		if err != nil || len(ms) == 0 {
			continue
		}
		by := deletion.Actor{ID: acct.ID, Email: acct.Email, Role: acct.Role}
		_, err = svc.Request(ctx, by, ms[0].IntegrationID, store.DeleteChat, ms[0].ChatID,
			"Demo: a finding in this chat; the user asked for it to be removed. An admin other than the analyst approves.")
		if err != nil {
			a.Log.Warn("demo deletion request", "err", err)
		}
		return
	}
}

// demoSecretKey gives the demo a stable key for sealing API keys entered in
// the dashboard, kept in a file beside the demo database.
func demoSecretKey(env, path string) error {
	if os.Getenv(env) != "" {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return err
		}
		b = []byte(base64.StdEncoding.EncodeToString(raw))
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return fmt.Errorf("write demo secret key: %w", err)
		}
	}
	if _, err := secretbox.ParseKey(strings.TrimSpace(string(b))); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.Setenv(env, strings.TrimSpace(string(b)))
}
