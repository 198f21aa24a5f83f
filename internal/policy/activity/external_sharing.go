package activity

import (
	"fmt"
	"strings"
)

// external_sharing fires on public or link sharing and on shares and
// invitations to domains outside the organization's allowed domains.
func init() {
	Register(Rule[struct{}]{
		Name:     "external_sharing",
		Tag:      "External Sharing",
		Defaults: Defaults{Enabled: true, Severity: "high", Action: "alert"},
		New: func(_ struct{}, _ Limits, org Org) (Check, error) {
			return func(ev *Event, _ *History) (string, bool) { return sharing(org, ev) }, nil
		},
	})
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
func sharing(org Org, ev *Event) (string, bool) {
	typ := lowerType(ev)
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
			if !domainAllowed(org.AllowedDomains, dom, ev.ActorEmail) {
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

// domainAllowed reports whether dom is one of allowed or below one; with
// none allowed, the actor's own domain is.
func domainAllowed(allowed []string, dom, actorEmail string) bool {
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
