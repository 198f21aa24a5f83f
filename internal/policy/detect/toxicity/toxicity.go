// Package toxicity registers two lexicon detectors: "toxicity" (profanity,
// insults, identity attacks and threats) and "sexual" (sexually explicit
// language, and sexual terms near words for children).
//
// Both match embedded word lists (data/*.yaml) as whole words after
// normalizing case, diacritics, leetspeak ("1d10t"), elongation ("iiidiot"),
// masks ("f*ck") and spelled-out words ("f.u.c.k"), plus phrase patterns for
// threats and directed insults. A text's score is the noisy-OR of its match
// weights scaled by their density, so one mild swear word in a long text
// stays low while a short abusive message scores high.
//
// A lexicon cannot see context: quoting, reclaimed use, fiction and
// moderation discussions all match. Treat findings as triage signals.
package toxicity

import (
	"context"
	"embed"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/claudit/claudit/internal/policy/classifier"
	"github.com/claudit/claudit/internal/policy/classifier/gate"
	"github.com/claudit/claudit/internal/policy/detect"
)

// IDs of the two registered detectors.
const (
	ToxicityID = "toxicity"
	SexualID   = "sexual"
)

var (
	//go:embed data/toxicity.yaml
	toxicityData []byte
	//go:embed data/sexual.yaml
	sexualData []byte
	// The model folder always holds a README, so the embed works without
	// trained models.
	//
	//go:embed model
	modelFiles embed.FS
)

// ModelEntity is the entity of a finding that only the trained model
// raised, where no word of the lexicon says which kind of toxicity it is.
var modelEntity = map[string]string{ToxicityID: "TOXICITY", SexualID: "SEXUAL"}

// models loads each detector's embedded model once; nil when absent.
var models = map[string]func() (*classifier.Model, error){
	ToxicityID: sync.OnceValues(func() (*classifier.Model, error) { return classifier.LoadModel(modelFiles, "model/toxicity.bin") }),
	SexualID:   sync.OnceValues(func() (*classifier.Model, error) { return classifier.LoadModel(modelFiles, "model/sexual.bin") }),
}

// Params are the policy parameters the toxicity and sexual detectors read;
// a policy with any other field, or a value of another type, fails
// validation.
type Params struct {
	Threshold  float64  `yaml:"threshold"`
	UseModel   bool     `yaml:"use_model"`
	Entities   []string `yaml:"entities"`
	AllowWords []string `yaml:"allow_words"`
}

func init() {
	detect.RegisterParams(ToxicityID, Params{})
	detect.RegisterParams(SexualID, Params{})
	detect.Register(ToxicityID, func(p detect.Params) (detect.Detector, error) { return newEmbedded(ToxicityID, toxicityData, p) })
	detect.Register(SexualID, func(p detect.Params) (detect.Detector, error) { return newEmbedded(SexualID, sexualData, p) })
}

func newEmbedded(id string, lexicon []byte, p detect.Params) (*Detector, error) {
	d, err := New(id, lexicon, p)
	if err != nil {
		return nil, err
	}
	if !p.Bool("use_model", true) {
		return d, nil
	}
	m, err := models[id]()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	d.model = m
	if d.gate, err = gate.Load(); err != nil {
		return nil, fmt.Errorf("%s: gate: %w", id, err)
	}
	return d, nil
}

// modelWindow is the window the models score, in bytes: toxic and sexual
// training texts are short (a median of 60 to 160 characters, nine in ten
// under 450), and one insult inside a long message must not be diluted by
// the rest of it.
const modelWindow = 256

// tokensKey memoizes a text's tokens for the two lexicon detectors.
var tokensKey = new(int)

// Detector scores text against one lexicon.
type Detector struct {
	id        string
	lex       *Lexicon
	threshold float64
	entities  map[string]bool
	allow     map[string]bool
	// model is the trained classifier combined with the lexicon; nil for
	// the lexicon alone.
	model *classifier.Model
	// gate decides which windows the model scores; see classifier.Gate.
	gate *classifier.Gate
}

// HasModel reports whether a trained model scores alongside the lexicon.
func (d *Detector) HasModel() bool { return d.model != nil }

// New builds a lexicon detector. Params:
//
//	threshold    float, default 0.5: minimum text score to report
//	entities     list, default all: entities to report, e.g. [THREAT, IDENTITY_ATTACK]
//	allow_words  list: words never to count, e.g. a product name
//	use_model    bool, default true: combine the embedded model's score
func New(id string, lexicon []byte, p detect.Params) (*Detector, error) {
	lex, err := ParseLexicon(lexicon)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	d := &Detector{id: id, lex: lex, threshold: p.Float("threshold", 0.5)}
	if d.threshold <= 0 || d.threshold > 1 {
		return nil, fmt.Errorf("%s: threshold %v must be in (0,1]", id, d.threshold)
	}
	if es := p.Strings("entities"); len(es) > 0 {
		d.entities = map[string]bool{}
		for _, e := range es {
			d.entities[strings.ToUpper(e)] = true
		}
	}
	if ws := p.Strings("allow_words"); len(ws) > 0 {
		d.allow = map[string]bool{}
		for _, w := range ws {
			d.allow[normalizePhrase(w)] = true
		}
	}
	return d, nil
}

// ID implements detect.Detector.
func (d *Detector) ID() string { return d.id }

// Keywords implements detect.Detector. It returns nil: leetspeak and masked
// spellings defeat a plain substring prefilter, and tokenizing is cheap.
func (d *Detector) Keywords() []string { return nil }

// Detect implements detect.Detector. Every finding carries the score of the
// whole text.
func (d *Detector) Detect(ctx context.Context, in detect.Input) []detect.Finding {
	if ctx.Err() != nil || in.Text == "" {
		return nil
	}
	tx := detect.Memoize(in, tokensKey, func() *tokenized {
		tx := tokenizedPool.Get().(*tokenized)
		tx.toks = tokenizeInto(tx.toks[:0], in.Text, in.LowerText())
		if tx.release == nil {
			tx.release = tx.recycle
		}
		in.Memo.OnRelease(tx.release)
		return tx
	})
	var guarded [][2]int
	ms, words := d.lex.matchText(tx, d.allow, &guarded)
	kept := ms[:0]
	for _, m := range ms {
		if d.entities != nil && !d.entities[m.entity] {
			continue
		}
		kept = append(kept, m)
	}
	score, firm := scores(kept, words)
	// Without the model (none embedded, use_model off, or its entity not
	// wanted) the lexicon's score stands alone.
	var modelScore float64
	var mStart, mEnd int
	combined := score
	if firm > 0 {
		combined = 1 - (1-score)*(1-firm)
	}
	if d.model != nil && (d.entities == nil || d.entities[modelEntity[d.id]]) {
		modelIn := in
		if len(guarded) > 0 {
			// The model reads the text without the words the term guard
			// found reclaimed, named or in their other sense, as in training.
			// Its own memo lets the gate and the windows share their work
			// on that text, as the engine's memo does on the message's.
			memo := &detect.Memo{}
			defer memo.Release()
			modelIn = detect.Input{Text: maskSpans(in.Text, guarded), Role: in.Role, Memo: memo}
		}
		modelScore, mStart, mEnd = d.model.ScoreGated(modelIn, modelWindow, 64, d.gate)
		combined = d.model.CombineFirm(score, firm, modelScore)
	}
	if combined < d.threshold {
		return nil
	}
	finding := func(entity string, start, end int, source string) detect.Finding {
		return detect.Finding{Detector: d.id, Entity: entity, Start: start, End: end, Score: combined,
			Excerpt: detect.Excerpt(in.Text, start, end), Source: source}
	}
	out := make([]detect.Finding, 0, len(kept)+1)
	for _, m := range kept {
		out = append(out, finding(m.entity, m.start, m.end, detect.SourceRule))
	}
	if len(out) == 0 {
		out = append(out, finding(modelEntity[d.id], mStart, mEnd, detect.SourceModel))
	}
	return out
}

// RuleScores returns the lexicon's score of in.Text in two parts: the
// score the model's rule power tempers, and that of firm phrases (explicit
// threats), which it does not. tools/train places the operating point on
// the same split.
func (d *Detector) RuleScores(in detect.Input) (tempered, firm float64) {
	tx := &tokenized{toks: tokenizeInto(nil, in.Text, in.LowerText())}
	ms, words := d.lex.matchText(tx, d.allow, nil)
	kept := ms[:0]
	for _, m := range ms {
		if d.entities == nil || d.entities[m.entity] {
			kept = append(kept, m)
		}
	}
	return scores(kept, words)
}

// ModelText is the text the detector's model reads for text: text with
// the words its lexicon's term guard drops (a slur reclaimed, quoted or in
// its other sense) blanked out, so the model does not learn them as abuse
// where the lexicon knows better. tools/train fits the model on it.
func (d *Detector) ModelText(text string) string {
	var guarded [][2]int
	d.lex.matchText(&tokenized{toks: tokenizeInto(nil, text, detect.LowerASCII(text))}, d.allow, &guarded)
	if len(guarded) == 0 {
		return text
	}
	return maskSpans(text, guarded)
}

// maskSpans returns text with the bytes of spans replaced by spaces.
func maskSpans(text string, spans [][2]int) string {
	b := []byte(text)
	for _, sp := range spans {
		for i := sp[0]; i < sp[1]; i++ {
			b[i] = ' '
		}
	}
	return string(b)
}

// scores is Score of the matches from terms and plain phrases, with the
// density of all matches, and the noisy-OR of those from firm phrases,
// which density does not scale: an explicit threat is one in a long
// message too.
func scores(ms []match, words int) (soft, firm float64) {
	if len(ms) == 0 || words == 0 {
		return 0, 0
	}
	missSoft, missFirm := 1.0, 1.0
	for _, m := range ms {
		if m.firm {
			missFirm *= 1 - m.weight
		} else {
			missSoft *= 1 - m.weight
		}
	}
	density := 0.6 + 0.4*math.Min(1, 5*float64(len(ms))/float64(words))
	return (1 - missSoft) * density, 1 - missFirm
}

// Score combines match weights by noisy-OR, scaled by density: the factor
// runs from 0.6 for a lone hit in a long text to 1 when at least one word in
// five is a hit.
func Score(ms []match, words int) float64 {
	if len(ms) == 0 || words == 0 {
		return 0
	}
	miss := 1.0
	for _, m := range ms {
		miss *= 1 - m.weight
	}
	density := math.Min(1, 5*float64(len(ms))/float64(words))
	return (1 - miss) * (0.6 + 0.4*density)
}
