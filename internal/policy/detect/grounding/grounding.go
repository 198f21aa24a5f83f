// Package grounding registers the experimental "grounding" detector: in
// assistant answers, checkable claims — URLs, numbers and quotations — that
// appear nowhere in a reference context given by the policy.
//
// Limits, plainly: the detector sees one message, not the conversation, so
// it cannot know what documents or tool results the answer drew on; it
// checks only against the fixed `context` text of the policy (say, the
// product facts a support bot must stick to). Matching is literal after
// light normalization: a correct paraphrase ("a third" for "33%"), a derived
// figure or a rounded number counts as unsupported, and a supported number
// used in a false sentence passes. Use it to sample answers for review, not
// to block them.
package grounding

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/claudit/claudit/internal/policy/detect"
)

// ID is the registered detector id.
const ID = "grounding"

// Claim kinds, used in the entity UNSUPPORTED_CLAIM:<kind>.
const (
	KindURL    = "url"
	KindNumber = "number"
	KindQuote  = "quote"
)

// Params are the policy parameters this detector reads; a policy with any
// other field, or a value of another type, fails validation.
type Params struct {
	Threshold float64  `yaml:"threshold"`
	MinClaims int      `yaml:"min_claims"`
	Context   []string `yaml:"context"`
	Roles     []string `yaml:"roles"`
}

func init() {
	detect.RegisterParams(ID, Params{})
	detect.Register(ID, func(p detect.Params) (detect.Detector, error) { return New(p) })
}

// Detector checks claims against a reference context.
type Detector struct {
	urls      map[string]bool
	numbers   map[string]bool
	text      string // normalized context, for quotations
	roles     map[detect.Role]bool
	minClaims int
	threshold float64
}

// New builds the detector. Params:
//
//	context     string or list of strings, required: the reference text
//	roles       list, default [assistant]: roles whose texts are checked
//	min_claims  int, default 2: texts with fewer checkable claims are skipped
//	threshold   float, default 0.5: minimum share of unsupported claims to report
func New(p detect.Params) (*Detector, error) {
	ctxText := strings.Join(p.Strings("context"), "\n")
	if strings.TrimSpace(ctxText) == "" {
		return nil, errors.New(ID + ": params need context, the reference text answers must be grounded in")
	}
	d := &Detector{
		urls:      map[string]bool{},
		numbers:   map[string]bool{},
		text:      normalizeText(ctxText),
		roles:     map[detect.Role]bool{},
		minClaims: p.Int("min_claims", 2),
		threshold: p.Float("threshold", 0.5),
	}
	if d.threshold <= 0 || d.threshold > 1 {
		return nil, fmt.Errorf("%s: threshold %v must be in (0,1]", ID, d.threshold)
	}
	roles := p.Strings("roles")
	if roles == nil {
		roles = []string{string(detect.RoleAssistant)}
	}
	for _, r := range roles {
		d.roles[detect.Role(r)] = true
	}
	for _, c := range Claims(ctxText) {
		switch c.Kind {
		case KindURL:
			d.urls[c.Key] = true
		case KindNumber:
			d.numbers[c.Key] = true
		}
	}
	return d, nil
}

// ID implements detect.Detector.
func (d *Detector) ID() string { return ID }

// Keywords implements detect.Detector; nil, since claims are found by shape.
func (d *Detector) Keywords() []string { return nil }

// Detect implements detect.Detector: one finding per unsupported claim, all
// carrying the share of unsupported claims as score.
func (d *Detector) Detect(ctx context.Context, in detect.Input) []detect.Finding {
	if ctx.Err() != nil || !d.roles[in.Role] {
		return nil
	}
	claims := Claims(in.Text)
	if len(claims) == 0 || len(claims) < d.minClaims {
		return nil
	}
	var unsupported []Claim
	for _, c := range claims {
		if !d.supported(c) {
			unsupported = append(unsupported, c)
		}
	}
	score := float64(len(unsupported)) / float64(len(claims))
	if len(unsupported) == 0 || score < d.threshold {
		return nil
	}
	out := make([]detect.Finding, len(unsupported))
	for i, c := range unsupported {
		out[i] = detect.Finding{
			Detector: ID,
			Entity:   "UNSUPPORTED_CLAIM:" + c.Kind,
			Start:    c.Start,
			End:      c.End,
			Score:    score,
			Excerpt:  detect.Excerpt(in.Text, c.Start, c.End),
		}
	}
	return out
}

func (d *Detector) supported(c Claim) bool {
	switch c.Kind {
	case KindURL:
		return d.urls[c.Key]
	case KindNumber:
		return d.numbers[c.Key]
	default:
		return strings.Contains(d.text, c.Key)
	}
}

// Claim is one checkable statement in a text.
type Claim struct {
	Kind string
	// Key is the normalized form compared with the context.
	Key        string
	Start, End int
}

var (
	urlRE    = regexp.MustCompile(`\bhttps?://[^\s<>()\[\]"'` + "`" + `]+`)
	numberRE = regexp.MustCompile(`(^|[^\w.,])(\d{1,3}(,\d{3})+(\.\d+)?|\d+(\.\d+)?)(\s?%)?`)
	quoteRE  = regexp.MustCompile(`"([^"\n]{12,300})"|“([^”\n]{12,300})”`)
)

// Claims extracts URLs, numbers (two or more digits, or with a decimal
// point or percent sign) and quotations of three or more words.
func Claims(text string) []Claim {
	var out []Claim
	urlSpans := urlRE.FindAllStringIndex(text, -1)
	for _, l := range urlSpans {
		u := strings.TrimRight(text[l[0]:l[1]], ".,;:!?")
		out = append(out, Claim{Kind: KindURL, Key: normalizeURL(u), Start: l[0], End: l[0] + len(u)})
	}
	inURL := func(i int) bool {
		for _, l := range urlSpans {
			if l[0] <= i && i < l[1] {
				return true
			}
		}
		return false
	}
	for _, m := range numberRE.FindAllStringSubmatchIndex(text, -1) {
		start, end := m[4], m[5]
		if m[12] >= 0 {
			end = m[13]
		}
		raw := text[start:end]
		if inURL(start) {
			continue
		}
		digits := strings.Count(raw, "") - 1 - strings.Count(raw, ",") - strings.Count(raw, ".")
		if digits < 2 && !strings.ContainsAny(raw, ".%") {
			continue
		}
		out = append(out, Claim{Kind: KindNumber, Key: normalizeNumber(raw), Start: start, End: end})
	}
	for _, m := range quoteRE.FindAllStringSubmatchIndex(text, -1) {
		s, e := m[2], m[3]
		if s < 0 {
			s, e = m[4], m[5]
		}
		q := normalizeText(text[s:e])
		if strings.Count(q, " ") < 2 {
			continue
		}
		out = append(out, Claim{Kind: KindQuote, Key: q, Start: m[0], End: m[1]})
	}
	return out
}

func normalizeURL(u string) string {
	u = strings.TrimRight(u, "/")
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		host, path, _ := strings.Cut(rest, "/")
		u = strings.ToLower(u[:i]) + "://" + strings.ToLower(host)
		if path != "" {
			u += "/" + path
		}
	}
	return u
}

func normalizeNumber(n string) string {
	n = strings.ReplaceAll(strings.ReplaceAll(n, ",", ""), " ", "")
	pct := strings.HasSuffix(n, "%")
	n = strings.TrimSuffix(n, "%")
	if strings.Contains(n, ".") {
		n = strings.TrimRight(strings.TrimRight(n, "0"), ".")
	}
	if pct {
		n += "%"
	}
	return n
}

func normalizeText(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}
