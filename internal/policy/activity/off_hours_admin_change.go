package activity

import (
	"fmt"
	"slices"
	"strings"
)

// off_hours_admin_change fires on a privileged change made outside working
// hours (the activity block's work_start, work_end and timezone, and
// weekends): by default a role granted or changed, or an API key created.
// A grant or key at 3 a.m. is how a stolen admin session is usually turned
// into lasting access, so it ranks above a daytime admin_change.
func init() {
	Register(Rule[OffHoursAdminChangeParams]{
		Name:     "off_hours_admin_change",
		Tag:      "Off-Hours Admin Change",
		Defaults: Defaults{Enabled: true, Severity: "high", Action: "alert"},
		Params:   OffHoursAdminChangeParams{Kinds: []string{KindRole, KindAPIKey}},
		New: func(p OffHoursAdminChangeParams, _ Limits, org Org) (Check, error) {
			for _, k := range p.Kinds {
				if !slices.Contains(AdminChangeKinds, k) {
					return nil, fmt.Errorf("kinds: %q is not an admin change kind (known: %s)", k, strings.Join(AdminChangeKinds, ", "))
				}
			}
			return func(ev *Event, _ *History) (string, bool) {
				kind, ok := AdminChange(lowerType(ev))
				if !ok || !slices.Contains(p.Kinds, kind) || ev.CreatedAt.IsZero() || !org.OffHours(ev.CreatedAt) {
					return "", false
				}
				at := ev.CreatedAt
				if org.Location != nil {
					at = at.In(org.Location)
				}
				return fmt.Sprintf("%s outside working hours: %s at %s", kind, ev.Type, at.Format("Mon 15:04 MST")), true
			}, nil
		},
	})
}

// OffHoursAdminChangeParams are the params of off_hours_admin_change.
type OffHoursAdminChangeParams struct {
	// Kinds are the admin change kinds that count (see AdminChangeKinds).
	Kinds []string `yaml:"kinds"`
}
