package activity

// compliance_api_disabled fires when the Compliance API, or its logging, is
// turned off (org_compliance_api_settings_updated with compliance_api_enabled
// or compliance_api_logging_enabled false): from then on nothing is
// recorded, so this event may be the last the feed holds before a gap.
func init() {
	Register(Rule[struct{}]{
		Name:     "compliance_api_disabled",
		Tag:      "Oversight Weakened",
		Defaults: Defaults{Enabled: true, Severity: "critical", Action: "alert"},
		New: func(struct{}, Limits, Org) (Check, error) {
			return func(ev *Event, _ *History) (string, bool) {
				if lowerType(ev) != "org_compliance_api_settings_updated" {
					return "", false
				}
				for _, k := range []string{"compliance_api_enabled", "compliance_api_logging_enabled"} {
					if on, ok := ev.Fields[k].(bool); ok && !on {
						return ev.Type + ": " + k + " set to false; nothing is recorded from now on", true
					}
				}
				return "", false
			}, nil
		},
	})
}
