package web_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/web/webtest"
)

// TestContentWithoutChatHasASessionPage: project documents and code
// artifact versions are stored as file messages under their project's or
// artifact's id with no chat record; their findings link to
// /sessions/{iid}/{id}, which must show them rather than answer 404.
func TestContentWithoutChatHasASessionPage(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	at := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	doc := store.Message{IntegrationID: e.Acme.ID, ID: "claude_proj_doc_7", ChatID: "claude_proj_7", Role: "file", UserID: "user_7",
		UserEmail: "kim@acme.example", Text: "file runbook.md (text)\nrestart the billing worker on Fridays\n", CreatedAt: at,
		Files: []store.FileMeta{{ID: "claude_proj_doc_7", Kind: store.FileKindDocument, Filename: "runbook.md"}}}
	page := store.ContentPage{IntegrationID: e.Acme.ID, Messages: []store.Message{doc}, FileTexts: []store.FileText{{IntegrationID: e.Acme.ID,
		FileID: doc.ID, Kind: store.FileKindDocument, ChatID: doc.ChatID, UserID: doc.UserID, Filename: "runbook.md", Format: "text",
		SizeBytes: int64(len(doc.Text)), Status: store.FileTextOK, FetchedAt: at}}}
	if _, err := e.Store.SaveContentPage(context.Background(), page); err != nil {
		t.Fatal(err)
	}
	c := login(t, ts, webtest.AnalystEmail)
	path := "/sessions/" + strconv.FormatInt(e.Acme.ID, 10) + "/claude_proj_7"
	res, body := c.get(path)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", path, res.StatusCode)
	}
	for _, want := range []string{"Project files claude_proj_7", "restart the billing worker", "runbook.md"} {
		if !strings.Contains(body, want) {
			t.Errorf("session page lacks %q", want)
		}
	}
	if res, _ := c.get("/sessions/" + strconv.FormatInt(e.Acme.ID, 10) + "/claude_proj_nothing"); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown id: %d, want 404", res.StatusCode)
	}
}
