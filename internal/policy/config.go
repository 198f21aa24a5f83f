package policy

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/claudit/claudit/internal/policy/detect"
)

// Severity ranks how bad a finding is.
type Severity string

// Severities, lowest first.
const (
	SeverityInfo     Severity = "info"
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

var severities = []Severity{SeverityInfo, SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}

// Rank orders severities: info is 0, critical is 4, unknown is -1.
func (s Severity) Rank() int { return slices.Index(severities, s) }

// Action is what a policy asks for on a hit.
type Action string

// Actions. Block and modify cannot be carried out on activity that already
// happened, so their effective action is alert.
const (
	ActionLog    Action = "log"
	ActionAlert  Action = "alert"
	ActionBlock  Action = "block"
	ActionModify Action = "modify"
)

var actions = []Action{ActionLog, ActionAlert, ActionBlock, ActionModify}

// Effective returns the action claudit carries out: block and modify are
// recorded as alert because the Compliance API reports past activity.
func (a Action) Effective() Action {
	if a == ActionBlock || a == ActionModify {
		return ActionAlert
	}
	return a
}

// Policy is one runtime security policy: which detector to run, on which
// roles, and what a hit means.
type Policy struct {
	Name      string        `json:"name"`
	Detector  string        `json:"detector"`
	Params    detect.Params `json:"params,omitempty"`
	Roles     []detect.Role `json:"roles,omitempty"` // empty means every role
	Threshold float64       `json:"threshold"`       // minimum finding score
	Severity  Severity      `json:"severity"`
	Action    Action        `json:"action"`
	Enabled   bool          `json:"enabled"`
	Tags      []string      `json:"tags,omitempty"`     // added on a hit
	PassTag   string        `json:"pass_tag,omitempty"` // added when the policy ran without a hit
	// FailTag is added per finding; "{entity}" is replaced by the finding's entity.
	FailTag string `json:"fail_tag,omitempty"`
	// GroupScope limits the policy to users of some directory groups.
	GroupScope

	line int // line of the policy in its file, for build errors
}

// Applies reports whether the policy is enabled and scoped to role.
func (p *Policy) Applies(role detect.Role) bool {
	return p.Enabled && (len(p.Roles) == 0 || slices.Contains(p.Roles, role))
}

// AppliesTo reports whether the policy is enabled, scoped to role and
// covers a user in groups (see GroupScope).
func (p *Policy) AppliesTo(role detect.Role, groups []string) bool {
	return p.Applies(role) && p.InScope(groups)
}

// Config is a policy set loaded from YAML.
type Config struct {
	Policies []Policy       `json:"policies"`
	Session  SessionConfig  `json:"session"`
	Activity ActivityConfig `json:"activity"`
	// Skipped names default policies whose detector is not registered.
	Skipped []string `json:"-"`
	// Source is the file the config came from, "(default)" for the embedded set.
	Source string `json:"-"`
}

//go:embed default_policies.yaml
var defaultPoliciesYAML []byte

// DefaultPoliciesYAML returns the embedded default policy file, for
// tools that write a policy file of their own starting from it.
func DefaultPoliciesYAML() []byte { return slices.Clone(defaultPoliciesYAML) }

// DefaultConfig returns the embedded default policy set. Policies whose
// detector is not registered in this build are skipped with a warning.
func DefaultConfig() (*Config, error) {
	return parseConfig(defaultPoliciesYAML, "(default)", true)
}

// LoadConfig reads and validates a policy file. An empty path returns the defaults.
func LoadConfig(path string) (*Config, error) {
	if path == "" {
		return DefaultConfig()
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read policy file: %w", err)
	}
	return ParseConfig(data, path)
}

// ParseConfig parses and validates policy YAML; name is used in error
// messages. Unknown detector ids are errors.
func ParseConfig(data []byte, name string) (*Config, error) {
	return parseConfig(data, name, false)
}

// Version is a short hash of the normalized policies, session and activity
// settings: a message is evaluated once per policy version.
func (c *Config) Version() string {
	ps := slices.Clone(c.Policies)
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	b, err := json.Marshal(struct {
		Policies []Policy
		Session  SessionConfig
		Activity ActivityConfig
	}{ps, c.Session, c.Activity})
	if err != nil {
		// Params come from YAML, so they always marshal; keep a stable fallback.
		b = []byte(fmt.Sprint(ps))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// FieldError is one validation problem, located by line and field path.
type FieldError struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Field, e.Msg)
}

// configParser walks the YAML node tree so every error can name a line.
type configParser struct {
	file          string
	allowUnknown  bool
	errs          []error
	skippedUnkown []string
}

func (p *configParser) fail(n *yaml.Node, field, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	p.errs = append(p.errs, &FieldError{File: p.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

func parseConfig(data []byte, name string, allowUnknown bool) (*Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	cfg := &Config{Source: name, Session: DefaultSessionConfig(), Activity: DefaultActivityConfig()}
	p := &configParser{file: name, allowUnknown: allowUnknown}
	if len(doc.Content) == 0 {
		return cfg, nil
	}
	root := doc.Content[0]
	p.mapping(root, "", map[string]func(*yaml.Node, string){
		"version": func(*yaml.Node, string) {},
		"policies": func(n *yaml.Node, field string) {
			if n.Kind != yaml.SequenceNode {
				p.fail(n, field, "must be a list of policies")
				return
			}
			for i, item := range n.Content {
				if pol, ok := p.policy(item, fmt.Sprintf("%s[%d]", field, i)); ok {
					cfg.Policies = append(cfg.Policies, pol)
				}
			}
		},
		"session":  func(n *yaml.Node, field string) { p.session(n, field, &cfg.Session) },
		"activity": func(n *yaml.Node, field string) { p.activity(n, field, &cfg.Activity) },
	})
	names := map[string]int{}
	for _, pol := range cfg.Policies {
		if prev, dup := names[pol.Name]; dup {
			p.errs = append(p.errs, &FieldError{File: name, Line: pol.line, Field: "policies.name",
				Msg: fmt.Sprintf("%q is already used by the policy on line %d", pol.Name, prev)})
		}
		names[pol.Name] = pol.line
	}
	cfg.Skipped = p.skippedUnkown
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return cfg, nil
}

// mapping decodes a mapping node by dispatching each key to its handler;
// unknown keys are errors.
func (p *configParser) mapping(n *yaml.Node, prefix string, fields map[string]func(*yaml.Node, string)) {
	if n.Kind != yaml.MappingNode {
		p.fail(n, strings.TrimSuffix(prefix, "."), "must be a mapping")
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		field := prefix + k.Value
		h, ok := fields[k.Value]
		if !ok {
			known := make([]string, 0, len(fields))
			for f := range fields {
				known = append(known, f)
			}
			sort.Strings(known)
			p.fail(k, field, "unknown field (known: %s)", strings.Join(known, ", "))
			continue
		}
		h(v, field)
	}
}

func (p *configParser) str(n *yaml.Node, field string, dst *string) {
	if n.Kind != yaml.ScalarNode {
		p.fail(n, field, "must be a string")
		return
	}
	*dst = n.Value
}

func (p *configParser) strs(n *yaml.Node, field string, dst *[]string) {
	if n.Kind == yaml.ScalarNode {
		*dst = []string{n.Value}
		return
	}
	if n.Kind != yaml.SequenceNode {
		p.fail(n, field, "must be a list of strings")
		return
	}
	for i, e := range n.Content {
		if e.Kind != yaml.ScalarNode {
			p.fail(e, fmt.Sprintf("%s[%d]", field, i), "must be a string")
			continue
		}
		*dst = append(*dst, e.Value)
	}
}

func (p *configParser) float(n *yaml.Node, field string, dst *float64, lo, hi float64) {
	var f float64
	if n.Kind != yaml.ScalarNode || n.Decode(&f) != nil || math.IsNaN(f) {
		p.fail(n, field, "%q is not a number", n.Value)
		return
	}
	if f < lo || f > hi {
		p.fail(n, field, "%v is out of range [%v, %v]", f, lo, hi)
		return
	}
	*dst = f
}

func (p *configParser) int(n *yaml.Node, field string, dst *int, lo int) {
	var i int
	if n.Kind != yaml.ScalarNode || n.Decode(&i) != nil {
		p.fail(n, field, "%q is not an integer", n.Value)
		return
	}
	if i < lo {
		p.fail(n, field, "%d must be at least %d", i, lo)
		return
	}
	*dst = i
}

func (p *configParser) boolean(n *yaml.Node, field string, dst *bool) {
	if n.Kind != yaml.ScalarNode || n.Decode(dst) != nil {
		p.fail(n, field, "%q is not true or false", n.Value)
	}
}

func (p *configParser) duration(n *yaml.Node, field string, dst *Duration) {
	d, err := time.ParseDuration(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil || d <= 0 {
		p.fail(n, field, "%q is not a positive duration like 10m or 1h", n.Value)
		return
	}
	*dst = Duration(d)
}

func oneOf[T ~string](v T, allowed []T) bool { return slices.Contains(allowed, v) }

func joinStrings[T ~string](vs []T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

var roles = []detect.Role{detect.RoleUser, detect.RoleAssistant, detect.RoleTool, detect.RoleFile}

func (p *configParser) policy(n *yaml.Node, field string) (Policy, bool) {
	pol := Policy{Severity: SeverityMedium, Action: ActionAlert, Enabled: true, line: n.Line}
	errsBefore := len(p.errs)
	var paramsNode *yaml.Node
	fields := map[string]func(*yaml.Node, string){
		"name":     func(v *yaml.Node, f string) { p.str(v, f, &pol.Name) },
		"detector": func(v *yaml.Node, f string) { p.str(v, f, &pol.Detector) },
		"params": func(v *yaml.Node, f string) {
			paramsNode = v
			if err := v.Decode(&pol.Params); err != nil || v.Kind != yaml.MappingNode {
				p.fail(v, f, "must be a mapping of detector parameters")
			}
		},
		"roles": func(v *yaml.Node, f string) {
			var rs []string
			p.strs(v, f, &rs)
			for _, r := range rs {
				role := detect.Role(strings.ToLower(r))
				if !oneOf(role, roles) {
					p.fail(v, f, "%q is not one of %s", r, joinStrings(roles))
					continue
				}
				pol.Roles = append(pol.Roles, role)
			}
		},
		"threshold": func(v *yaml.Node, f string) { p.float(v, f, &pol.Threshold, 0, 1) },
		"severity": func(v *yaml.Node, f string) {
			s := Severity(strings.ToLower(v.Value))
			if v.Kind != yaml.ScalarNode || !oneOf(s, severities) {
				p.fail(v, f, "%q is not one of %s", v.Value, joinStrings(severities))
				return
			}
			pol.Severity = s
		},
		"action": func(v *yaml.Node, f string) {
			a := Action(strings.ToLower(v.Value))
			if v.Kind != yaml.ScalarNode || !oneOf(a, actions) {
				p.fail(v, f, "%q is not one of %s", v.Value, joinStrings(actions))
				return
			}
			pol.Action = a
		},
		"enabled":  func(v *yaml.Node, f string) { p.boolean(v, f, &pol.Enabled) },
		"tags":     func(v *yaml.Node, f string) { p.strs(v, f, &pol.Tags) },
		"pass_tag": func(v *yaml.Node, f string) { p.str(v, f, &pol.PassTag) },
		"fail_tag": func(v *yaml.Node, f string) { p.str(v, f, &pol.FailTag) },
	}
	p.groupFields(fields, &pol.GroupScope)
	p.mapping(n, field+".", fields)
	if pol.Name == "" {
		p.fail(n, field+".name", "is required")
	}
	if pol.Detector == "" {
		p.fail(n, field+".detector", "is required (registered: %s)", strings.Join(detect.IDs(), ", "))
		return pol, false
	}
	factory, ok := detect.Lookup(pol.Detector)
	if !ok {
		if p.allowUnknown {
			slog.Warn("policy skipped: detector not registered in this build",
				"policy", pol.Name, "detector", pol.Detector, "source", p.file)
			p.skippedUnkown = append(p.skippedUnkown, pol.Name)
			return pol, false
		}
		p.fail(n, field+".detector", "%q is not a registered detector (registered: %s)",
			pol.Detector, strings.Join(detect.IDs(), ", "))
		return pol, false
	}
	if paramsNode != nil && paramsNode.Kind == yaml.MappingNode {
		for _, e := range detect.CheckParamsNode(pol.Detector, paramsNode) {
			p.errs = append(p.errs, &FieldError{File: p.file, Line: e.Line, Field: field + ".params." + e.Field, Msg: e.Msg})
		}
	}
	if len(p.errs) > errsBefore {
		return pol, false
	}
	// Build once so bad parameters are reported at load time with a line;
	// a disabled policy is checked when it is enabled.
	if !pol.Enabled {
		return pol, true
	}
	if _, err := factory(pol.Params); err != nil {
		at := n
		if paramsNode != nil {
			at = paramsNode
		}
		p.fail(at, field+".params", "%v", err)
		return pol, false
	}
	return pol, true
}

// Duration is a time.Duration that reads and writes as "10m" in config.
type Duration time.Duration

// MarshalJSON writes the duration as a string, keeping Version stable.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}
