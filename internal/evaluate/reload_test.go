package evaluate_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/claudit/claudit/internal/alert"
	"github.com/claudit/claudit/internal/evaluate"
	"github.com/claudit/claudit/internal/policy"
	"github.com/claudit/claudit/internal/store/sqlite"
)

// TestSessionPoliciesFollowReload reloads, after the pipeline was built,
// policies that turn the session rule off: the chat that would raise it
// under the defaults raises nothing.
func TestSessionPoliciesFollowReload(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	in := seedChat(t, st)
	eng, err := policy.NewReloadable("")
	if err != nil {
		t.Fatal(err)
	}
	p := evaluate.New(st, eng, &alert.Router{}, nil)
	cfg, err := policy.DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Session.Rule("sensitive_accumulation").Enabled = false
	off, err := policy.NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	eng.Set(off)
	if _, err := p.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	fs, err := st.Findings(ctx, in.ID, "session", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 0 {
		t.Fatalf("session findings under policies without the rule: %+v", fs)
	}
}
