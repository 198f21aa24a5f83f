package storetest

import (
	"context"
	"testing"

	"github.com/claudit/claudit/internal/store"
)

// RunContent runs the cases of content pages against a backend.
func RunContent(t *testing.T, open Opener) {
	t.Run("ContentPages", func(t *testing.T) {
		t.Parallel()
		testContentPages(t, open(t))
	})
}

// testContentPages: project and code artifact texts are stored as file
// messages and file records, counted as file texts, never as chats.
func testContentPages(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	doc := store.Message{IntegrationID: in.ID, ID: "claude_proj_doc_1", ChatID: "claude_proj_1", Role: "file", UserID: "user_1", UserEmail: "ann@example.com",
		Text: "file faq.txt (text)\ncall 555-0100\n", CreatedAt: t0, Files: []store.FileMeta{{ID: "claude_proj_doc_1", Kind: store.FileKindDocument, Filename: "faq.txt"}}}
	page := store.ContentPage{IntegrationID: in.ID, Messages: []store.Message{doc}, FileTexts: []store.FileText{
		{IntegrationID: in.ID, FileID: doc.ID, Kind: store.FileKindDocument, ChatID: "claude_proj_1", UserID: "user_1", Filename: "faq.txt", Format: "text", SizeBytes: 20, Status: store.FileTextOK, FetchedAt: t0},
		{IntegrationID: in.ID, FileID: "cart_1@v9", Kind: store.FileKindCodeArtifact, ChatID: "cart_1", Filename: "cart_1 v9", Status: store.FileTextUnreadable, Reason: "the API no longer has it", FetchedAt: t0},
	}}
	res, err := s.SaveContentPage(ctx, page)
	if err != nil {
		t.Fatal(err)
	}
	if res.Messages != 1 || res.Chats != 0 {
		t.Fatalf("save result %+v", res)
	}
	// Saving again stores nothing twice.
	if res, err = s.SaveContentPage(ctx, page); err != nil || res.Messages != 0 {
		t.Fatalf("second save: %+v, %v", res, err)
	}
	known, err := s.KnownFiles(ctx, in.ID, []string{doc.ID, "cart_1@v9", "cart_1@v10"})
	if err != nil {
		t.Fatal(err)
	}
	if !known[doc.ID] || !known["cart_1@v9"] || known["cart_1@v10"] {
		t.Fatalf("known files: %v", known)
	}
	fts, err := s.ChatFileTexts(ctx, in.ID, "cart_1")
	if err != nil {
		t.Fatal(err)
	}
	if len(fts) != 1 || fts[0].Status != store.FileTextUnreadable || fts[0].Reason == "" {
		t.Fatalf("code artifact file texts: %+v", fts)
	}
	msgs, err := s.ChatMessages(ctx, in.ID, "claude_proj_1")
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].Role != "file" || msgs[0].Text != doc.Text || len(msgs[0].Files) != 1 {
		t.Fatalf("project messages: %+v", msgs)
	}
	c, err := s.Counts(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Chats != 0 || c.Messages != 0 || c.FileTexts != 1 || c.UnreadableFiles != 1 {
		t.Fatalf("counts: %+v", c)
	}
	un, err := s.UnevaluatedMessages(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(un) != 1 || un[0].ID != doc.ID {
		t.Fatalf("unevaluated: %+v", un)
	}
}
