package activity

import (
	"testing"
	"time"
)

func TestOffHoursAdminChange(t *testing.T) {
	saturday := time.Date(2026, 3, 7, 11, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		params any
		ev     Event
		want   bool
	}{
		{"role granted at night", nil, Event{Type: "rbac_role_assigned", CreatedAt: tuesday(3, 10)}, true},
		{"API key created on a Saturday", nil, Event{Type: "admin_api_key_created", CreatedAt: saturday}, true},
		{"role granted in working hours", nil, Event{Type: "rbac_role_assigned", CreatedAt: tuesday(11, 0)}, false},
		{"MCP server at night is not a default kind", nil, Event{Type: "mcp_server_created", CreatedAt: tuesday(3, 0)}, false},
		{"MCP server at night when asked for", OffHoursAdminChangeParams{Kinds: []string{KindMCPServer}},
			Event{Type: "mcp_server_created", CreatedAt: tuesday(3, 0)}, true},
		{"not an admin change", nil, Event{Type: "claude_chat_created", CreatedAt: tuesday(3, 0)}, false},
		{"no time", nil, Event{Type: "rbac_role_assigned"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := build(t, "off_hours_admin_change", tt.params, Limits{}, workingHours)
			detail, got := check(&tt.ev, nil)
			if got != tt.want {
				t.Fatalf("fired %v (%q), want %v", got, detail, tt.want)
			}
		})
	}
}

func TestOffHoursAdminChangeBadKind(t *testing.T) {
	u, _ := Lookup("off_hours_admin_change")
	if _, err := u.Build(OffHoursAdminChangeParams{Kinds: []string{"role"}}, Limits{}, workingHours); err == nil {
		t.Fatal("an unknown kind was accepted")
	}
}
