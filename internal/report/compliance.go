package report

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// Facts are what a compliance section cites beyond the store's counts:
// the configuration the report runs under.
type Facts struct {
	// Policies are the installed policies.
	Policies []PolicyFact
	// RetentionDays is the configured retention; 0 keeps events until deleted.
	RetentionDays int
	// KeysSealed tells whether API keys entered in the dashboard are stored
	// encrypted (a secret key is configured).
	KeysSealed bool
	// BaseURL prefixes the evidence links (the dashboard's public URL);
	// empty leaves them relative, for the dashboard itself.
	BaseURL string
}

// PolicyFact is one installed policy.
type PolicyFact struct {
	Name    string
	Enabled bool
}

// Section is one control of a framework with the evidence claudit holds for it.
type Section struct {
	ID        string `json:"id"`        // anchor: "soc2-cc7-2"
	Framework string `json:"framework"` // "SOC 2"
	Control   string `json:"control"`   // "CC7.2"
	Title     string `json:"title"`     // what the control is about
	Asks      string `json:"asks"`      // what the control asks for, in a sentence
	Evidence  []Item `json:"evidence"`
}

// Item is one piece of evidence: a count or fact and where to see the records.
type Item struct {
	Label string `json:"label"`
	Value string `json:"value"`
	// Link opens the records in the dashboard; empty when there is no page.
	Link string `json:"link,omitempty"`
	// Attention marks a gap an auditor will ask about.
	Attention bool `json:"attention,omitempty"`
}

// aiActLogDays is the minimum log retention of EU AI Act Art. 26(6) for
// deployers: at least six months.
const aiActLogDays = 183

// Compliance maps a report's period onto the controls of SOC 2, HIPAA,
// GDPR, ISO/IEC 42001 and the EU AI Act, citing the evidence claudit holds
// (docs/DASHBOARD.md lists what each item counts).
func Compliance(r *Report, e store.Evidence, f Facts) []Section {
	period := url.Values{"from": {r.From.Format(time.RFC3339)}, "to": {r.To.Format(time.RFC3339)}}
	link := func(path string, q url.Values) string {
		l := strings.TrimRight(f.BaseURL, "/") + path
		if len(q) > 0 {
			l += "?" + q.Encode()
		}
		return l
	}
	with := func(kv ...string) url.Values {
		q := url.Values{}
		for k, v := range period {
			q[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			q.Set(kv[i], kv[i+1])
		}
		return q
	}
	enabled, names := 0, []string{}
	for _, p := range f.Policies {
		if p.Enabled {
			enabled++
			names = append(names, p.Name)
		}
	}
	sort.Strings(names)
	policies := Item{Label: "Detection policies installed", Value: fmt.Sprintf("%d of %d enabled", enabled, len(f.Policies)), Link: link("/policies", nil),
		Attention: enabled == 0}
	retention := Item{Label: "Retention of events", Value: "kept until deleted (retention_days: 0)"}
	if f.RetentionDays > 0 {
		retention.Value = fmt.Sprintf("%d days (retention_days)", f.RetentionDays)
	}
	oldest := Item{Label: "Oldest event stored", Value: "none yet", Link: link("/events", url.Values{"kind": {"access"}})}
	if !e.OldestEvent.IsZero() {
		oldest.Value = fmt.Sprintf("%s (%d days before the end of the period)", e.OldestEvent.UTC().Format(time.DateOnly), int(r.To.Sub(e.OldestEvent).Hours()/24))
	}
	sync := Item{Label: "Collection from the Compliance API", Value: fmt.Sprintf("%s sync cycles, %s failed; last success %s",
		num(e.SyncRuns), num(e.SyncFailed), when(e.LastSync)), Link: link("/integrations", nil), Attention: e.SyncRuns == 0 || e.LastSync.IsZero()}
	events := Item{Label: "Events recorded and evaluated", Value: fmt.Sprintf("%s messages (%s prompts), %s access events",
		num(r.Totals.Messages), num(r.Totals.Prompts), num(r.Totals.Activities)), Link: link("/events", with("kind", "prompt"))}
	violations := Item{Label: "Violations detected", Value: fmt.Sprintf("%s (of %s findings)", num(r.Totals.Violations), num(r.Totals.Findings)),
		Link: link("/events", with("kind", "prompt", "violations", "1"))}
	alerts := Item{Label: "Alerts raised", Value: fmt.Sprintf("%s (%s critical), %s resolved; %s open now", num(e.AlertsRaised), num(e.AlertsCritical),
		num(e.AlertsResolved), num(e.AlertsOpen)), Link: link("/alerts", nil)}
	triage := Item{Label: "Triage recorded", Value: fmt.Sprintf("%s status or assignee changes in the alerts' history", num(e.TriageChanges)), Link: link("/alerts", url.Values{"status": {"resolved"}})}
	audit := Item{Label: "Access audit of claudit itself", Value: fmt.Sprintf("%s entries: %s views and exports, %s sign-ins (%s failed), %s changes",
		num(e.AuditEntries), num(e.AuditViews), num(e.AuditSignIns), num(e.AuditFailed), num(e.AuditChanges)), Link: link("/audit", period)}
	auditSince := Item{Label: "Access audit kept since", Value: when(e.OldestAudit), Link: link("/audit", nil)}
	deletions := Item{Label: "Deletions through the Compliance API", Value: fmt.Sprintf("%s requested, %s carried out with the API's receipt kept",
		num(e.DeletionRequests), num(e.DeletionReceipts)), Link: link("/deletions", nil)}
	accounts := Item{Label: "Dashboard accounts by role", Value: accountsText(e.Accounts), Link: link("/accounts", nil)}
	tokens := Item{Label: "API tokens live", Value: num(e.APITokensLive), Link: link("/tokens", nil)}
	redaction := Item{Label: "Least privilege in the dashboard", Value: "viewers see PII and secrets masked; analysts and admins see text, and each view is audited"}
	keys := Item{Label: "Compliance API keys at rest", Value: "sealed with AES-256-GCM (secret key configured)"}
	if !f.KeysSealed {
		keys = Item{Label: "Compliance API keys at rest", Value: "no secret key configured: keys come from the config file only", Attention: true}
	}
	users := Item{Label: "People using Claude", Value: fmt.Sprintf("%s active in the period", num(r.Totals.Users)), Link: link("/users", nil)}
	models := Item{Label: "Models in use", Value: modelsText(r.Models), Link: link("/inventory", nil)}
	logsKept := Item{Label: "Logs kept at least six months", Value: "yes: " + retention.Value}
	if f.RetentionDays > 0 && f.RetentionDays < aiActLogDays {
		logsKept = Item{Label: "Logs kept at least six months", Value: fmt.Sprintf("no: retention_days is %d, below %d", f.RetentionDays, aiActLogDays), Attention: true}
	}
	return []Section{
		{ID: "soc2-cc7-2", Framework: "SOC 2", Control: "CC7.2", Title: "Monitoring of system components for anomalies",
			Asks:     "The use of Claude is monitored continuously; anomalies are detected and analysed as possible security events.",
			Evidence: []Item{sync, policies, events, violations, alerts, triage}},
		{ID: "hipaa-164-312-b", Framework: "HIPAA", Control: "§164.312(b)", Title: "Audit controls",
			Asks:     "Mechanisms record and examine activity in systems that contain or use ePHI: here Claude's activity, and access to claudit's own copy of it.",
			Evidence: []Item{events, oldest, audit, auditSince, retention}},
		{ID: "gdpr-art-30", Framework: "GDPR", Control: "Art. 30", Title: "Records of processing activities",
			Asks: "A record of what personal data is processed, about whom, how long it is kept and how erasure is carried out.",
			Evidence: []Item{{Label: "Sources", Value: orNone(r.Integrations), Link: link("/integrations", nil)}, users,
				{Label: "Categories stored", Value: "prompts and responses, access events (IP, user agent), file and project metadata, the user directory"},
				retention, oldest, deletions}},
		{ID: "gdpr-art-32", Framework: "GDPR", Control: "Art. 32", Title: "Security of processing",
			Asks:     "Appropriate technical measures: access control, confidentiality of stored data, and a process to detect and handle incidents.",
			Evidence: []Item{accounts, redaction, tokens, keys, audit, alerts}},
		{ID: "iso-42001", Framework: "ISO/IEC 42001", Control: "A.6.2.6, A.6.2.8", Title: "AI system operation, monitoring and event logs",
			Asks:     "The AI systems in use are known, their operation is monitored against the organization's policies, and event logs are kept.",
			Evidence: []Item{models, users, policies, events, violations, oldest}},
		{ID: "eu-ai-act", Framework: "EU AI Act", Control: "Art. 26(5), 26(6)", Title: "Deployer monitoring and log keeping",
			Asks:     "The deployer monitors the AI system's operation, acts on risks and serious incidents, and keeps the logs it controls for at least six months.",
			Evidence: []Item{sync, alerts, triage, logsKept, oldest}},
	}
}

func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func accountsText(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, role := range []string{store.RoleAdmin, store.RoleAnalyst, store.RoleViewer} {
		if n := m[role]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, role))
		}
	}
	return strings.Join(parts, ", ")
}

func modelsText(ms []store.ModelVolume) string {
	if len(ms) == 0 {
		return "none in the period"
	}
	var parts []string
	for i, m := range ms {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(ms)-5))
			break
		}
		parts = append(parts, fmt.Sprintf("%s (%s messages)", modelLabel(m.Model), num(m.Messages)))
	}
	return strings.Join(parts, ", ")
}
