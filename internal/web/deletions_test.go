package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/deletion"
	"github.com/claudit/claudit/internal/simulator"
	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/web"
	"github.com/claudit/claudit/internal/web/webtest"
)

// TestDeletionRequestFlow files a request as an analyst through the page,
// refuses its approval by the requester, and has another admin approve it
// through the API: the simulator's chat is gone afterwards.
func TestDeletionRequestFlow(t *testing.T) {
	ctx := context.Background()
	e, err := webtest.New(ctx, t.TempDir(), webtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	sim, err := simulator.New(simulator.Config{Seed: 3, Users: 6, Days: 2, RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(sim.Handler())
	t.Cleanup(api.Close)
	cl, err := compliance.New(compliance.Options{BaseURL: api.URL, APIKey: simulator.DefaultKey, RequestsPerMinute: -1, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	// A chat the simulator holds, stored with a finding as a sync and evaluation would.
	chatID := ""
	for _, id := range sim.ChatIDs() {
		if cm, _ := sim.ChatMessages(id); !cm.Deleted() && len(cm.ChatMessages) > 0 {
			chatID = id
			break
		}
	}
	if chatID == "" {
		t.Fatal("the simulated organization has no chat")
	}
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	msg := store.Message{ID: chatID + "_m0", ChatID: chatID, Role: "user", Text: "here is our key", UserID: "u-alice", CreatedAt: at}
	if _, err := e.Store.SaveChatPage(ctx, store.ChatPage{IntegrationID: e.Acme.ID, Chats: []store.HydratedChat{{
		Chat: store.Chat{ID: chatID, Name: "Leak", UserID: "u-alice", CreatedAt: at, UpdatedAt: at}, Messages: []store.Message{msg}}}}); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.SaveEvaluations(ctx, []store.Evaluation{{IntegrationID: e.Acme.ID, Kind: "prompt", EventID: msg.ID, Version: "t",
		Findings: []store.Finding{{ChatID: chatID, Policy: "secrets", Detector: "secrets", Severity: "high", Action: "alert", EffectiveAction: "alert", EventTime: at}}}}); err != nil {
		t.Fatal(err)
	}
	svc := &deletion.Service{Store: e.Store, Deletions: e.Store, Audit: e.Store,
		Client: func(context.Context, *store.Integration) (*compliance.Client, error) { return cl, nil }}
	srv, err := web.New(web.Config{Store: e.Store, Web: e.Store, Deletions: svc})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	if _, err := web.AddUser(ctx, e.Store, "second-admin@example.com", store.RoleAdmin, webtest.Password); err != nil {
		t.Fatal(err)
	}

	analyst := login(t, ts, webtest.AnalystEmail)
	res, body := analyst.get("/sessions/" + itoa(e.Acme.ID) + "/" + url.PathEscape(chatID))
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `id="request-chat-deletion"`) {
		t.Fatalf("session page offers no deletion request: %d %s", res.StatusCode, body)
	}
	res, _ = analyst.postForm("/deletions", url.Values{"csrf_token": {analyst.csrf}, "integration": {itoa(e.Acme.ID)}, "kind": {"chat"},
		"object_id": {chatID}, "reason": {"API key pasted"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("request through the form: %d", res.StatusCode)
	}
	var list struct {
		Requests []store.DeletionRequest `json:"deletion_requests"`
	}
	analyst.getJSON("/api/v1/deletions?status=pending", &list)
	if len(list.Requests) != 1 || list.Requests[0].RequestedEmail != webtest.AnalystEmail {
		t.Fatalf("pending requests: %+v", list.Requests)
	}
	id := itoa(list.Requests[0].ID)
	// An analyst cannot approve, by page or API.
	if res, _ := analyst.api("POST", "/api/v1/deletions/"+id+"/approve", nil, true); res.StatusCode != http.StatusForbidden {
		t.Fatalf("analyst approval: %d, want 403", res.StatusCode)
	}
	// An admin's own request cannot be approved by that admin.
	admin := login(t, ts, webtest.AdminEmail)
	res, body = admin.api("POST", "/api/v1/deletions", map[string]string{"integration": "acme", "kind": "chat", "object_id": chatID, "reason": "again"}, true)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("admin request: %d %s", res.StatusCode, body)
	}
	var own store.DeletionRequest
	_ = json.Unmarshal([]byte(body), &own)
	res, body = admin.api("POST", "/api/v1/deletions/"+itoa(own.ID)+"/approve", nil, true)
	if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "another admin must approve") {
		t.Fatalf("self-approval: %d %s", res.StatusCode, body)
	}
	// The analyst's request, approved by the admin, is carried out.
	res, body = admin.api("POST", "/api/v1/deletions/"+id+"/approve", map[string]string{"comment": "ok"}, true)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `"status": "deleted"`) || !strings.Contains(body, "claude_chat_deleted") {
		t.Fatalf("approval: %d %s", res.StatusCode, body)
	}
	if _, ok := sim.ChatMessages(chatID); ok {
		t.Fatal("the simulator still has the chat")
	}
	res, body = admin.get("/deletions")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "claude_chat_deleted") {
		t.Fatalf("deletions page: %d", res.StatusCode)
	}
	if res, _ := login(t, ts, webtest.ViewerEmail).get("/deletions"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("viewer on the deletions page: %d, want 403", res.StatusCode)
	}
}
