package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// RunPolicySets runs the cases of the dashboard's policy sets (the draft
// and the installed set) against a backend.
func RunPolicySets(t *testing.T, open Opener) {
	t.Run("PolicySets", func(t *testing.T) { testPolicySets(t, open(t)) })
}

// testPolicySets: a set reads back as saved, saving again replaces it,
// the names are independent and a deleted or never saved set is not found.
func testPolicySets(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.PolicySet(ctx, store.PolicyDraft); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("empty store: %v, want ErrNotFound", err)
	}
	at := t0.Add(time.Hour)
	draft := &store.PolicySet{Name: store.PolicyDraft, YAML: "version: 1\npolicies: []\n", Version: "abc", UpdatedBy: "admin@example.com", UpdatedAt: at}
	if err := s.SavePolicySet(ctx, draft); err != nil {
		t.Fatal(err)
	}
	inst := &store.PolicySet{Name: store.PolicyInstalled, YAML: "version: 1\n", Version: "def", UpdatedBy: "root@example.com", UpdatedAt: at}
	if err := s.SavePolicySet(ctx, inst); err != nil {
		t.Fatal(err)
	}
	draft.YAML, draft.Version, draft.UpdatedAt = "version: 1\n# edited\n", "abd", at.Add(time.Minute)
	if err := s.SavePolicySet(ctx, draft); err != nil {
		t.Fatal(err)
	}
	got, err := s.PolicySet(ctx, store.PolicyDraft)
	if err != nil {
		t.Fatal(err)
	}
	if got.YAML != draft.YAML || got.Version != "abd" || got.UpdatedBy != "admin@example.com" || !got.UpdatedAt.Equal(draft.UpdatedAt) {
		t.Fatalf("draft read back as %+v", got)
	}
	if err := s.DeletePolicySet(ctx, store.PolicyDraft); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PolicySet(ctx, store.PolicyDraft); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted draft: %v", err)
	}
	if got, err := s.PolicySet(ctx, store.PolicyInstalled); err != nil || got.Version != "def" || got.UpdatedBy != "root@example.com" {
		t.Fatalf("installed set %+v, %v", got, err)
	}
}
