package bench

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// QueryOptions size the investigation-query benchmark.
type QueryOptions struct {
	Messages int // messages to seed (skipped when the store already holds them)
	Users    int
	Samples  int // queries per kind
	// Only, when set, runs the queries whose name contains it.
	Only string
	// ServerCPU, when set, reads the database server's CPU seconds so far
	// (see PostgresCPU).
	ServerCPU func() float64
	Log       func(format string, args ...any)
}

// QueryResult is the latency of one kind of dashboard query.
type QueryResult struct {
	Query string  `json:"query"`
	P50ms float64 `json:"p50_ms"`
	P95ms float64 `json:"p95_ms"`
	P99ms float64 `json:"p99_ms"`
	// CPUms is this process's CPU time per query: the whole cost on SQLite,
	// the client's share on PostgreSQL. Less noisy than latency on a busy machine.
	CPUms float64 `json:"cpu_ms"`
	// CPUp95ms is the 95th percentile of the CPU time of the thread that
	// ran each query: on SQLite, where the query runs in that thread, what
	// the p95 would be on an idle machine.
	CPUp95ms float64 `json:"cpu_p95_ms"`
	// ServerCPUms is the database server's CPU time per query, when known.
	ServerCPUms float64 `json:"server_cpu_ms,omitempty"`
	Rows        int     `json:"rows_last"`
}

var words = strings.Fields(`invoice budget quarterly roadmap migration kubernetes postgres latency customer contract renewal
	onboarding payroll incident postmortem database schema frontend backend deployment pipeline security review audit
	compliance policy vendor pricing forecast hiring interview summary translation spreadsheet marketing campaign`)

// term returns one of 5 000 topic terms with a Zipf distribution (a few are
// common, most are rare), like the names, products and systems people write about.
func term(z *rand.Zipf) string { return fmt.Sprintf("topic%04d", z.Uint64()) }

// heavyUsers is how many users own a quarter of the seeded chats between
// them, like the automation accounts and power users of a real organization:
// their session lists are the long ones.
const heavyUsers = 20

// SeedMessages writes n synthetic messages in chats of 10, over 90 days: filler
// words from a 40-word list plus about one Zipf-distributed topic term in four.
// A quarter of the chats belong to heavyUsers users, and one message in 20
// has an alerting finding, so that session lists have violations to count
// and risk to score.
func SeedMessages(ctx context.Context, st store.Store, integrationID int64, n, users int, logf func(string, ...any)) error {
	rng := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(rng, 1.1, 1, 4999)
	// A second source, so the text stays that of the seed before users were
	// skewed and findings added.
	aux := rand.New(rand.NewPCG(5, 6))
	var evals []store.Evaluation
	start := time.Now().UTC().Add(-90 * 24 * time.Hour)
	span := int64(90 * 24 * time.Hour)
	const perChat, chatsPerPage = 10, 200
	var page store.ChatPage
	page.IntegrationID = integrationID
	written := 0
	for c := 0; written < n; c++ {
		u := rng.IntN(users)
		if aux.IntN(4) == 0 {
			u %= min(heavyUsers, users)
		}
		email := fmt.Sprintf("user%04d@acme-corp.example", u)
		at := start.Add(time.Duration(rng.Int64N(span)))
		chat := store.Chat{ID: fmt.Sprintf("claude_chat_bench_%08d", c), Name: "bench", UserID: fmt.Sprintf("user_%04d", u), UserEmail: email,
			Model: []string{"claude-opus-5", "claude-sonnet-4-5", "claude-haiku-4-5"}[c%3], CreatedAt: at, UpdatedAt: at.Add(time.Hour)}
		hc := store.HydratedChat{Chat: chat}
		for i := 0; i < perChat && written < n; i++ {
			var b strings.Builder
			for w := 0; w < 40+rng.IntN(80); w++ {
				if rng.IntN(4) == 0 {
					b.WriteString(term(zipf))
				} else {
					b.WriteString(words[rng.IntN(len(words))])
				}
				b.WriteByte(' ')
			}
			role := "user"
			if i%2 == 1 {
				role = "assistant"
			}
			hc.Messages = append(hc.Messages, store.Message{ID: fmt.Sprintf("%s_m%02d", chat.ID, i), ChatID: chat.ID, Seq: i, Role: role,
				Text: b.String(), Model: chat.Model, UserID: chat.UserID, UserEmail: email, CreatedAt: at.Add(time.Duration(i) * time.Minute), Tokens: b.Len() / 4})
			if aux.IntN(20) == 0 {
				m := hc.Messages[len(hc.Messages)-1]
				evals = append(evals, store.Evaluation{IntegrationID: integrationID, Kind: "prompt", EventID: m.ID, Version: "bench",
					Findings: []store.Finding{{ChatID: chat.ID, UserID: m.UserID, UserEmail: email, Policy: "bench", Detector: "bench", Entity: "bench",
						Severity: []string{"low", "medium", "high", "critical"}[aux.IntN(4)], Action: "alert", EffectiveAction: "alert", EventTime: m.CreatedAt}}})
			}
			written++
		}
		page.Chats = append(page.Chats, hc)
		if len(page.Chats) == chatsPerPage || written >= n {
			if _, err := st.SaveChatPage(ctx, page); err != nil {
				return err
			}
			if err := st.SaveEvaluations(ctx, evals); err != nil {
				return err
			}
			page.Chats, evals = page.Chats[:0], evals[:0]
			if logf != nil && written%100000 < perChat*chatsPerPage {
				logf("seeded %d messages", written)
			}
		}
	}
	return nil
}

// Queries seeds (if needed) and measures the dashboard's main queries.
func Queries(ctx context.Context, st store.Store, o QueryOptions) ([]QueryResult, error) {
	if o.Users <= 0 {
		o.Users = 2000
	}
	if o.Samples <= 0 {
		o.Samples = 200
	}
	in := &store.Integration{Name: "bench", BaseURL: "http://127.0.0.1:1", Interval: time.Hour}
	if err := st.UpsertIntegration(ctx, in); err != nil {
		return nil, err
	}
	c, err := st.Counts(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	if c.Messages < o.Messages {
		if err := SeedMessages(ctx, st, in.ID, o.Messages, o.Users, o.Log); err != nil {
			return nil, err
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	zipf := rand.NewZipf(rng, 1.1, 1, 4999)
	now := time.Now().UTC()
	user := func() string { return fmt.Sprintf("user%04d@acme-corp.example", rng.IntN(o.Users)) }
	// sessionUser is a heavy user half of the time: their lists are the long ones.
	sessionUser := func() string {
		if rng.IntN(2) == 0 {
			return fmt.Sprintf("user%04d@acme-corp.example", rng.IntN(min(heavyUsers, o.Users)))
		}
		return user()
	}
	common := func() string { return words[rng.IntN(len(words))] }
	// sessions is the /sessions page's reads: a page of sessions with their
	// violations and risk, and the count the filter selects.
	sessions := func(f store.ChatFilter) (int, error) {
		f.Limit = 50
		cs, err := st.ChatRisks(ctx, f, store.RiskParams{Now: now})
		if err != nil {
			return 0, err
		}
		_, err = st.CountChats(ctx, f)
		return len(cs), err
	}
	kinds := []struct {
		name string
		run  func() (int, error)
	}{
		{"events: newest page", func() (int, error) {
			ev, _, err := st.PromptEvents(ctx, store.EventFilter{Limit: 50})
			return len(ev), err
		}},
		{"events: user + 7-day range", func() (int, error) {
			from := now.Add(-time.Duration(7+rng.IntN(80)) * 24 * time.Hour)
			ev, _, err := st.PromptEvents(ctx, store.EventFilter{User: user(), From: from, To: from.Add(7 * 24 * time.Hour), Limit: 50})
			return len(ev), err
		}},
		{"events: model + role, page 3", func() (int, error) {
			f := store.EventFilter{Model: "claude-haiku-4-5", Role: "user", Limit: 50}
			var n int
			for p := 0; p < 3; p++ {
				ev, next, err := st.PromptEvents(ctx, f)
				if err != nil {
					return 0, err
				}
				n, f.Cursor = len(ev), next
			}
			return n, nil
		}},
		{"full-text search (1 common word)", func() (int, error) {
			ev, _, err := st.PromptEvents(ctx, store.EventFilter{Query: words[rng.IntN(len(words))], Limit: 50})
			return len(ev), err
		}},
		{"full-text search (2 topic terms)", func() (int, error) {
			q := term(zipf) + " " + term(zipf)
			ev, _, err := st.PromptEvents(ctx, store.EventFilter{Query: q, Limit: 50})
			return len(ev), err
		}},
		{"full-text search (1 topic term) + user", func() (int, error) {
			ev, _, err := st.PromptEvents(ctx, store.EventFilter{Query: term(zipf), User: user(), Limit: 50})
			return len(ev), err
		}},
		{"full-text search (2 common words)", func() (int, error) {
			ev, _, err := st.PromptEvents(ctx, store.EventFilter{Query: common() + " " + common(), Limit: 50})
			return len(ev), err
		}},
		{"full-text search (1 common word) + user", func() (int, error) {
			ev, _, err := st.PromptEvents(ctx, store.EventFilter{Query: common(), User: user(), Limit: 50})
			return len(ev), err
		}},
		{"full-text search (common word + topic term) + user", func() (int, error) {
			ev, _, err := st.PromptEvents(ctx, store.EventFilter{Query: common() + " " + term(zipf), User: user(), Limit: 50})
			return len(ev), err
		}},
		{"sessions: newest page", func() (int, error) { return sessions(store.ChatFilter{}) }},
		{"sessions: one user", func() (int, error) { return sessions(store.ChatFilter{User: sessionUser()}) }},
		{"sessions: one user, by risk", func() (int, error) { return sessions(store.ChatFilter{User: sessionUser(), Sort: "risk"}) }},
		{"session page (chat + messages)", func() (int, error) {
			id := fmt.Sprintf("claude_chat_bench_%08d", rng.IntN(max(1, o.Messages/10)))
			if _, err := st.Chat(ctx, in.ID, id); err != nil {
				return 0, err
			}
			ms, err := st.ChatMessages(ctx, in.ID, id)
			if err != nil {
				return 0, err
			}
			_, err = st.Findings(ctx, in.ID, "prompt", "", id)
			return len(ms), err
		}},
	}
	var out []QueryResult
	for _, k := range kinds {
		if !strings.Contains(k.name, o.Only) {
			continue
		}
		lat := make([]time.Duration, 0, o.Samples)
		threadCPU := make([]time.Duration, 0, o.Samples)
		cpu, server := cpuSeconds(), 0.0
		if o.ServerCPU != nil {
			server = o.ServerCPU()
		}
		rows := 0
		for i := 0; i < o.Samples; i++ {
			// The query runs in this goroutine, held to one thread to be timed.
			runtime.LockOSThread()
			c0 := threadCPUTime()
			t := time.Now()
			n, err := k.run()
			threadCPU = append(threadCPU, threadCPUTime()-c0)
			runtime.UnlockOSThread()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k.name, err)
			}
			lat = append(lat, time.Since(t))
			rows = n
		}
		pctOf := func(d []time.Duration, p float64) float64 {
			sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
			return float64(d[int(p*float64(len(d)-1))].Microseconds()) / 1000
		}
		pct := func(p float64) float64 { return pctOf(lat, p) }
		perQuery := func(s float64) float64 { return float64(int(s*1000/float64(o.Samples)*100)) / 100 }
		r := QueryResult{Query: k.name, P50ms: pct(0.50), P95ms: pct(0.95), P99ms: pct(0.99), CPUms: perQuery(cpuSeconds() - cpu),
			CPUp95ms: pctOf(threadCPU, 0.95), Rows: rows}
		if o.ServerCPU != nil {
			r.ServerCPUms = perQuery(o.ServerCPU() - server)
		}
		out = append(out, r)
	}
	return out, nil
}

// PostgresCPU returns a reader of the CPU seconds used so far by the
// PostgreSQL backends serving the database at dsn, other than its own
// connection; the server must run on this machine, for /proc. On a busy
// machine a query's CPU time varies less than its latency.
func PostgresCPU(ctx context.Context, dsn string) (read func() float64, closeFn func() error, err error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, nil, err
	}
	db.SetMaxOpenConns(1)
	read = func() float64 {
		rows, err := db.QueryContext(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)
		if err != nil {
			return 0
		}
		defer rows.Close()
		total := 0.0
		for rows.Next() {
			var pid int
			if rows.Scan(&pid) == nil {
				total += procCPUSeconds(pid)
			}
		}
		return total
	}
	return read, db.Close, nil
}

// procCPUSeconds is a process's user plus system CPU time, from
// /proc/PID/stat (fields 14 and 15, in ticks of 1/100 s).
func procCPUSeconds(pid int) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100
}

// threadCPUTime is the CPU time of the calling thread (Linux
// RUSAGE_THREAD); zero where it cannot be read.
func threadCPUTime() time.Duration {
	const rusageThread = 1
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
