package session

import (
	"fmt"

	"github.com/claudit/claudit/internal/policy/detect"
)

// refusal_escalation fires when, after an assistant refusal, Count more
// user messages carry attack findings.
func init() {
	Register(Rule[struct{}]{
		Name:     "refusal_escalation",
		Tag:      "Escalation After Refusal",
		Defaults: Defaults{Enabled: true, Severity: "high", Action: "alert", Count: 2},
		New: func(_ struct{}, lim Limits) (Check, error) {
			return func(c *Chat) (Hit, bool) { return escalation(c, lim) }, nil
		},
	})
}

func escalation(c *Chat, lim Limits) (Hit, bool) {
	refusedAt := -1
	var ids []string
	refusals := 0
	for i := range c.Messages {
		m := &c.Messages[i]
		switch {
		case m.Role == detect.RoleAssistant && IsRefusal(m.Text):
			if refusedAt < 0 {
				refusedAt = i
			}
			refusals++
		case refusedAt >= 0 && c.IsAttack(m):
			ids = append(ids, m.ID)
		}
	}
	if refusedAt < 0 || len(ids) < lim.Count {
		return Hit{}, false
	}
	ids = append([]string{c.Messages[refusedAt].ID}, ids...)
	return Hit{MessageIDs: ids, Count: len(ids) - 1,
		Detail: fmt.Sprintf("%d attack attempts after %d assistant refusal(s)", len(ids)-1, refusals)}, true
}
