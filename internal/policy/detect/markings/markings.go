// Package markings flags confidentiality and classification markings
// (detector id "markings"): a document headed "CONFIDENTIAL", a footer
// "Internal use only – do not distribute", "Attorney-client privileged",
// "TOP SECRET//NOFORN", an embargo line. Pasting or uploading a marked
// document into a chat is what data-loss programmes watch for first, and
// the marking says so more reliably than the content does.
//
// A marking counts when it is written as one: in capitals, on a line of its
// own (a header or footer), or as a label at the start of a line
// ("Confidential: …", "[Internal only]"). The same words in prose ("keep
// this confidential between us") score low and stay under the usual
// threshold.
package markings

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/claudit/claudit/internal/policy/detect"
)

// ID is the registered detector id.
const ID = "markings"

// Entities reported by this detector.
const (
	Confidential = "CONFIDENTIAL" // company confidential, internal only, do not distribute
	Privileged   = "PRIVILEGED"   // attorney-client privilege, work product
	Classified   = "CLASSIFIED"   // government classification
	Embargoed    = "EMBARGOED"    // embargoed or material non-public information
	Custom       = "CUSTOM"       // a marking from the markings param
)

// builtin are the markings, lower case, by entity. Longer phrases first
// within an entity only matters for the excerpt; overlaps are merged.
var builtin = []struct {
	entity  string
	phrases []string
}{
	{Classified, []string{"top secret", "noforn", "secret//", "classified//", "for official use only", "controlled unclassified information"}},
	{Privileged, []string{"attorney-client privileged", "attorney client privileged", "attorney-client privilege", "privileged and confidential", "privileged & confidential", "attorney work product"}},
	{Embargoed, []string{"embargoed until", "under embargo", "material non-public information", "material nonpublic information"}},
	{Confidential, []string{"strictly confidential", "company confidential", "confidential", "internal use only", "internal only", "for internal use", "do not distribute", "not for distribution", "do not forward", "proprietary and confidential"}},
}

// Scores by how the marking is written.
const (
	scoreMarked = 0.9 // capitals, or a line of its own
	scoreLabel  = 0.8 // a label opening a line: "Confidential:", "[Internal only]"
	scoreProse  = 0.3 // the words inside a sentence
)

// maxMarkingLine is the longest line still read as a header or footer.
const maxMarkingLine = 100

// Params are the policy parameters this detector reads; a policy with any
// other field, or a value of another type, fails validation.
type Params struct {
	// Markings are the organisation's own markings ("ACME RESTRICTED"),
	// matched like the built-in ones and reported as CUSTOM.
	Markings []string `yaml:"markings"`
	// Entities limits the report to these entities; empty means all.
	Entities []string `yaml:"entities"`
}

func init() {
	detect.RegisterParams(ID, Params{})
	detect.Register(ID, New)
}

type phrase struct {
	entity, text string
}

// Detector finds markings. It is safe for concurrent use.
type Detector struct {
	phrases  []phrase
	keywords []string
}

// New builds the detector from its params.
func New(p detect.Params) (detect.Detector, error) {
	want := map[string]bool{}
	for _, e := range p.Strings("entities") {
		want[strings.ToUpper(e)] = true
	}
	d := &Detector{}
	add := func(entity, text string) {
		if len(want) == 0 || want[entity] {
			d.phrases = append(d.phrases, phrase{entity, text})
			d.keywords = append(d.keywords, text)
		}
	}
	for _, g := range builtin {
		for _, t := range g.phrases {
			add(g.entity, t)
		}
	}
	for _, m := range p.Strings("markings") {
		m = strings.ToLower(strings.TrimSpace(m))
		if m == "" {
			return nil, fmt.Errorf("%s: markings: empty marking", ID)
		}
		add(Custom, m)
	}
	if len(d.phrases) == 0 {
		return nil, fmt.Errorf("%s: entities %v leave nothing to find", ID, p.Strings("entities"))
	}
	return d, nil
}

// ID implements detect.Detector.
func (d *Detector) ID() string { return ID }

// Keywords implements detect.Detector: a text without any marking's words
// is skipped by the engine.
func (d *Detector) Keywords() []string { return d.keywords }

// Detect implements detect.Detector.
func (d *Detector) Detect(ctx context.Context, in detect.Input) []detect.Finding {
	if ctx.Err() != nil || in.Text == "" {
		return nil
	}
	text, lower := in.Text, in.LowerText()
	var out []detect.Finding
	taken := func(s, e int) bool {
		for _, f := range out {
			if s < f.End && f.Start < e {
				return true
			}
		}
		return false
	}
	for _, p := range d.phrases {
		for off := 0; off < len(lower); {
			i := strings.Index(lower[off:], p.text)
			if i < 0 {
				break
			}
			s, e := off+i, off+i+len(p.text)
			off = e
			if !wordEdge(text, s, e) || taken(s, e) {
				continue
			}
			out = append(out, detect.Finding{Detector: ID, Entity: p.entity, Start: s, End: e,
				Score: score(text, s, e), Excerpt: detect.Excerpt(text, s, e), Source: detect.SourceRule})
			if len(out) >= 32 {
				return out
			}
		}
	}
	return out
}

// wordEdge reports whether text[s:e] starts and ends at word boundaries
// ("confidential" in "confidentiality" does not count). Phrases that end
// in punctuation ("secret//") need no boundary there.
func wordEdge(text string, s, e int) bool {
	if s > 0 {
		if r, _ := utf8.DecodeLastRuneInString(text[:s]); isWord(r) {
			return false
		}
	}
	if e < len(text) {
		last, _ := utf8.DecodeLastRuneInString(text[:e])
		if r, _ := utf8.DecodeRuneInString(text[e:]); isWord(r) && isWord(last) {
			return false
		}
	}
	return true
}

func isWord(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// score says how much text[s:e] is written as a marking.
func score(text string, s, e int) float64 {
	ls := strings.LastIndexByte(text[:s], '\n') + 1
	le := len(text)
	if i := strings.IndexByte(text[e:], '\n'); i >= 0 {
		le = e + i
	}
	line := strings.TrimSpace(text[ls:le])
	switch {
	case upper(text[s:e]):
		return scoreMarked
	case len(line) <= maxMarkingLine && len(line) <= (e-s)+40 && !strings.HasSuffix(line, "."):
		return scoreMarked // a header or footer line
	case labelAt(text[ls:s]) && labelAfter(text[e:le]):
		return scoreLabel
	}
	return scoreProse
}

// upper reports whether s has letters and all of them are capitals.
func upper(s string) bool {
	letters := false
	for _, r := range s {
		if unicode.IsLower(r) {
			return false
		}
		letters = letters || unicode.IsLetter(r)
	}
	return letters
}

// labelAt reports whether before (the line up to the marking) is only an
// opening bracket, star or dash, so the marking opens the line.
func labelAt(before string) bool {
	return strings.Trim(before, " \t[(*_-#>") == ""
}

// labelAfter reports whether the marking is closed as a label: by a colon,
// a closing bracket or a dash.
func labelAfter(after string) bool {
	after = strings.TrimLeft(after, " \t*_")
	return after != "" && strings.ContainsRune(":])-–—|", []rune(after)[0])
}
