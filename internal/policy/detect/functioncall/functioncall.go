// Package functioncall registers the "function_call" detector: tool-use
// blocks that name a tool the policy disallows, and MCP servers outside an
// allowlist.
//
// Tool use reaches the engine as text of the form
//
//	tool_use name=<tool> input=<json>
//
// optionally with mcp_server_url=<url> on the same or a later line. Tool
// names are matched against glob patterns (path.Match syntax, e.g.
// "mcp__*__delete_*"), case-insensitively.
package functioncall

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"

	"github.com/claudit/claudit/internal/policy/detect"
)

// ID is the registered detector id.
const ID = "function_call"

// Entities of the findings.
const (
	EntityTool = "DISALLOWED_TOOL"
	EntityMCP  = "UNAPPROVED_MCP_SERVER"
)

// Params are the policy parameters this detector reads; a policy with any
// other field, or a value of another type, fails validation.
type Params struct {
	Allow    []string `yaml:"allow"`
	Deny     []string `yaml:"deny"`
	MCPAllow []string `yaml:"mcp_allow"`
}

func init() {
	detect.RegisterParams(ID, Params{})
	detect.Register(ID, func(p detect.Params) (detect.Detector, error) { return New(p) })
}

// Detector checks tool-use blocks against allow and deny lists.
type Detector struct {
	deny, allow []string
	mcpAllow    []string
	checkMCP    bool
}

// New builds the detector. Params:
//
//	deny       list of tool-name globs to flag
//	allow      list of tool-name globs; when set, every other tool is flagged
//	mcp_allow  list of allowed MCP servers: a host ("mcp.example.com"), a host
//	           glob ("*.corp.example"), or a URL prefix ("https://mcp.example.com/v1");
//	           when set, every other mcp_server_url is flagged
//
// Without deny and allow, the globs in default_deny.txt (tools that run
// commands, drive a computer or delete things) are denied.
func New(p detect.Params) (*Detector, error) {
	d := &Detector{
		deny:     lower(p.Strings("deny")),
		allow:    lower(p.Strings("allow")),
		mcpAllow: lower(p.Strings("mcp_allow")),
	}
	_, d.checkMCP = p["mcp_allow"]
	if len(d.deny) == 0 && len(d.allow) == 0 {
		d.deny = defaultDeny()
	}
	for _, g := range append(append([]string{}, d.deny...), d.allow...) {
		if _, err := path.Match(g, ""); err != nil {
			return nil, fmt.Errorf("%s: bad tool glob %q: %w", ID, g, err)
		}
	}
	return d, nil
}

//go:embed default_deny.txt
var defaultDenyTxt string

func defaultDeny() []string {
	var out []string
	for _, l := range strings.Split(defaultDenyTxt, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, strings.ToLower(l))
		}
	}
	return out
}

func lower(ss []string) []string {
	for i, s := range ss {
		ss[i] = strings.ToLower(strings.TrimSpace(s))
	}
	return ss
}

// ID implements detect.Detector.
func (d *Detector) ID() string { return ID }

// Keywords implements detect.Detector.
func (d *Detector) Keywords() []string { return []string{"tool_use", "mcp_server_url="} }

// Detect implements detect.Detector.
func (d *Detector) Detect(ctx context.Context, in detect.Input) []detect.Finding {
	if ctx.Err() != nil || in.Text == "" {
		return nil
	}
	var out []detect.Finding
	for _, c := range ParseToolUses(in.Text) {
		if d.toolDenied(c.Name) {
			out = append(out, finding(in.Text, EntityTool, c.NameStart, c.NameEnd))
		}
	}
	if d.checkMCP {
		for _, loc := range mcpURL.FindAllStringSubmatchIndex(in.Text, -1) {
			raw := in.Text[loc[2]:loc[3]]
			if !d.mcpAllowed(raw) {
				out = append(out, finding(in.Text, EntityMCP, loc[2], loc[3]))
			}
		}
	}
	return out
}

func finding(text, entity string, start, end int) detect.Finding {
	return detect.Finding{Detector: ID, Entity: entity, Start: start, End: end, Score: 1, Excerpt: detect.Excerpt(text, start, end)}
}

func (d *Detector) toolDenied(name string) bool {
	name = strings.ToLower(name)
	if matchAny(d.deny, name) {
		return true
	}
	return len(d.allow) > 0 && !matchAny(d.allow, name)
}

func matchAny(globs []string, name string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}

// mcpAllowed accepts a URL whose host matches an allowed host or host glob,
// or that starts with an allowed URL prefix.
func (d *Detector) mcpAllowed(raw string) bool {
	u, err := url.Parse(strings.Trim(raw, `"'`))
	if err != nil || u.Host == "" {
		return false
	}
	host := strings.ToLower(u.Hostname())
	full := strings.ToLower(u.Scheme + "://" + u.Host + u.EscapedPath())
	for _, a := range d.mcpAllow {
		if strings.Contains(a, "://") {
			if strings.HasPrefix(full, strings.TrimSuffix(a, "/")) {
				return true
			}
			continue
		}
		if ok, _ := path.Match(a, host); ok {
			return true
		}
	}
	return false
}

var (
	toolUse = regexp.MustCompile(`\btool_use\s+name=("?)([^\s"]+)`)
	mcpURL  = regexp.MustCompile(`\bmcp_server_url=["']?([^\s"']+)`)
)

// ToolUse is one parsed tool_use block.
type ToolUse struct {
	Name string
	// NameStart and NameEnd are the byte span of the name in the text.
	NameStart, NameEnd int
	// Input is the JSON after input=, or nil when absent or malformed.
	Input json.RawMessage
}

// ParseToolUses finds every "tool_use name=<tool> input=<json>" block. The
// name may be quoted; input, when present, must directly follow the name
// and is decoded as one JSON value.
func ParseToolUses(text string) []ToolUse {
	var out []ToolUse
	for _, loc := range toolUse.FindAllStringSubmatchIndex(text, -1) {
		tu := ToolUse{Name: text[loc[4]:loc[5]], NameStart: loc[4], NameEnd: loc[5]}
		rest := strings.TrimLeft(strings.TrimPrefix(text[loc[1]:], text[loc[2]:loc[3]]), " \t")
		if after, ok := strings.CutPrefix(rest, "input="); ok {
			dec := json.NewDecoder(strings.NewReader(after))
			var raw json.RawMessage
			if err := dec.Decode(&raw); err == nil {
				tu.Input = bytes.Clone(raw)
			}
		}
		out = append(out, tu)
	}
	return out
}
