package app_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/claudit/claudit/internal/app"
	"github.com/claudit/claudit/internal/config"
	"github.com/claudit/claudit/internal/store/postgres"
)

// TestFirstStartWorker is one claudit process of TestConcurrentFirstStart:
// it starts as serve does (migrations, integrations, the first admin) and
// exits; it does nothing otherwise.
func TestFirstStartWorker(t *testing.T) {
	yaml := os.Getenv("CLAUDIT_FIRST_START_CONFIG")
	if os.Getenv("CLAUDIT_FIRST_START_WORKER") != "1" || yaml == "" {
		t.Skip("helper process for TestConcurrentFirstStart")
	}
	cfg, err := config.Parse("first-start.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := app.Open(ctx, cfg, app.NewLogger(os.Stderr, "warn"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Handler(ctx, &app.Pipeline{}); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentFirstStart starts several processes at once on a new
// PostgreSQL database, a few times over: every one must start, the schema
// must be migrated once, and exactly one first admin be created and its
// password printed once.
func TestConcurrentFirstStart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes; skipped with -short")
	}
	const rounds, procs = 3, 4
	for round := range rounds {
		dsn := postgres.NewTestDatabase(t)
		yaml := fmt.Sprintf("database: %s\nintegrations:\n  - name: acme\n    base_url: http://127.0.0.1:1\n    api_key: sk-ant-api01-x\n", dsn)
		var wg sync.WaitGroup
		logs := make([]*syncBuffer, procs)
		errs := make([]error, procs)
		for i := range procs {
			logs[i] = &syncBuffer{}
			cmd := exec.Command(os.Args[0], "-test.run=^TestFirstStartWorker$", "-test.v")
			cmd.Env = append(os.Environ(), "CLAUDIT_FIRST_START_WORKER=1", "CLAUDIT_FIRST_START_CONFIG="+yaml)
			cmd.Stdout, cmd.Stderr = logs[i], logs[i]
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = cmd.Run() }()
		}
		wg.Wait()
		printed := 0
		for i := range procs {
			if errs[i] != nil {
				t.Errorf("round %d: process %d failed (%v):\n%s", round, i, errs[i], logs[i].String())
			}
			printed += strings.Count(logs[i].String(), "created the first dashboard account")
		}
		if printed != 1 {
			t.Errorf("round %d: the first admin's password was printed %d times, want once", round, printed)
		}
		st, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		n, err := st.CountAccounts(context.Background())
		ins, _ := st.Integrations(context.Background())
		st.Close()
		if err != nil || n != 1 || len(ins) != 1 {
			t.Fatalf("round %d: %d accounts, %d integrations (%v), want 1 and 1", round, n, len(ins), err)
		}
		if t.Failed() {
			return
		}
	}
}
