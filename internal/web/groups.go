package web

import (
	"context"
	"slices"
	"strings"
	"unicode"
)

// groupParam reads the group filter of events, sessions and alerts: the
// name of a synced directory group, or a group id (rbac_group_…).
func (s *Server) groupParam(ctx context.Context, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	if len(v) > 200 || strings.ContainsFunc(v, unicode.IsControl) {
		return "", badf("group %q: give the name or id of a directory group", v)
	}
	if strings.HasPrefix(v, "rbac_group_") {
		return v, nil
	}
	names, err := s.st.GroupNames(ctx, 0)
	if err != nil {
		return "", err
	}
	if !slices.Contains(names, v) {
		return "", badf("group %q is not a synced directory group: pick one of the groups on the users' pages (%d synced)", v, len(names))
	}
	return v, nil
}

// groupChoices lists the synced group names for the group pickers.
func (s *Server) groupChoices(ctx context.Context) []string {
	names, err := s.st.GroupNames(ctx, 0)
	if err != nil {
		s.log.Warn("list group names", "err", err)
	}
	return names
}
