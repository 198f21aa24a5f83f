package policy

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

// ActivityConfig configures the policies evaluated over access events.
type ActivityConfig struct {
	// ExternalSharing fires on public or link sharing and on shares to
	// domains outside AllowedDomains.
	ExternalSharing Rule `json:"external_sharing"`
	// AllowedDomains are e-mail domains shares may go to; empty means the
	// actor's own domain only.
	AllowedDomains []string `json:"allowed_domains,omitempty"`
	// NewIP fires when a known user acts from an IP not seen for them.
	NewIP Rule `json:"new_ip"`
	// NewNetwork fires when a known user acts from a network (IPv4 /16,
	// IPv6 /48) not seen for them: a move to another ISP, site or country,
	// which the feed does not report directly.
	NewNetwork Rule `json:"new_network"`
	// NewUserAgent fires when a known user acts with an unseen user agent.
	NewUserAgent Rule `json:"new_user_agent"`
	// OffHours fires when Count events of one user fall outside working
	// hours within Window.
	OffHours Rule `json:"off_hours"`
	// WorkStart and WorkEnd are the working hours (0-24) in Timezone.
	WorkStart int    `json:"work_start"`
	WorkEnd   int    `json:"work_end"`
	Timezone  string `json:"timezone"`
	// MassExport fires when Count export or delete events of one user fall within Window.
	MassExport Rule `json:"mass_export"`
	// AdminChange fires on MCP server and skill creation, role escalation and key creation.
	AdminChange Rule `json:"admin_change"`
}

// DefaultActivityConfig returns the built-in activity policy settings.
func DefaultActivityConfig() ActivityConfig {
	return ActivityConfig{
		ExternalSharing: Rule{Enabled: true, Severity: SeverityHigh, Action: ActionAlert},
		NewIP:           Rule{Enabled: true, Severity: SeverityLow, Action: ActionLog},
		NewNetwork:      Rule{Enabled: true, Severity: SeverityMedium, Action: ActionLog},
		NewUserAgent:    Rule{Enabled: true, Severity: SeverityInfo, Action: ActionLog},
		OffHours:        Rule{Enabled: true, Severity: SeverityMedium, Action: ActionAlert, Count: 20, Window: Duration(10 * time.Minute)},
		WorkStart:       7,
		WorkEnd:         20,
		Timezone:        "UTC",
		MassExport:      Rule{Enabled: true, Severity: SeverityHigh, Action: ActionAlert, Count: 10, Window: Duration(15 * time.Minute)},
		AdminChange:     Rule{Enabled: true, Severity: SeverityMedium, Action: ActionAlert},
	}
}

func (p *configParser) activity(n *yaml.Node, field string, c *ActivityConfig) {
	p.mapping(n, field+".", map[string]func(*yaml.Node, string){
		"external_sharing": func(v *yaml.Node, f string) { p.rule(v, f, &c.ExternalSharing, nil) },
		"allowed_domains":  func(v *yaml.Node, f string) { p.strs(v, f, &c.AllowedDomains) },
		"new_ip":           func(v *yaml.Node, f string) { p.rule(v, f, &c.NewIP, nil) },
		"new_network":      func(v *yaml.Node, f string) { p.rule(v, f, &c.NewNetwork, nil) },
		"new_user_agent":   func(v *yaml.Node, f string) { p.rule(v, f, &c.NewUserAgent, nil) },
		"off_hours":        func(v *yaml.Node, f string) { p.rule(v, f, &c.OffHours, nil) },
		"work_start":       func(v *yaml.Node, f string) { p.hour(v, f, &c.WorkStart) },
		"work_end":         func(v *yaml.Node, f string) { p.hour(v, f, &c.WorkEnd) },
		"timezone": func(v *yaml.Node, f string) {
			if _, err := time.LoadLocation(v.Value); err != nil {
				p.fail(v, f, "%q is not a time zone name like UTC or Europe/Berlin", v.Value)
				return
			}
			c.Timezone = v.Value
		},
		"mass_export":  func(v *yaml.Node, f string) { p.rule(v, f, &c.MassExport, nil) },
		"admin_change": func(v *yaml.Node, f string) { p.rule(v, f, &c.AdminChange, nil) },
	})
}

func (p *configParser) hour(n *yaml.Node, field string, dst *int) {
	var h int
	p.int(n, field, &h, 0)
	if h > 24 {
		p.fail(n, field, "%d is not an hour between 0 and 24", h)
		return
	}
	*dst = h
}

// Activity policy names, used as ActivityFinding.Policy.
const (
	ActivityExternalSharing = "activity.external_sharing"
	ActivityNewIP           = "activity.new_ip"
	ActivityNewNetwork      = "activity.new_network"
	ActivityNewUserAgent    = "activity.new_user_agent"
	ActivityOffHours        = "activity.off_hours"
	ActivityMassExport      = "activity.mass_export"
	ActivityAdminChange     = "activity.admin_change"
)

// Activity is one access event from the Compliance API's activity feed.
type Activity struct {
	ID          string
	Type        string
	ActorUserID string
	ActorEmail  string
	IP          string
	UserAgent   string
	CreatedAt   time.Time
	Fields      map[string]any
}

// ActivityFinding is a hit of an activity policy.
type ActivityFinding struct {
	Policy          string   `json:"policy"`
	Severity        Severity `json:"severity"`
	Action          Action   `json:"action"`
	EffectiveAction Action   `json:"effective_action"`
	ActivityID      string   `json:"activity_id"`
	UserID          string   `json:"user_id"`
	Detail          string   `json:"detail"`
	Tag             string   `json:"tag"`
}

// maxSeenPerUser bounds the IPs and user agents remembered per user.
const maxSeenPerUser = 256

// userState is what the evaluator remembers about one user.
type userState struct {
	ips, agents   []string // most recent last
	networks      []string
	offHours      []time.Time
	exports       []time.Time
	offHoursFired time.Time
	exportFired   time.Time
}

// ActivityEvaluator evaluates activity policies. It keeps per-user history
// in memory (seen IPs and user agents, recent event times); Seed restores
// history after a restart. It is safe for concurrent use.
type ActivityEvaluator struct {
	cfg ActivityConfig
	loc *time.Location

	mu    sync.Mutex
	users map[string]*userState
}

// NewActivityEvaluator builds an activity evaluator from cfg.
func NewActivityEvaluator(cfg ActivityConfig) *ActivityEvaluator {
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil {
		loc = time.UTC
	}
	return &ActivityEvaluator{cfg: cfg, loc: loc, users: map[string]*userState{}}
}

// Seed records IPs and user agents already known for a user, so they do
// not raise new-IP or new-agent findings.
func (a *ActivityEvaluator) Seed(userID string, ips, userAgents []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.user(userID)
	for _, ip := range ips {
		u.ips = remember(u.ips, ip)
		u.networks = remember(u.networks, networkOf(ip))
	}
	for _, ua := range userAgents {
		u.agents = remember(u.agents, ua)
	}
}

func (a *ActivityEvaluator) user(id string) *userState {
	u, ok := a.users[id]
	if !ok {
		u = &userState{}
		a.users[id] = u
	}
	return u
}

// remember adds v to a bounded most-recent-last list.
func remember(list []string, v string) []string {
	if v == "" {
		return list
	}
	if i := slices.Index(list, v); i >= 0 {
		list = slices.Delete(list, i, i+1)
	}
	list = append(list, v)
	if len(list) > maxSeenPerUser {
		list = slices.Delete(list, 0, len(list)-maxSeenPerUser)
	}
	return list
}

// Evaluate runs the activity policies over one event. Events of one user
// should arrive in time order for the windowed rules to be exact.
func (a *ActivityEvaluator) Evaluate(ctx context.Context, ev Activity) []ActivityFinding {
	if ctx.Err() != nil {
		return nil
	}
	var out []ActivityFinding
	add := func(policy string, r Rule, tag, format string, args ...any) {
		out = append(out, ActivityFinding{Policy: policy, Severity: r.Severity, Action: r.Action,
			EffectiveAction: r.Action.Effective(), ActivityID: ev.ID, UserID: ev.ActorUserID,
			Tag: tag, Detail: fmt.Sprintf(format, args...)})
	}
	typ := strings.ToLower(ev.Type)
	if r := a.cfg.ExternalSharing; r.Enabled {
		if detail, ok := a.sharing(typ, ev); ok {
			add(ActivityExternalSharing, r, "External Sharing", "%s", detail)
		}
	}
	if r := a.cfg.AdminChange; r.Enabled {
		if kind, ok := adminChange(typ); ok {
			add(ActivityAdminChange, r, "Admin Change", "%s: %s", kind, ev.Type)
		}
	}
	if ev.ActorUserID == "" {
		return out
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.user(ev.ActorUserID)
	if r := a.cfg.NewIP; r.Enabled && ev.IP != "" && len(u.ips) > 0 && !slices.Contains(u.ips, ev.IP) {
		add(ActivityNewIP, r, "New IP", "first activity from IP %s for this user", ev.IP)
	}
	u.ips = remember(u.ips, ev.IP)
	if r, nw := a.cfg.NewNetwork, networkOf(ev.IP); r.Enabled && nw != "" && len(u.networks) > 0 && !slices.Contains(u.networks, nw) {
		add(ActivityNewNetwork, r, "New Network", "first activity from network %s (IP %s) for this user", nw, ev.IP)
	}
	u.networks = remember(u.networks, networkOf(ev.IP))
	if r := a.cfg.NewUserAgent; r.Enabled && ev.UserAgent != "" && len(u.agents) > 0 && !slices.Contains(u.agents, ev.UserAgent) {
		add(ActivityNewUserAgent, r, "New User Agent", "first activity with user agent %q for this user", ev.UserAgent)
	}
	u.agents = remember(u.agents, ev.UserAgent)
	if r := a.cfg.OffHours; r.Enabled && !ev.CreatedAt.IsZero() && a.offHours(ev.CreatedAt) {
		u.offHours = window(append(u.offHours, ev.CreatedAt), ev.CreatedAt, r.window())
		if len(u.offHours) >= r.Count && ev.CreatedAt.Sub(u.offHoursFired) > r.window() {
			u.offHoursFired = ev.CreatedAt
			add(ActivityOffHours, r, "Off-Hours Burst", "%d events outside working hours within %s", len(u.offHours), r.window())
		}
	}
	if r := a.cfg.MassExport; r.Enabled && !ev.CreatedAt.IsZero() && isExportOrDelete(typ) {
		u.exports = window(append(u.exports, ev.CreatedAt), ev.CreatedAt, r.window())
		if len(u.exports) >= r.Count && ev.CreatedAt.Sub(u.exportFired) > r.window() {
			u.exportFired = ev.CreatedAt
			add(ActivityMassExport, r, "Mass Export/Deletion", "%d export or delete events within %s", len(u.exports), r.window())
		}
	}
	return out
}

// networkOf returns the IPv4 /16 or IPv6 /48 holding ip, or "" when ip
// does not parse.
func networkOf(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	bits := 48
	if addr.Unmap().Is4() {
		addr, bits = addr.Unmap(), 16
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		return ""
	}
	return p.String()
}

// window drops times older than w before now; the slice stays bounded by
// the event rate, not by history.
func window(ts []time.Time, now time.Time, w time.Duration) []time.Time {
	i := 0
	for i < len(ts) && now.Sub(ts[i]) > w {
		i++
	}
	return append(ts[:0], ts[i:]...)
}

func (a *ActivityEvaluator) offHours(t time.Time) bool {
	lt := t.In(a.loc)
	if lt.Weekday() == time.Saturday || lt.Weekday() == time.Sunday {
		return true
	}
	h := lt.Hour()
	return h < a.cfg.WorkStart || h >= a.cfg.WorkEnd
}

func isExportOrDelete(typ string) bool {
	return strings.Contains(typ, "export") || strings.Contains(typ, "delete") || strings.Contains(typ, "download")
}

// publicScopes are the audience types and sharing modes that expose
// content beyond the organization.
var publicScopes = map[string]bool{"public": true, "anyone_with_link": true, "anyone": true, "link": true}

// sharing decides whether a sharing event exposes content outside the org.
// Field shapes follow the Compliance API's activity schemas: audience is a
// list of {type} objects (claude_project_sharing_updated,
// claude_artifact_sharing_updated); scalar mode fields (new_mode,
// new_scope, new_link_permission) and the older scalar spellings are read
// too, so a tenant whose events differ is still covered.
func (a *ActivityEvaluator) sharing(typ string, ev Activity) (string, bool) {
	switch {
	case strings.Contains(typ, "sharing_updated"):
		for _, t := range audienceTypes(ev.Fields["audience"]) {
			if publicScopes[t] {
				return fmt.Sprintf("%s set the audience to %s", ev.Type, t), true
			}
		}
		for _, k := range []string{"new_mode", "new_scope", "new_link_permission", "visibility", "access", "access_level", "sharing", "new_value"} {
			if v, ok := ev.Fields[k].(string); ok && publicScopes[strings.ToLower(v)] {
				return fmt.Sprintf("%s set %s to %s", ev.Type, k, strings.ToLower(v)), true
			}
		}
	case strings.Contains(typ, "published"):
		if public, _ := ev.Fields["is_public"].(bool); public {
			return fmt.Sprintf("%s: published publicly", ev.Type), true
		}
	case strings.Contains(typ, "pending_share_created"), typ == "org_user_invite_sent", typ == "org_user_invite_re_sent",
		typ == "end_user_invite_requested":
		for _, k := range []string{"invitee_email", "invited_email", "recipient_email", "target_email", "email", "recipient"} {
			email, _ := ev.Fields[k].(string)
			if email == "" {
				continue
			}
			dom := domainOf(email)
			if !a.domainAllowed(dom, ev.ActorEmail) {
				return fmt.Sprintf("%s to external domain %s", ev.Type, dom), true
			}
			return "", false
		}
	case strings.Contains(typ, "session_share_created"):
		return fmt.Sprintf("%s: chat session shared by link", ev.Type), true
	}
	return "", false
}

// audienceTypes reads an audience field: a list of {"type": ...} objects,
// one such object, or a plain string; types are lower-cased.
func audienceTypes(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{strings.ToLower(v)}
	case map[string]any:
		if t, ok := v["type"].(string); ok {
			return []string{strings.ToLower(t)}
		}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, audienceTypes(e)...)
		}
		return out
	}
	return nil
}

func domainOf(email string) string {
	if i := strings.LastIndexByte(email, '@'); i >= 0 {
		return strings.ToLower(email[i+1:])
	}
	return strings.ToLower(email)
}

func (a *ActivityEvaluator) domainAllowed(dom, actorEmail string) bool {
	allowed := a.cfg.AllowedDomains
	if len(allowed) == 0 && actorEmail != "" {
		allowed = []string{domainOf(actorEmail)}
	}
	for _, d := range allowed {
		d = strings.ToLower(strings.TrimPrefix(d, "@"))
		if dom == d || strings.HasSuffix(dom, "."+d) {
			return true
		}
	}
	return false
}

// adminChanges are event types (from the Compliance API's catalogue) that
// change what the organization or its members can do.
var adminChanges = map[string]string{
	"claude_plugin_created":                "plugin added",
	"desktop_extension_uploaded":           "desktop extension added",
	"desktop_extension_allowlisted":        "desktop extension added",
	"rbac_role_created":                    "role change",
	"rbac_role_permission_added":           "role change",
	"rbac_role_grant_updated":              "role change",
	"org_sso_group_role_mappings_updated":  "role change",
	"primary_owner_transferred":            "role change",
	"platform_api_key_created":             "API key change",
	"claude_organization_settings_updated": "organization settings change",
}

// adminChange classifies event types that change what the org can do.
func adminChange(typ string) (string, bool) {
	if kind, ok := adminChanges[typ]; ok {
		return kind, true
	}
	created := strings.Contains(typ, "created") || strings.Contains(typ, "added") || strings.Contains(typ, "installed")
	switch {
	case strings.HasPrefix(typ, "mcp_server_") && created:
		return "MCP server added", true
	case (strings.HasPrefix(typ, "claude_skill_") || strings.Contains(typ, "skill")) && created:
		return "skill added", true
	case typ == "claude_user_role_updated" || typ == "rbac_role_assigned" || strings.Contains(typ, "role_escalat") ||
		strings.Contains(typ, "role_updated") || strings.Contains(typ, "role_assigned"):
		return "role change", true
	case typ == "api_key_created" || typ == "admin_api_key_created" || strings.HasPrefix(typ, "scoped_api_key_"):
		return "API key change", true
	}
	return "", false
}
