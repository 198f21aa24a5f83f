package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/claudit/claudit/internal/store"
)

func testDeletionRequests(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	page := chatPage(in, "claude_chat_del", []string{"my key is sk-live", "noted"}, false)
	page.Chats[0].Chat.ProjectID = "claude_proj_x"
	page.Projects = []store.Project{{ID: "claude_proj_x", Name: "X", CreatedAt: t0, UpdatedAt: t0}}
	if _, err := s.SaveChatPage(ctx, page); err != nil {
		t.Fatal(err)
	}
	msg := page.Chats[0].Messages[0]
	if err := s.SaveEvaluations(ctx, []store.Evaluation{{IntegrationID: in.ID, Kind: "prompt", EventID: msg.ID, Version: "v1",
		Findings: []store.Finding{{Policy: "secrets", Detector: "secrets", Severity: "high", Action: "alert", EffectiveAction: "alert", ChatID: msg.ChatID, EventTime: msg.CreatedAt}}}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		kind, id string
		want     int
	}{
		{store.DeleteChat, "claude_chat_del", 1},
		{store.DeleteFile, msg.Files[0].ID, 1},
		{store.DeleteFile, page.Chats[0].Messages[1].Files[0].ID, 0},
		{store.DeleteProject, "claude_proj_x", 1},
		{store.DeleteProject, "claude_proj_other", 0},
	} {
		if n, err := s.ObjectFindings(ctx, in.ID, c.kind, c.id); err != nil || n != c.want {
			t.Errorf("findings of %s %s: %d %v, want %d", c.kind, c.id, n, err, c.want)
		}
	}
	if _, err := s.ObjectFindings(ctx, in.ID, "user", "u"); err == nil {
		t.Error("findings of a user: want an error")
	}

	d := &store.DeletionRequest{IntegrationID: in.ID, Kind: store.DeleteChat, ObjectID: "claude_chat_del", Reason: "secret pasted", Findings: 1,
		RequestedBy: 7, RequestedEmail: "analyst@example.com", RequestedAt: t0}
	if err := s.CreateDeletionRequest(ctx, d); err != nil || d.ID == 0 || d.Status != store.DeletionPending {
		t.Fatalf("create: %+v %v", d, err)
	}
	other := &store.DeletionRequest{IntegrationID: in.ID, Kind: store.DeleteFile, ObjectID: msg.Files[0].ID, Reason: "r", RequestedBy: 7, RequestedEmail: "analyst@example.com"}
	if err := s.CreateDeletionRequest(ctx, other); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishDeletion(ctx, d.ID, store.DeletionDeleted, "claude_chat_deleted", "", t0); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("finish a pending request: %v, want ErrConflict", err)
	}
	if err := s.DecideDeletion(ctx, d.ID, store.DeletionApproved, 8, "admin@example.com", "ok", t0.Add(1)); err != nil {
		t.Fatal(err)
	}
	// A second decision loses: the request is no longer pending.
	if err := s.DecideDeletion(ctx, d.ID, store.DeletionRejected, 9, "other@example.com", "", t0.Add(2)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second decision: %v, want ErrConflict", err)
	}
	if err := s.DecideDeletion(ctx, 9999, store.DeletionApproved, 8, "admin@example.com", "", t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("decide a missing request: %v, want ErrNotFound", err)
	}
	if err := s.FinishDeletion(ctx, d.ID, store.DeletionDeleted, "claude_chat_deleted", "", t0.Add(3)); err != nil {
		t.Fatal(err)
	}
	got, err := s.DeletionRequest(ctx, d.ID)
	if err != nil || got.Status != store.DeletionDeleted || got.DecidedBy != 8 || got.DecidedEmail != "admin@example.com" || got.Comment != "ok" ||
		got.ResultType != "claude_chat_deleted" || !got.RequestedAt.Equal(t0) || got.FinishedAt.IsZero() || got.Reason != "secret pasted" {
		t.Fatalf("read back: %+v %v", got, err)
	}
	pending, err := s.DeletionRequests(ctx, store.DeletionPending, 10)
	if err != nil || len(pending) != 1 || pending[0].ID != other.ID {
		t.Fatalf("pending: %+v %v", pending, err)
	}
	all, err := s.DeletionRequests(ctx, "", 10)
	if err != nil || len(all) != 2 || all[0].ID != other.ID {
		t.Fatalf("all, newest first: %+v %v", all, err)
	}

	if sc, at, err := s.IntegrationScopes(ctx, in.ID); err != nil || sc != nil || !at.IsZero() {
		t.Fatalf("scopes never checked: %v %v %v", sc, at, err)
	}
	for _, want := range [][]string{{"read:compliance_activities", "delete:compliance_user_data"}, {"read:compliance_activities"}} {
		if err := s.SetIntegrationScopes(ctx, in.ID, want, t0); err != nil {
			t.Fatal(err)
		}
		sc, at, err := s.IntegrationScopes(ctx, in.ID)
		if err != nil || !slices.Equal(sc, want) || !at.Equal(t0) {
			t.Fatalf("scopes: %v %v %v, want %v", sc, at, err, want)
		}
	}
}
