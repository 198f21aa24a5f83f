// Package bench measures claudit end to end: a simulator process on loopback,
// claudit syncing or backfilling it into a fresh store, and the figures
// docs/PERFORMANCE.md reports (rates, peak RSS, database size, rate-limit use).
package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/claudit/claudit/internal/alert"
	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/evaluate"
	"github.com/claudit/claudit/internal/ingest"
	"github.com/claudit/claudit/internal/policy"
	"github.com/claudit/claudit/internal/simulator"
	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/store/postgres"
	"github.com/claudit/claudit/internal/store/sqlite"
)

// Options describe one run.
type Options struct {
	// Mode is "sync" (one cycle over the whole history) or "backfill".
	Mode string
	// Users and Days size the simulated organization.
	Users, Days int
	Seed        int64
	// Database is "sqlite" (a temp file) or a postgres:// DSN.
	Database string
	// RequestsPerMinute is the client's rate limit (0: unlimited).
	RequestsPerMinute int
	// Concurrency of backfill batches; BatchWindow of each.
	Concurrency int
	BatchWindow time.Duration
	// Duration stops the run early (rate-limit measurements); 0 runs to completion.
	Duration time.Duration
	// Simulator is the claudit binary to start `simulate` from (default: this executable).
	Simulator string
	// SimulatorCPUProfile, when set, makes the simulator write a CPU profile
	// of its serving to this file.
	SimulatorCPUProfile string
	Dir                 string
	Log                 *slog.Logger
	// Policies evaluates with the default policies while ingesting (the
	// evaluation follows the writer) and checks the findings against a
	// separate re-evaluation of the same store.
	Policies bool
}

// Result is what one run measured.
type Result struct {
	Mode           string  `json:"mode"`
	Database       string  `json:"database"`
	Activities     int     `json:"activities"`
	Messages       int     `json:"messages"`
	Chats          int     `json:"chats"`
	Seconds        float64 `json:"seconds"`
	ActivitiesPerS float64 `json:"activities_per_s"`
	MessagesPerS   float64 `json:"messages_per_s"`
	Requests       int64   `json:"requests"`
	RequestsPerMin float64 `json:"requests_per_min"`
	RateLimitShare float64 `json:"rate_limit_share,omitempty"`
	PeakRSSMB      float64 `json:"peak_rss_mb"`
	// CPUSeconds is this process's user+system CPU during the run; the
	// simulator's CPU is not included.
	CPUSeconds      float64 `json:"cpu_seconds"`
	MessagesPerCPUS float64 `json:"messages_per_cpu_second"`
	// SimulatorCPUSeconds is the simulator process's CPU during the run: the
	// two processes share the machine, so both decide the rate.
	SimulatorCPUSeconds float64 `json:"simulator_cpu_seconds"`
	// ReadSyscalls and WriteSyscalls count this process's read and write
	// system calls during the run (/proc/self/io: SQLite's page reads,
	// WAL writes and checkpoint copies, besides the HTTP traffic), per
	// stored message: unlike CPU time they do not move with the load of
	// the machine.
	ReadSyscallsPerMsg  float64 `json:"read_syscalls_per_message,omitempty"`
	WriteSyscallsPerMsg float64 `json:"write_syscalls_per_message,omitempty"`
	// DBBytes is the database at rest (after a checkpoint has emptied the
	// WAL); WALBytes is how large the WAL file grew during the run.
	DBBytes         int64   `json:"db_bytes,omitempty"`
	WALBytes        int64   `json:"wal_bytes,omitempty"`
	DBBytesPerMsg   float64 `json:"db_bytes_per_message,omitempty"`
	GroundTruthOK   bool    `json:"ground_truth_ok"`
	GroundTruthNote string  `json:"ground_truth_note,omitempty"`
	// With Options.Policies: events evaluated during the run, the findings
	// they raised, messages per second from start to every event
	// evaluated, and the rate of the separate re-evaluation that checked
	// the findings (a backlog evaluated in one pass).
	Policies             bool    `json:"policies"`
	EvaluatedEvents      int     `json:"evaluated_events,omitempty"`
	Findings             int     `json:"findings,omitempty"`
	EndToEndMessagesPerS float64 `json:"end_to_end_messages_per_second,omitempty"`
	ReevaluateSeconds    float64 `json:"reevaluate_seconds,omitempty"`
	ReevaluateEventsPerS float64 `json:"reevaluate_events_per_second,omitempty"`
	// ReevaluateCPUSeconds is this process's CPU during the re-evaluation.
	ReevaluateCPUSeconds float64 `json:"reevaluate_cpu_seconds,omitempty"`
	// ReevaluatePeakRSSMB is the re-evaluation's own peak RSS: the
	// high-water mark is reset when it starts.
	ReevaluatePeakRSSMB       float64 `json:"reevaluate_peak_rss_mb,omitempty"`
	FindingsMatchReevaluation bool    `json:"findings_match_reevaluation,omitempty"`
}

// Run starts a simulator process, runs claudit against it and measures.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Simulator == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		o.Simulator = exe
	}
	if o.Dir == "" {
		dir, err := os.MkdirTemp("", "claudit-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		o.Dir = dir
	}
	end := time.Now().UTC().Truncate(time.Hour)
	simArgs := []string{"--seed", strconv.FormatInt(o.Seed, 10), "--users", strconv.Itoa(o.Users), "--days", strconv.Itoa(o.Days), "--rate-limit", "-1"}
	simArgs = append(simArgs, "--end", end.Format(time.RFC3339))
	// The ground truth comes from a separate process too, so this process's
	// peak RSS is claudit's alone.
	truth, err := simulatorSummary(ctx, o.Simulator, simArgs)
	if err != nil {
		return nil, err
	}
	serveArgs := simArgs
	if o.SimulatorCPUProfile != "" {
		serveArgs = append(append([]string(nil), simArgs...), "--cpuprofile", o.SimulatorCPUProfile)
	}
	sim, err := startSimulator(ctx, o.Simulator, serveArgs)
	if err != nil {
		return nil, err
	}
	defer sim.stop()
	addr := sim.addr

	if os.Getenv("CLAUDIT_BENCH_MEMTRACE") != "" {
		sqliteMemStatus()
	}
	st, dbPath, err := openStore(ctx, o)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	in := &store.Integration{Name: "bench", BaseURL: "http://" + addr, Interval: time.Hour}
	if err := st.UpsertIntegration(ctx, in); err != nil {
		return nil, err
	}
	rpm := o.RequestsPerMinute
	if rpm == 0 {
		rpm = -1
	}
	c, err := compliance.New(compliance.Options{BaseURL: in.BaseURL, APIKey: simulator.DefaultKey, RequestsPerMinute: rpm})
	if err != nil {
		return nil, err
	}
	s := ingest.NewSyncer(in, c, st, ingest.Settings{PageSize: 5000, ChatPageSize: 200, HydrateConcurrency: 8}, o.Log)
	runCtx := ctx
	if o.Duration > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, o.Duration)
		defer cancel()
	}
	var follower *evaluate.Follower
	if o.Policies {
		p, err := newPipeline(st, o.Log)
		if err != nil {
			return nil, err
		}
		// A backfill's activities wait for the end (history arrives out of
		// time order); a sync's follow the writer like its messages.
		follower = p.Follow(ctx, o.Mode == "sync")
		s.Stored = follower.Stored
	}
	var phase atomic.Value
	phase.Store("sync")
	stopTrace := memTrace(func() string { return phase.Load().(string) })
	defer stopTrace()
	cpuStart, simStart := cpuSeconds(), sim.cpuSeconds()
	ioStart := readIO()
	start := time.Now()
	switch o.Mode {
	case "sync":
		_, err = s.SyncOnce(runCtx)
	case "backfill":
		var job *store.Backfill
		job, _, err = ingest.StartBackfill(ctx, st, in.ID, truth.First.Add(-time.Hour), end.Add(time.Hour), o.BatchWindow)
		if err == nil {
			b := &ingest.Backfiller{Syncer: s, Concurrency: o.Concurrency}
			_, err = b.Run(runCtx, job.ID)
		}
	default:
		return nil, fmt.Errorf("bench mode %q: use sync or backfill", o.Mode)
	}
	ingestElapsed := time.Since(start)
	evaluated := 0
	phase.Store("follow")
	if follower != nil {
		var ferr error
		evaluated, ferr = follower.Close(ctx)
		if err == nil && ferr != nil {
			err = fmt.Errorf("evaluate policies: %w", ferr)
		}
	}
	elapsed := time.Since(start)
	cpu, simCPU := cpuSeconds()-cpuStart, sim.cpuSeconds()-simStart
	ioEnd := readIO()
	if err != nil && !(o.Duration > 0 && runCtx.Err() != nil) {
		return nil, err
	}
	counts, err := st.Counts(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	stats := c.Stats()
	r := &Result{Mode: o.Mode, Database: st.Backend(), Activities: counts.Activities, Messages: counts.Messages, Chats: counts.Chats,
		Seconds: elapsed.Seconds(), Requests: stats.Requests, PeakRSSMB: peakRSSMB()}
	r.CPUSeconds, r.SimulatorCPUSeconds = cpu, simCPU
	if cpu > 0 {
		r.MessagesPerCPUS = float64(r.Messages) / cpu
	}
	if r.Messages > 0 {
		r.ReadSyscallsPerMsg = float64(ioEnd.syscr-ioStart.syscr) / float64(r.Messages)
		r.WriteSyscallsPerMsg = float64(ioEnd.syscw-ioStart.syscw) / float64(r.Messages)
	}
	r.ActivitiesPerS = float64(r.Activities) / ingestElapsed.Seconds()
	r.MessagesPerS = float64(r.Messages) / ingestElapsed.Seconds()
	r.Seconds = ingestElapsed.Seconds()
	if o.Policies {
		r.Policies, r.EvaluatedEvents = true, evaluated
		r.EndToEndMessagesPerS = float64(r.Messages) / elapsed.Seconds()
	}
	r.RequestsPerMin = float64(r.Requests) / ingestElapsed.Minutes()
	if o.RequestsPerMinute > 0 {
		r.RateLimitShare = r.RequestsPerMin / float64(o.RequestsPerMinute)
	}
	if dbPath != "" {
		// The WAL file keeps its largest size until it is truncated.
		if fi, err := os.Stat(dbPath + "-wal"); err == nil {
			r.WALBytes = fi.Size()
		}
		if err := st.CompactLog(ctx); err != nil {
			return nil, fmt.Errorf("checkpoint before measuring the database: %w", err)
		}
		r.DBBytes = dirSize(filepath.Dir(dbPath))
		if r.Messages > 0 {
			r.DBBytesPerMsg = float64(r.DBBytes) / float64(r.Messages)
		}
	}
	r.GroundTruthOK = counts.Activities == truth.Activities && counts.Messages == truth.Messages && counts.Chats == truth.Chats
	if !r.GroundTruthOK {
		r.GroundTruthNote = fmt.Sprintf("store %d/%d/%d vs truth %d/%d/%d (activities/messages/chats)",
			counts.Activities, counts.Messages, counts.Chats, truth.Activities, truth.Messages, truth.Chats)
	}
	if o.Policies && o.Duration == 0 {
		phase.Store("check")
		if err := checkFindings(ctx, st, in.ID, r, o.Log, func(s string) { phase.Store(s) }); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// newPipeline evaluates with the default policies and groups alerts as
// serve does (no sinks).
func newPipeline(st store.Store, log *slog.Logger) (*evaluate.Pipeline, error) {
	pol, err := policy.NewReloadable("", policy.WithLogger(log))
	if err != nil {
		return nil, err
	}
	return evaluate.New(st, pol, &alert.Router{}, log), nil
}

// checkFindings compares the findings of the run with a separate
// re-evaluation of the same store: every event's marks cleared, a new
// pipeline (no memory of the run, as after a restart) evaluating the whole
// backlog oldest first. Both must be the same, whatever order ingest
// stored and evaluated events in.
func checkFindings(ctx context.Context, st store.Store, integrationID int64, r *Result, log *slog.Logger, phase func(string)) error {
	during, err := findingKeys(ctx, st, integrationID)
	if err != nil {
		return err
	}
	r.Findings = len(during)
	if _, err := st.ResetEvaluations(ctx, ""); err != nil {
		return err
	}
	p, err := newPipeline(st, log)
	if err != nil {
		return err
	}
	// The re-evaluation's peak RSS is its own: the memory the check itself
	// took to list every finding is returned and the high-water mark reset.
	// The listing also filled the page caches of the readers it went
	// through (16 MiB each, twice that in RSS), which would stay full
	// through the re-evaluation: SQLite frees them first.
	sqliteReleaseMemory()
	debug.FreeOSMemory()
	resetPeakRSS()
	phase("reevaluate")
	start, cpuStart := time.Now(), cpuSeconds()
	n, err := p.Drain(ctx)
	if err != nil {
		return fmt.Errorf("re-evaluate: %w", err)
	}
	r.ReevaluateSeconds, r.ReevaluateCPUSeconds = time.Since(start).Seconds(), cpuSeconds()-cpuStart
	r.ReevaluateEventsPerS = float64(n) / r.ReevaluateSeconds
	r.ReevaluatePeakRSSMB = peakRSSMB()
	phase("check")
	again, err := findingKeys(ctx, st, integrationID)
	if err != nil {
		return err
	}
	r.FindingsMatchReevaluation = slices.Equal(during, again)
	if !r.FindingsMatchReevaluation {
		lines, err := findingLines(ctx, st, integrationID)
		if err != nil {
			return err
		}
		r.GroundTruthOK = false
		r.GroundTruthNote = strings.TrimPrefix(r.GroundTruthNote+"; ", "; ") + findingsDiff(during, again, lines)
	}
	return nil
}

// findingKey is a digest of one finding's comparable line: the run's
// findings are held through the whole re-evaluation, and at a million
// events their lines alone would be tens of megabytes of its peak RSS.
type findingKey [16]byte

// findingKeys lists the digests of an integration's findings, sorted.
func findingKeys(ctx context.Context, st store.Store, integrationID int64) ([]findingKey, error) {
	var out []findingKey
	err := eachFindingLine(ctx, st, integrationID, func(line string) {
		sum := sha256.Sum256([]byte(line))
		out = append(out, findingKey(sum[:16]))
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b findingKey) int { return bytes.Compare(a[:], b[:]) })
	return out, nil
}

// findingLines maps the digests of an integration's findings to their
// lines, to name an example when two lists differ.
func findingLines(ctx context.Context, st store.Store, integrationID int64) (map[findingKey]string, error) {
	out := map[findingKey]string{}
	err := eachFindingLine(ctx, st, integrationID, func(line string) {
		sum := sha256.Sum256([]byte(line))
		out[findingKey(sum[:16])] = line
	})
	return out, err
}

// eachFindingLine calls fn with each finding of an integration as a
// comparable line, one kind of event at a time.
func eachFindingLine(ctx context.Context, st store.Store, integrationID int64, fn func(string)) error {
	for _, kind := range []string{"prompt", "access", "session"} {
		fs, err := st.Findings(ctx, integrationID, kind, "", "")
		if err != nil {
			return err
		}
		for _, f := range fs {
			fn(fmt.Sprintf("%s %s %s %s %s %d-%d", f.EventKind, f.EventID, f.Policy, f.Detector, f.Entity, f.Start, f.End))
		}
	}
	return nil
}

// findingsDiff says how two sorted finding lists differ, with an example
// from the re-evaluation's lines where it has one the run lacks.
func findingsDiff(during, again []findingKey, againLines map[findingKey]string) string {
	onlyDuring, onlyAgain := 0, 0
	var example string
	i, j := 0, 0
	for i < len(during) || j < len(again) {
		switch {
		case j == len(again) || i < len(during) && bytes.Compare(during[i][:], again[j][:]) < 0:
			onlyDuring++
			i++
		case i == len(during) || bytes.Compare(again[j][:], during[i][:]) < 0:
			if example == "" {
				example = "only in the re-evaluation: " + againLines[again[j]]
			}
			onlyAgain++
			j++
		default:
			i++
			j++
		}
	}
	if example == "" {
		example = "the run has findings the re-evaluation lacks"
	}
	return fmt.Sprintf("findings differ from a re-evaluation of the same store: %d only in the run, %d only in the re-evaluation (%s)", onlyDuring, onlyAgain, example)
}

func openStore(ctx context.Context, o Options) (store.Store, string, error) {
	if strings.HasPrefix(o.Database, "postgres") {
		st, err := postgres.Open(ctx, o.Database)
		return st, "", err
	}
	path := filepath.Join(o.Dir, "db", "claudit.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, "", err
	}
	st, err := sqlite.Open(ctx, path)
	return st, path, err
}

// simulatorSummary runs `claudit simulate --summary` with the same flags.
func simulatorSummary(ctx context.Context, exe string, args []string) (simulator.Summary, error) {
	var sum simulator.Summary
	cmd := exec.CommandContext(ctx, exe, append(append([]string{"simulate"}, args...), "--summary")...)
	cmd.Env = simulatorEnv()
	out, err := cmd.Output()
	if err != nil {
		return sum, fmt.Errorf("simulator summary: %w", err)
	}
	if err := json.Unmarshal(out, &sum); err != nil {
		return sum, fmt.Errorf("simulator summary: %w", err)
	}
	return sum, nil
}

// simulatorEnv is this process's environment with the Go runtime's soft
// memory limit off: claudit's default limit (160 MiB) is the budget of the
// service, while the simulator holds the whole synthetic organization in
// memory (about 1.2 KB per activity, 235 MB for 200 k). Above the limit
// its collector ran back to back, so the simulator's CPU grew much faster
// than the history (7 CPU-seconds for 100 k activities, 55 for 200 k, 525
// for 1 M).
func simulatorEnv() []string {
	return append(os.Environ(), "GOMEMLIMIT=off")
}

// simProcess is a running `claudit simulate`.
type simProcess struct {
	addr string
	cmd  *exec.Cmd
}

// startSimulator runs `claudit simulate` on a free loopback port.
func startSimulator(ctx context.Context, exe string, args []string) (*simProcess, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.CommandContext(ctx, exe, append([]string{"simulate", "--addr", addr}, args...)...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	cmd.Env = simulatorEnv()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start simulator: %w", err)
	}
	p := &simProcess{addr: addr, cmd: cmd}
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/v1/compliance/activities?limit=1")
		if err == nil {
			resp.Body.Close()
			return p, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.stop()
	return nil, fmt.Errorf("simulator did not start on %s", addr)
}

// stop asks the simulator to shut down (so it can write a profile) and
// kills it if it has not exited after a few seconds.
func (p *simProcess) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

// cpuSeconds is the simulator's user plus system CPU time so far.
func (p *simProcess) cpuSeconds() float64 { return procCPUSeconds(p.cmd.Process.Pid) }

// cpuSeconds is this process's user plus system CPU time so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// ioCounts are this process's read and write system calls so far.
type ioCounts struct{ syscr, syscw int64 }

// readIO reads /proc/self/io (zero where it cannot).
func readIO() ioCounts {
	var c ioCounts
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return c
	}
	for line := range strings.Lines(string(b)) {
		k, v, _ := strings.Cut(strings.TrimSpace(line), ": ")
		n, _ := strconv.ParseInt(v, 10, 64)
		switch k {
		case "syscr":
			c.syscr = n
		case "syscw":
			c.syscw = n
		}
	}
	return c
}

// resetPeakRSS sets this process's peak RSS (Linux VmHWM) to its current
// RSS, so peakRSSMB measures from now on.
func resetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// peakRSSMB reads this process's peak resident set size (Linux VmHWM).
func peakRSSMB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n += info.Size()
		}
		return nil
	})
	return n
}
