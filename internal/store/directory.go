package store

import (
	"encoding/json"
	"time"
)

// Role is a custom RBAC role of an organization with its permissions.
type Role struct {
	OrganizationUUID string       `json:"organization_uuid"`
	ID               string       `json:"id"`
	Name             string       `json:"name"`
	Description      string       `json:"description,omitempty"`
	Permissions      []Permission `json:"permissions"`
}

// Permission is one action a role grants on a resource.
type Permission struct {
	Action       string `json:"action"`
	ResourceType string `json:"resource_type"`
	ResourceID   string `json:"resource_id"`
}

// Group is an RBAC group (direct or from SCIM) with its roles and members.
type Group struct {
	ID          string        `json:"id"`
	Name        string        `json:"name"`
	Description string        `json:"description,omitempty"`
	SourceType  string        `json:"source_type"`
	Roles       []string      `json:"roles"`
	Members     []GroupMember `json:"members,omitempty"`
}

// GroupMember is a user in a group.
type GroupMember struct {
	UserID string `json:"user_id"`
	Email  string `json:"email"`
}

// OrgSetting is one effective organization setting as the API reported it.
type OrgSetting struct {
	OrganizationUUID string          `json:"organization_uuid"`
	Name             string          `json:"name"`
	Type             string          `json:"type"`
	Value            json.RawMessage `json:"value"`
}

// Directory is an integration's roles, groups and organization settings
// as of one sync.
type Directory struct {
	IntegrationID int64        `json:"integration_id"`
	Roles         []Role       `json:"roles"`
	Groups        []Group      `json:"groups"`
	Settings      []OrgSetting `json:"settings"`
	// SettingsSynced is false when the key could not read settings: the
	// stored ones are then kept as they were.
	SettingsSynced bool      `json:"-"`
	SyncedAt       time.Time `json:"synced_at"`
}

// SettingChange is a setting whose value differs from the previous sync.
// Old or New is nil when the setting was absent (the API omits settings an
// organization's admins cannot control).
type SettingChange struct {
	OrganizationUUID string          `json:"organization_uuid"`
	Name             string          `json:"name"`
	Type             string          `json:"type"`
	Old              json.RawMessage `json:"old"`
	New              json.RawMessage `json:"new"`
}
