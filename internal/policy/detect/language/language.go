// Package language registers the "language" detector: texts written in a
// language the policy does not allow, identified with whatlanggo (trigram
// profiles for 84 languages, pure Go, no model files).
//
// Code blocks and URLs are removed before identification, and texts with
// fewer letters than min_letters are skipped, since short texts are
// identified unreliably. Only the dominant language of a text is found; a
// German sentence inside a long English message goes unnoticed.
package language

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/abadojack/whatlanggo"

	"github.com/claudit/claudit/internal/policy/detect"
)

// ID is the registered detector id.
const ID = "language"

// Params are the policy parameters this detector reads; a policy with any
// other field, or a value of another type, fails validation.
type Params struct {
	MinConfidence float64  `yaml:"min_confidence"`
	Allow         []string `yaml:"allow"`
	Deny          []string `yaml:"deny"`
}

func init() {
	detect.RegisterParams(ID, Params{})
	detect.Register(ID, func(p detect.Params) (detect.Detector, error) { return New(p) })
}

// Detector flags texts in disallowed languages.
type Detector struct {
	allow, deny   map[string]bool
	minLetters    int
	minConfidence float64
}

// known maps ISO 639-1 codes (and ISO 639-3 codes for languages without
// one) to whatlanggo languages.
var known = func() map[string]whatlanggo.Lang {
	m := map[string]whatlanggo.Lang{}
	for l := range whatlanggo.Langs {
		m[code(l)] = l
	}
	return m
}()

func code(l whatlanggo.Lang) string {
	if c := l.Iso6391(); c != "" {
		return c
	}
	return l.Iso6393()
}

// New builds the detector. Params:
//
//	allow           list of ISO 639-1 codes; other languages are flagged
//	deny            list of ISO 639-1 codes to flag
//	min_letters     int, default 40: shorter texts are skipped
//	min_confidence  float, default 0.2: less certain identifications are skipped
//	                (whatlanggo's confidence is the margin over the runner-up, so
//	                close relatives such as ru/uk/bg score low even when right)
//
// One of allow or deny is required.
func New(p detect.Params) (*Detector, error) {
	d := &Detector{minLetters: p.Int("min_letters", 40), minConfidence: p.Float("min_confidence", 0.2)}
	var err error
	if d.allow, err = codes(p.Strings("allow")); err != nil {
		return nil, err
	}
	if d.deny, err = codes(p.Strings("deny")); err != nil {
		return nil, err
	}
	if len(d.allow) == 0 && len(d.deny) == 0 {
		return nil, errors.New(ID + ": params need allow or deny, e.g. allow: [en, de]")
	}
	return d, nil
}

func codes(list []string) (map[string]bool, error) {
	if len(list) == 0 {
		return nil, nil
	}
	m := map[string]bool{}
	for _, c := range list {
		c = strings.ToLower(strings.TrimSpace(c))
		if _, ok := known[c]; !ok {
			return nil, fmt.Errorf("%s: unknown language code %q; use ISO 639-1 codes such as en, de, fr", ID, c)
		}
		m[c] = true
	}
	return m, nil
}

// ID implements detect.Detector.
func (d *Detector) ID() string { return ID }

// Keywords implements detect.Detector; nil, since any text can be in any
// language.
func (d *Detector) Keywords() []string { return nil }

var (
	fencedCode = regexp.MustCompile("(?s)```.*?(```|$)")
	inlineCode = regexp.MustCompile("`[^`\n]*`")
	urls       = regexp.MustCompile(`\b(https?|ftp)://\S+|\b[\w.+-]+@[\w-]+\.[\w.-]+`)
)

// Prose returns text without code, URLs and e-mail addresses, and the number
// of letters left.
func Prose(text string) (string, int) {
	t := fencedCode.ReplaceAllString(text, " ")
	t = inlineCode.ReplaceAllString(t, " ")
	t = urls.ReplaceAllString(t, " ")
	letters := 0
	for _, r := range t {
		if unicode.IsLetter(r) {
			letters++
		}
	}
	return t, letters
}

// Detect implements detect.Detector: one finding spanning the whole text,
// entity LANGUAGE:<code>, score the identification confidence.
func (d *Detector) Detect(ctx context.Context, in detect.Input) []detect.Finding {
	if ctx.Err() != nil {
		return nil
	}
	prose, letters := Prose(in.Text)
	if letters < d.minLetters {
		return nil
	}
	info := whatlanggo.Detect(prose)
	if info.Confidence < d.minConfidence {
		return nil
	}
	c := code(info.Lang)
	if c == "" || !d.flagged(c) {
		return nil
	}
	return []detect.Finding{{
		Detector: ID,
		Entity:   "LANGUAGE:" + c,
		Start:    0,
		End:      len(in.Text),
		Score:    info.Confidence,
		Excerpt:  detect.Excerpt(in.Text, 0, min(len(in.Text), 40)),
	}}
}

func (d *Detector) flagged(c string) bool {
	if d.deny[c] {
		return true
	}
	return d.allow != nil && !d.allow[c]
}
