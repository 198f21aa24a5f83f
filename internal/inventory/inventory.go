// Package inventory lists what agents can reach in an organization (its
// "agentic assets"): MCP servers, connectors, skills, plugins, projects,
// files and Claude Code usage, each with who added it, when, how often it
// is used and the findings it holds, built from what ingest stored.
package inventory

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// Asset kinds.
const (
	KindMCPServer  = "mcp_server"
	KindConnector  = "connector"
	KindSkill      = "skill"
	KindPlugin     = "plugin"
	KindProject    = "project"
	KindFile       = "file"
	KindClaudeCode = "claude_code"
)

// Asset is one thing agents can reach, and how it is used.
type Asset struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	Name string `json:"name"`
	// AddedBy is who first brought it in (the earliest user seen with it);
	// AddedAt when.
	AddedBy  string    `json:"added_by,omitempty"`
	AddedAt  time.Time `json:"added_at"`
	LastUsed time.Time `json:"last_used"`
	// Uses counts tool calls, activities, chats or messages, by kind.
	Uses  int `json:"uses"`
	Users int `json:"users"`
	// Findings counts the policy findings of the messages, chats or files it was used in.
	Findings int `json:"findings"`
	users    map[string]bool
}

func (a *Asset) use(user string, at time.Time, findings int) {
	if a.users == nil {
		a.users = map[string]bool{}
	}
	if a.AddedAt.IsZero() || at.Before(a.AddedAt) {
		a.AddedAt, a.AddedBy = at, user
	}
	if at.After(a.LastUsed) {
		a.LastUsed = at
	}
	a.Uses++
	a.Findings += findings
	if user != "" && !a.users[user] {
		a.users[user] = true
		a.Users++
	}
}

// Options bound what is read; zero values take the defaults.
type Options struct {
	// Since bounds tool calls and activities (default 90 days ago).
	Since time.Time
	// Limit bounds each source (default 20000 rows; projects and files 1000).
	Limit int
}

type activityRule struct {
	prefix, kind, idKey, nameKey string
}

// activityRules map activity types to assets (SPEC §6: skills, plugins,
// MCP servers, integrations, Claude Code).
var activityRules = []activityRule{
	{"claude_skill_", KindSkill, "skill_id", "skill_name"},
	{"claude_plugin_", KindPlugin, "plugin_id", "plugin_name"},
	{"mcp_server_", KindMCPServer, "mcp_server_id", "mcp_server_name"},
	{"integration_user_", KindConnector, "mcp_server_id", "mcp_server_name"},
	{"claude_code_", KindClaudeCode, "", ""},
}

// Source is what the inventory is built from (the store's reads of it).
type Source interface {
	ActivitiesOfTypes(ctx context.Context, integrationID int64, prefixes []string, since time.Time, limit int) ([]store.Activity, error)
	ToolCallMessages(ctx context.Context, integrationID int64, since time.Time, limit int) ([]store.Message, error)
	ProjectUsages(ctx context.Context, integrationID int64, limit int) ([]store.ProjectUsage, error)
	FileUsages(ctx context.Context, integrationID int64, limit int) ([]store.FileUsage, error)
}

// Build lists an integration's assets, most used first within each kind.
func Build(ctx context.Context, st Source, integrationID int64, o Options) ([]Asset, error) {
	if o.Since.IsZero() {
		o.Since = time.Now().AddDate(0, 0, -90)
	}
	if o.Limit <= 0 {
		o.Limit = 20000
	}
	assets := map[[2]string]*Asset{}
	get := func(kind, id, name string) *Asset {
		k := [2]string{kind, id}
		a, ok := assets[k]
		if !ok {
			a = &Asset{Kind: kind, ID: id, Name: name}
			assets[k] = a
		}
		if a.Name == "" {
			a.Name = name
		}
		return a
	}
	ms, err := st.ToolCallMessages(ctx, integrationID, o.Since, o.Limit)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		user := firstNonEmpty(m.UserEmail, m.UserID)
		for _, tc := range m.ToolCalls {
			switch {
			case tc.MCPServerURL != "":
				get(KindMCPServer, tc.MCPServerURL, tc.MCPServerURL).use(user, m.CreatedAt, m.Violations)
			case tc.Integration != "":
				get(KindConnector, tc.Integration, tc.Integration).use(user, m.CreatedAt, m.Violations)
			}
		}
	}
	prefixes := make([]string, len(activityRules))
	for i, r := range activityRules {
		prefixes[i] = r.prefix
	}
	acts, err := st.ActivitiesOfTypes(ctx, integrationID, prefixes, o.Since, o.Limit)
	if err != nil {
		return nil, err
	}
	for _, act := range acts {
		user := firstNonEmpty(act.ActorEmail, act.ActorUserID)
		for _, r := range activityRules {
			if !strings.HasPrefix(act.Type, r.prefix) {
				continue
			}
			if r.kind == KindClaudeCode {
				// Claude Code usage is per person: who uses it, since when, how much.
				get(KindClaudeCode, user, user).use(user, act.CreatedAt, 0)
				break
			}
			var fields map[string]any
			_ = json.Unmarshal(act.Raw, &fields)
			id, _ := fields[r.idKey].(string)
			name, _ := fields[r.nameKey].(string)
			if r.kind == KindConnector && id == "" {
				id, _ = fields["integration_type"].(string)
				name = id
			}
			if id == "" {
				id = name
			}
			if id == "" {
				break // an activity that does not name what it is about
			}
			get(r.kind, id, name).use(user, act.CreatedAt, 0)
			break
		}
	}
	ps, err := st.ProjectUsages(ctx, integrationID, 1000)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		a := get(KindProject, p.ID, p.Name)
		a.AddedBy, a.AddedAt, a.LastUsed, a.Uses, a.Findings = p.UserID, p.CreatedAt, p.UpdatedAt, p.Chats, p.Findings
		if p.UserID != "" {
			a.Users = 1
		}
	}
	fs, err := st.FileUsages(ctx, integrationID, 1000)
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		get(KindFile, f.ID, f.Filename).use(firstNonEmpty(f.UserEmail, f.UserID), f.CreatedAt, f.Findings)
	}
	out := make([]Asset, 0, len(assets))
	for _, a := range assets {
		out = append(out, *a)
	}
	order := map[string]int{KindMCPServer: 0, KindConnector: 1, KindSkill: 2, KindPlugin: 3, KindClaudeCode: 4, KindProject: 5, KindFile: 6}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Kind != b.Kind {
			return order[a.Kind] < order[b.Kind]
		}
		if a.Findings != b.Findings {
			return a.Findings > b.Findings
		}
		if a.Uses != b.Uses {
			return a.Uses > b.Uses
		}
		return a.ID < b.ID
	})
	return out, nil
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}
