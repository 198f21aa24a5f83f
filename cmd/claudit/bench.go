package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/app"
	"github.com/claudit/claudit/internal/bench"
	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/store/postgres"
	"github.com/claudit/claudit/internal/store/sqlite"
)

func init() {
	register("bench", "measure ingest and backfill end to end against a simulator process", cmdBench)
}

func cmdBench(ctx context.Context, args []string) error {
	fs := newFlags("bench", "[--mode sync|backfill] [flags]", `
Starts 'claudit simulate' as a separate process on loopback, then syncs or
backfills its whole history into a fresh store (policies off unless --policies) and prints one
JSON object: activities/s, messages/s, requests, peak RSS of this process,
database bytes per message, and whether the store equals the ground truth.
With --rpm the client is rate limited and rate_limit_share reports how much of
that budget the run used. With --policies the default policies evaluate what
is stored as it is stored, end_to_end_messages_per_second counts until every
event is evaluated, and the findings must equal a separate re-evaluation of
the same store. These are the figures in docs/PERFORMANCE.md.`)
	mode := fs.String("mode", "sync", "sync (one cycle), backfill (a job of batches) or queries (dashboard query latency)")
	messages := fs.Int("messages", 1000000, "queries mode: messages to seed into --database (a file path for sqlite)")
	users := fs.Int("users", 200, "users in the simulated organization")
	days := fs.Int("days", 14, "days of history")
	seed := fs.Int64("seed", 1, "simulator seed")
	db := fs.String("database", "sqlite", "sqlite (temp file) or a postgres:// DSN (use an empty database)")
	rpm := fs.Int("rpm", 0, "client rate limit in requests/minute (0: unlimited)")
	conc := fs.Int("concurrency", 4, "backfill batches at once")
	window := fs.Duration("batch", 24*time.Hour, "backfill batch window")
	dur := fs.Duration("duration", 0, "stop after this long (for --rpm measurements)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	simProfile := fs.String("sim-cpuprofile", "", "make the simulator process write a CPU profile of its serving to this file")
	only := fs.String("only", "", "queries mode: run only the queries whose name contains this")
	policies := fs.Bool("policies", false, "evaluate with the default policies while ingesting, and check the findings")
	dir := fs.String("dir", "", "keep the run's SQLite database in this directory (default: a temporary directory, removed)")
	if err := parse(fs, args); err != nil {
		return err
	}
	stop, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	if *mode == "queries" {
		return benchQueries(ctx, *db, *messages, *only)
	}
	r, err := bench.Run(ctx, bench.Options{Mode: *mode, Users: *users, Days: *days, Seed: *seed, Database: *db, RequestsPerMinute: *rpm,
		Concurrency: *conc, BatchWindow: *window, Duration: *dur, SimulatorCPUProfile: *simProfile, Policies: *policies, Dir: *dir,
		Log: app.NewLogger(os.Stderr, "warn")})
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return err
	}
	if !r.GroundTruthOK && *dur == 0 {
		return fmt.Errorf("the store does not match the ground truth: %s", r.GroundTruthNote)
	}
	return nil
}

// benchQueries seeds a store and prints dashboard query latencies.
func benchQueries(ctx context.Context, db string, messages int, only string) error {
	var st store.Store
	var err error
	var serverCPU func() float64
	switch {
	case strings.HasPrefix(db, "postgres"):
		st, err = postgres.Open(ctx, db)
		if err == nil {
			read, closeCPU, cerr := bench.PostgresCPU(ctx, db)
			if cerr != nil {
				return cerr
			}
			defer closeCPU()
			serverCPU = read
		}
	case db == "sqlite":
		return fmt.Errorf("queries mode keeps its seeded database: give --database a file path, e.g. /tmp/bench.db")
	default:
		st, err = sqlite.Open(ctx, db)
	}
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	res, err := bench.Queries(ctx, st, bench.QueryOptions{Messages: messages, Only: only, ServerCPU: serverCPU,
		Log: func(f string, a ...any) {
			fmt.Fprintf(os.Stderr, f+" (%s)\n", append(a, time.Since(start).Round(time.Second))...)
		}})
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"backend": st.Backend(), "messages": messages, "queries": res})
}

// startCPUProfile writes a CPU profile to path until stop is called; an
// empty path profiles nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
