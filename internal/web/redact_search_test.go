package web_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/web/webtest"
)

// TestViewerCannotSearchRedactedText: a viewer's search does not find a
// message or an access event by what redaction hides from them (a masked
// key, e-mail or IP), so searching cannot confirm guesses; it still finds
// them by what they see. An analyst's search is unchanged.
func TestViewerCannotSearchRedactedText(t *testing.T) {
	_, ts := newEnv(t, webtest.Options{})
	viewer, analyst := login(t, ts, webtest.ViewerEmail), login(t, ts, webtest.AnalystEmail)
	search := func(c *client, kind, q string) string {
		t.Helper()
		_, body := c.get("/api/v1/events?" + url.Values{"kind": {kind}, "q": {q}}.Encode())
		return body
	}
	for _, q := range []string{webtest.SecretKey, webtest.PrivateMail, "SECRETSECRET1234567890", "alice.private"} {
		if body := search(viewer, "prompt", q); strings.Contains(body, "msg-leak") {
			t.Errorf("viewer search %q finds the message by its redacted text: %s", q, body)
		}
		if body := search(analyst, "prompt", q); !strings.Contains(body, `"msg-leak"`) {
			t.Errorf("analyst search %q misses the message", q)
		}
	}
	if body := search(viewer, "prompt", "review"); !strings.Contains(body, `"msg-leak"`) {
		t.Errorf("viewer search by visible words misses the message: %s", body)
	}
	// The masked last octet of an address cannot be probed one guess at a time.
	if body := search(viewer, "access", "203.0.113.7"); strings.Contains(body, "act-login") {
		t.Errorf("viewer search by a masked IP finds the event: %s", body)
	}
	if body := search(viewer, "access", "203.0.113"); !strings.Contains(body, "act-login") {
		t.Errorf("viewer search by the visible network misses the event: %s", body)
	}
	if body := search(analyst, "access", "203.0.113.7"); !strings.Contains(body, "act-login") {
		t.Errorf("analyst search by IP misses the event")
	}
	// Exports follow the same rule.
	_, exp := viewer.get("/export?" + url.Values{"kind": {"prompt"}, "format": {"jsonl"}, "q": {webtest.SecretKey}}.Encode())
	if strings.Contains(exp, "msg-leak") {
		t.Errorf("viewer export by a redacted value lists the message: %s", exp)
	}
}

// TestViewerToolCallsRedacted: every field of a tool call a viewer gets,
// mcp_server_url included, goes through redaction on event lists, event and
// session pages, their JSON, and exports.
func TestViewerToolCallsRedacted(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	const ip = "10.20.30.44"
	text := "please call the server at " + ip + " for the report"
	at := webtest.Base.Add(-30 * time.Minute)
	m := store.Message{ID: "msg-mcp", ChatID: "chat-mcp", Role: "user", Text: text, UserID: "u-alice", UserEmail: "alice@example.com", Model: "claude-sonnet-4", CreatedAt: at,
		ToolCalls: []store.ToolCall{{ID: "tc1", Name: "fetch", Input: `{"host":"` + ip + `"}`, Integration: "internal-mcp", MCPServerURL: "http://" + ip + ":8080/mcp"}}}
	ctx := t.Context()
	if _, err := e.Store.SaveChatPage(ctx, store.ChatPage{IntegrationID: e.Acme.ID, Chats: []store.HydratedChat{{
		Chat: store.Chat{ID: "chat-mcp", Name: "Report via " + ip, UserID: "u-alice", UserEmail: "alice@example.com", CreatedAt: at, UpdatedAt: at}, Messages: []store.Message{m}}}}); err != nil {
		t.Fatal(err)
	}
	start := strings.Index(text, ip)
	if err := e.Store.SaveEvaluations(ctx, []store.Evaluation{{IntegrationID: e.Acme.ID, Kind: "prompt", EventID: "msg-mcp", Version: "v1",
		Findings: []store.Finding{{ChatID: "chat-mcp", UserID: "u-alice", Policy: "pii", Detector: "pii", Entity: "IP_ADDRESS", Severity: "medium",
			Action: "alert", EffectiveAction: "alert", Score: 1, Start: start, End: start + len(ip), Excerpt: "10.2****", EventTime: at}}}}); err != nil {
		t.Fatal(err)
	}
	viewer := login(t, ts, webtest.ViewerEmail)
	iid := itoa(e.Acme.ID)
	for _, path := range []string{
		"/api/v1/events?kind=prompt&chat=chat-mcp",
		"/events?kind=prompt&chat=chat-mcp",
		"/api/v1/events/prompt/" + iid + "/msg-mcp",
		"/events/prompt/" + iid + "/msg-mcp",
		"/api/v1/sessions/" + iid + "/chat-mcp",
		"/sessions/" + iid + "/chat-mcp",
		"/api/v1/sessions",
		"/sessions",
		"/export?kind=prompt&format=jsonl&chat=chat-mcp",
		"/export?kind=prompt&format=json&chat=chat-mcp",
		"/export?kind=prompt&format=csv&chat=chat-mcp",
	} {
		res, body := viewer.get(path)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
		if strings.Contains(body, ip) || strings.Contains(body, "30.44") {
			t.Errorf("%s shows the flagged address to a viewer", path)
		}
	}
}
