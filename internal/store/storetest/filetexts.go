package storetest

import (
	"context"
	"testing"

	"github.com/claudit/claudit/internal/store"
)

func testFileTexts(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	chat := store.Chat{ID: "claude_chat_1", Name: "c", UserID: "user_1", CreatedAt: t0, UpdatedAt: t0}
	msg := store.Message{ID: "claude_chat_msg_1", ChatID: chat.ID, Role: "user", Text: "see file", CreatedAt: t0}
	file := store.Message{ID: "claude_file_ok", ChatID: chat.ID, Role: "file", Text: "file a.csv (csv)\nAnn | 078-05-1120\n", CreatedAt: t0.Add(1)}
	page := store.ChatPage{IntegrationID: in.ID, Chats: []store.HydratedChat{{Chat: chat, Messages: []store.Message{msg, file}}},
		FileTexts: []store.FileText{
			{IntegrationID: in.ID, FileID: "claude_file_ok", Kind: "upload", ChatID: chat.ID, MessageID: msg.ID, Filename: "a.csv", Format: "csv", SizeBytes: 20, Status: store.FileTextOK, FetchedAt: t0},
			{IntegrationID: in.ID, FileID: "claude_file_png", Kind: "upload", ChatID: chat.ID, MessageID: msg.ID, Filename: "b.png", SizeBytes: 90, Status: store.FileTextUnreadable, Reason: "binary content (image/png)", FetchedAt: t0},
		}}
	if _, err := s.SaveChatPage(ctx, page); err != nil {
		t.Fatal(err)
	}
	known, err := s.KnownFiles(ctx, in.ID, []string{"claude_file_ok", "claude_file_png", "claude_file_new"})
	if err != nil {
		t.Fatal(err)
	}
	if !known["claude_file_ok"] || !known["claude_file_png"] || known["claude_file_new"] {
		t.Fatalf("known files: %v", known)
	}
	fts, err := s.ChatFileTexts(ctx, in.ID, chat.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(fts) != 2 || fts[0].FileID != "claude_file_ok" || fts[1].Reason != "binary content (image/png)" || fts[1].Status != store.FileTextUnreadable {
		t.Fatalf("file texts: %+v", fts)
	}
	c, err := s.Counts(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Messages != 1 || c.FileTexts != 1 || c.UnreadableFiles != 1 {
		t.Fatalf("counts: %+v", c)
	}
}
