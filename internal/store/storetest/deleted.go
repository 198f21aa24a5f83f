package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// testObjectDeleted: a chat, file or project the API deleted after an
// approved request is marked so, and the inventory leaves it out.
func testObjectDeleted(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	page := chatPage(in, "claude_chat_del", []string{"the contract", "here"}, false)
	page.Projects = []store.Project{{ID: "claude_proj_del", Name: "Contracts", UserID: "user_a", CreatedAt: t0, UpdatedAt: t0},
		{ID: "claude_proj_kept", Name: "Kept", UserID: "user_a", CreatedAt: t0, UpdatedAt: t0}}
	if _, err := s.SaveChatPage(ctx, page); err != nil {
		t.Fatal(err)
	}
	file := page.Chats[0].Messages[0].Files[0].ID
	at := t0.Add(72 * time.Hour)
	for _, o := range []struct{ kind, id string }{{store.DeleteProject, "claude_proj_del"}, {store.DeleteFile, file}, {store.DeleteChat, "claude_chat_del"}} {
		if err := s.MarkObjectDeleted(ctx, in.ID, o.kind, o.id, at); err != nil {
			t.Fatalf("mark %s deleted: %v", o.kind, err)
		}
	}
	// Marking again, or an object never stored, changes nothing and is no error.
	if err := s.MarkObjectDeleted(ctx, in.ID, store.DeleteProject, "claude_proj_del", at.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkObjectDeleted(ctx, in.ID, store.DeleteFile, "claude_file_never", at); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkObjectDeleted(ctx, in.ID, "spaceship", "x", at); err == nil {
		t.Fatal("an unknown kind must be an error")
	}
	ps, err := s.ProjectUsages(ctx, in.ID, 10)
	if err != nil || len(ps) != 1 || ps[0].ID != "claude_proj_kept" {
		t.Fatalf("projects after the deletion: %+v %v, want only claude_proj_kept", ps, err)
	}
	fs, err := s.FileUsages(ctx, in.ID, 10)
	if err != nil || len(fs) != 1 || fs[0].ID == file {
		t.Fatalf("files after the deletion: %+v %v, want the other file only", fs, err)
	}
	c, err := s.Chat(ctx, in.ID, "claude_chat_del")
	if err != nil || !c.HardDeleted || c.DeletedAt == nil || !c.DeletedAt.Equal(at) {
		t.Fatalf("chat after the deletion: %+v %v", c, err)
	}
}
