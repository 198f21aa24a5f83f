package policy

import (
	"context"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/claudit/claudit/internal/policy/detect"
	"github.com/claudit/claudit/internal/policy/session"
)

// SessionConfig configures the policies evaluated over a whole chat: one
// entry per registered rule (package policy/session) and the settings the
// rules share.
type SessionConfig struct {
	// Rules are the settings of every registered rule, in the order they run.
	Rules []SessionRule `json:"rules"`
	// AttackDetectors are the detector ids whose findings count as attempts.
	AttackDetectors []string `json:"attack_detectors"`
	// SensitiveDetectors are the detector ids whose findings count as sensitive data.
	SensitiveDetectors []string `json:"sensitive_detectors"`
}

// SessionRule is the settings of one session rule.
type SessionRule struct {
	// Name is the rule's registered name; its policy is "session.<Name>".
	Name string `json:"name"`
	Rule
	// Params is the rule's typed params (a value of the struct type it
	// registered), nil for its defaults.
	Params any `json:"params,omitempty"`
}

// Rule returns the settings of the named rule, nil when none is registered
// under that name. The pointer edits c.
func (c *SessionConfig) Rule(name string) *SessionRule {
	for i := range c.Rules {
		if c.Rules[i].Name == name {
			return &c.Rules[i]
		}
	}
	return nil
}

// DefaultSessionConfig returns the built-in session policy settings: every
// registered rule with its defaults.
func DefaultSessionConfig() SessionConfig {
	c := SessionConfig{
		AttackDetectors:    []string{"injection", "jailbreak", "code_injection"},
		SensitiveDetectors: []string{"pii", "secrets"},
	}
	for _, u := range session.Units() {
		d := u.Defaults
		c.Rules = append(c.Rules, SessionRule{Name: u.Name, Rule: Rule{Enabled: d.Enabled, Severity: Severity(d.Severity),
			Action: Action(d.Action), Count: d.Count, Window: Duration(d.Window)}})
	}
	return c
}

func (p *configParser) session(n *yaml.Node, field string, c *SessionConfig) {
	fields := map[string]func(*yaml.Node, string){
		"attack_detectors":    func(v *yaml.Node, f string) { c.AttackDetectors = nil; p.strs(v, f, &c.AttackDetectors) },
		"sensitive_detectors": func(v *yaml.Node, f string) { c.SensitiveDetectors = nil; p.strs(v, f, &c.SensitiveDetectors) },
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		u, ok := session.Lookup(r.Name)
		if !ok {
			continue
		}
		fields[r.Name] = func(v *yaml.Node, f string) {
			r.Params = p.ruleWithParams(v, f, &r.Rule, u.Params, r.Params, u.DefaultParams)
			// Build once so a bad params value is reported with its line.
			if _, err := u.Build(r.Params, session.Limits{Count: r.Count, Window: r.window()}); err != nil {
				p.fail(v, f, "%v", err)
			}
		}
	}
	p.mapping(n, field+".", fields)
}

// Session policy names, used as SessionFinding.Policy: "session." and the
// rule's registered name.
const (
	SessionRepeatedAttempts      = "session.repeated_attempts"
	SessionRefusalEscalation     = "session.refusal_escalation"
	SessionSensitiveAccumulation = "session.sensitive_accumulation"
)

// SessionMessage is one message of a chat with its per-message result.
type SessionMessage struct {
	ID        string
	Role      detect.Role
	Text      string // optional: lets distinct sensitive values be told apart
	CreatedAt time.Time
	Result    Result
}

// SessionFinding is a hit of a session policy over a chat.
type SessionFinding struct {
	Policy          string   `json:"policy"`
	Severity        Severity `json:"severity"`
	Action          Action   `json:"action"`
	EffectiveAction Action   `json:"effective_action"`
	ChatID          string   `json:"chat_id"`
	MessageIDs      []string `json:"message_ids"`
	Count           int      `json:"count"`
	Detail          string   `json:"detail"`
	Tag             string   `json:"tag"`
}

// sessionCheck is one enabled rule, built.
type sessionCheck struct {
	policy, tag string
	rule        Rule
	check       session.Check
}

// SessionEvaluator evaluates session policies over ordered chat messages.
// It holds no per-chat state and is safe for concurrent use.
type SessionEvaluator struct {
	checks []sessionCheck
	kinds  *session.Kinds
}

// NewSessionEvaluator builds a session evaluator from cfg. Rules not
// registered in this build are left out.
func NewSessionEvaluator(cfg SessionConfig) *SessionEvaluator {
	s := &SessionEvaluator{kinds: session.NewKinds(cfg.AttackDetectors, cfg.SensitiveDetectors)}
	for _, r := range cfg.Rules {
		u, ok := session.Lookup(r.Name)
		if !ok || !r.Enabled {
			continue
		}
		check, err := u.Build(r.Params, session.Limits{Count: r.Count, Window: r.window()})
		if err != nil {
			continue // the config parser only sets params of the registered type
		}
		s.checks = append(s.checks, sessionCheck{policy: "session." + r.Name, tag: u.Tag, rule: r.Rule, check: check})
	}
	return s
}

// IsRefusal reports whether an assistant message reads as a refusal.
func (s *SessionEvaluator) IsRefusal(text string) bool { return session.IsRefusal(text) }

// Evaluate runs the session policies over msgs, which must be in chat
// order, for a user whose groups are unknown.
func (s *SessionEvaluator) Evaluate(ctx context.Context, chatID string, msgs []SessionMessage) []SessionFinding {
	return s.EvaluateFor(ctx, chatID, nil, msgs)
}

// EvaluateFor runs the session policies that cover a user in groups (the
// chat owner's directory groups, ids and names) over msgs, in chat order.
func (s *SessionEvaluator) EvaluateFor(ctx context.Context, chatID string, groups []string, msgs []SessionMessage) []SessionFinding {
	if ctx.Err() != nil || len(s.checks) == 0 {
		return nil
	}
	sm := make([]session.Message, len(msgs))
	for i, m := range msgs {
		sm[i] = session.Message{ID: m.ID, Role: m.Role, Text: m.Text, CreatedAt: m.CreatedAt}
		if len(m.Result.Findings) > 0 {
			sm[i].Findings = make([]session.Finding, len(m.Result.Findings))
			for j, f := range m.Result.Findings {
				sm[i].Findings[j] = session.Finding{Finding: f.Finding, Decoded: f.Decoded}
			}
		}
	}
	chat := session.NewChat(chatID, sm, s.kinds)
	var out []SessionFinding
	for _, c := range s.checks {
		if !c.rule.InScope(groups) {
			continue
		}
		hit, ok := c.check(chat)
		if !ok {
			continue
		}
		out = append(out, SessionFinding{Policy: c.policy, Severity: c.rule.Severity, Action: c.rule.Action,
			EffectiveAction: c.rule.Action.Effective(), ChatID: chatID, MessageIDs: hit.MessageIDs, Count: hit.Count,
			Detail: hit.Detail, Tag: c.tag})
	}
	return out
}
