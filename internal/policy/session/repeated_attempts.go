package session

import (
	"fmt"
	"time"
)

// repeated_attempts fires when Count user messages with attack findings
// fall within Window: the largest such group is reported.
func init() {
	Register(Rule[struct{}]{
		Name:     "repeated_attempts",
		Tag:      "Repeated Attack Attempts",
		Defaults: Defaults{Enabled: true, Severity: "high", Action: "alert", Count: 3, Window: 30 * time.Minute},
		New: func(_ struct{}, lim Limits) (Check, error) {
			return func(c *Chat) (Hit, bool) { return repeated(c, lim) }, nil
		},
	})
}

func repeated(c *Chat, lim Limits) (Hit, bool) {
	var hits []*Message
	for i := range c.Messages {
		if m := &c.Messages[i]; c.IsAttack(m) {
			hits = append(hits, m)
		}
	}
	best, bestStart := 0, 0
	for i, j := 0, 0; j < len(hits); j++ {
		for lim.Window > 0 && !hits[j].CreatedAt.IsZero() && !hits[i].CreatedAt.IsZero() &&
			hits[j].CreatedAt.Sub(hits[i].CreatedAt) > lim.Window {
			i++
		}
		if n := j - i + 1; n > best {
			best, bestStart = n, i
		}
	}
	if best < lim.Count {
		return Hit{}, false
	}
	ids := make([]string, 0, best)
	for _, m := range hits[bestStart : bestStart+best] {
		ids = append(ids, m.ID)
	}
	return Hit{MessageIDs: ids, Count: best, Detail: fmt.Sprintf("%d prompt attack attempts within %s", best, lim.Window)}, true
}
