package activity

import (
	"fmt"
	"time"
)

// off_hours fires when Count events of one actor fall outside working
// hours (the activity block's work_start, work_end and timezone, and
// weekends) within Window.
func init() {
	Register(Rule[struct{}]{
		Name: "off_hours", Tag: "Off-Hours Burst", PerActor: true,
		Defaults: Defaults{Enabled: true, Severity: "medium", Action: "alert", Count: 20, Window: 10 * time.Minute},
		New: func(_ struct{}, lim Limits, org Org) (Check, error) {
			return func(ev *Event, h *History) (string, bool) {
				if ev.CreatedAt.IsZero() || !org.OffHours(ev.CreatedAt) {
					return "", false
				}
				n, fire := h.Burst("off_hours").Add(ev.CreatedAt, lim)
				if !fire {
					return "", false
				}
				return fmt.Sprintf("%d events outside working hours within %s", n, lim.Window), true
			}, nil
		},
	})
}
