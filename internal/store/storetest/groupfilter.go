package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// testGroupFilters: events, sessions and alerts filtered by a directory
// group, by id or name, with each integration's own members.
func testGroupFilters(t *testing.T, s store.Store) {
	ctx := context.Background()
	acme := integration(t, s, "acme")
	beta := integration(t, s, "beta")
	// acme's finance group has user_a; beta's group of the same name has user_b.
	for _, d := range []store.Directory{
		{IntegrationID: acme.ID, SyncedAt: t0, Groups: []store.Group{
			{ID: "rbac_group_fin", Name: "finance", SourceType: "scim", Members: []store.GroupMember{{UserID: "user_a", Email: "user_a@example.com"}}},
			{ID: "rbac_group_eng", Name: "engineering", SourceType: "direct", Members: []store.GroupMember{{UserID: "user_c", Email: "user_c@example.com"}}}}},
		{IntegrationID: beta.ID, SyncedAt: t0, Groups: []store.Group{
			{ID: "rbac_group_fin2", Name: "finance", SourceType: "direct", Members: []store.GroupMember{{UserID: "user_b", Email: "user_b@example.com"}}}}},
	} {
		if _, err := s.SaveDirectory(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	var evals []store.Evaluation
	for _, in := range []*store.Integration{acme, beta} {
		var acts []store.Activity
		for _, u := range []string{"user_a", "user_b"} {
			acts = append(acts, act(in.Name+"_activity_"+u, t0, "claude_chat_viewed", u))
			p := chatPage(in, in.Name+"_chat_"+u, []string{"hello", "hi"}, false)
			c := &p.Chats[0]
			c.Chat.UserID, c.Chat.UserEmail = u, u+"@example.com"
			for i := range c.Messages {
				c.Messages[i].UserID, c.Messages[i].UserEmail = u, u+"@example.com"
			}
			if _, err := s.SaveChatPage(ctx, p); err != nil {
				t.Fatal(err)
			}
			evals = append(evals, store.Evaluation{IntegrationID: in.ID, Kind: "prompt", EventID: c.Messages[0].ID, Version: "v1",
				Findings: []store.Finding{finding("pii", u, c.Chat.ID, t0)}})
		}
		if _, err := s.SaveActivityPage(ctx, store.ActivityPage{IntegrationID: in.ID, Activities: acts}); err != nil {
			t.Fatal(err)
		}
		// An alert of no user, as settings drift raises: no group has it.
		evals = append(evals, store.Evaluation{IntegrationID: in.ID, Kind: "setting", EventID: in.Name + "/sso_enabled", Version: "v1",
			Findings: []store.Finding{{Policy: "settings_drift", Detector: "settings", Entity: "sso_enabled", Severity: "high",
				Action: "alert", EffectiveAction: "alert", Score: 1, EventTime: t0.Add(time.Minute)}}})
	}
	raiseAlerts(t, s, evals)

	for _, group := range []string{"finance", "rbac_group_fin", "rbac_group_fin2"} {
		var got []string
		ms, _, err := s.PromptEvents(ctx, store.EventFilter{Kind: "prompt", Group: group})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			got = append(got, "prompt "+m.ID)
		}
		as, _, err := s.AccessEvents(ctx, store.EventFilter{Kind: "access", Group: group})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			got = append(got, "access "+a.ID)
		}
		cs, err := s.Chats(ctx, store.ChatFilter{Group: group})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			got = append(got, "chat "+c.ID)
		}
		al, err := s.Alerts(ctx, store.AlertFilter{Group: group})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range al {
			got = append(got, "alert "+a.ChatID)
		}
		slices.Sort(got)
		var want []string
		switch group {
		case "finance":
			want = []string{"access acme_activity_user_a", "access beta_activity_user_b", "alert acme_chat_user_a", "alert beta_chat_user_b",
				"chat acme_chat_user_a", "chat beta_chat_user_b",
				"prompt acme_chat_user_a_msg_0", "prompt acme_chat_user_a_msg_1", "prompt beta_chat_user_b_msg_0", "prompt beta_chat_user_b_msg_1"}
		case "rbac_group_fin":
			want = []string{"access acme_activity_user_a", "alert acme_chat_user_a", "chat acme_chat_user_a",
				"prompt acme_chat_user_a_msg_0", "prompt acme_chat_user_a_msg_1"}
		case "rbac_group_fin2":
			want = []string{"access beta_activity_user_b", "alert beta_chat_user_b", "chat beta_chat_user_b",
				"prompt beta_chat_user_b_msg_0", "prompt beta_chat_user_b_msg_1"}
		}
		if !slices.Equal(got, want) {
			t.Errorf("group %s:\n got %q\nwant %q", group, got, want)
		}
	}

	// The counts and the risk list filter the same way; an unknown group selects nothing.
	if n, err := s.CountEvents(ctx, store.EventFilter{Kind: "prompt", IntegrationID: acme.ID, Group: "finance"}, 100); err != nil || n != 2 {
		t.Errorf("count prompt events of finance in acme: %d %v", n, err)
	}
	if n, err := s.CountChats(ctx, store.ChatFilter{Group: "finance", IntegrationID: beta.ID}); err != nil || n != 1 {
		t.Errorf("count sessions of finance in beta: %d %v", n, err)
	}
	if n, err := s.CountAlerts(ctx, store.AlertFilter{Group: "finance"}); err != nil || n != 2 {
		t.Errorf("count alerts of finance: %d %v", n, err)
	}
	if rs, err := s.ChatRisks(ctx, store.ChatFilter{Group: "rbac_group_fin"}, store.RiskParams{}); err != nil || len(rs) != 1 || rs[0].ID != "acme_chat_user_a" {
		t.Errorf("sessions by risk of rbac_group_fin: %+v %v", rs, err)
	}
	if n, err := s.CountAlerts(ctx, store.AlertFilter{Group: "nobody"}); err != nil || n != 0 {
		t.Errorf("count alerts of an unknown group: %d %v", n, err)
	}

	all, err := s.GroupNames(ctx, 0)
	if err != nil || !slices.Equal(all, []string{"engineering", "finance"}) {
		t.Errorf("group names: %q %v", all, err)
	}
	if names, err := s.GroupNames(ctx, beta.ID); err != nil || !slices.Equal(names, []string{"finance"}) {
		t.Errorf("group names of beta: %q %v", names, err)
	}
}
