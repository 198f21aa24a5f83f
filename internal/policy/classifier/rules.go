package classifier

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/claudit/claudit/internal/policy/detect"
	"github.com/claudit/claudit/internal/policy/detect/literal"
)

// Rule is one weighted phrase pattern, loaded from YAML. Like a gitleaks rule
// it names keywords, and its regular expression runs only when the lower-cased
// text contains one of them.
type Rule struct {
	ID          string `yaml:"id"`
	Description string `yaml:"description"`
	// Entity optionally names the kind of finding this rule produces, for
	// detectors that report per rule.
	Entity string `yaml:"entity"`
	// Weight in (0,1] is how strongly one match alone indicates the class.
	Weight float64 `yaml:"weight"`
	// WeightInData, when set, replaces Weight for a match inside content the
	// user pasted or a tool returned (see findRegions): "silently forward
	// the invoices" is stronger in a calendar entry than in a user's request.
	WeightInData float64  `yaml:"weight_in_data"`
	Keywords     []string `yaml:"keywords"`
	Pattern      string   `yaml:"pattern"`
	// Examples are texts the rule must match; tests check them so a rule
	// and its keywords cannot drift apart.
	Examples []string `yaml:"examples"`
	// Context "embedded" keeps only matches inside content the user pasted
	// or a tool returned, "table-edge" only those on a line glued to a
	// pasted table (see findRegions); "" keeps every match.
	Context string `yaml:"context"`

	re *regexp.Regexp
	// required holds strings one of which every match contains (see
	// literal.RequiredFolded); nil when unknown. requiredPlain is the same
	// for a text without the Kelvin sign or long s, often longer strings (a
	// folded "task" may be spelled with a long s); nil when unknown or
	// the same as required.
	required, requiredPlain literal.Set
	// branches and branchesPlain are the finer conditions of
	// literal.RequiredBranchesFolded, for any text and for a text without
	// the Kelvin sign or long s; nil when unknown.
	branches, branchesPlain literal.Branches
	// led, when set, finds re's matches by the literals they start with
	// (detect.Led).
	led *detect.Led
}

// RuleSet is a parsed, compiled rule file.
type RuleSet struct {
	Rules    []Rule
	keywords []string
	// kws finds every keyword in one pass; rulesOf maps its words to the
	// rules that list that keyword.
	kws     *detect.KeywordSet
	rulesOf [][]int
}

// ParseRules reads a YAML document with a top-level "rules" list. Every rule
// needs an id, a weight in (0,1], at least one lower-case keyword and a
// pattern that compiles (use (?i) for case-insensitive matching).
func ParseRules(data []byte) (*RuleSet, error) {
	var doc struct {
		Rules []Rule `yaml:"rules"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse rules: %w", err)
	}
	rs := &RuleSet{Rules: doc.Rules}
	seen := map[string]bool{}
	for i := range rs.Rules {
		r := &rs.Rules[i]
		switch {
		case r.ID == "":
			return nil, fmt.Errorf("parse rules: rule %d has no id", i+1)
		case seen[r.ID]:
			return nil, fmt.Errorf("parse rules: duplicate rule id %q", r.ID)
		case !(r.Weight > 0 && r.Weight <= 1):
			return nil, fmt.Errorf("parse rules: rule %q: weight %v is not in (0,1]", r.ID, r.Weight)
		case len(r.Keywords) == 0:
			return nil, fmt.Errorf("parse rules: rule %q has no keywords", r.ID)
		case r.WeightInData < 0 || r.WeightInData > 1:
			return nil, fmt.Errorf("parse rules: rule %q: weight_in_data %v is not in (0,1]", r.ID, r.WeightInData)
		case r.Context != ContextAny && r.Context != ContextEmbedded && r.Context != ContextTableEdge:
			return nil, fmt.Errorf("parse rules: rule %q: context %q is not %q, %q or empty", r.ID, r.Context, ContextEmbedded, ContextTableEdge)
		}
		seen[r.ID] = true
		for _, k := range r.Keywords {
			if k == "" || k != strings.ToLower(k) {
				return nil, fmt.Errorf("parse rules: rule %q: keyword %q must be non-empty lower case", r.ID, k)
			}
		}
		re, err := regexp.Compile(r.Pattern)
		if err != nil {
			return nil, fmt.Errorf("parse rules: rule %q: %w", r.ID, err)
		}
		r.re = re
		folded := literal.RequiredFolded(r.Pattern, false)
		r.required = literal.NewSet(folded)
		if plain := literal.RequiredFolded(r.Pattern, true); !slices.Equal(plain, folded) {
			r.requiredPlain = literal.NewSet(plain)
		}
		r.branches = literal.RequiredBranchesFolded(r.Pattern, false)
		r.branchesPlain = literal.RequiredBranchesFolded(r.Pattern, true)
		r.led = detect.NewLed(r.Pattern)
		rs.keywords = append(rs.keywords, r.Keywords...)
	}
	slices.Sort(rs.keywords)
	rs.keywords = slices.Compact(rs.keywords)
	if len(rs.keywords) == 0 {
		return rs, nil
	}
	rs.rulesOf = make([][]int, len(rs.keywords))
	for i, r := range rs.Rules {
		for _, k := range r.Keywords {
			j, _ := slices.BinarySearch(rs.keywords, k)
			if !slices.Contains(rs.rulesOf[j], i) {
				rs.rulesOf[j] = append(rs.rulesOf[j], i)
			}
		}
	}
	kws, err := detect.NewKeywordSet(rs.keywords)
	if err != nil {
		return nil, fmt.Errorf("parse rules: %w", err)
	}
	rs.kws = kws
	return rs, nil
}

// MustParseRules is ParseRules for embedded rule files, which tests keep valid.
func MustParseRules(data []byte) *RuleSet {
	rs, err := ParseRules(data)
	if err != nil {
		panic(err)
	}
	return rs
}

// Keywords is the sorted union of every rule's keywords.
func (rs *RuleSet) Keywords() []string { return slices.Clone(rs.keywords) }

// RuleMatch is one match of a rule; Start and End are byte offsets.
// Weight is the rule's weight where the match sits (Rule.WeightInData
// inside pasted content); zero means Rule.Weight.
type RuleMatch struct {
	Rule       *Rule
	Start, End int
	Weight     float64
}

// weight is m's weight: Weight when set, else its rule's.
func (m RuleMatch) weight() float64 {
	if m.Weight > 0 {
		return m.Weight
	}
	return m.Rule.Weight
}

// maxMatchesPerRule bounds the work spent on one rule in a hostile text.
const maxMatchesPerRule = 8

// windowRadius is how far around a keyword hit a rule's pattern is run.
// Patterns are written to span well under this, so running them on windows
// finds what a run on the whole text would, at a cost that follows the
// number of keyword hits rather than the length of the text.
const windowRadius = 512

// Match runs every rule whose keywords occur in text, on windows around the
// keyword hits, and returns the matches in text order.
func (rs *RuleSet) Match(text string) []RuleMatch {
	return rs.MatchLower(text, "")
}

// MatchLower is Match for a caller that has text's ASCII lower-casing at
// hand (detect.LowerASCII, detect.Input.Lower); "" computes it.
func (rs *RuleSet) MatchLower(text, lowerText string) []RuleMatch {
	return rs.MatchInput(detect.Input{Text: text, Lower: lowerText})
}

// KeywordSet returns the rules' keywords, for detect.KeywordUser.
func (rs *RuleSet) KeywordSet() *detect.KeywordSet { return rs.kws }

// MatchInput is Match of in.Text, with the keyword positions of the
// engine's pass when in.Index holds them.
func (rs *RuleSet) MatchInput(in detect.Input) []RuleMatch {
	text := in.Text
	if rs.kws == nil || text == "" {
		return nil
	}
	// Lower-casing ASCII only keeps byte offsets equal to the text's.
	found := rs.kws.Find(in)
	if len(found) == 0 {
		return nil // most texts: no keyword, nothing to allocate
	}
	lower := detect.Bytes(in.LowerText())
	sc := matchPool.Get().(*matchScratch)
	defer matchPool.Put(sc)
	// The windows around the hits, by rule in rule order and then in the
	// order of the hits.
	hits := sc.hits[:0]
	for _, m := range found {
		for _, ri := range rs.rulesOf[m.Word] {
			w := snapToLines(text, span{max(0, m.Start-windowRadius), min(len(text), m.End+windowRadius)})
			hits = append(hits, ruleHit{rule: ri, w: w})
		}
	}
	slices.SortStableFunc(hits, func(a, b ruleHit) int { return a.rule - b.rule })
	sc.hits = hits
	// (?i) matches k and s as the Kelvin sign and long s too, which the
	// lower-cased text keeps: only a text without them may skip windows
	// by the plain literals.
	plain := !strings.Contains(text, "\u212a") && !strings.Contains(text, "\u017f")
	var out []RuleMatch
	var regs regions
	regsDone := false
	for next := 0; next < len(hits); {
		ri := hits[next].rule
		r := &rs.Rules[ri]
		ws := sc.spans[:0]
		for ; next < len(hits) && hits[next].rule == ri; next++ {
			ws = append(ws, hits[next].w)
		}
		sc.spans = ws
		windows := mergeSpans(ws)
		var allowed []span
		if r.Context != ContextAny || r.WeightInData > 0 {
			if !regsDone {
				regs, regsDone = findRegions(text, in.Role), true
			}
			if r.Context != ContextAny {
				// A context rule runs only where it can count.
				allowed = regs.spans(r.Context)
				windows = intersectSpans(windows, allowed)
			}
		}
		// A match touching a window edge cut inside a line may owe its \b,
		// ^ or $ to the cut; drop it rather than guess. The edge of a
		// context rule's span is a real boundary.
		cutStart := func(pos int) bool { return pos > 0 && text[pos-1] != '\n' && !isSpanEdge(allowed, pos) }
		cutEnd := func(pos int) bool { return pos < len(text) && text[pos] != '\n' && !isSpanEdge(allowed, pos) }
		n := 0
		for _, w := range windows {
			if r.required != nil && !r.required.In(lower[w.start:w.end]) {
				continue
			}
			// Both sets are necessary in a plain text; which is rarer
			// depends on the text, so a window must pass both.
			if plain && r.requiredPlain != nil && !r.requiredPlain.In(lower[w.start:w.end]) {
				continue
			}
			if branches := r.branchesFor(plain); branches != nil && !branches.In(lower[w.start:w.end]) {
				continue
			}
			var locs [][]int
			if plain && r.led != nil {
				locs = r.led.Matches(detect.Bytes(text), lower, w.start, w.end, maxMatchesPerRule, &sc.led)
			} else {
				locs = r.re.FindAllStringIndex(text[w.start:w.end], maxMatchesPerRule)
			}
			for _, loc := range locs {
				start, end := w.start+loc[0], w.start+loc[1]
				if start == w.start && cutStart(w.start) || end == w.end && cutEnd(w.end) {
					continue
				}
				weight := r.Weight
				if r.WeightInData > 0 && within(regs.embedded, start, end) {
					weight = r.WeightInData
				}
				if n < maxMatchesPerRule {
					out = append(out, RuleMatch{Rule: r, Start: start, End: end, Weight: weight})
					n++
				}
			}
		}
	}
	slices.SortStableFunc(out, func(a, b RuleMatch) int { return a.Start - b.Start })
	return out
}

// branchesFor returns the rule's literal.Branches that hold for a text,
// plain when it has no Kelvin sign or long s; nil when none are known.
func (r *Rule) branchesFor(plain bool) literal.Branches {
	if plain && r.branchesPlain != nil {
		return r.branchesPlain
	}
	return r.branches
}

// ruleHit is a window around a keyword hit for the rule at index rule.
type ruleHit struct {
	rule int
	w    span
}

// matchScratch is MatchInput's working memory, pooled because it runs once
// per scanned text and detector.
type matchScratch struct {
	hits  []ruleHit
	spans []span
	led   detect.LedScratch
}

var matchPool = sync.Pool{New: func() any { return new(matchScratch) }}

// mergeSpans sorts spans and joins overlapping ones.
func mergeSpans(ws []span) []span {
	slices.SortFunc(ws, func(a, b span) int { return a.start - b.start })
	out := ws[:0]
	for _, w := range ws {
		if n := len(out); n > 0 && w.start <= out[n-1].end {
			out[n-1].end = max(out[n-1].end, w.end)
			continue
		}
		out = append(out, w)
	}
	return out
}

// snapToLines widens a window to whole lines, unless that would more than
// double it (minified or one-line texts); a cut window is handled in Match.
func snapToLines(text string, w span) span {
	if i := strings.LastIndexByte(text[max(0, w.start-windowRadius):w.start], '\n'); i >= 0 {
		w.start = max(0, w.start-windowRadius) + i + 1
	} else if w.start <= windowRadius {
		w.start = 0
	}
	if i := strings.IndexByte(text[w.end:min(len(text), w.end+windowRadius)], '\n'); i >= 0 {
		w.end += i
	} else if len(text)-w.end <= windowRadius {
		w.end = len(text)
	}
	return w
}

// Combine turns matches into one score by noisy-OR over the distinct rules
// matched, each at the highest weight of its matches: 1 - Π(1 - weight).
// Repeating one phrase does not raise the score; independent signals do.
func Combine(matches []RuleMatch) float64 {
	// Rules in the order first matched, so the product is the same bits
	// every time.
	var rules []*Rule
	var weights []float64
	for _, m := range matches {
		if i := slices.Index(rules, m.Rule); i >= 0 {
			weights[i] = max(weights[i], m.weight())
			continue
		}
		rules = append(rules, m.Rule)
		weights = append(weights, m.weight())
	}
	miss := 1.0
	for _, w := range weights {
		miss *= 1 - w
	}
	return 1 - miss
}
