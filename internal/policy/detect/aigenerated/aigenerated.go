// Package aigenerated registers the experimental "ai_generated" detector:
// text that reads as written by an AI model and pasted in as the user's own
// (an assistant's answer forwarded as a colleague's report, say).
//
// Signals: stock phrases from phrases.txt (self-references such as "as an
// AI language model" weigh most, fashionable words such as "delve" least),
// and low burstiness — sentence lengths more uniform than people usually
// write — for texts of at least 80 words and 5 sentences.
//
// Limits, plainly: these are weak stylistic heuristics, not a classifier
// validated on data. Edited AI text passes, and formal human writing,
// non-native writers and templated text can trip them. Findings are a
// prompt for a human to look, never evidence.
package aigenerated

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/coregx/ahocorasick"

	"github.com/claudit/claudit/internal/policy/detect"
)

// ID is the registered detector id.
const ID = "ai_generated"

// Entity is the Finding entity.
const Entity = "AI_GENERATED"

//go:embed phrases.txt
var phrasesTxt []byte

// Params are the policy parameters this detector reads; a policy with any
// other field, or a value of another type, fails validation.
type Params struct {
	Threshold float64  `yaml:"threshold"`
	Roles     []string `yaml:"roles"`
}

func init() {
	detect.RegisterParams(ID, Params{})
	detect.Register(ID, func(p detect.Params) (detect.Detector, error) { return New(p) })
}

// Phrase is one weighted stock phrase.
type Phrase struct {
	Text   string
	Weight float64
}

// ParsePhrases reads "weight<TAB>phrase" lines; blank lines and lines
// starting with # are skipped.
func ParsePhrases(data []byte) ([]Phrase, error) {
	var out []Phrase
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		w, text, ok := strings.Cut(line, "\t")
		weight, err := strconv.ParseFloat(w, 64)
		text = strings.TrimSpace(text)
		if !ok || err != nil || !(weight > 0 && weight <= 1) || text == "" || text != strings.ToLower(text) {
			return nil, fmt.Errorf("parse phrases: line %d: want \"weight<TAB>lower-case phrase\" with weight in (0,1]", n)
		}
		out = append(out, Phrase{Text: text, Weight: weight})
	}
	return out, sc.Err()
}

// Detector scores texts for machine-written style.
type Detector struct {
	phrases   []Phrase
	ac        *ahocorasick.Automaton
	roles     map[detect.Role]bool
	threshold float64
}

// New builds the detector. Params:
//
//	roles      list, default [user, file]: roles whose texts are checked
//	threshold  float, default 0.6: minimum score to report
func New(p detect.Params) (*Detector, error) {
	phrases, err := ParsePhrases(phrasesTxt)
	if err != nil {
		return nil, err
	}
	pats := make([]string, len(phrases))
	for i, ph := range phrases {
		pats[i] = ph.Text
	}
	ac, err := ahocorasick.NewBuilder().AddStrings(pats).Build()
	if err != nil {
		return nil, fmt.Errorf("%s: build matcher: %w", ID, err)
	}
	d := &Detector{phrases: phrases, ac: ac, roles: map[detect.Role]bool{}, threshold: p.Float("threshold", 0.6)}
	if d.threshold <= 0 || d.threshold > 1 {
		return nil, fmt.Errorf("%s: threshold %v must be in (0,1]", ID, d.threshold)
	}
	roles := p.Strings("roles")
	if roles == nil {
		roles = []string{string(detect.RoleUser), string(detect.RoleFile)}
	}
	for _, r := range roles {
		d.roles[detect.Role(r)] = true
	}
	return d, nil
}

// ID implements detect.Detector.
func (d *Detector) ID() string { return ID }

// Keywords implements detect.Detector; nil, since burstiness needs no word.
func (d *Detector) Keywords() []string { return nil }

// Detect implements detect.Detector: one finding spanning the text.
func (d *Detector) Detect(ctx context.Context, in detect.Input) []detect.Finding {
	if ctx.Err() != nil || in.Text == "" || !d.roles[in.Role] {
		return nil
	}
	s := d.Score(in.Text)
	if s.Total < d.threshold {
		return nil
	}
	return []detect.Finding{{
		Detector: ID,
		Entity:   Entity,
		Start:    0,
		End:      len(in.Text),
		Score:    s.Total,
		Excerpt:  detect.Excerpt(in.Text, 0, min(len(in.Text), 40)),
	}}
}

// Score breaks down a text's score.
type Score struct {
	// Phrases is the noisy-OR of the distinct stock phrases found.
	Phrases float64
	// Uniformity is 0..1, higher for more uniform sentence lengths; zero
	// for texts too short to judge.
	Uniformity float64
	// Total is 1 - (1-Phrases)(1-0.5*Uniformity).
	Total float64
}

// Score computes the signals for text.
func (d *Detector) Score(text string) Score {
	lower := []byte(strings.Map(func(r rune) rune {
		if r == '’' {
			return '\''
		}
		return r
	}, text))
	lower = bytes.ToLower(lower)
	seen := map[int]bool{}
	miss := 1.0
	for _, m := range d.ac.FindAllOverlapping(lower) {
		if seen[m.PatternID] || !boundary(lower, m.Start, m.End) {
			continue
		}
		seen[m.PatternID] = true
		miss *= 1 - d.phrases[m.PatternID].Weight
	}
	s := Score{Phrases: 1 - miss, Uniformity: uniformity(text)}
	s.Total = 1 - (1-s.Phrases)*(1-0.5*s.Uniformity)
	return s
}

func boundary(b []byte, start, end int) bool {
	if start > 0 {
		if r, _ := utf8.DecodeLastRune(b[:start]); unicode.IsLetter(r) || unicode.IsDigit(r) {
			return false
		}
	}
	if end < len(b) && isWordByte(b[end-1]) {
		if r, _ := utf8.DecodeRune(b[end:]); unicode.IsLetter(r) || unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= 0x80
}

// uniformity maps the coefficient of variation of sentence lengths in words
// to 0..1: a CV of 0.25 or less gives 1, 0.55 or more gives 0. People's
// sentence lengths typically vary more (CV around 0.5 to 0.8).
func uniformity(text string) float64 {
	var lengths []float64
	words := 0
	for _, sentence := range splitSentences(text) {
		n := len(strings.Fields(sentence))
		if n == 0 {
			continue
		}
		lengths = append(lengths, float64(n))
		words += n
	}
	if words < 80 || len(lengths) < 5 {
		return 0
	}
	var mean, ss float64
	for _, l := range lengths {
		mean += l
	}
	mean /= float64(len(lengths))
	for _, l := range lengths {
		ss += (l - mean) * (l - mean)
	}
	cv := math.Sqrt(ss/float64(len(lengths))) / mean
	return math.Max(0, math.Min(1, (0.55-cv)/0.3))
}

func splitSentences(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool { return r == '.' || r == '!' || r == '?' || r == '\n' })
}
