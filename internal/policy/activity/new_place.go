package activity

import (
	"fmt"
	"slices"
)

// new_ip, new_network and new_user_agent fire when a known actor acts from
// a place not seen for them: an IP, a network (IPv4 /16, IPv6 /48: a move
// to another ISP, site or country, which the feed does not report
// directly) or a user agent. An actor's first event has nothing to compare
// with and never fires.
func init() {
	Register(Rule[struct{}]{
		Name: "new_ip", Tag: "New IP", PerActor: true,
		Defaults: Defaults{Enabled: true, Severity: "low", Action: "log"},
		New: func(struct{}, Limits, Org) (Check, error) {
			return func(ev *Event, h *History) (string, bool) {
				if ev.IP == "" || len(h.IPs) == 0 || slices.Contains(h.IPs, ev.IP) {
					return "", false
				}
				return fmt.Sprintf("first activity from IP %s for this user", ev.IP), true
			}, nil
		},
	})
	Register(Rule[struct{}]{
		Name: "new_network", Tag: "New Network", PerActor: true,
		Defaults: Defaults{Enabled: true, Severity: "medium", Action: "log"},
		New: func(struct{}, Limits, Org) (Check, error) {
			return func(ev *Event, h *History) (string, bool) {
				nw := NetworkOf(ev.IP)
				if nw == "" || len(h.Networks) == 0 || slices.Contains(h.Networks, nw) {
					return "", false
				}
				return fmt.Sprintf("first activity from network %s (IP %s) for this user", nw, ev.IP), true
			}, nil
		},
	})
	Register(Rule[struct{}]{
		Name: "new_user_agent", Tag: "New User Agent", PerActor: true,
		Defaults: Defaults{Enabled: true, Severity: "info", Action: "log"},
		New: func(struct{}, Limits, Org) (Check, error) {
			return func(ev *Event, h *History) (string, bool) {
				if ev.UserAgent == "" || len(h.Agents) == 0 || slices.Contains(h.Agents, ev.UserAgent) {
					return "", false
				}
				return fmt.Sprintf("first activity with user agent %q for this user", ev.UserAgent), true
			}, nil
		},
	})
}
