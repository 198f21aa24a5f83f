package activity

import (
	"fmt"
	"strings"
)

// admin_change fires on changes to what the organization or its members
// can do: MCP servers, skills, plugins and extensions added, role and
// permission changes, API keys created, organization settings changed.
func init() {
	Register(Rule[struct{}]{
		Name:     "admin_change",
		Tag:      "Admin Change",
		Defaults: Defaults{Enabled: true, Severity: "medium", Action: "alert"},
		New: func(struct{}, Limits, Org) (Check, error) {
			return func(ev *Event, _ *History) (string, bool) {
				kind, ok := AdminChange(lowerType(ev))
				if !ok {
					return "", false
				}
				return fmt.Sprintf("%s: %s", kind, ev.Type), true
			}, nil
		},
	})
}

// adminChanges are event types (from the Compliance API's catalogue) that
// change what the organization or its members can do.
var adminChanges = map[string]string{
	"claude_plugin_created":                "plugin added",
	"desktop_extension_uploaded":           "desktop extension added",
	"desktop_extension_allowlisted":        "desktop extension added",
	"rbac_role_created":                    "role change",
	"rbac_role_permission_added":           "role change",
	"rbac_role_grant_updated":              "role change",
	"org_sso_group_role_mappings_updated":  "role change",
	"primary_owner_transferred":            "role change",
	"platform_api_key_created":             "API key change",
	"claude_organization_settings_updated": "organization settings change",
}

// AdminChange classifies a lower-cased event type that changes what the
// org can do: "role change", "API key change", "MCP server added", ...
func AdminChange(typ string) (string, bool) {
	if kind, ok := adminChanges[typ]; ok {
		return kind, true
	}
	created := strings.Contains(typ, "created") || strings.Contains(typ, "added") || strings.Contains(typ, "installed")
	switch {
	case strings.HasPrefix(typ, "mcp_server_") && created:
		return "MCP server added", true
	case (strings.HasPrefix(typ, "claude_skill_") || strings.Contains(typ, "skill")) && created:
		return "skill added", true
	case typ == "claude_user_role_updated" || typ == "rbac_role_assigned" || strings.Contains(typ, "role_escalat") ||
		strings.Contains(typ, "role_updated") || strings.Contains(typ, "role_assigned"):
		return "role change", true
	case typ == "api_key_created" || typ == "admin_api_key_created" || strings.HasPrefix(typ, "scoped_api_key_"):
		return "API key change", true
	}
	return "", false
}
