package store

import (
	"context"
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

// DirectoryStore keeps roles, groups, members and organization settings.
type DirectoryStore interface {
	// SaveDirectory replaces an integration's roles, groups and members
	// (and its settings when SettingsSynced) in one transaction, and
	// returns the settings that changed since the previous save: none the
	// first time settings are saved.
	SaveDirectory(ctx context.Context, d Directory) ([]SettingChange, error)
	// Directory reads what the last save stored.
	Directory(ctx context.Context, integrationID int64) (*Directory, error)
	// UserGroups lists the groups a user is a member of (without members), by name.
	UserGroups(ctx context.Context, integrationID int64, userID string) ([]Group, error)
	// GroupUserIDs lists the members of the groups with these ids or names.
	GroupUserIDs(ctx context.Context, integrationID int64, group string) ([]string, error)
}

// FeedStore answers how busy the Activity Feed was, for feed-gap alerts.
type FeedStore interface {
	// CountActivities counts an integration's stored activities created in
	// [from, to), leaving out the given types.
	CountActivities(ctx context.Context, integrationID int64, from, to time.Time, excludeTypes []string) (int, error)
}
