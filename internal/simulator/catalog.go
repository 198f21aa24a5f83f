package simulator

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/compliance"
)

// actors is what the generic generator draws actors from.
type actors struct {
	users []*user
	rng   *rand.Rand
}

// actorOf builds an actor of the given type with plausible values.
func (a actors) actorOf(typ string) actorJSON {
	rng := a.rng
	ip := fmt.Sprintf("203.0.113.%d", 1+rng.IntN(254))
	switch typ {
	case compliance.ActorUser:
		u := pick(rng, a.users)
		return userActor(u, u.ip, u.ua)
	case compliance.ActorAPI:
		return encodeActor([]kv{{"type", typ}, {"api_key_id", newID(rng, "apikey_")}, {"ip_address", ip}, {"user_agent", "python-requests/2.32.3"}}, "")
	case compliance.ActorAdminAPIKey:
		return encodeActor([]kv{{"type", typ}, {"admin_api_key_id", newID(rng, "apikey_")}, {"ip_address", ip}, {"user_agent", "terraform-provider-anthropic/0.4.1"}}, "")
	case compliance.ActorUnauthenticated:
		var email *string
		if rng.IntN(3) > 0 {
			email = &pick(rng, a.users).email
		}
		return unauthActor(email, ip, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36")
	case compliance.ActorAnthropic:
		return encodeActor([]kv{{"type", typ}, {"email_address", nil}}, "")
	case compliance.ActorSystem:
		var svc *string
		if rng.IntN(2) == 0 {
			svc = ptr(pick(rng, []string{"memory-migration", "retention-enforcer", "directory-sync"}))
		}
		return encodeActor([]kv{{"type", typ}, {"service", svc}}, "")
	case compliance.ActorSCIM:
		return encodeActor([]kv{{"type", typ}, {"workos_event_id", newID(rng, "event_")}, {"directory_id", "directory_01ACMEOKTA0000000000000000"},
			{"idp_connection_type", pick(rng, []string{"OktaSCIMV2", "AzureSCIMV2"})}}, "")
	case compliance.ActorServiceAccount:
		return encodeActor([]kv{{"type", typ}, {"service_account_id", newID(rng, "svcacct_")}, {"ip_address", ip}, {"user_agent", "claude-agent-sdk/0.2.0"}}, "")
	case compliance.ActorFederatedID:
		return encodeActor([]kv{{"type", typ}, {"issuer", "https://token.actions.githubusercontent.com"}, {"subject", "repo:acme-corp/deploy:ref:refs/heads/main"},
			{"audience", []string{"https://api.anthropic.com"}}, {"ip_address", ip}, {"user_agent", "github-actions/2.321"}}, "")
	case compliance.ActorFederated:
		prov := json.RawMessage(`{"account_id":"123456789012","signed_principal":"arn:aws:iam::123456789012:role/claude-batch","type":"aws"}`)
		return encodeActor([]kv{{"type", typ}, {"provider", prov}, {"subject", ptr("claude-batch")}, {"ip_address", ip}, {"user_agent", nil}}, "")
	case compliance.ActorAttestedDevice:
		return encodeActor([]kv{{"type", typ}, {"external_client_id", "com.acme.claudeapp"}, {"kid_hash", randFrom(rng, "0123456789abcdef", 32)},
			{"ip_address", ip}, {"user_agent", "Claude-iOS/1.241120"}}, "")
	}
	// An actor type the catalogue does not know: still well-formed JSON.
	return encodeActor([]kv{{"type", typ}}, "")
}

// genericActivity builds an activity of a catalogue type with values for every documented field.
func genericActivity(rng *rand.Rand, acts actors, t compliance.TypeInfo, at time.Time, o *org) *record {
	actorTypes := t.ActorTypes
	if len(actorTypes) == 0 {
		actorTypes = compliance.ActorTypes
	}
	actor := acts.actorOf(pick(rng, actorTypes))
	// Map order is random; sort names first so values are drawn deterministically.
	names := make([]string, 0, len(t.Fields))
	for name := range t.Fields {
		names = append(names, name)
	}
	sort.Strings(names)
	fields := make([]kv, 0, len(names))
	for _, name := range names {
		if v, present := fieldValue(rng, acts, name, t.Fields[name]); present {
			fields = append(fields, kv{name, v})
		}
	}
	return newRecord(newID(rng, "activity_"), at, o, actor, t.Type, fields)
}

// fieldValue draws a value for a documented field; present is false when an
// optional field is left out.
func fieldValue(rng *rand.Rand, acts actors, name string, f compliance.FieldInfo) (v any, present bool) {
	typ := f.Type
	optional := strings.HasPrefix(typ, "optional ")
	typ = strings.TrimPrefix(typ, "optional ")
	nullable := strings.HasSuffix(typ, " or null")
	typ = strings.TrimSpace(strings.TrimSuffix(typ, " or null"))
	if optional && rng.IntN(6) == 0 {
		return nil, false
	}
	if nullable && rng.IntN(6) == 0 {
		return nil, true
	}
	if len(f.Enum) > 0 {
		e := pick(rng, f.Enum)
		if strings.HasPrefix(typ, "array of") {
			return []string{e}, true
		}
		return e, true
	}
	switch {
	case typ == "string":
		return stringValue(rng, acts, name), true
	case typ == "number":
		return rng.IntN(1000), true
	case typ == "boolean":
		return rng.IntN(2) == 0, true
	case typ == "array of string":
		return []string{stringValue(rng, acts, strings.TrimSuffix(name, "s")), stringValue(rng, acts, strings.TrimSuffix(name, "s"))}, true
	case strings.HasPrefix(typ, "array of object"):
		return []map[string]any{objectValue(rng, acts, typ)}, true
	case strings.HasPrefix(typ, "object"):
		return objectValue(rng, acts, typ), true
	case strings.HasPrefix(typ, "map["):
		if strings.Contains(typ, "number") {
			return map[string]int{"standard": 1 + rng.IntN(50), "premium": rng.IntN(10)}, true
		}
		return map[string]string{"k": "v"}, true
	case strings.HasPrefix(typ, "array of number"):
		return []int{rng.IntN(1000)}, true
	}
	return stringValue(rng, acts, name), true
}

// objectValue fills the fields named in a type like "object { a, b, 3 more }".
func objectValue(rng *rand.Rand, acts actors, typ string) map[string]any {
	m := map[string]any{}
	i, j := strings.Index(typ, "{"), strings.Index(typ, "}")
	if i < 0 || j < i {
		return m
	}
	for _, n := range strings.Split(typ[i+1:j], ",") {
		n = strings.TrimSpace(n)
		if n == "" || strings.HasSuffix(n, " more") {
			continue
		}
		switch {
		case n == "type":
			m[n] = "unspecified"
		case strings.HasPrefix(n, "is_") || strings.HasSuffix(n, "_truncated") || n == "enabled":
			m[n] = rng.IntN(2) == 0
		case strings.HasSuffix(n, "_count"):
			m[n] = rng.IntN(100)
		default:
			m[n] = stringValue(rng, acts, n)
		}
	}
	return m
}

// stringValue invents a plausible string from a field name.
func stringValue(rng *rand.Rand, acts actors, name string) string {
	switch {
	case name == "user_id" || strings.HasSuffix(name, "_user_id") || name == "principal_id" || name == "new_owner_id" || name == "previous_owner_id":
		return pick(rng, acts.users).id
	case strings.Contains(name, "email"):
		return pick(rng, acts.users).email
	case strings.HasSuffix(name, "url") || strings.HasSuffix(name, "_uri"):
		return "https://" + pick(rng, []string{"hooks", "mcp", "wiki"}) + ".acme-corp.example/" + randFrom(rng, "abcdefghijklmnopqrstuvwxyz", 6)
	case name == "claude_chat_id":
		return newID(rng, "claude_chat_")
	case name == "claude_project_id":
		return newID(rng, "claude_proj_")
	case name == "claude_file_id":
		return newID(rng, "claude_file_")
	case name == "role_id":
		return newID(rng, "rbac_role_")
	case name == "group_id":
		return newID(rng, "rbac_group_")
	case name == "workspace_id":
		return newID(rng, "wrkspc_")
	case strings.HasSuffix(name, "_id"):
		return newID(rng, strings.TrimSuffix(name, "_id")+"_")
	case name == "filename" || name == "title":
		return "" // blanked on file, document and artifact activities since 2026-09-24
	case strings.HasSuffix(name, "_name") || name == "name" || name == "display_name":
		return pick(rng, []string{"Finance bot", "Deploy pipeline", "Sales assistant", "Legal review", "Nightly sync"})
	case strings.Contains(name, "version"):
		return fmt.Sprintf("%d.%d.%d", rng.IntN(4), rng.IntN(20), rng.IntN(10))
	case strings.Contains(name, "domain"):
		return "acme-corp.example"
	case strings.HasSuffix(name, "_at") || strings.HasSuffix(name, "_date"):
		return "2026-10-01T00:00:00Z"
	}
	return strings.ReplaceAll(name, "_", "-") + "-" + randFrom(rng, "abcdefghijklmnopqrstuvwxyz0123456789", 6)
}

// CatalogSamples returns one activity of every documented type, generated
// from the catalogue's field descriptions with seed, in catalogue order.
// Each decodes with the client and carries Raw.
func CatalogSamples(seed int64) []compliance.Activity {
	rng := rand.New(rand.NewPCG(uint64(seed), 0xca7))
	o := &org{uuid: newUUID(rng), tag: newID(rng, "org_"), name: "Acme Corp"}
	u := &user{id: newID(rng, "user_"), email: "sample.user@acme-corp.example", ip: "198.51.100.7", ua: "Mozilla/5.0"}
	acts := actors{users: []*user{u}, rng: rng}
	at := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	types := compliance.ActivityTypes()
	out := make([]compliance.Activity, 0, len(types))
	for i, t := range types {
		r := genericActivity(rng, acts, t, at.Add(time.Duration(i)*time.Second), o)
		var a compliance.Activity
		if err := a.UnmarshalJSON(r.js); err != nil {
			panic(fmt.Sprintf("simulator: generated %s does not decode: %v", t.Type, err))
		}
		out = append(out, a)
	}
	return out
}
