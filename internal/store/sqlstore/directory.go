package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/claudit/claudit/internal/store"
)

// compactJSON makes equal values compare equal however the API spaced them.
func compactJSON(v json.RawMessage) string {
	if len(v) == 0 {
		return "null"
	}
	var b bytes.Buffer
	if err := json.Compact(&b, v); err != nil {
		return string(v)
	}
	return b.String()
}

// SaveDirectory replaces an integration's directory and reports changed settings.
func (s *Store) SaveDirectory(ctx context.Context, d store.Directory) ([]store.SettingChange, error) {
	var changes []store.SettingChange
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		changes = nil
		for _, t := range []string{"org_roles", "org_groups", "group_members"} {
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM `+t+` WHERE integration_id = ?`), d.IntegrationID); err != nil {
				return fmt.Errorf("clear %s: %w", t, err)
			}
		}
		for _, r := range d.Roles {
			perms, _ := json.Marshal(nonNil(r.Permissions))
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO org_roles (integration_id, id, organization_uuid, name, description, permissions) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (integration_id, id) DO NOTHING`),
				d.IntegrationID, r.ID, r.OrganizationUUID, store.CleanText(r.Name), store.CleanText(r.Description), string(perms)); err != nil {
				return fmt.Errorf("save role %s: %w", r.ID, err)
			}
		}
		for _, g := range d.Groups {
			roles, _ := json.Marshal(nonNil(g.Roles))
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO org_groups (integration_id, id, name, description, source_type, roles) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (integration_id, id) DO NOTHING`),
				d.IntegrationID, g.ID, store.CleanText(g.Name), store.CleanText(g.Description), g.SourceType, string(roles)); err != nil {
				return fmt.Errorf("save group %s: %w", g.ID, err)
			}
			for _, m := range g.Members {
				if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO group_members (integration_id, group_id, user_id, email) VALUES (?, ?, ?, ?)
					ON CONFLICT (integration_id, group_id, user_id) DO NOTHING`), d.IntegrationID, g.ID, m.UserID, store.CleanText(m.Email)); err != nil {
					return fmt.Errorf("save member %s of group %s: %w", m.UserID, g.ID, err)
				}
			}
		}
		if !d.SettingsSynced {
			return nil
		}
		old := map[[2]string]store.OrgSetting{}
		rows, err := tx.QueryContext(ctx, s.q(`SELECT organization_uuid, name, type, value FROM org_settings WHERE integration_id = ?`), d.IntegrationID)
		if err != nil {
			return fmt.Errorf("read settings: %w", err)
		}
		for rows.Next() {
			var o store.OrgSetting
			var v string
			if err := rows.Scan(&o.OrganizationUUID, &o.Name, &o.Type, &v); err != nil {
				rows.Close()
				return err
			}
			o.Value = json.RawMessage(v)
			old[[2]string{o.OrganizationUUID, o.Name}] = o
		}
		rows.Close()
		first := len(old) == 0
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM org_settings WHERE integration_id = ?`), d.IntegrationID); err != nil {
			return fmt.Errorf("clear settings: %w", err)
		}
		seen := map[[2]string]bool{}
		for _, st := range d.Settings {
			k := [2]string{st.OrganizationUUID, st.Name}
			if seen[k] {
				continue
			}
			seen[k] = true
			v := compactJSON(st.Value)
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO org_settings (integration_id, organization_uuid, name, type, value, synced_at) VALUES (?, ?, ?, ?, ?, ?)`),
				d.IntegrationID, st.OrganizationUUID, st.Name, st.Type, store.CleanText(v), us(d.SyncedAt)); err != nil {
				return fmt.Errorf("save setting %s: %w", st.Name, err)
			}
			o, had := old[k]
			switch {
			case first:
			case !had:
				changes = append(changes, store.SettingChange{OrganizationUUID: k[0], Name: k[1], Type: st.Type, New: json.RawMessage(v)})
			case compactJSON(o.Value) != v:
				changes = append(changes, store.SettingChange{OrganizationUUID: k[0], Name: k[1], Type: st.Type, Old: o.Value, New: json.RawMessage(v)})
			}
		}
		for k, o := range old {
			if !seen[k] && !first {
				changes = append(changes, store.SettingChange{OrganizationUUID: k[0], Name: k[1], Type: o.Type, Old: o.Value})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("save directory of integration %d: %w", d.IntegrationID, err)
	}
	sort.Slice(changes, func(i, j int) bool {
		if changes[i].OrganizationUUID != changes[j].OrganizationUUID {
			return changes[i].OrganizationUUID < changes[j].OrganizationUUID
		}
		return changes[i].Name < changes[j].Name
	})
	return changes, nil
}

func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

// Directory reads an integration's stored directory.
func (s *Store) Directory(ctx context.Context, integrationID int64) (*store.Directory, error) {
	d := &store.Directory{IntegrationID: integrationID, Roles: []store.Role{}, Groups: []store.Group{}, Settings: []store.OrgSetting{}}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT id, organization_uuid, name, description, permissions FROM org_roles WHERE integration_id = ? ORDER BY name, id`), integrationID)
	if err != nil {
		return nil, fmt.Errorf("read roles: %w", err)
	}
	for rows.Next() {
		var r store.Role
		var perms string
		if err := rows.Scan(&r.ID, &r.OrganizationUUID, &r.Name, &r.Description, &perms); err != nil {
			rows.Close()
			return nil, err
		}
		_ = json.Unmarshal([]byte(perms), &r.Permissions)
		d.Roles = append(d.Roles, r)
	}
	rows.Close()
	groups, err := s.groups(ctx, `SELECT id, name, description, source_type, roles FROM org_groups WHERE integration_id = ? ORDER BY name, id`, integrationID)
	if err != nil {
		return nil, err
	}
	idx := map[string]int{}
	for i := range groups {
		idx[groups[i].ID] = i
	}
	rows, err = s.r.QueryContext(ctx, s.q(`SELECT group_id, user_id, email FROM group_members WHERE integration_id = ? ORDER BY group_id, email, user_id`), integrationID)
	if err != nil {
		return nil, fmt.Errorf("read group members: %w", err)
	}
	for rows.Next() {
		var gid string
		var m store.GroupMember
		if err := rows.Scan(&gid, &m.UserID, &m.Email); err != nil {
			rows.Close()
			return nil, err
		}
		if i, ok := idx[gid]; ok {
			groups[i].Members = append(groups[i].Members, m)
		}
	}
	rows.Close()
	d.Groups = append(d.Groups, groups...)
	rows, err = s.r.QueryContext(ctx, s.q(`SELECT organization_uuid, name, type, value, synced_at FROM org_settings WHERE integration_id = ? ORDER BY organization_uuid, name`), integrationID)
	if err != nil {
		return nil, fmt.Errorf("read settings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var o store.OrgSetting
		var v string
		var at int64
		if err := rows.Scan(&o.OrganizationUUID, &o.Name, &o.Type, &v, &at); err != nil {
			return nil, err
		}
		o.Value = json.RawMessage(v)
		d.Settings = append(d.Settings, o)
		if t := tm(at); t.After(d.SyncedAt) {
			d.SyncedAt = t
		}
	}
	return d, rows.Err()
}

func (s *Store) groups(ctx context.Context, query string, args ...any) ([]store.Group, error) {
	out, err := queryRows(ctx, s.r, func(rows scanner) (store.Group, error) {
		var g store.Group
		var roles string
		if err := rows.Scan(&g.ID, &g.Name, &g.Description, &g.SourceType, &roles); err != nil {
			return store.Group{}, err
		}
		_ = json.Unmarshal([]byte(roles), &g.Roles)
		return g, nil
	}, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("read groups: %w", err)
	}
	return out, nil
}

// UserGroups lists the groups a user belongs to.
func (s *Store) UserGroups(ctx context.Context, integrationID int64, userID string) ([]store.Group, error) {
	return s.groups(ctx, `SELECT g.id, g.name, g.description, g.source_type, g.roles FROM org_groups g
		JOIN group_members m ON m.integration_id = g.integration_id AND m.group_id = g.id
		WHERE g.integration_id = ? AND m.user_id = ? ORDER BY g.name, g.id`, integrationID, userID)
}

// GroupUserIDs lists the members of the groups with this id or name.
func (s *Store) GroupUserIDs(ctx context.Context, integrationID int64, group string) ([]string, error) {
	out, err := queryRows(ctx, s.r, func(rows scanner) (string, error) {
		var id string
		if err := rows.Scan(&id); err != nil {
			return "", err
		}
		return id, nil
	}, s.q(`SELECT DISTINCT m.user_id FROM group_members m JOIN org_groups g ON g.integration_id = m.integration_id AND g.id = m.group_id
		WHERE m.integration_id = ? AND (g.id = ? OR g.name = ?) ORDER BY m.user_id`), integrationID, group, group)
	if err != nil {
		return nil, fmt.Errorf("members of group %s: %w", group, err)
	}
	return out, nil
}
