// Package oversight raises alerts when oversight itself is weakened: an
// organization setting that matters for it changes the wrong way (settings
// drift), or the Activity Feed goes silent well beyond its normal rate (a
// feed gap: while the Compliance API is disabled nothing is recorded, so
// only the absence shows it). Both come out as evaluations with findings,
// so they go through the same alert grouping, suppressions and sinks as
// policy findings.
package oversight

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// Policy names of the findings, as they appear on alerts.
const (
	PolicyDrift = "settings_drift"
	PolicyGap   = "feed_gap"
)

// Event kinds of the evaluations: they name no stored message or activity.
const (
	KindSetting = "setting"
	KindFeed    = "feed"
)

// watched are the boolean settings whose change one way weakens oversight:
// the value that weakens it, the severity and why it matters.
var watched = map[string]struct {
	weak     bool
	severity string
	why      string
}{
	"content_redaction_enabled":                      {false, "high", "content redaction turned off"},
	"connector_tools_default_always_allow":           {true, "high", "connector tools are allowed without asking, org-wide"},
	"desktop_extension_allowlist_enabled":            {false, "high", "desktop extensions (MCP servers) no longer limited to an allowlist"},
	"artifact_connectors_enabled":                    {true, "medium", "artifacts may call connectors"},
	"claude_ai_integration_sharing_enabled":          {true, "medium", "integrations (connectors) may be shared org-wide"},
	"org_wide_skill_sharing_enabled":                 {true, "medium", "skills may be shared org-wide"},
	"claude_code_desktop_bypass_permissions_enabled": {true, "high", "Claude Code may bypass permission prompts"},
	"code_execution_network_egress_enabled":          {true, "high", "code execution may reach the network"},
	"claude_code_trusted_devices_required":           {false, "medium", "Claude Code no longer needs trusted devices"},
	"cowork_trusted_devices_required":                {false, "medium", "Cowork no longer needs trusted devices"},
	"sso_enabled":                                    {false, "high", "single sign-on turned off"},
	"sso_claude_ai_enforced":                         {false, "high", "single sign-on no longer enforced for claude.ai"},
	"ip_allowlist_enabled":                           {false, "high", "the IP allowlist turned off"},
	"claude_code_metrics_logging_enabled":            {false, "medium", "Claude Code metrics logging turned off"},
	"public_projects_enabled":                        {true, "medium", "projects may be made public"},
	"claude_ai_chat_sharing_enabled":                 {true, "low", "chats may be shared"},
}

// Weakens says whether a setting change weakens oversight, how much and why.
func Weakens(c store.SettingChange) (severity, why string, ok bool) {
	if c.Name == "data_retention_periods" {
		return retentionShortened(c.Old, c.New)
	}
	w, ok := watched[c.Name]
	if !ok {
		return "", "", false
	}
	var v bool
	if c.New == nil || json.Unmarshal(c.New, &v) != nil || v != w.weak {
		return "", "", false // removed (missing is not off) or changed the safe way
	}
	return w.severity, w.why, true
}

type period struct {
	Type      string `json:"type"`
	Duration  int    `json:"duration"`
	Timescale string `json:"timescale"`
}

func (p period) days() float64 {
	switch {
	case p.Type == "indefinite":
		return 1e9
	case p.Timescale == "month":
		return float64(p.Duration) * 30
	}
	return float64(p.Duration)
}

// retentionShortened reports a data type whose retention got shorter or
// newly limited: content then disappears before it can be reviewed.
func retentionShortened(oldV, newV json.RawMessage) (string, string, bool) {
	var before, after map[string]period
	_ = json.Unmarshal(oldV, &before)
	if json.Unmarshal(newV, &after) != nil {
		return "", "", false
	}
	for typ, p := range after {
		was, had := before[typ]
		if !had && before["all"].Type != "" {
			was, had = before["all"], true
		}
		if (!had && p.Type == "fixed") || (had && p.days() < was.days()) {
			return "critical", fmt.Sprintf("retention of %s shortened to %d %s(s)", typ, p.Duration, p.Timescale), true
		}
	}
	return "", "", false
}

// DriftEvaluations turns the changes of one sync into evaluations whose
// findings raise alerts, one per weakening change.
func DriftEvaluations(integrationID int64, changes []store.SettingChange, at time.Time, version string) []store.Evaluation {
	var out []store.Evaluation
	for _, c := range changes {
		sev, why, ok := Weakens(c)
		if !ok {
			continue
		}
		id := c.OrganizationUUID + "/" + c.Name + "@" + at.UTC().Format(time.RFC3339)
		excerpt := fmt.Sprintf("%s: %s → %s (organization %s)", c.Name, compact(c.Old), compact(c.New), c.OrganizationUUID)
		out = append(out, store.Evaluation{IntegrationID: integrationID, Kind: KindSetting, EventID: id, Version: version,
			Findings: []store.Finding{{IntegrationID: integrationID, EventKind: KindSetting, EventID: id, Policy: PolicyDrift, Detector: "settings",
				Entity: c.Name, Severity: sev, Action: "alert", EffectiveAction: "alert", Score: 1, Excerpt: why + ": " + excerpt, EventTime: at}}})
	}
	return out
}

func compact(v json.RawMessage) string {
	if v == nil {
		return "(absent)"
	}
	var b bytes.Buffer
	if json.Compact(&b, v) != nil {
		return string(v)
	}
	return b.String()
}

// GapOptions tune the feed-gap check; zero values take the defaults.
type GapOptions struct {
	// Window is how long the feed must be silent (default 1 hour).
	Window time.Duration
	// Lag keeps the window clear of activities not yet queryable or synced
	// (default 5 minutes).
	Lag time.Duration
	// Days is how many earlier days give the normal rate of the same hour (default 7).
	Days int
	// MinExpected is the mean count of those hours below which silence is
	// normal and not alerted (default 5).
	MinExpected float64
}

func (o *GapOptions) defaults() {
	if o.Window <= 0 {
		o.Window = time.Hour
	}
	if o.Lag <= 0 {
		o.Lag = 5 * time.Minute
	}
	if o.Days <= 0 {
		o.Days = 7
	}
	if o.MinExpected <= 0 {
		o.MinExpected = 5
	}
}

// Gap is the outcome of one feed-gap check.
type Gap struct {
	From, To time.Time
	Observed int
	// Expected is the mean count of the same window on earlier days.
	Expected float64
	Silent   bool
}

// ownActivity is what claudit's own polling adds to the feed: left out, or
// the feed would never look silent.
var ownActivity = []string{"compliance_api_accessed"}

// FeedCounter counts stored activities (the store's CountActivities).
type FeedCounter interface {
	// CountActivities counts an integration's activities created in
	// [from, to), leaving out the given types.
	CountActivities(ctx context.Context, integrationID int64, from, to time.Time, excludeTypes []string) (int, error)
}

// CheckGap compares the last window's activities with the same window on
// earlier days: none where there are usually at least MinExpected is a gap.
func CheckGap(ctx context.Context, st FeedCounter, integrationID int64, now time.Time, o GapOptions) (Gap, error) {
	o.defaults()
	to := now.Add(-o.Lag)
	g := Gap{From: to.Add(-o.Window), To: to}
	n, err := st.CountActivities(ctx, integrationID, g.From, g.To, ownActivity)
	if err != nil {
		return g, err
	}
	g.Observed = n
	total := 0
	for d := 1; d <= o.Days; d++ {
		off := time.Duration(d) * 24 * time.Hour
		c, err := st.CountActivities(ctx, integrationID, g.From.Add(-off), g.To.Add(-off), ownActivity)
		if err != nil {
			return g, err
		}
		total += c
	}
	g.Expected = float64(total) / float64(o.Days)
	g.Silent = g.Observed == 0 && g.Expected >= o.MinExpected
	return g, nil
}

// GapEvaluation is the evaluation that raises a feed-gap alert. Its id
// names the hour, so an ongoing gap adds to one alert.
func GapEvaluation(integrationID int64, g Gap, version string) store.Evaluation {
	id := "feed-gap@" + g.To.UTC().Truncate(time.Hour).Format(time.RFC3339)
	excerpt := fmt.Sprintf("no activities from %s to %s, where the same hour usually has %.0f: the Compliance API may be disabled or the feed interrupted",
		g.From.UTC().Format(time.RFC3339), g.To.UTC().Format(time.RFC3339), g.Expected)
	return store.Evaluation{IntegrationID: integrationID, Kind: KindFeed, EventID: id, Version: version,
		Findings: []store.Finding{{IntegrationID: integrationID, EventKind: KindFeed, EventID: id, Policy: PolicyGap, Detector: "feed",
			Entity: "activity_feed", Severity: "high", Action: "alert", EffectiveAction: "alert", Score: 1, Excerpt: excerpt, EventTime: g.To}}}
}
