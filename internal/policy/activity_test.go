package policy

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

func policiesOf(fs []ActivityFinding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Policy)
	}
	return out
}

func TestActivitySingleEvents(t *testing.T) {
	// Tuesday 10:00 UTC: inside working hours.
	at := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		ev   Activity
		want []string
	}{
		{"public sharing", Activity{Type: "project_sharing_updated", Fields: map[string]any{"audience": "anyone_with_link"}}, []string{ActivityExternalSharing}},
		{"org sharing", Activity{Type: "project_sharing_updated", Fields: map[string]any{"audience": "organization"}}, nil},
		{"external invite", Activity{Type: "pending_share_created", ActorEmail: "a@acme.com", Fields: map[string]any{"recipient_email": "x@gmail.com"}}, []string{ActivityExternalSharing}},
		{"internal invite", Activity{Type: "pending_share_created", ActorEmail: "a@acme.com", Fields: map[string]any{"recipient_email": "b@eu.acme.com"}}, nil},
		{"session share", Activity{Type: "session_share_created"}, []string{ActivityExternalSharing}},
		// The shapes of the Compliance API's activity schemas.
		{"project made public", Activity{Type: "claude_project_sharing_updated", Fields: map[string]any{
			"claude_project_id": "p1", "audience": []any{map[string]any{"type": "public"}}}}, []string{ActivityExternalSharing}},
		{"project shared with org", Activity{Type: "claude_project_sharing_updated", Fields: map[string]any{
			"claude_project_id": "p1", "audience": []any{map[string]any{"type": "organization"}}}}, nil},
		{"artifact shared by link", Activity{Type: "claude_artifact_sharing_updated", Fields: map[string]any{
			"audience": []any{map[string]any{"type": "anyone_with_link"}}, "previous_mode": "private", "new_mode": "anyone_with_link"}}, []string{ActivityExternalSharing}},
		{"artifact shared with users", Activity{Type: "claude_artifact_sharing_updated", Fields: map[string]any{
			"audience": []any{map[string]any{"type": "users"}}, "new_mode": "users"}}, nil},
		{"design published publicly", Activity{Type: "design_project_artifact_published", Fields: map[string]any{"is_public": true}}, []string{ActivityExternalSharing}},
		{"design published internally", Activity{Type: "design_project_artifact_published", Fields: map[string]any{"is_public": false}}, nil},
		{"share invite to external email", Activity{Type: "pending_share_created", ActorEmail: "a@acme.com", Fields: map[string]any{
			"invitee_email": "x@gmail.com", "resource_type": "project"}}, []string{ActivityExternalSharing}},
		{"org invite to external email", Activity{Type: "org_user_invite_sent", ActorEmail: "a@acme.com", Fields: map[string]any{"invited_email": "x@gmail.com"}}, []string{ActivityExternalSharing}},
		{"org invite to own domain", Activity{Type: "org_user_invite_sent", ActorEmail: "a@acme.com", Fields: map[string]any{"invited_email": "new@acme.com"}}, nil},
		{"mcp server", Activity{Type: "mcp_server_created"}, []string{ActivityAdminChange}},
		{"skill", Activity{Type: "claude_skill_created"}, []string{ActivityAdminChange}},
		{"role", Activity{Type: "claude_user_role_updated"}, []string{ActivityAdminChange}},
		{"api key", Activity{Type: "admin_api_key_created"}, []string{ActivityAdminChange}},
		{"scoped key", Activity{Type: "scoped_api_key_rotated"}, []string{ActivityAdminChange}},
		{"platform key", Activity{Type: "platform_api_key_created"}, []string{ActivityAdminChange}},
		{"plugin", Activity{Type: "claude_plugin_created"}, []string{ActivityAdminChange}},
		{"extension", Activity{Type: "desktop_extension_uploaded"}, []string{ActivityAdminChange}},
		{"rbac permission", Activity{Type: "rbac_role_permission_added"}, []string{ActivityAdminChange}},
		{"owner transfer", Activity{Type: "primary_owner_transferred"}, []string{ActivityAdminChange}},
		{"settings", Activity{Type: "claude_organization_settings_updated"}, []string{ActivityAdminChange}},
		{"chat", Activity{Type: "claude_chat_created"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := NewActivityEvaluator(DefaultActivityConfig())
			tt.ev.CreatedAt = at
			got := policiesOf(a.Evaluate(context.Background(), tt.ev))
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestActivityAllowedDomains(t *testing.T) {
	cfg := DefaultActivityConfig()
	cfg.AllowedDomains = []string{"partner.io"}
	a := NewActivityEvaluator(cfg)
	ev := Activity{Type: "pending_share_created", ActorEmail: "a@acme.com", Fields: map[string]any{"recipient_email": "b@partner.io"}}
	if got := a.Evaluate(context.Background(), ev); len(got) != 0 {
		t.Fatalf("allowed domain flagged: %+v", got)
	}
}

func TestActivityNewIPAndAgent(t *testing.T) {
	a := NewActivityEvaluator(DefaultActivityConfig())
	at := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	ev := func(ip, ua string) []string {
		return policiesOf(a.Evaluate(context.Background(), Activity{Type: "claude_chat_viewed", ActorUserID: "u1", IP: ip, UserAgent: ua, CreatedAt: at}))
	}
	if got := ev("1.1.1.1", "Firefox"); len(got) != 0 {
		t.Fatalf("first event flagged: %v", got)
	}
	if got := ev("1.1.1.1", "Firefox"); len(got) != 0 {
		t.Fatalf("known IP flagged: %v", got)
	}
	if got := ev("2.2.2.2", "curl/8"); !slices.Contains(got, ActivityNewIP) || !slices.Contains(got, ActivityNewUserAgent) {
		t.Fatalf("new IP and agent not flagged: %v", got)
	}
	a.Seed("u2", []string{"3.3.3.3"}, []string{"Chrome"})
	got := policiesOf(a.Evaluate(context.Background(), Activity{Type: "x", ActorUserID: "u2", IP: "3.3.9.9", UserAgent: "Chrome", CreatedAt: at}))
	if fmt.Sprint(got) != fmt.Sprint([]string{ActivityNewIP}) {
		t.Fatalf("seeded user, new IP in a known network: got %v", got)
	}
}

func TestActivityNewNetwork(t *testing.T) {
	a := NewActivityEvaluator(DefaultActivityConfig())
	at := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	ev := func(ip string) []string {
		return policiesOf(a.Evaluate(context.Background(), Activity{Type: "claude_chat_viewed", ActorUserID: "u1", IP: ip, UserAgent: "Firefox", CreatedAt: at}))
	}
	tests := []struct {
		ip          string
		newNetwork  bool
		description string
	}{
		{"198.51.100.7", false, "first event: nothing known to compare with"},
		{"198.51.7.1", false, "same /16"},
		{"203.0.113.9", true, "another /16"},
		{"::ffff:203.0.200.1", false, "IPv4-mapped address in a known /16"},
		{"2001:db8:1::1", true, "first IPv6 network"},
		{"2001:db8:1:ffff::2", false, "same IPv6 /48"},
		{"2001:db8:2::1", true, "another IPv6 /48"},
		{"not an ip", false, "unparsable"},
	}
	for _, tt := range tests {
		if got := slices.Contains(ev(tt.ip), ActivityNewNetwork); got != tt.newNetwork {
			t.Errorf("%s (%s): new network = %v, want %v", tt.ip, tt.description, got, tt.newNetwork)
		}
	}
	a.Seed("u2", []string{"192.0.2.1"}, nil)
	got := policiesOf(a.Evaluate(context.Background(), Activity{Type: "x", ActorUserID: "u2", IP: "100.64.0.1", CreatedAt: at}))
	if !slices.Contains(got, ActivityNewNetwork) {
		t.Fatalf("seeded user from a new network: got %v", got)
	}
}

func TestActivityBursts(t *testing.T) {
	cfg := DefaultActivityConfig()
	cfg.Rule("mass_export").Count = 5
	cfg.Rule("off_hours").Count = 4
	a := NewActivityEvaluator(cfg)
	night := time.Date(2026, 3, 3, 2, 0, 0, 0, time.UTC)
	var offHours, exports int
	for i := range 12 {
		fs := a.Evaluate(context.Background(), Activity{Type: "claude_chat_exported", ActorUserID: "u1", CreatedAt: night.Add(time.Duration(i) * time.Second)})
		for _, f := range fs {
			switch f.Policy {
			case ActivityOffHours:
				offHours++
			case ActivityMassExport:
				exports++
			}
		}
	}
	// One finding per window, not one per event past the threshold.
	if offHours != 1 || exports != 1 {
		t.Fatalf("off-hours findings %d, export findings %d; want 1 each", offHours, exports)
	}
	day := time.Date(2026, 3, 3, 11, 0, 0, 0, time.UTC)
	b := NewActivityEvaluator(cfg)
	for i := range 4 {
		for _, f := range b.Evaluate(context.Background(), Activity{Type: "claude_chat_viewed", ActorUserID: "u1", CreatedAt: day.Add(time.Duration(i) * time.Second)}) {
			t.Fatalf("daytime viewing flagged: %+v", f)
		}
	}
}
