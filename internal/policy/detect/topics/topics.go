// Package topics registers the "topics" detector: texts about topics a
// policy bans, such as weapons, self-harm, politics or medical, legal and
// financial advice, scored from weighted keyword sets in topics.yaml.
//
// Keywords match case-insensitively at word boundaries with one
// Aho-Corasick pass. A topic's score is the sum of the weights of the
// distinct keywords found divided by the topic's saturation, capped at 1.
// Keyword sets are English only and see words, not meaning: a news summary
// and a how-to score alike.
package topics

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/coregx/ahocorasick"
	"gopkg.in/yaml.v3"

	"github.com/claudit/claudit/internal/policy/detect"
)

// ID is the registered detector id.
const ID = "topics"

//go:embed topics.yaml
var topicsYAML []byte

// Params are the policy parameters this detector reads; a policy with any
// other field, or a value of another type, fails validation.
type Params struct {
	Threshold float64  `yaml:"threshold"`
	Topics    []string `yaml:"topics"`
}

func init() {
	detect.RegisterParams(ID, Params{})
	detect.Register(ID, func(p detect.Params) (detect.Detector, error) { return New(p) })
}

// Topic is one keyword set.
type Topic struct {
	Saturation float64            `yaml:"saturation"`
	Keywords   map[string]float64 `yaml:"keywords"`
}

// ParseTopics reads a topics file and validates it.
func ParseTopics(data []byte) (map[string]Topic, error) {
	var doc struct {
		Topics map[string]Topic `yaml:"topics"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse topics: %w", err)
	}
	for name, t := range doc.Topics {
		if t.Saturation <= 0 || len(t.Keywords) == 0 {
			return nil, fmt.Errorf("parse topics: %s needs a positive saturation and keywords", name)
		}
		for k, w := range t.Keywords {
			if k == "" || k != strings.ToLower(k) || !(w > 0 && w <= 1) {
				return nil, fmt.Errorf("parse topics: %s: keyword %q needs lower case and a weight in (0,1]", name, k)
			}
		}
	}
	return doc.Topics, nil
}

type keyword struct {
	topic  int
	weight float64
}

// Detector scores the banned topics.
type Detector struct {
	names      []string
	saturation []float64
	patterns   []string
	keywords   []keyword
	ac         *ahocorasick.Automaton
	threshold  float64
}

// New builds the detector. Params:
//
//	topics     list, required: topics to flag (see topics.yaml for names)
//	threshold  float, default 0.5: minimum topic score to report
func New(p detect.Params) (*Detector, error) {
	all, err := ParseTopics(topicsYAML)
	if err != nil {
		return nil, err
	}
	d := &Detector{threshold: p.Float("threshold", 0.5)}
	if d.threshold <= 0 || d.threshold > 1 {
		return nil, fmt.Errorf("%s: threshold %v must be in (0,1]", ID, d.threshold)
	}
	want := p.Strings("topics")
	if len(want) == 0 {
		return nil, errors.New(ID + ": params need a topics list, e.g. topics: [weapons, self_harm]")
	}
	for _, name := range want {
		t, ok := all[name]
		if !ok {
			return nil, fmt.Errorf("%s: unknown topic %q; known: %s", ID, name, strings.Join(slices.Sorted(maps.Keys(all)), ", "))
		}
		if slices.Contains(d.names, name) {
			continue
		}
		idx := len(d.names)
		d.names = append(d.names, name)
		d.saturation = append(d.saturation, t.Saturation)
		for _, k := range slices.Sorted(maps.Keys(t.Keywords)) {
			d.patterns = append(d.patterns, k)
			d.keywords = append(d.keywords, keyword{topic: idx, weight: t.Keywords[k]})
		}
	}
	if d.ac, err = ahocorasick.NewBuilder().AddStrings(d.patterns).Build(); err != nil {
		return nil, fmt.Errorf("%s: build matcher: %w", ID, err)
	}
	return d, nil
}

// ID implements detect.Detector.
func (d *Detector) ID() string { return ID }

// Keywords implements detect.Detector with the selected topics' keywords.
func (d *Detector) Keywords() []string { return slices.Clone(d.patterns) }

// Detect implements detect.Detector: one finding per topic at or above the
// threshold, spanning that topic's heaviest keyword match.
func (d *Detector) Detect(ctx context.Context, in detect.Input) []detect.Finding {
	if ctx.Err() != nil || in.Text == "" {
		return nil
	}
	lower := lowerASCII(in.Text)
	sum := make([]float64, len(d.names))
	best := make([][3]float64, len(d.names)) // weight, start, end
	seen := make(map[int]bool)
	for _, m := range d.ac.FindAllOverlapping(lower) {
		if !atWordBoundaries(in.Text, m.Start, m.End) {
			continue
		}
		k := d.keywords[m.PatternID]
		if !seen[m.PatternID] {
			seen[m.PatternID] = true
			sum[k.topic] += k.weight
		}
		if k.weight > best[k.topic][0] {
			best[k.topic] = [3]float64{k.weight, float64(m.Start), float64(m.End)}
		}
	}
	var out []detect.Finding
	for i, name := range d.names {
		score := min(1, sum[i]/d.saturation[i])
		if score < d.threshold || score == 0 {
			continue
		}
		start, end := int(best[i][1]), int(best[i][2])
		out = append(out, detect.Finding{
			Detector: ID,
			Entity:   "TOPIC:" + name,
			Start:    start,
			End:      end,
			Score:    score,
			Excerpt:  detect.Excerpt(in.Text, start, end),
		})
	}
	return out
}

// lowerASCII lower-cases ASCII letters only, so byte offsets stay those of
// the original text.
func lowerASCII(s string) []byte {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return b
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_'
}

func atWordBoundaries(text string, start, end int) bool {
	if start > 0 {
		if r, _ := utf8.DecodeLastRuneInString(text[:start]); isWordRune(r) {
			return false
		}
	}
	if end < len(text) {
		if r, _ := utf8.DecodeRuneInString(text[end:]); isWordRune(r) {
			return false
		}
	}
	return true
}
