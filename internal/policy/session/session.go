// Package session holds the rules claudit evaluates over a whole chat
// (repeated attacks, escalation after refusals, sensitive data piling up),
// from the findings the text detectors made on its messages. Each rule is
// a small unit in its own file that registers itself with its typed
// parameters; package policy reads their settings from the policy file's
// session block and turns their hits into findings.
package session

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/claudit/claudit/internal/policy/detect"
)

// Message is one message of a chat with the findings made on it.
type Message struct {
	ID        string
	Role      detect.Role
	Text      string // optional: lets distinct sensitive values be told apart
	CreatedAt time.Time
	Findings  []Finding
}

// Finding is what a session rule reads of a message's finding.
type Finding struct {
	detect.Finding
	// Decoded is set when the finding was made in decoded content.
	Decoded string
}

// Chat is a chat's messages, in order, with what the rules share: which
// detectors' findings count as attacks and as sensitive data, and the
// refusal phrases.
type Chat struct {
	ID       string
	Messages []Message
	kinds    *Kinds
}

// Kinds says which detectors' findings count as attack attempts and which
// as sensitive data.
type Kinds struct {
	attack, sensitive map[string]bool
}

// NewKinds builds Kinds from detector ids.
func NewKinds(attack, sensitive []string) *Kinds {
	k := &Kinds{attack: map[string]bool{}, sensitive: map[string]bool{}}
	for _, d := range attack {
		k.attack[d] = true
	}
	for _, d := range sensitive {
		k.sensitive[d] = true
	}
	return k
}

// NewChat returns the chat id with its messages, judged by kinds.
func NewChat(id string, msgs []Message, kinds *Kinds) *Chat {
	return &Chat{ID: id, Messages: msgs, kinds: kinds}
}

// IsAttack reports whether m is a user message with an attack finding.
func (c *Chat) IsAttack(m *Message) bool {
	if m.Role != detect.RoleUser {
		return false
	}
	for _, f := range m.Findings {
		if c.kinds.attack[f.Detector] {
			return true
		}
	}
	return false
}

// IsSensitive reports whether f is a sensitive-data finding.
func (c *Chat) IsSensitive(f *Finding) bool { return c.kinds.sensitive[f.Detector] }

//go:embed data/refusals.txt
var refusalsTXT []byte

var refusals = sync.OnceValue(func() []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(refusalsTXT))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, normalizeApostrophes(strings.ToLower(l)))
		}
	}
	return out
})

func normalizeApostrophes(s string) string { return strings.ReplaceAll(s, "’", "'") }

// IsRefusal reports whether an assistant message reads as a refusal.
func IsRefusal(text string) bool {
	// Refusals are stated up front; only the opening is checked.
	if len(text) > 600 {
		text = text[:600]
	}
	t := normalizeApostrophes(strings.ToLower(text))
	for _, r := range refusals() {
		if strings.Contains(t, r) {
			return true
		}
	}
	return false
}

// Hit is what a rule found in a chat.
type Hit struct {
	MessageIDs []string
	Count      int
	Detail     string
}

// Limits are a rule's threshold: Count messages or values, within Window
// where the rule is windowed (zero means unbounded).
type Limits struct {
	Count  int
	Window time.Duration
}

// Check is a rule built from its settings: it looks at a whole chat. A
// rule reads the findings the text detectors made; a chat with no finding
// on any message gives no hit, whatever its texts (TestNoFindingsNoHit),
// so evaluation may skip reading such a chat's messages.
type Check func(c *Chat) (Hit, bool)

// Defaults are a rule's settings when the policy file leaves them out.
// Severity and Action take the policy file's values.
type Defaults struct {
	Enabled  bool
	Severity string
	Action   string
	Count    int
	Window   time.Duration
}

// Rule declares one session rule. P is its typed params: a struct whose
// yaml-tagged fields the rule's mapping in the policy file may set beside
// enabled, severity and the other common fields; struct{} when it has none.
type Rule[P any] struct {
	// Name is the rule's key in the session block; its findings carry
	// the policy "session.<Name>".
	Name string
	// Tag is added to a chat the rule fires on.
	Tag      string
	Defaults Defaults
	// Params are the default params.
	Params P
	// New builds the rule's check, or says what is wrong with p. It runs
	// when the policy file is loaded and once per policy version.
	New func(p P, lim Limits) (Check, error)
}

// Unit is a registered rule as package policy sees it, its params type
// erased.
type Unit struct {
	Name     string
	Tag      string
	Defaults Defaults
	// Params is the struct type of the rule's params.
	Params reflect.Type
	// DefaultParams is a value of type Params with the rule's defaults.
	DefaultParams any
	build         func(params any, lim Limits) (Check, error)
}

// Build builds the rule's check; params is a value of type u.Params, or
// nil for the defaults.
func (u Unit) Build(params any, lim Limits) (Check, error) {
	if params == nil {
		params = u.DefaultParams
	}
	if reflect.TypeOf(params) != u.Params {
		return nil, fmt.Errorf("session rule %s: params are %T, want %s", u.Name, params, u.Params)
	}
	return u.build(params, lim)
}

// rules holds the registered rules by name.
var rules = detect.NewRegistry[Unit]("session: rule")

// Register adds a rule; call it from the rule's init. A second rule of the
// same name panics.
func Register[P any](r Rule[P]) {
	t := reflect.TypeOf(r.Params)
	if r.Name == "" || r.New == nil || t == nil || t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("session: rule %q needs a name, a New function and a struct of params", r.Name))
	}
	rules.Add(r.Name, Unit{Name: r.Name, Tag: r.Tag, Defaults: r.Defaults, Params: t, DefaultParams: r.Params,
		build: func(p any, lim Limits) (Check, error) { return r.New(p.(P), lim) }})
}

// Lookup returns the rule registered under name.
func Lookup(name string) (Unit, bool) { return rules.Lookup(name) }

// Units returns every registered rule by name, the order they run in.
func Units() []Unit { return rules.Values() }
