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

// Kinds of admin change, as AdminChange names them.
const (
	KindPlugin    = "plugin added"
	KindExtension = "desktop extension added"
	KindRole      = "role change"
	KindAPIKey    = "API key change"
	KindSettings  = "organization settings change"
	KindMCPServer = "MCP server added"
	KindSkill     = "skill added"
)

// AdminChangeKinds lists every kind AdminChange returns.
var AdminChangeKinds = []string{KindPlugin, KindExtension, KindRole, KindAPIKey, KindSettings, KindMCPServer, KindSkill}

// adminChanges are event types (from the Compliance API's catalogue) that
// change what the organization or its members can do.
var adminChanges = map[string]string{
	"claude_plugin_created":                KindPlugin,
	"desktop_extension_uploaded":           KindExtension,
	"desktop_extension_allowlisted":        KindExtension,
	"rbac_role_created":                    KindRole,
	"rbac_role_permission_added":           KindRole,
	"rbac_role_grant_updated":              KindRole,
	"org_sso_group_role_mappings_updated":  KindRole,
	"primary_owner_transferred":            KindRole,
	"platform_api_key_created":             KindAPIKey,
	"claude_organization_settings_updated": KindSettings,
}

// AdminChange classifies a lower-cased event type that changes what the
// org can do, returning one of AdminChangeKinds.
func AdminChange(typ string) (string, bool) {
	if kind, ok := adminChanges[typ]; ok {
		return kind, true
	}
	created := strings.Contains(typ, "created") || strings.Contains(typ, "added") || strings.Contains(typ, "installed")
	switch {
	case strings.HasPrefix(typ, "mcp_server_") && created:
		return KindMCPServer, true
	case (strings.HasPrefix(typ, "claude_skill_") || strings.Contains(typ, "skill")) && created:
		return KindSkill, true
	case typ == "claude_user_role_updated" || typ == "rbac_role_assigned" || strings.Contains(typ, "role_escalat") ||
		strings.Contains(typ, "role_updated") || strings.Contains(typ, "role_assigned"):
		return KindRole, true
	case typ == "api_key_created" || typ == "admin_api_key_created" || strings.HasPrefix(typ, "scoped_api_key_"):
		return KindAPIKey, true
	}
	return "", false
}
