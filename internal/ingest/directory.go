package ingest

import (
	"context"
	"fmt"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/store"
)

// syncOrgDirectory reads roles with their permissions, groups with their
// members and every organization's effective settings (§4.17–4.19) and
// stores them, returning the settings that changed since the last sync. A
// key without read:compliance_org_data (or, for members,
// read:compliance_user_data) skips what it cannot read.
func (s *Syncer) syncOrgDirectory(ctx context.Context) ([]store.SettingChange, error) {
	ds := s.Store
	d := store.Directory{IntegrationID: s.Integration.ID, SyncedAt: s.Now(), SettingsSynced: true}
	var orgs []string
	for org, err := range s.Client.Organizations(ctx, compliance.PageQuery{}) {
		if err != nil {
			if compliance.IsPermission(err) {
				return nil, nil // no org scope: nothing of the directory is readable
			}
			return nil, fmt.Errorf("list organizations: %w", err)
		}
		orgs = append(orgs, org.UUID)
	}
	for _, org := range orgs {
		for r, err := range s.Client.Roles(ctx, org, compliance.PageQuery{Limit: 1000}) {
			if err != nil {
				return nil, fmt.Errorf("list roles of %s: %w", org, err)
			}
			role := store.Role{OrganizationUUID: org, ID: r.ID, Name: r.Name, Description: r.Description}
			for p, err := range s.Client.RolePermissions(ctx, org, r.ID, compliance.PageQuery{Limit: 1000}) {
				if err != nil {
					return nil, fmt.Errorf("list permissions of role %s: %w", r.ID, err)
				}
				role.Permissions = append(role.Permissions, store.Permission{Action: p.Action, ResourceType: p.ResourceType, ResourceID: p.ResourceID})
			}
			d.Roles = append(d.Roles, role)
		}
		st, err := s.Client.OrganizationSettings(ctx, org)
		switch {
		case err == nil:
			for _, x := range st.Settings {
				d.Settings = append(d.Settings, store.OrgSetting{OrganizationUUID: org, Name: x.Name, Type: x.Type, Value: x.Value})
			}
		case compliance.IsNotFound(err):
			// The parent itself, or settings not enabled for the parent: the
			// API gives one 404 for all of them.
		case compliance.IsPermission(err):
			d.SettingsSynced = false
		default:
			return nil, fmt.Errorf("read settings of %s: %w", org, err)
		}
	}
	for g, err := range s.Client.Groups(ctx, compliance.PageQuery{Limit: 1000}) {
		if err != nil {
			return nil, fmt.Errorf("list groups: %w", err)
		}
		group := store.Group{ID: g.ID, Name: g.Name, Description: g.Description, SourceType: g.SourceType, Roles: g.Roles}
		for m, err := range s.Client.GroupMembers(ctx, g.ID, compliance.PageQuery{Limit: 1000}) {
			if err != nil {
				if compliance.IsPermission(err) {
					break // members need the user-data scope
				}
				return nil, fmt.Errorf("list members of group %s: %w", g.ID, err)
			}
			group.Members = append(group.Members, store.GroupMember{UserID: m.UserID, Email: m.Email})
		}
		d.Groups = append(d.Groups, group)
	}
	changes, err := ds.SaveDirectory(ctx, d)
	if err != nil {
		return nil, err
	}
	for _, c := range changes {
		s.Log.Warn("organization setting changed", "organization", c.OrganizationUUID, "setting", c.Name, "old", string(c.Old), "new", string(c.New))
	}
	return changes, nil
}
