// Package codeinjection registers the "code_injection" detector: shell, SQL
// and script text that runs remote code, destroys data, opens a reverse
// shell, injects SQL or script, or sends secrets off the machine. It looks at
// any role: an assistant suggesting `curl … | sh` matters as much as a user
// pasting it.
//
// Rules are weighted RE2 patterns with keyword prefilters in rules.yaml;
// each finding's entity says which family matched (REVERSE_SHELL,
// SQL_INJECTION, DATA_EXFILTRATION, …) and carries the noisy-OR score of all
// rules matched in the text.
package codeinjection

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/claudit/claudit/internal/policy/classifier"
	"github.com/claudit/claudit/internal/policy/detect"
)

// ID is the registered detector id.
const ID = "code_injection"

// DefaultEntity is used for rules that name no entity.
const DefaultEntity = "CODE_INJECTION"

//go:embed rules.yaml
var rulesYAML []byte

var rules = classifier.Loader(classifier.Spec{ID: ID, Rules: rulesYAML})

// Params are the policy parameters this detector reads; a policy with any
// other field, or a value of another type, fails validation.
type Params struct {
	Threshold float64 `yaml:"threshold"`
}

func init() {
	detect.RegisterParams(ID, Params{})
	detect.Register(ID, func(p detect.Params) (detect.Detector, error) { return New(p) })
}

// Detector matches the code-injection rules.
type Detector struct {
	rules     *classifier.RuleSet
	threshold float64
}

// New builds the detector. Params:
//
//	threshold  float, default 0.5: minimum combined score to report
func New(p detect.Params) (*Detector, error) {
	a, err := rules()
	if err != nil {
		return nil, err
	}
	d := &Detector{rules: a.Rules, threshold: p.Float("threshold", 0.5)}
	if d.threshold <= 0 || d.threshold > 1 {
		return nil, fmt.Errorf("%s: threshold %v must be in (0,1]", ID, d.threshold)
	}
	return d, nil
}

// ID implements detect.Detector.
func (d *Detector) ID() string { return ID }

// Keywords implements detect.Detector with the union of the rule keywords.
func (d *Detector) Keywords() []string { return d.rules.Keywords() }

// KeywordSets implements detect.KeywordUser with the rules' keywords.
func (d *Detector) KeywordSets() []*detect.KeywordSet {
	return []*detect.KeywordSet{d.rules.KeywordSet()}
}

// Detect implements detect.Detector.
func (d *Detector) Detect(ctx context.Context, in detect.Input) []detect.Finding {
	if ctx.Err() != nil || in.Text == "" {
		return nil
	}
	ms := d.rules.MatchInput(in)
	score := classifier.Combine(ms)
	if score < d.threshold {
		return nil
	}
	out := make([]detect.Finding, 0, len(ms))
	for _, m := range ms {
		entity := m.Rule.Entity
		if entity == "" {
			entity = DefaultEntity
		}
		out = append(out, detect.Finding{
			Detector: ID,
			Entity:   entity,
			Start:    m.Start,
			End:      m.End,
			Score:    score,
			Excerpt:  detect.Excerpt(in.Text, m.Start, m.End),
		})
	}
	return out
}
