package activity

import (
	"fmt"
	"testing"
)

func TestComplianceAPIDisabled(t *testing.T) {
	ev := func(typ string, fields map[string]any) Event {
		return Event{Type: typ, ActorUserID: "u1", CreatedAt: tuesday(10, 0), Fields: fields}
	}
	tests := []struct {
		name string
		ev   Event
		want bool
	}{
		{"API turned off", ev("org_compliance_api_settings_updated", map[string]any{"compliance_api_enabled": false}), true},
		{"logging turned off", ev("org_compliance_api_settings_updated", map[string]any{"compliance_api_enabled": true, "compliance_api_logging_enabled": false}), true},
		{"API turned on", ev("org_compliance_api_settings_updated", map[string]any{"compliance_api_enabled": true}), false},
		{"null values", ev("org_compliance_api_settings_updated", map[string]any{"compliance_api_enabled": nil}), false},
		{"no fields", ev("org_compliance_api_settings_updated", nil), false},
		{"another type with the field", ev("claude_organization_settings_updated", map[string]any{"compliance_api_enabled": false}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := feed(build(t, "compliance_api_disabled", nil, Limits{}, workingHours), []Event{tt.ev})
			if fmt.Sprint(got) != fmt.Sprint([]bool{tt.want}) {
				t.Fatalf("fired %v, want %v", got, tt.want)
			}
		})
	}
}
