package session

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// sensitive_accumulation fires when Count distinct sensitive values (the
// findings of the session block's sensitive_detectors: PII, secrets)
// accumulate across the chat.
func init() {
	Register(Rule[struct{}]{
		Name:     "sensitive_accumulation",
		Tag:      "Sensitive Data Accumulation",
		Defaults: Defaults{Enabled: true, Severity: "medium", Action: "alert", Count: 5},
		New: func(_ struct{}, lim Limits) (Check, error) {
			return func(c *Chat) (Hit, bool) { return accumulation(c, lim) }, nil
		},
	})
}

func accumulation(c *Chat, lim Limits) (Hit, bool) {
	seen := map[string]bool{}
	entities := map[string]bool{}
	var ids []string
	for i := range c.Messages {
		m := &c.Messages[i]
		hit := false
		for j := range m.Findings {
			f := &m.Findings[j]
			if !c.IsSensitive(f) {
				continue
			}
			key := f.Entity + "\x00" + f.Excerpt
			if f.Start >= 0 && f.End <= len(m.Text) && f.Start < f.End && f.Decoded == "" {
				// Hash the raw value so it is not kept in memory longer than needed.
				sum := sha256.Sum256([]byte(m.Text[f.Start:f.End]))
				key = f.Entity + "\x00" + string(sum[:])
			}
			if !seen[key] {
				seen[key] = true
				entities[f.Entity] = true
				hit = true
			}
		}
		if hit {
			ids = append(ids, m.ID)
		}
	}
	if len(seen) < lim.Count {
		return Hit{}, false
	}
	ents := make([]string, 0, len(entities))
	for e := range entities {
		ents = append(ents, e)
	}
	sort.Strings(ents)
	return Hit{MessageIDs: slices.Compact(ids), Count: len(seen),
		Detail: fmt.Sprintf("%d distinct sensitive values across the chat (%s)", len(seen), strings.Join(ents, ", "))}, true
}
