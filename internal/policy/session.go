package policy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/claudit/claudit/internal/policy/detect"
)

// SessionConfig configures the policies evaluated over a whole chat.
type SessionConfig struct {
	// RepeatedAttempts fires when Count user messages with attack findings
	// fall within Window.
	RepeatedAttempts Rule `json:"repeated_attempts"`
	// RefusalEscalation fires when, after an assistant refusal, Count more
	// user messages carry attack findings.
	RefusalEscalation Rule `json:"refusal_escalation"`
	// SensitiveAccumulation fires when Count distinct sensitive values
	// (PII, secrets) accumulate across the chat.
	SensitiveAccumulation Rule `json:"sensitive_accumulation"`
	// AttackDetectors are the detector ids whose findings count as attempts.
	AttackDetectors []string `json:"attack_detectors"`
	// SensitiveDetectors are the detector ids whose findings count as sensitive data.
	SensitiveDetectors []string `json:"sensitive_detectors"`
}

// DefaultSessionConfig returns the built-in session policy settings.
func DefaultSessionConfig() SessionConfig {
	return SessionConfig{
		RepeatedAttempts:      Rule{Enabled: true, Severity: SeverityHigh, Action: ActionAlert, Count: 3, Window: Duration(30 * time.Minute)},
		RefusalEscalation:     Rule{Enabled: true, Severity: SeverityHigh, Action: ActionAlert, Count: 2},
		SensitiveAccumulation: Rule{Enabled: true, Severity: SeverityMedium, Action: ActionAlert, Count: 5},
		AttackDetectors:       []string{"injection", "jailbreak", "code_injection"},
		SensitiveDetectors:    []string{"pii", "secrets"},
	}
}

func (p *configParser) session(n *yaml.Node, field string, c *SessionConfig) {
	p.mapping(n, field+".", map[string]func(*yaml.Node, string){
		"repeated_attempts":      func(v *yaml.Node, f string) { p.rule(v, f, &c.RepeatedAttempts, nil) },
		"refusal_escalation":     func(v *yaml.Node, f string) { p.rule(v, f, &c.RefusalEscalation, nil) },
		"sensitive_accumulation": func(v *yaml.Node, f string) { p.rule(v, f, &c.SensitiveAccumulation, nil) },
		"attack_detectors":       func(v *yaml.Node, f string) { c.AttackDetectors = nil; p.strs(v, f, &c.AttackDetectors) },
		"sensitive_detectors":    func(v *yaml.Node, f string) { c.SensitiveDetectors = nil; p.strs(v, f, &c.SensitiveDetectors) },
	})
}

// Session policy names, used as SessionFinding.Policy.
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

//go:embed data/refusals.txt
var refusalsTXT []byte

// SessionEvaluator evaluates session policies over ordered chat messages.
// It holds no per-chat state and is safe for concurrent use.
type SessionEvaluator struct {
	cfg       SessionConfig
	refusals  []string
	attack    map[string]bool
	sensitive map[string]bool
}

// NewSessionEvaluator builds a session evaluator from cfg.
func NewSessionEvaluator(cfg SessionConfig) *SessionEvaluator {
	s := &SessionEvaluator{cfg: cfg, attack: map[string]bool{}, sensitive: map[string]bool{}}
	for _, d := range cfg.AttackDetectors {
		s.attack[d] = true
	}
	for _, d := range cfg.SensitiveDetectors {
		s.sensitive[d] = true
	}
	sc := bufio.NewScanner(bytes.NewReader(refusalsTXT))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			s.refusals = append(s.refusals, normalizeApostrophes(strings.ToLower(l)))
		}
	}
	return s
}

func normalizeApostrophes(s string) string { return strings.ReplaceAll(s, "’", "'") }

// IsRefusal reports whether an assistant message reads as a refusal.
func (s *SessionEvaluator) IsRefusal(text string) bool {
	// Refusals are stated up front; only the opening is checked.
	if len(text) > 600 {
		text = text[:600]
	}
	t := normalizeApostrophes(strings.ToLower(text))
	for _, r := range s.refusals {
		if strings.Contains(t, r) {
			return true
		}
	}
	return false
}

func (s *SessionEvaluator) isAttack(m SessionMessage) bool {
	if m.Role != detect.RoleUser {
		return false
	}
	for _, f := range m.Result.Findings {
		if s.attack[f.Finding.Detector] {
			return true
		}
	}
	return false
}

// Evaluate runs the session policies over msgs, which must be in chat order.
func (s *SessionEvaluator) Evaluate(ctx context.Context, chatID string, msgs []SessionMessage) []SessionFinding {
	var out []SessionFinding
	if ctx.Err() != nil {
		return nil
	}
	if r := s.cfg.RepeatedAttempts; r.Enabled {
		if f, ok := s.repeated(msgs, r); ok {
			out = append(out, s.finding(SessionRepeatedAttempts, r, chatID, f))
		}
	}
	if r := s.cfg.RefusalEscalation; r.Enabled {
		if f, ok := s.escalation(msgs, r); ok {
			out = append(out, s.finding(SessionRefusalEscalation, r, chatID, f))
		}
	}
	if r := s.cfg.SensitiveAccumulation; r.Enabled {
		if f, ok := s.accumulation(msgs, r); ok {
			out = append(out, s.finding(SessionSensitiveAccumulation, r, chatID, f))
		}
	}
	return out
}

func (s *SessionEvaluator) finding(policy string, r Rule, chatID string, f SessionFinding) SessionFinding {
	f.Policy, f.Severity, f.Action, f.EffectiveAction, f.ChatID = policy, r.Severity, r.Action, r.Action.Effective(), chatID
	return f
}

// repeated finds the largest group of attack messages within the window.
func (s *SessionEvaluator) repeated(msgs []SessionMessage, r Rule) (SessionFinding, bool) {
	var hits []SessionMessage
	for _, m := range msgs {
		if s.isAttack(m) {
			hits = append(hits, m)
		}
	}
	best, bestStart := 0, 0
	for i, j := 0, 0; j < len(hits); j++ {
		for r.window() > 0 && !hits[j].CreatedAt.IsZero() && !hits[i].CreatedAt.IsZero() &&
			hits[j].CreatedAt.Sub(hits[i].CreatedAt) > r.window() {
			i++
		}
		if n := j - i + 1; n > best {
			best, bestStart = n, i
		}
	}
	if best < r.Count {
		return SessionFinding{}, false
	}
	ids := make([]string, 0, best)
	for _, m := range hits[bestStart : bestStart+best] {
		ids = append(ids, m.ID)
	}
	return SessionFinding{MessageIDs: ids, Count: best, Tag: "Repeated Attack Attempts",
		Detail: fmt.Sprintf("%d prompt attack attempts within %s", best, time.Duration(r.Window))}, true
}

// escalation finds attack attempts that continue after the assistant refused.
func (s *SessionEvaluator) escalation(msgs []SessionMessage, r Rule) (SessionFinding, bool) {
	refusedAt := -1
	var ids []string
	refusals := 0
	for i, m := range msgs {
		switch {
		case m.Role == detect.RoleAssistant && s.IsRefusal(m.Text):
			if refusedAt < 0 {
				refusedAt = i
			}
			refusals++
		case refusedAt >= 0 && s.isAttack(m):
			ids = append(ids, m.ID)
		}
	}
	if refusedAt < 0 || len(ids) < r.Count {
		return SessionFinding{}, false
	}
	ids = append([]string{msgs[refusedAt].ID}, ids...)
	return SessionFinding{MessageIDs: ids, Count: len(ids) - 1, Tag: "Escalation After Refusal",
		Detail: fmt.Sprintf("%d attack attempts after %d assistant refusal(s)", len(ids)-1, refusals)}, true
}

// accumulation counts distinct sensitive values across the chat.
func (s *SessionEvaluator) accumulation(msgs []SessionMessage, r Rule) (SessionFinding, bool) {
	seen := map[string]bool{}
	entities := map[string]bool{}
	var ids []string
	for _, m := range msgs {
		hit := false
		for _, f := range m.Result.Findings {
			if !s.sensitive[f.Finding.Detector] {
				continue
			}
			key := f.Finding.Entity + "\x00" + f.Finding.Excerpt
			if f.Finding.Start >= 0 && f.Finding.End <= len(m.Text) && f.Finding.Start < f.Finding.End && f.Decoded == "" {
				// Hash the raw value so it is not kept in memory longer than needed.
				sum := sha256.Sum256([]byte(m.Text[f.Finding.Start:f.Finding.End]))
				key = f.Finding.Entity + "\x00" + string(sum[:])
			}
			if !seen[key] {
				seen[key] = true
				entities[f.Finding.Entity] = true
				hit = true
			}
		}
		if hit {
			ids = append(ids, m.ID)
		}
	}
	if len(seen) < r.Count {
		return SessionFinding{}, false
	}
	ents := make([]string, 0, len(entities))
	for e := range entities {
		ents = append(ents, e)
	}
	sort.Strings(ents)
	return SessionFinding{MessageIDs: slices.Compact(ids), Count: len(seen), Tag: "Sensitive Data Accumulation",
		Detail: fmt.Sprintf("%d distinct sensitive values across the chat (%s)", len(seen), strings.Join(ents, ", "))}, true
}
