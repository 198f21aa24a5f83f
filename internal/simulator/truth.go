package simulator

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/claudit/claudit/internal/compliance"
)

// DirectoryTruth is the directory and settings the simulator holds, for
// tests that check a sync reproduces them.
type DirectoryTruth struct {
	// Roles maps role id to name, and RolePermissions to its permissions.
	Roles           map[string]string
	RolePermissions map[string][]compliance.Permission
	// Groups maps group id to name, GroupRoles to its role ids and
	// GroupMembers to its members' user ids (sorted).
	Groups       map[string]string
	GroupRoles   map[string][]string
	GroupMembers map[string][]string
	// Settings maps an organization's UUID to its effective settings.
	Settings map[string][]compliance.Setting
}

// Directory returns the ground truth of roles, groups, members and settings.
func (s *Server) Directory() DirectoryTruth {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d := DirectoryTruth{Roles: map[string]string{}, RolePermissions: map[string][]compliance.Permission{}, Groups: map[string]string{},
		GroupRoles: map[string][]string{}, GroupMembers: map[string][]string{}, Settings: map[string][]compliance.Setting{}}
	for _, r := range s.st.roles {
		d.Roles[r.id] = r.name
		d.RolePermissions[r.id] = slices.Clone(r.perms)
	}
	for _, g := range s.st.groups {
		d.Groups[g.id] = g.name
		d.GroupRoles[g.id] = slices.Clone(g.roles)
		var ids []string
		for _, u := range g.members {
			ids = append(ids, u.id)
		}
		slices.Sort(ids)
		d.GroupMembers[g.id] = ids
	}
	for _, o := range s.st.orgs {
		d.Settings[o.uuid] = slices.Clone(o.settings)
	}
	return d
}

// SetOrgSetting changes (or adds) one effective setting of an organization,
// as an admin would in claude.ai; the settings endpoint answers with it from
// then on.
func (s *Server) SetOrgSetting(orgUUID, name, typ string, value any) error {
	raw, err := json.Marshal(value)
	if err != nil {
		return fmt.Errorf("setting %s: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.st.orgByKey[orgUUID]
	if !ok {
		return fmt.Errorf("no organization %s", orgUUID)
	}
	st := compliance.Setting{Name: name, Type: typ, Value: raw}
	if i := slices.IndexFunc(o.settings, func(x compliance.Setting) bool { return x.Name == name }); i >= 0 {
		o.settings[i] = st
	} else {
		o.settings = append(o.settings, st)
	}
	return nil
}
