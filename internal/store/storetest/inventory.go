package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/store"
)

func testInventorySources(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	page := chatPage(in, "claude_chat_inv", []string{"look up the contract", "found it"}, false)
	page.Chats[0].Chat.ProjectID = "claude_proj_inv"
	page.Chats[0].Messages[0].ToolCalls = []store.ToolCall{{ID: "toolu_1", Name: "search_drive", Integration: "Google Drive"}, {Name: "query", MCPServerURL: "https://mcp.example.com/sse"}}
	page.Projects = []store.Project{{ID: "claude_proj_inv", Name: "Contracts", UserID: "user_a", CreatedAt: t0, UpdatedAt: t0}}
	if _, err := s.SaveChatPage(ctx, page); err != nil {
		t.Fatal(err)
	}
	m := page.Chats[0].Messages[0]
	if err := s.SaveEvaluations(ctx, []store.Evaluation{{IntegrationID: in.ID, Kind: "prompt", EventID: m.ID, Version: "v1",
		Findings: []store.Finding{{Policy: "pii", Detector: "pii", Severity: "high", Action: "alert", EffectiveAction: "alert", ChatID: m.ChatID, EventTime: m.CreatedAt}}}}); err != nil {
		t.Fatal(err)
	}
	acts := []store.Activity{
		{ID: "activity_s1", CreatedAt: t0, Type: "claude_skill_created", ActorType: "user", ActorUserID: "user_a", Raw: []byte(`{"skill_name":"Invoices"}`)},
		{ID: "activity_p1", CreatedAt: t0.Add(time.Minute), Type: "claude_plugin_enabled", ActorType: "user", ActorUserID: "user_a", Raw: []byte(`{}`)},
		{ID: "activity_x1", CreatedAt: t0.Add(2 * time.Minute), Type: "claudeXskill_created", ActorType: "user", Raw: []byte(`{}`)},
		{ID: "activity_old", CreatedAt: t0.Add(-48 * time.Hour), Type: "claude_skill_deleted", ActorType: "user", Raw: []byte(`{}`)},
	}
	if _, err := s.SaveActivityPage(ctx, store.ActivityPage{IntegrationID: in.ID, Activities: acts}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ActivitiesOfTypes(ctx, in.ID, []string{"claude_skill_", "claude_plugin_"}, t0.Add(-time.Hour), 100)
	if err != nil || len(got) != 2 || got[0].ID != "activity_s1" || got[1].ID != "activity_p1" {
		t.Fatalf("activities of types (underscores are not wildcards, since bounds): %+v %v", got, err)
	}
	ms, err := s.ToolCallMessages(ctx, in.ID, t0.Add(-time.Hour), 100)
	if err != nil || len(ms) != 1 || len(ms[0].ToolCalls) != 2 || ms[0].ToolCalls[1].MCPServerURL != "https://mcp.example.com/sse" {
		t.Fatalf("tool call messages: %+v %v", ms, err)
	}
	ps, err := s.ProjectUsages(ctx, in.ID, 10)
	if err != nil || len(ps) != 1 || ps[0].Chats != 1 || ps[0].Findings != 1 || ps[0].Name != "Contracts" {
		t.Fatalf("projects: %+v %v", ps, err)
	}
	fs, err := s.FileUsages(ctx, in.ID, 10)
	if err != nil || len(fs) != 2 {
		t.Fatalf("files: %+v %v", fs, err)
	}
	withFinding := 0
	for _, f := range fs {
		if f.Findings > 0 {
			withFinding++
			if f.UserEmail != "a@example.com" {
				t.Errorf("file %s uploader: %q", f.ID, f.UserEmail)
			}
		}
	}
	if withFinding != 1 {
		t.Fatalf("files with findings: %d, want 1: %+v", withFinding, fs)
	}
}
