package activity

import (
	"fmt"
	"strings"
	"time"
)

// mass_export fires when Count export, download or delete events of one
// actor fall within Window.
func init() {
	Register(Rule[struct{}]{
		Name: "mass_export", Tag: "Mass Export/Deletion", PerActor: true,
		Defaults: Defaults{Enabled: true, Severity: "high", Action: "alert", Count: 10, Window: 15 * time.Minute},
		New: func(_ struct{}, lim Limits, _ Org) (Check, error) {
			return func(ev *Event, h *History) (string, bool) {
				if ev.CreatedAt.IsZero() || !isExportOrDelete(lowerType(ev)) {
					return "", false
				}
				n, fire := h.Burst("mass_export").Add(ev.CreatedAt, lim)
				if !fire {
					return "", false
				}
				return fmt.Sprintf("%d export or delete events within %s", n, lim.Window), true
			}, nil
		},
	})
}

func isExportOrDelete(typ string) bool {
	return strings.Contains(typ, "export") || strings.Contains(typ, "delete") || strings.Contains(typ, "download")
}
