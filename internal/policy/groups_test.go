package policy

import (
	"context"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/policy/detect"
)

func TestGroupScopeInScope(t *testing.T) {
	tests := []struct {
		name  string
		scope GroupScope
		user  []string
		want  bool
	}{
		{"unscoped, no groups", GroupScope{}, nil, true},
		{"unscoped, some groups", GroupScope{}, []string{"sales"}, true},
		{"in the group", GroupScope{Groups: []string{"contractors"}}, []string{"rbac_group_1", "contractors"}, true},
		{"by id", GroupScope{Groups: []string{"rbac_group_1"}}, []string{"rbac_group_1", "contractors"}, true},
		{"name case", GroupScope{Groups: []string{"Contractors"}}, []string{"contractors"}, true},
		{"outside the group", GroupScope{Groups: []string{"contractors"}}, []string{"sales"}, false},
		{"groups unknown", GroupScope{Groups: []string{"contractors"}}, nil, false},
		{"excluded", GroupScope{ExcludeGroups: []string{"security"}}, []string{"security", "sales"}, false},
		{"not excluded", GroupScope{ExcludeGroups: []string{"security"}}, []string{"sales"}, true},
		{"in and excluded", GroupScope{Groups: []string{"finance"}, ExcludeGroups: []string{"security"}}, []string{"finance", "security"}, false},
	}
	for _, tt := range tests {
		if got := tt.scope.InScope(tt.user); got != tt.want {
			t.Errorf("%s: InScope(%v) = %v, want %v", tt.name, tt.user, got, tt.want)
		}
	}
}

func TestGroupScopedTextPolicy(t *testing.T) {
	cfg := mustParse(t, `
policies:
  - name: contractor-pii
    detector: pii
    params: {entities: [EMAIL]}
    groups: [contractors]
    severity: high
  - name: pii-but-security
    detector: pii
    params: {entities: [EMAIL]}
    exclude_groups: [security]
`)
	if !cfg.GroupScoped() {
		t.Fatal("GroupScoped is false for a config with a group-scoped policy")
	}
	eng, err := NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		groups []string
		want   []string
	}{
		{[]string{"contractors"}, []string{"contractor-pii", "pii-but-security"}},
		{[]string{"engineering"}, []string{"pii-but-security"}},
		{nil, []string{"pii-but-security"}},
		{[]string{"security", "contractors"}, []string{"contractor-pii"}},
	}
	for _, tt := range tests {
		res := eng.Evaluate(context.Background(), detect.Input{Text: "write to jane.doe@example.com today", Role: detect.RoleUser, Groups: tt.groups})
		got := map[string]bool{}
		for _, f := range res.Findings {
			got[f.Policy] = true
		}
		if len(got) != len(tt.want) {
			t.Errorf("groups %v: findings of %v, want %v", tt.groups, got, tt.want)
			continue
		}
		for _, p := range tt.want {
			if !got[p] {
				t.Errorf("groups %v: no finding of %s (got %v)", tt.groups, p, got)
			}
		}
	}
}

func TestGroupScopedActivityRule(t *testing.T) {
	cfg := mustParse(t, "activity:\n  admin_change: {groups: [finance]}\n")
	a := NewActivityEvaluator(cfg.Activity)
	at := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		groups []string
		want   bool
	}{{[]string{"finance"}, true}, {[]string{"engineering"}, false}, {nil, false}} {
		got := policiesOf(a.Evaluate(context.Background(), Activity{Type: "api_key_created", ActorUserID: "u1", Groups: tt.groups, CreatedAt: at}))
		hit := len(got) == 1 && got[0] == ActivityAdminChange
		if hit != tt.want {
			t.Errorf("groups %v: got %v, want admin change %v", tt.groups, got, tt.want)
		}
	}
}

func TestGroupScopedSessionRule(t *testing.T) {
	cfg := mustParse(t, "session:\n  repeated_attempts: {exclude_groups: [red-team]}\n")
	s := NewSessionEvaluator(cfg.Session)
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	msgs := []SessionMessage{attack("1", t0), attack("2", t0.Add(time.Minute)), attack("3", t0.Add(2*time.Minute))}
	if got := s.EvaluateFor(context.Background(), "c", []string{"red-team"}, msgs); len(got) != 0 {
		t.Errorf("excluded group: %+v", got)
	}
	if got := s.EvaluateFor(context.Background(), "c", []string{"sales"}, msgs); len(got) != 1 {
		t.Errorf("other group: got %d findings, want 1", len(got))
	}
}
