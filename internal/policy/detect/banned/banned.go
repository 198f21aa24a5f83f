// Package banned registers the "banned_substrings" detector: a policy's list
// of forbidden strings (project code names, customer names, internal
// hostnames) matched in one pass with an Aho-Corasick automaton.
//
// Matching ignores case, diacritics, compatibility forms (full-width
// letters, ligatures) and all whitespace and invisible format characters, so
// "Projekt  Ｘ", "PROJEKT\nX" and "projektx" all match "Projekt X"; findings
// point at the original bytes. Removing whitespace makes the match tolerant
// of spaced-out evasion, at the cost that a short pattern can match across
// two words in "str" mode; use "word" mode for short patterns.
package banned

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/coregx/ahocorasick"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/claudit/claudit/internal/policy/detect"
)

// ID is the registered detector id.
const ID = "banned_substrings"

// Entity is the Finding entity.
const Entity = "BANNED_SUBSTRING"

// Params are the policy parameters this detector reads; a policy with any
// other field, or a value of another type, fails validation.
type Params struct {
	MatchType  string   `yaml:"match_type"`
	Substrings []string `yaml:"substrings"`
}

func init() {
	detect.RegisterParams(ID, Params{})
	detect.Register(ID, func(p detect.Params) (detect.Detector, error) { return New(p) })
}

// Detector finds banned substrings.
type Detector struct {
	ac       *ahocorasick.Automaton
	wordMode bool
}

// New builds the detector. Params:
//
//	substrings  list, required: the banned strings
//	match_type  "str" (default): anywhere, even inside a word;
//	            "word": only where the match starts and ends at word boundaries
func New(p detect.Params) (*Detector, error) {
	var d Detector
	switch mt := p.String("match_type", "str"); mt {
	case "str":
	case "word":
		d.wordMode = true
	default:
		return nil, fmt.Errorf("%s: match_type %q must be \"str\" or \"word\"", ID, mt)
	}
	var patterns []string
	seen := map[string]bool{}
	for _, s := range p.Strings("substrings") {
		n, _ := normalize(s)
		if n == "" {
			return nil, fmt.Errorf("%s: substring %q is empty after removing case, accents and spaces", ID, s)
		}
		if !seen[n] {
			seen[n] = true
			patterns = append(patterns, n)
		}
	}
	if len(patterns) == 0 {
		return nil, errors.New(ID + ": params need a non-empty substrings list")
	}
	ac, err := ahocorasick.NewBuilder().AddStrings(patterns).Build()
	if err != nil {
		return nil, fmt.Errorf("%s: build matcher: %w", ID, err)
	}
	d.ac = ac
	return &d, nil
}

// ID implements detect.Detector.
func (d *Detector) ID() string { return ID }

// Keywords implements detect.Detector. It returns nil: accents, case and
// whitespace variants defeat a plain substring prefilter, and the automaton
// is itself a single fast pass.
func (d *Detector) Keywords() []string { return nil }

// Detect implements detect.Detector; each match is one finding with score 1.
func (d *Detector) Detect(ctx context.Context, in detect.Input) []detect.Finding {
	if ctx.Err() != nil || in.Text == "" {
		return nil
	}
	var out []detect.Finding
	for _, sp := range d.spans(in.Text) {
		out = append(out, detect.Finding{
			Detector: ID,
			Entity:   Entity,
			Start:    sp.start,
			End:      sp.end,
			Score:    1,
			Excerpt:  detect.Excerpt(in.Text, sp.start, sp.end),
		})
	}
	return out
}

// spans returns the leftmost-longest non-overlapping matches as original
// byte spans. It takes every overlapping match from the automaton and
// selects itself, so a longer pattern rejected in word mode does not hide a
// shorter one at the same place. (The library's own leftmost Find in
// v0.3.1 skips matches; its overlapping search is exact, see the tests.)
func (d *Detector) spans(text string) []span {
	normText, offs := normalize(text)
	var cands []span
	for _, m := range d.ac.FindAllOverlapping([]byte(normText)) {
		sp := span{offs[m.Start].start, offs[m.End-1].end}
		// Take along combining marks that normalization dropped after the match.
		for sp.end < len(text) {
			r, n := utf8.DecodeRuneInString(text[sp.end:])
			if !unicode.Is(unicode.Mn, r) {
				break
			}
			sp.end += n
		}
		if d.wordMode && !atWordBoundaries(text, sp.start, sp.end) {
			continue
		}
		cands = append(cands, sp)
	}
	slices.SortFunc(cands, func(a, b span) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return b.end - a.end
	})
	var out []span
	for _, c := range cands {
		if len(out) > 0 && c.start < out[len(out)-1].end {
			continue
		}
		out = append(out, c)
	}
	return out
}

// span is the original byte range that one normalized byte came from.
type span struct{ start, end int }

var fold = cases.Fold()

// normalize folds case, strips diacritics and compatibility forms and drops
// whitespace and format characters. offs[i] is the original span of the
// rune that produced normalized byte i.
func normalize(s string) (string, []span) {
	var b strings.Builder
	b.Grow(len(s))
	offs := make([]span, 0, len(s))
	emit := func(r rune, sp span) {
		n := b.Len()
		b.WriteRune(r)
		for range b.Len() - n {
			offs = append(offs, sp)
		}
	}
	for i, r := range s {
		sp := span{i, i + utf8.RuneLen(r)}
		if r == utf8.RuneError {
			sp.end = i + 1
		}
		if r < utf8.RuneSelf {
			switch {
			case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f':
			case 'A' <= r && r <= 'Z':
				emit(r+'a'-'A', sp)
			default:
				emit(r, sp)
			}
			continue
		}
		if unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			continue
		}
		for _, c := range fold.String(norm.NFKD.String(string(r))) {
			if unicode.Is(unicode.Mn, c) || unicode.IsSpace(c) {
				continue
			}
			emit(c, sp)
		}
	}
	return b.String(), offs
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_'
}

// atWordBoundaries reports whether text[start:end] neither continues a word
// on the left nor on the right.
func atWordBoundaries(text string, start, end int) bool {
	if start > 0 {
		r, _ := utf8.DecodeLastRuneInString(text[:start])
		first, _ := utf8.DecodeRuneInString(text[start:])
		if isWordRune(r) && isWordRune(first) {
			return false
		}
	}
	if end < len(text) {
		r, _ := utf8.DecodeRuneInString(text[end:])
		last, _ := utf8.DecodeLastRuneInString(text[:end])
		if isWordRune(r) && isWordRune(last) {
			return false
		}
	}
	return true
}
