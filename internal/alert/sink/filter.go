package sink

import (
	"fmt"
	"slices"
	"strings"
)

// Severities in increasing order.
var severities = []string{"info", "low", "medium", "high", "critical"}

// SeverityRank orders severities: info 0 … critical 4; -1 when unknown.
func SeverityRank(s string) int {
	return slices.Index(severities, strings.ToLower(s))
}

// Filter decides which deliveries a sink gets. The zero Filter passes every
// alert and no events.
type Filter struct {
	// MinSeverity drops alerts below it (info, low, medium, high, critical).
	// Empty passes every severity.
	MinSeverity string `yaml:"min_severity" json:"min_severity,omitempty"`
	// Policies, when set, passes only alerts of these policies.
	Policies []string `yaml:"policies" json:"policies,omitempty"`
	// Kinds lists the delivery kinds the sink wants ("alert", "event").
	// Empty means alerts only: the event forwarder sends every ingested
	// event, which a sink must opt into.
	Kinds []string `yaml:"kinds" json:"kinds,omitempty"`
}

// Validate reports an unknown severity or kind.
func (f Filter) Validate() error {
	if f.MinSeverity != "" && SeverityRank(f.MinSeverity) < 0 {
		return fmt.Errorf("filter: unknown min_severity %q (use one of %s)", f.MinSeverity, strings.Join(severities, ", "))
	}
	for _, k := range f.Kinds {
		if k != KindAlert && k != KindEvent {
			return fmt.Errorf("filter: unknown kind %q (use %q or %q)", k, KindAlert, KindEvent)
		}
	}
	return nil
}

// Match reports whether d passes the filter. MinSeverity and Policies apply
// to alerts only; events have neither and pass when their kind is wanted.
func (f Filter) Match(d Delivery) bool {
	kinds := f.Kinds
	if len(kinds) == 0 {
		kinds = []string{KindAlert}
	}
	if !slices.Contains(kinds, d.Kind) {
		return false
	}
	if d.Kind != KindAlert {
		return true
	}
	if d.Alert == nil {
		return false
	}
	// An unknown severity passes: dropping an alert silently is worse than noise.
	if r := SeverityRank(d.Alert.Severity); f.MinSeverity != "" && r >= 0 && r < SeverityRank(f.MinSeverity) {
		return false
	}
	if len(f.Policies) > 0 && !slices.Contains(f.Policies, d.Alert.Policy) {
		return false
	}
	return true
}
