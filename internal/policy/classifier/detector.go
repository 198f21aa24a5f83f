package classifier

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"

	"github.com/claudit/claudit/internal/policy/detect"
)

// Spec describes a detector built from embedded phrase rules and an optional
// embedded model; the injection and jailbreak packages each declare one.
type Spec struct {
	// ID is the registered detector id, Entity the Finding entity.
	ID, Entity string
	// Rules is the YAML rule file.
	Rules []byte
	// Files holds the optional model file at ModelPath; a missing file means
	// heuristics only.
	Files     fs.FS
	ModelPath string
	// Gate, when set, loads the gate in front of the model; see Gate.
	Gate func() (*Gate, error)
	// Short, when set, loads the terms that let the model score a short
	// text; see ShortText.
	Short func() (*ShortText, error)
}

// Assets are the parsed rules and model of a Spec, loaded once per process.
type Assets struct {
	Rules *RuleSet
	Model *Model
	Gate  *Gate
	Short *ShortText
}

// LoadAssets parses spec's rules and model. Use it with sync.OnceValues so
// every detector instance shares the read-only result.
func LoadAssets(spec Spec) (Assets, error) {
	rs, err := ParseRules(spec.Rules)
	if err != nil {
		return Assets{}, fmt.Errorf("%s: %w", spec.ID, err)
	}
	a := Assets{Rules: rs}
	if spec.Files == nil || spec.ModelPath == "" {
		return a, nil
	}
	if a.Model, err = LoadModel(spec.Files, spec.ModelPath); err != nil {
		return Assets{}, fmt.Errorf("%s: %w", spec.ID, err)
	}
	if spec.Gate != nil && a.Model != nil {
		if a.Gate, err = spec.Gate(); err != nil {
			return Assets{}, fmt.Errorf("%s: gate: %w", spec.ID, err)
		}
	}
	if spec.Short != nil && a.Model != nil {
		if a.Short, err = spec.Short(); err != nil {
			return Assets{}, fmt.Errorf("%s: %w", spec.ID, err)
		}
	}
	return a, nil
}

// LoadModel reads and decodes the model file at path in fsys; a missing
// file is no error and gives a nil model, for detectors that then run on
// their rules alone.
func LoadModel(fsys fs.FS, path string) (*Model, error) {
	b, err := fs.ReadFile(fsys, path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	m, err := UnmarshalModel(b)
	if err != nil {
		return nil, err
	}
	shareModel(m)
	return m, nil
}

// Loader returns a function that loads spec's assets on first use and then
// returns the same result.
func Loader(spec Spec) func() (Assets, error) {
	return sync.OnceValues(func() (Assets, error) { return LoadAssets(spec) })
}

// HybridDetector is a detect.Detector that flags text whose Hybrid score
// reaches a threshold. Params:
//
//	threshold    float, default 0.5: minimum combined score to report
//	use_model    bool, default true: score with the embedded model if any
//	max_windows  int, default 16: model windows of 2 KiB scored per text
type HybridDetector struct {
	id, entity string
	hybrid     Hybrid
	threshold  float64
	useModel   bool
}

// NewHybridDetector builds a detector from loaded assets and policy params.
func NewHybridDetector(spec Spec, assets Assets, p detect.Params) (*HybridDetector, error) {
	d := &HybridDetector{
		id:        spec.ID,
		entity:    spec.Entity,
		hybrid:    Hybrid{Rules: assets.Rules, Model: assets.Model, Gate: assets.Gate, Short: assets.Short, Window: DefaultWindow, MaxWindows: p.Int("max_windows", 16)},
		threshold: p.Float("threshold", 0.5),
		useModel:  p.Bool("use_model", true),
	}
	if d.threshold <= 0 || d.threshold > 1 {
		return nil, fmt.Errorf("%s: threshold %v must be in (0,1]", spec.ID, d.threshold)
	}
	if d.hybrid.MaxWindows < 1 {
		return nil, fmt.Errorf("%s: max_windows must be at least 1", spec.ID)
	}
	return d, nil
}

// ID implements detect.Detector.
func (d *HybridDetector) ID() string { return d.id }

// Keywords implements detect.Detector: the rule keywords, or nil when a model
// is in use because it may flag texts without any keyword.
func (d *HybridDetector) Keywords() []string { return d.hybrid.Keywords(d.useModel) }

// KeywordSets implements detect.KeywordUser with the rules' keywords.
func (d *HybridDetector) KeywordSets() []*detect.KeywordSet {
	if d.hybrid.Rules == nil {
		return nil
	}
	return []*detect.KeywordSet{d.hybrid.Rules.KeywordSet()}
}

// HasModel reports whether a trained model is scoring alongside the rules.
func (d *HybridDetector) HasModel() bool { return d.useModel && d.hybrid.Model != nil }

// Detect implements detect.Detector. Every finding carries the combined
// score of the whole text: one per rule match, plus the best model window
// when the model alone reaches the threshold.
func (d *HybridDetector) Detect(ctx context.Context, in detect.Input) []detect.Finding {
	if ctx.Err() != nil || in.Text == "" {
		return nil
	}
	a := d.hybrid.assess(in, d.useModel)
	if a.Score < d.threshold {
		return nil
	}
	out := make([]detect.Finding, 0, len(a.Matches)+1)
	for _, m := range a.Matches {
		out = append(out, d.finding(in.Text, m.Start, m.End, a.Score, detect.SourceRule))
	}
	if a.ModelScore >= d.threshold || len(out) == 0 {
		out = append(out, d.finding(in.Text, a.ModelStart, a.ModelEnd, a.Score, detect.SourceModel))
	}
	return out
}

func (d *HybridDetector) finding(text string, start, end int, score float64, source string) detect.Finding {
	return detect.Finding{
		Detector: d.id,
		Entity:   d.entity,
		Start:    start,
		End:      end,
		Score:    score,
		Excerpt:  detect.Excerpt(text, start, end),
		Source:   source,
	}
}
