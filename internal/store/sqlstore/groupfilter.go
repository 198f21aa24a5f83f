package sqlstore

import (
	"context"
	"fmt"
)

// inGroup selects the rows whose user column names a member of a directory
// group (by id or name) of the row's own integration: a group name may be
// used by several integrations, each with its own members.
func inGroup(w *where, userCol, integrationCol, group string) {
	if group == "" {
		return
	}
	w.add(userCol+` IN (SELECT gm.user_id FROM group_members gm JOIN org_groups gg ON gg.integration_id = gm.integration_id AND gg.id = gm.group_id
		WHERE gm.integration_id = `+integrationCol+` AND (gg.id = ? OR gg.name = ?))`, group, group)
}

// GroupNames lists the synced group names of one integration (0 = all).
func (s *Store) GroupNames(ctx context.Context, integrationID int64) ([]string, error) {
	w := &where{}
	if integrationID != 0 {
		w.add("integration_id = ?", integrationID)
	}
	out, err := queryRows(ctx, s.r, func(rows scanner) (string, error) {
		var name string
		err := rows.Scan(&name)
		return name, err
	}, s.q(`SELECT DISTINCT name FROM org_groups`+w.sql()+` ORDER BY name`), w.args...)
	if err != nil {
		return nil, fmt.Errorf("list group names: %w", err)
	}
	return out, nil
}
