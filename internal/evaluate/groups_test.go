package evaluate_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/alert"
	"github.com/claudit/claudit/internal/evaluate"
	"github.com/claudit/claudit/internal/policy"
	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/store/postgres"
	"github.com/claudit/claudit/internal/store/sqlite"
)

// groupPolicies scope a text policy and an activity rule to contractors.
const groupPolicies = `
policies:
  - name: contractor-pii
    detector: pii
    params: {entities: [EMAIL]}
    groups: [contractors]
    severity: high
activity:
  admin_change: {groups: [contractors]}
`

// TestGroupScopedPolicies evaluates the same prompt and the same admin
// change by a contractor and by an engineer: only the contractor's get the
// group-scoped findings. The groups come from the stored directory, on
// both stores.
func TestGroupScopedPolicies(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "policies.yaml")
	if err := os.WriteFile(path, []byte(groupPolicies), 0o600); err != nil {
		t.Fatal(err)
	}
	eng, err := policy.NewReloadable(path)
	if err != nil {
		t.Fatal(err)
	}
	open := map[string]func(t *testing.T) evaluate.Backend{
		"sqlite": func(t *testing.T) evaluate.Backend {
			st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "g.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		},
		"postgres": func(t *testing.T) evaluate.Backend {
			dsn := postgres.NewTestDatabase(t)
			st, err := postgres.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			st := open[name](t)
			in := seedGroupUsers(t, st)
			p := evaluate.New(st, eng, &alert.Router{}, nil)
			if _, err := p.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, kind := range []string{"prompt", "access"} {
				fs, err := st.Findings(ctx, in.ID, kind, "", "")
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range fs {
					got = append(got, fmt.Sprintf("%s %s", f.UserID, f.Policy))
				}
			}
			slices.Sort(got)
			want := []string{"user_contractor activity.admin_change", "user_contractor contractor-pii"}
			if !slices.Equal(got, want) {
				t.Fatalf("findings %v, want %v", got, want)
			}
		})
	}
}

// seedGroupUsers stores a directory where user_contractor is in the
// contractors group and user_engineer in engineering, and for each of them
// one prompt with an e-mail address and one API key created.
func seedGroupUsers(t *testing.T, st store.Store) *store.Integration {
	t.Helper()
	ctx := context.Background()
	in := &store.Integration{Name: "acme", BaseURL: "http://127.0.0.1:1"}
	if err := st.UpsertIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	d := store.Directory{IntegrationID: in.ID, SyncedAt: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), Groups: []store.Group{
		{ID: "rbac_group_con", Name: "contractors", SourceType: "direct", Members: []store.GroupMember{{UserID: "user_contractor", Email: "c@example.com"}}},
		{ID: "rbac_group_eng", Name: "engineering", SourceType: "scim", Members: []store.GroupMember{{UserID: "user_engineer", Email: "e@example.com"}}},
	}}
	if _, err := st.SaveDirectory(ctx, d); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	var acts []store.Activity
	for i, u := range []string{"user_contractor", "user_engineer"} {
		chat := fmt.Sprintf("claude_chat_%d", i)
		hc := store.HydratedChat{Chat: store.Chat{ID: chat, UserID: u, CreatedAt: t0, UpdatedAt: t0},
			Messages: []store.Message{{ID: fmt.Sprintf("claude_msg_%d", i), ChatID: chat, Role: "user", UserID: u, CreatedAt: t0,
				Text: "Please write to jane.doe@example.com today about the refund."}}}
		if _, err := st.SaveChatPage(ctx, store.ChatPage{IntegrationID: in.ID, Chats: []store.HydratedChat{hc}}); err != nil {
			t.Fatal(err)
		}
		acts = append(acts, store.Activity{ID: fmt.Sprintf("activity_%d", i), Type: "api_key_created", ActorType: "user", ActorUserID: u,
			CreatedAt: t0.Add(time.Duration(i) * time.Minute), Raw: []byte(`{"type":"api_key_created"}`)})
	}
	if _, err := st.SaveActivityPage(ctx, store.ActivityPage{IntegrationID: in.ID, Activities: acts}); err != nil {
		t.Fatal(err)
	}
	return in
}
