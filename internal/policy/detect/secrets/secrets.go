// Package secrets detects credentials in chat text (detector id "secrets").
//
// The rule set is gitleaks' own default configuration (the gitleaks.toml
// embedded in github.com/zricethezav/gitleaks/v8/config), loaded and compiled
// once, so provider token formats stay current by bumping that module rather
// than by hand-copying regexes. claudit runs the rules itself instead of
// through gitleaks' detect.Detector, because that type accumulates findings
// across calls and reports line/column positions; the per-rule logic is the
// same: keyword prefilter (Aho-Corasick), regex, secret group, minimum Shannon
// entropy, then the global and rule allowlists (regexes and stop words).
//
// On top of gitleaks, data/rules.yaml adds what shows up in chats more than in
// repositories: PEM private keys pasted without an END line, inside escaped
// JSON strings or base64-encoded; URLs and ADO.NET connection strings with
// passwords; generic `password=`/`secret:` assignments and token-like values
// next to a credential word ("acme SECRET 9f2c...", "ACME_TOKEN=..."), gated
// by entropy, required character classes and a placeholder list; values
// after upper-case labels; random-looking tokens under any key where the
// value is data (quoted, NAME=value, alone on a YAML line); quoted secrets
// with punctuation; unsigned JWTs; passwords on command lines, in .netrc,
// web.config and .NET/PowerShell code; password hashes; and provider tokens
// with a distinctive prefix that gitleaks lacks.
// The Entity of a finding is the rule id; its span is the secret itself and
// its excerpt is always redacted.
package secrets

import (
	"context"
	_ "embed"
	"encoding/base64"
	"fmt"
	"math"
	"regexp/syntax"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/viper"
	glconfig "github.com/zricethezav/gitleaks/v8/config"
	glregexp "github.com/zricethezav/gitleaks/v8/regexp"
	"gopkg.in/yaml.v3"

	"github.com/claudit/claudit/internal/policy/detect"
	"github.com/claudit/claudit/internal/policy/detect/literal"
)

// ID is the registered detector id.
const ID = "secrets"

//go:embed data/rules.yaml
var extraRulesYAML []byte

// Params are the policy parameters this detector reads; a policy with any
// other field, or a value of another type, fails validation.
type Params struct {
	DisabledRules []string `yaml:"disabled_rules"`
	Rules         []string `yaml:"rules"`
	MinEntropy    float64  `yaml:"min_entropy"`
}

func init() {
	detect.RegisterParams(ID, Params{})
	detect.Register(ID, New)
}

// rule is one compiled detection rule, from gitleaks or from data/rules.yaml.
type rule struct {
	id          string
	re          *glregexp.Regexp
	path        *glregexp.Regexp
	secretGroup int
	// secretGroups, when set, are alternative secret groups (one per
	// branch of the regex): the first non-empty one is the secret.
	secretGroups []int
	entropy      float64
	keywords     []string
	generic      bool
	// placeholders is set when the secret is a free-form value (generic
	// rules, curl headers): the placeholder list applies to it.
	placeholders bool
	// shape is what the secret must look like beyond entropy: character
	// classes it must hold, for rules whose context alone is loose, and,
	// for values that must look random rather than like an identifier,
	// case changes and vowels.
	shape shape
	// tokenGate, when above 0, is the least length of a run of token
	// characters holding the classes of needs that a match must contain:
	// the regex runs only around such runs, for rules whose keywords are
	// too common to narrow the search.
	tokenGate int
	// shapes are other forms a secret failing entropy or needs may take
	// and still count (a long letters-only value, say).
	shapes     []shape
	allowlists []allowlist
	// maxLen bounds the bytes of a match (0: unbounded or too long to
	// window), and maxKeyword is the longest keyword: together they give
	// the window around a keyword that holds every match containing it.
	maxLen, maxKeyword int
	// anchored is set when every match starts with one of the keywords
	// (a literal prefix): the regex anchored at the start, tried only at
	// keyword positions, with wordStart when it begins with \b.
	anchored  *glregexp.Regexp
	wordStart bool
	// gate, when set, is the regex from its keyword on, anchored: a match
	// holds a keyword occurrence where gate matches, so one where it fails
	// cannot be part of a match.
	gate *glregexp.Regexp
	// lead bounds the bytes a match holds before the keyword occurrence it
	// contains (the [\w.-]{0,50}? that opens gitleaks' semi-generic rules),
	// in a text without the Kelvin sign or long s; -1 when unknown. No
	// match then starts more than lead bytes before the rule's first
	// keyword hit, so a search of a whole text can start there.
	lead int
	// leadBytes are the bytes those elements before the keyword match, and
	// led the regex anchored at the start, set with lead: in a text that
	// fits one search, matches are looked for only at the starts lead
	// allows (see detectLed).
	leadBytes *[256]bool
	led       *glregexp.Regexp
	// windowGate, when set, reports whether the regex can match in a
	// window at all: a cheap necessary condition read by hand from the
	// regex (see assignedValue), checked before running it.
	windowGate func(window string) bool
}

// shape is one form a secret may take: classes it must hold (needs) or
// be made of alone (only), bounds on its length, a minimum entropy, and, to tell
// random strings from words and identifiers, the least share of adjacent
// letters that change case and the most share of vowels among letters
// (random mixed case: about 1/2 and under 1/4; CamelCase identifiers:
// under 1/3 and about 2/5).
type shape struct {
	Needs          []string `yaml:"needs"`
	Only           []string `yaml:"only"`
	MinLen         int      `yaml:"min_len"`
	MaxLen         int      `yaml:"max_len"`
	Entropy        float64  `yaml:"entropy"`
	MinCaseChanges float64  `yaml:"min_case_changes"`
	MaxVowelShare  float64  `yaml:"max_vowel_share"`
}

// caseChanges returns the share of adjacent ASCII letter pairs in s (digits
// and symbols between them skipped) whose case differs: about a half in a
// random mixed-case string, under a fifth in a CamelCase identifier.
func caseChanges(s string) float64 {
	pairs, changes := 0, 0
	prev := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			continue
		}
		if prev != 0 {
			pairs++
			if prev&0x20 != c&0x20 {
				changes++
			}
		}
		prev = c
	}
	if pairs == 0 {
		return 0
	}
	return float64(changes) / float64(pairs)
}

// fits reports whether secret takes the shape.
func (s shape) fits(secret string) bool {
	if len(secret) < s.MinLen || s.MaxLen > 0 && len(secret) > s.MaxLen || s.Entropy > 0 && shannon(secret) <= s.Entropy || !hasClasses(secret, s.Needs) {
		return false
	}
	if s.MinCaseChanges > 0 && caseChanges(secret) < s.MinCaseChanges ||
		s.MaxVowelShare > 0 && vowelShare(secret) > s.MaxVowelShare {
		return false
	}
	if len(s.Only) == 0 {
		return true
	}
	return !strings.ContainsFunc(secret, func(c rune) bool {
		return !slices.ContainsFunc(s.Only, func(class string) bool { return charClasses[class](c) })
	})
}

// withBounds fills r's window bounds from its regex and keywords.
func (r rule) withBounds() rule {
	if n := detect.MaxMatchBytes(r.re.String(), false); n > 0 && n <= maxWindowedMatch {
		r.maxLen = n
	}
	for _, k := range r.keywords {
		r.maxKeyword = max(r.maxKeyword, len(k))
	}
	// Every match starts at a keyword when every literal a match can start
	// with starts with one of the rule's keywords.
	if prefixes, wordStart, ok := literal.FoldedPrefixes(r.re.String()); ok {
		all := true
		for _, p := range prefixes {
			all = all && slices.ContainsFunc(r.keywords, func(k string) bool { return strings.HasPrefix(p, k) })
		}
		if re, err := compile(`^(?:` + r.re.String() + `)`); all && err == nil {
			r.anchored, r.wordStart = re, wordStart
		}
	}
	if r.re.String() == assignmentPattern {
		r.windowGate = assignedValue
	}
	r.lead = -1
	if r.anchored == nil {
		if rest, lead, leadBytes, ok := fromKeyword(r.re.String(), r.keywords); ok {
			if re, err := compile(`^` + rest); err == nil {
				r.gate = re
				if led, err := compile(`^(?:` + r.re.String() + `)`); lead >= 0 && err == nil {
					r.lead, r.leadBytes, r.led = lead, leadBytes, led
				}
			}
		}
	}
	return r
}

// fromKeyword returns the regex from the keyword on when pattern is a
// sequence with one element that matches only the keywords themselves (an
// alternation of literals, any case) and more after it: every match then
// holds a keyword occurrence where the returned regex matches. lead is
// the most bytes the elements before the keyword match in a text without
// the Kelvin sign or long s, and bytes the bytes they match there, or -1
// when they are not all bounded runs of ASCII (see leadLen).
func fromKeyword(pattern string, keywords []string) (rest string, lead int, bytes *[256]bool, ok bool) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "", -1, nil, false
	}
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	if re.Op != syntax.OpConcat {
		return "", -1, nil, false
	}
	for j, sub := range re.Sub[:len(re.Sub)-1] {
		lits, ok := literal.ExactFolded(sub, 64)
		if !ok || slices.ContainsFunc(lits, func(l string) bool { return l == "" || !slices.Contains(keywords, l) }) {
			continue
		}
		var b strings.Builder
		for _, rest := range re.Sub[j:] {
			b.WriteString("(?:" + rest.String() + ")")
		}
		lead, bytes := 0, new([256]bool)
		for _, before := range re.Sub[:j] {
			n := leadLen(before, bytes)
			if n < 0 {
				lead = -1
				break
			}
			lead += n
		}
		return b.String(), lead, bytes, true
	}
	return "", -1, nil, false
}

// leadLen returns the most bytes re matches in a text without the Kelvin
// sign or long s, when re is a literal, a character class or a bounded
// repeat of one whose runes are ASCII (or those two, which (?i) adds to k
// and s and such a text lacks): each matched rune is then one byte, which
// it marks in bytes. It returns -1 otherwise, assertions (\b, ^) included,
// as they read the text before a match.
func leadLen(re *syntax.Regexp, bytes *[256]bool) int {
	add := func(lo, hi rune) bool {
		if lo == hi && (lo == '\u212a' || lo == '\u017f') {
			return true
		}
		if hi >= utf8.RuneSelf {
			return false
		}
		for r := lo; r <= hi; r++ {
			bytes[r] = true
			if re.Flags&syntax.FoldCase != 0 {
				bytes[unicode.ToLower(r)], bytes[unicode.ToUpper(r)] = true, true
			}
		}
		return true
	}
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if !add(r, r) {
				return -1
			}
		}
		return len(re.Rune)
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if !add(re.Rune[i], re.Rune[i+1]) {
				return -1
			}
		}
		return 1
	case syntax.OpCapture, syntax.OpQuest:
		return leadLen(re.Sub[0], bytes)
	case syntax.OpRepeat:
		if n := leadLen(re.Sub[0], bytes); n >= 0 && re.Max >= 0 {
			return n * re.Max
		}
	}
	return -1
}

// maxWindowedMatch is the longest bounded match worth a window of its own;
// longer ones (PEM blocks) use keywordWindows.
const maxWindowedMatch = 1024

// ruleSet is the compiled, shared, read-only rule data.
type ruleSet struct {
	rules []rule
	// global is gitleaks' global allowlist, without its stop words when
	// data/rules.yaml sets global_stop_words: false.
	global       []allowlist
	placeholders []string
	// placeholderValues are whole values that are placeholders ("pass" in
	// postgres://user:pass@host) but too common as parts of real secrets.
	placeholderValues map[string]bool
}

var loadRules = sync.OnceValues(func() (*ruleSet, error) {
	rs := &ruleSet{}
	gl, err := gitleaksRules()
	if err != nil {
		return nil, err
	}
	global := gl.Allowlists
	var extra struct {
		Rules []struct {
			ID           string   `yaml:"id"`
			Regex        string   `yaml:"regex"`
			SecretGroup  int      `yaml:"secret_group"`
			SecretGroups []int    `yaml:"secret_groups"`
			Keywords     []string `yaml:"keywords"`
			Generic      bool     `yaml:"generic"`
			// The shape's fields (entropy, needs, min_case_changes...)
			// sit on the rule itself.
			shape     `yaml:",inline"`
			Shapes    []shape `yaml:"shapes"`
			TokenGate int     `yaml:"token_gate"`
			// Allow and AllowMatch are regexes that drop a finding when
			// they match its secret or its whole match (as gitleaks'
			// rule allowlists with regexTarget secret or match).
			Allow      []string `yaml:"allow"`
			AllowMatch []string `yaml:"allow_match"`
		} `yaml:"rules"`
		PlaceholderRules  []string `yaml:"placeholder_rules"`
		GlobalStopWords   *bool    `yaml:"global_stop_words"`
		Placeholders      []string `yaml:"placeholders"`
		PlaceholderValues []string `yaml:"placeholder_values"`
	}
	if err := yaml.Unmarshal(extraRulesYAML, &extra); err != nil {
		return nil, fmt.Errorf("secrets: parse data/rules.yaml: %w", err)
	}
	if extra.GlobalStopWords != nil && !*extra.GlobalStopWords {
		if global, err = withoutStopWords(gl.Allowlists); err != nil {
			return nil, err
		}
	}
	if rs.global, err = newAllowlists(global); err != nil {
		return nil, fmt.Errorf("secrets: global allowlist: %w", err)
	}
	ids := make([]string, 0, len(gl.Rules))
	for id := range gl.Rules {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		r := gl.Rules[id]
		if r.Regex == nil || r.SkipReport {
			continue // path-only rules and helper rules of composites
		}
		allowlists, err := newAllowlists(r.Allowlists)
		if err != nil {
			return nil, fmt.Errorf("secrets: rule %s: allowlist: %w", r.RuleID, err)
		}
		rs.rules = append(rs.rules, rule{
			id: r.RuleID, re: r.Regex, path: r.Path, secretGroup: r.SecretGroup,
			entropy: r.Entropy, keywords: r.Keywords, allowlists: allowlists,
			generic:      strings.HasPrefix(r.RuleID, "generic"),
			placeholders: strings.HasPrefix(r.RuleID, "generic") || slices.Contains(extra.PlaceholderRules, r.RuleID),
		}.withBounds())
	}
	for _, r := range extra.Rules {
		re, err := compile(r.Regex)
		if err != nil {
			return nil, fmt.Errorf("secrets: rule %s: %w", r.ID, err)
		}
		kws := make([]string, len(r.Keywords))
		for i, k := range r.Keywords {
			kws[i] = strings.ToLower(k)
		}
		classes := append(slices.Clone(r.Needs), r.Only...)
		for _, sh := range r.Shapes {
			classes = append(append(classes, sh.Needs...), sh.Only...)
		}
		for _, c := range classes {
			if _, ok := charClasses[c]; !ok {
				return nil, fmt.Errorf("secrets: rule %s: unknown character class %q", r.ID, c)
			}
		}
		var lists []*glconfig.Allowlist
		for _, a := range []struct {
			target   string
			patterns []string
		}{{"", r.Allow}, {"match", r.AllowMatch}} {
			if len(a.patterns) == 0 {
				continue
			}
			list := &glconfig.Allowlist{RegexTarget: a.target}
			for _, pat := range a.patterns {
				re, err := compile(pat)
				if err != nil {
					return nil, fmt.Errorf("secrets: rule %s: allow: %w", r.ID, err)
				}
				list.Regexes = append(list.Regexes, re)
			}
			if err := list.Validate(); err != nil {
				return nil, fmt.Errorf("secrets: rule %s: allow: %w", r.ID, err)
			}
			lists = append(lists, list)
		}
		allowlists, err := newAllowlists(lists)
		if err != nil {
			return nil, fmt.Errorf("secrets: rule %s: allow: %w", r.ID, err)
		}
		rs.rules = append(rs.rules, rule{id: r.ID, re: re, secretGroup: r.SecretGroup, secretGroups: r.SecretGroups,
			entropy: r.Entropy, keywords: kws, generic: r.Generic, placeholders: r.Generic || slices.Contains(extra.PlaceholderRules, r.ID),
			shape: r.shape, shapes: r.Shapes, tokenGate: r.TokenGate, allowlists: allowlists}.withBounds())
	}
	for _, p := range extra.Placeholders {
		rs.placeholders = append(rs.placeholders, strings.ToLower(p))
	}
	rs.placeholderValues = map[string]bool{}
	for _, p := range extra.PlaceholderValues {
		rs.placeholderValues[strings.ToLower(p)] = true
	}
	return rs, nil
})

// withoutStopWords copies allowlists without their stop words, dropping
// those left with no check.
func withoutStopWords(lists []*glconfig.Allowlist) ([]*glconfig.Allowlist, error) {
	var out []*glconfig.Allowlist
	for _, a := range lists {
		if len(a.Regexes) == 0 && len(a.Paths) == 0 && len(a.Commits) == 0 {
			continue
		}
		c := &glconfig.Allowlist{
			Description: a.Description, MatchCondition: a.MatchCondition, RegexTarget: a.RegexTarget,
			Regexes: a.Regexes, Paths: a.Paths, Commits: a.Commits,
		}
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("secrets: global allowlist without stop words: %w", err)
		}
		out = append(out, c)
	}
	return out, nil
}

// compile turns a pattern into gitleaks' regexp type, reporting errors
// instead of panicking like glregexp.MustCompile.
func compile(pattern string) (re *glregexp.Regexp, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("compile %q: %v", pattern, p)
		}
	}()
	return glregexp.MustCompile(pattern), nil
}

// gitleaksRules loads gitleaks' embedded default configuration with a
// private viper instance (gitleaks' own loader uses the global one).
func gitleaksRules() (glconfig.Config, error) {
	v := viper.New()
	v.SetConfigType("toml")
	if err := v.ReadConfig(strings.NewReader(glconfig.DefaultConfig)); err != nil {
		return glconfig.Config{}, fmt.Errorf("secrets: read gitleaks default config: %w", err)
	}
	var vc glconfig.ViperConfig
	if err := v.Unmarshal(&vc); err != nil {
		return glconfig.Config{}, fmt.Errorf("secrets: decode gitleaks default config: %w", err)
	}
	cfg, err := vc.Translate()
	if err != nil {
		return glconfig.Config{}, fmt.Errorf("secrets: translate gitleaks default config: %w", err)
	}
	return cfg, nil
}

// Detector finds secrets. It is safe for concurrent use.
type Detector struct {
	rs         *ruleSet
	rules      []rule
	keywords   []string
	kws        *detect.KeywordSet
	kwRules    map[string][]int // keyword -> indices into rules
	minEntropy float64          // overrides generic rules' entropy when > 0
}

// New builds a secrets detector. Params:
//
//	disabled_rules: [generic-api-key]   rule ids to skip
//	rules: [aws-access-token, ...]      only these rule ids (default all)
//	min_entropy: 3.5                    entropy threshold for generic rules
func New(p detect.Params) (detect.Detector, error) {
	rs, err := loadRules()
	if err != nil {
		return nil, err
	}
	disabled := map[string]bool{}
	for _, id := range p.Strings("disabled_rules") {
		disabled[id] = true
	}
	only := map[string]bool{}
	for _, id := range p.Strings("rules") {
		only[id] = true
	}
	d := &Detector{rs: rs, kwRules: map[string][]int{}, minEntropy: p.Float("min_entropy", 0)}
	known := map[string]bool{}
	for _, r := range rs.rules {
		known[r.id] = true
		if disabled[r.id] || len(only) > 0 && !only[r.id] {
			continue
		}
		d.rules = append(d.rules, r)
	}
	for id := range only {
		if !known[id] {
			return nil, fmt.Errorf("secrets: rules: unknown rule id %q", id)
		}
	}
	seen := map[string]bool{}
	for i, r := range d.rules {
		for _, k := range r.keywords {
			d.kwRules[k] = append(d.kwRules[k], i)
			if !seen[k] {
				seen[k] = true
				d.keywords = append(d.keywords, k)
			}
		}
	}
	sort.Strings(d.keywords)
	if d.kws, err = detect.NewKeywordSet(d.keywords); err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	return d, nil
}

// ID returns "secrets".
func (d *Detector) ID() string { return ID }

// KeywordSets implements detect.KeywordUser: the rules' keywords.
func (d *Detector) KeywordSets() []*detect.KeywordSet { return []*detect.KeywordSet{d.kws} }

// Keywords returns the union of the rules' keywords; every rule has at least one.
func (d *Detector) Keywords() []string {
	for _, r := range d.rules {
		if len(r.keywords) == 0 {
			return nil
		}
	}
	return d.keywords
}

// Detect returns secret findings in in.Text.
func (d *Detector) Detect(ctx context.Context, in detect.Input) []detect.Finding {
	text := in.Text
	if text == "" || len(d.keywords) == 0 {
		return nil
	}
	// Keyword positions per rule, for the rules whose keywords occur and,
	// for a rule with a gate, are followed by what its regex needs there.
	// Under (?i) a keyword's k and s also match the Kelvin sign and long s,
	// which the ASCII-lower-cased keyword search does not see: a text with
	// either can hold a match at no keyword hit, so gates are not used.
	gates := !strings.Contains(text, "\u212a") && !strings.Contains(text, "\u017f")
	// One flat list of (rule, position) hits, sorted into rule order, keeps
	// the allocations per text to a few whatever the number of rules hit.
	var hits [][2]int
	var tokenGated []int // rules with a token gate already hit: one hit is enough
	for _, m := range d.kws.Find(in) {
		for _, i := range d.kwRules[d.keywords[m.Word]] {
			if g := d.rules[i].gate; gates && g != nil && !g.MatchString(text[m.Start:]) {
				continue
			}
			if d.rules[i].tokenGate > 0 {
				if slices.Contains(tokenGated, i) {
					continue
				}
				tokenGated = append(tokenGated, i)
			}
			hits = append(hits, [2]int{i, m.Start})
		}
	}
	slices.SortFunc(hits, func(a, b [2]int) int {
		if a[0] != b[0] {
			return a[0] - b[0]
		}
		return a[1] - b[1]
	})
	var out []detect.Finding
	var positions []int
	for j := 0; j < len(hits); {
		i := hits[j][0]
		positions = positions[:0]
		for ; j < len(hits) && hits[j][0] == i; j++ {
			positions = append(positions, hits[j][1])
		}
		if ctx.Err() != nil {
			return nil
		}
		r := &d.rules[i]
		switch {
		case r.tokenGate > 0:
			// Keywords as common as "=" say little: run the regex only
			// on the lines around token-like runs it could report.
			fits := func(run string) bool { return r.shape.fits(strings.TrimLeft(run, "+/~._-")) }
			for _, w := range tokenWindows(text, r.tokenGate, fits) {
				if r.windowGate != nil && !r.windowGate(text[w[0]:w[1]]) {
					continue
				}
				out = append(out, d.detectRule(r, text, w, in.FileName)...)
			}
		case r.anchored != nil:
			out = append(out, d.detectAnchored(r, text, positions, in.FileName)...)
		case r.maxLen > 0:
			// A match holding a keyword lies within maxLen bytes of it.
			for _, w := range boundedWindows(text, positions, r.maxLen, r.maxKeyword) {
				out = append(out, d.detectRule(r, text, w, in.FileName)...)
			}
		case len(text) <= windowThreshold && gates && r.led != nil:
			out = append(out, d.detectLed(r, text, positions, in.FileName)...)
		case len(text) <= windowThreshold:
			out = append(out, d.detectRule(r, text, [2]int{0, len(text)}, in.FileName)...)
		default:
			// In large texts run the regex only near its keywords, as the
			// keyword is part of (or right before) every rule's match.
			for _, w := range keywordWindows(text, positions) {
				out = append(out, d.detectRule(r, text, w, in.FileName)...)
			}
		}
	}
	return preferSpecific(out)
}

// detectRule runs r's regex on text[w[0]:w[1]]; matches touching a window
// edge inside the text are dropped, as the regex saw a false text start or
// end there (\b, $), and a real match holding a keyword never reaches it.
func (d *Detector) detectRule(r *rule, text string, w [2]int, fileName string) []detect.Finding {
	if r.path != nil && !r.path.MatchString(fileName) {
		return nil
	}
	var out []detect.Finding
	for _, m := range r.re.FindAllStringSubmatchIndex(text[w[0]:w[1]], -1) {
		if m[0] == 0 && w[0] > 0 || m[1] == w[1]-w[0] && w[1] < len(text) {
			continue
		}
		for k := range m {
			if m[k] >= 0 {
				m[k] += w[0]
			}
		}
		if f, ok := d.finding(r, text, m, fileName); ok {
			out = append(out, f)
		}
	}
	return out
}

// detectAnchored finds r's matches by trying its anchored regex only at
// the keyword positions, where every match of r starts (see prefixRule):
// in ascending order and never inside the previous match, as a search of
// the whole text would.
func (d *Detector) detectAnchored(r *rule, text string, positions []int, fileName string) []detect.Finding {
	if r.path != nil && !r.path.MatchString(fileName) {
		return nil
	}
	sort.Ints(positions)
	var out []detect.Finding
	next := 0
	for _, p := range positions {
		if p < next || r.wordStart && (p > 0 && isWordByte(text[p-1])) == isWordByte(text[p]) {
			continue
		}
		m := r.anchored.FindStringSubmatchIndex(text[p:])
		if m == nil {
			continue
		}
		for k := range m {
			if m[k] >= 0 {
				m[k] += p
			}
		}
		next = m[1]
		if f, ok := d.finding(r, text, m, fileName); ok {
			out = append(out, f)
		}
	}
	return out
}

// detectLed finds r's matches in text, a text without the Kelvin sign or
// long s, as a search of the whole text would: in order, each the first
// to start at or after the end of the one before. Every match holds a
// keyword hit in positions (ascending) and starts at most lead bytes
// before it, after only leadBytes, so r's anchored regex is tried at
// those starts alone, in ascending order; a start where it fails holds no
// match. An anchored try reads no byte before its start, which the
// elements before the keyword do not read either (see leadLen).
func (d *Detector) detectLed(r *rule, text string, positions []int, fileName string) []detect.Finding {
	if r.path != nil && !r.path.MatchString(fileName) {
		return nil
	}
	var out []detect.Finding
	next := 0 // the end of the last match: no match starts before it
	tried := 0
	for _, p := range positions {
		lo := p
		for lo > next && p-lo < r.lead && r.leadBytes[text[lo-1]] {
			lo--
		}
		for s := max(lo, tried, next); s <= p; s++ {
			m := r.led.FindStringSubmatchIndex(text[s:])
			if m == nil {
				continue
			}
			for k := range m {
				if m[k] >= 0 {
					m[k] += s
				}
			}
			if f, ok := d.finding(r, text, m, fileName); ok {
				out = append(out, f)
			}
			// Matches hold a keyword, so they are never empty.
			next = max(m[1], s+1)
			s = next - 1
		}
		tried = max(tried, p+1)
	}
	return out
}

// isWordByte is RE2's \w, for \b.
func isWordByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

// finding checks one match m of r (submatch indices into text) against
// entropy, placeholders and allowlists.
func (d *Detector) finding(r *rule, text string, m []int, fileName string) (detect.Finding, bool) {
	start, end := secretSpan(r, m)
	if start < 0 {
		return detect.Finding{}, false
	}
	secret := text[start:end]
	match := strings.Trim(text[m[0]:m[1]], "\n")
	threshold := r.entropy
	if r.generic && d.minEntropy > 0 {
		threshold = d.minEntropy
	}
	ent := shannon(secret)
	base := r.shape
	base.Entropy = threshold
	if !base.fits(secret) && !slices.ContainsFunc(r.shapes, func(s shape) bool { return s.fits(secret) }) {
		return detect.Finding{}, false
	}
	if r.placeholders && (d.isPlaceholder(secret) || encodedText(secret)) {
		return detect.Finding{}, false
	}
	// A free-form value right before "(" is a function being called.
	if r.placeholders && end < len(text) && text[end] == '(' {
		return detect.Finding{}, false
	}
	// A whole-value placeholder ("pass") is never a real secret, whatever the rule.
	if d.rs.placeholderValues[strings.ToLower(secret)] {
		return detect.Finding{}, false
	}
	line := lineAround(text, m[0], m[1])
	if allowed(d.rs.global, secret, match, line, fileName) || allowed(r.allowlists, secret, match, line, fileName) {
		return detect.Finding{}, false
	}
	score := 0.9
	if r.generic {
		score = min(0.6+max(ent-threshold, 0)/10, 0.85)
	}
	return detect.Finding{
		Detector: ID, Entity: r.id, Start: start, End: end,
		Score: score, Excerpt: detect.Excerpt(text, start, end),
	}, true
}

// windowThreshold is the text size above which rules run on keyword windows.
const windowThreshold = 32 << 10

// boundedWindows returns merged windows around keyword positions that hold
// every match of at most maxLen bytes containing a keyword of at most
// maxKeyword bytes, plus a byte either side for \b.
func boundedWindows(text string, positions []int, maxLen, maxKeyword int) [][2]int {
	return mergedWindows(positions, func(p int) (int, int) {
		return max(p-maxLen-1, 0), min(p+maxKeyword+maxLen+1, len(text))
	})
}

// keywordWindows returns merged windows around keyword positions: 1 KiB
// before to 4 KiB after (a PEM key block fits), snapped to line starts/ends.
func keywordWindows(text string, positions []int) [][2]int {
	return mergedWindows(positions, func(p int) (int, int) {
		start := max(p-1024, 0)
		if i := strings.LastIndexByte(text[:start], '\n'); i >= 0 && start-i < 256 {
			start = i + 1
		}
		end := min(p+4096, len(text))
		if i := strings.IndexByte(text[end:], '\n'); i >= 0 && i < 256 {
			end += i
		}
		return start, end
	})
}

// tokenWindows returns merged windows around runs of at least minLen
// token characters (letters, digits, +/_~.-) that fit, as a rule's
// secret must: from up to 128 bytes before a run (or its line start) to 8
// bytes after it (or its line end), room for a key, an operator, quotes
// and base64 padding.
func tokenWindows(text string, minLen int, fits func(run string) bool) [][2]int {
	var runs []int
	for i := 0; i < len(text); {
		if !isTokenByte(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && isTokenByte(text[j]) {
			j++
		}
		if j-i >= minLen && fits(text[i:j]) {
			runs = append(runs, i, j)
		}
		i = j
	}
	var out [][2]int
	for k := 0; k < len(runs); k += 2 {
		a, b := runs[k], runs[k+1]
		// A byte beyond a line's newline keeps ^ and $ there off the
		// window's edges, where detectRule drops matches.
		start := max(a-128, 0)
		if ls := strings.LastIndexByte(text[start:a], '\n'); ls >= 0 {
			start = max(start+ls-1, 0)
		}
		end := min(b+8, len(text))
		if le := strings.IndexByte(text[b:end], '\n'); le >= 0 {
			end = min(b+le+2, len(text))
		}
		if n := len(out); n > 0 && start <= out[n-1][1] {
			out[n-1][1] = max(out[n-1][1], end)
			continue
		}
		out = append(out, [2]int{start, end})
	}
	return out
}

// isTokenByte reports whether c can be part of a token-like value.
func isTokenByte(c byte) bool { return tokenBytes[c] }

// tokenBytes holds the bytes of token-like values: letters, digits and +/_~.-.
var tokenBytes = func() (t [256]bool) {
	for c := range 256 {
		t[c] = isWordByte(byte(c)) || strings.IndexByte("+/~.-", byte(c)) >= 0
	}
	return t
}()

// mergedWindows sorts positions and returns the windows bounds gives them,
// merging windows that overlap or touch.
func mergedWindows(positions []int, bounds func(p int) (start, end int)) [][2]int {
	sort.Ints(positions)
	var out [][2]int
	for _, p := range positions {
		start, end := bounds(p)
		if n := len(out); n > 0 && start <= out[n-1][1] {
			out[n-1][1] = max(out[n-1][1], end)
			continue
		}
		out = append(out, [2]int{start, end})
	}
	return out
}

// secretSpan picks the secret group the way gitleaks does: the configured
// group, else the first non-empty group, else the whole match.
func secretSpan(r *rule, m []int) (int, int) {
	groups := len(m)/2 - 1
	if groups == 0 {
		return m[0], m[1]
	}
	if len(r.secretGroups) > 0 {
		for _, g := range r.secretGroups {
			if g <= groups && m[2*g] >= 0 && m[2*g+1] > m[2*g] {
				return m[2*g], m[2*g+1]
			}
		}
		return -1, -1
	}
	if r.secretGroup > 0 {
		if r.secretGroup > groups || m[2*r.secretGroup] < 0 {
			return -1, -1
		}
		return m[2*r.secretGroup], m[2*r.secretGroup+1]
	}
	for g := 1; g <= groups; g++ {
		if m[2*g] >= 0 && m[2*g+1] > m[2*g] {
			return m[2*g], m[2*g+1]
		}
	}
	return m[0], m[1]
}

// charClasses are the character classes a rule's needs may name.
var charClasses = map[string]func(rune) bool{
	"letter": func(c rune) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' },
	"digit":  func(c rune) bool { return c >= '0' && c <= '9' },
	"lower":  func(c rune) bool { return c >= 'a' && c <= 'z' },
	"upper":  func(c rune) bool { return c >= 'A' && c <= 'Z' },
}

// encodedText reports whether s is base64 that decodes to prose (words
// and spaces), as in an encoded prompt: a credential has no spaces.
func encodedText(s string) bool {
	if len(s) < 16 {
		return false
	}
	var b []byte
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if d, err := enc.DecodeString(s); err == nil {
			b = d
			break
		}
	}
	if b == nil || !utf8.Valid(b) {
		return false
	}
	spaces, prose, n := 0, 0, 0
	for _, r := range string(b) {
		n++
		switch {
		case r == ' ':
			spaces++
			prose++
		case unicode.IsLetter(r) || unicode.IsPunct(r) || unicode.IsDigit(r):
			prose++
		}
	}
	return spaces >= 2 && float64(prose) >= 0.9*float64(n)
}

// vowelShare returns the share of a, e, i, o, u among the ASCII letters of s.
func vowelShare(s string) float64 {
	letters, vowels := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			continue
		}
		letters++
		if strings.IndexByte("aeiou", c) >= 0 {
			vowels++
		}
	}
	if letters == 0 {
		return 0
	}
	return float64(vowels) / float64(letters)
}

// hasClasses reports whether s holds a character of every class in needs.
func hasClasses(s string, needs []string) bool {
	for _, c := range needs {
		if !strings.ContainsFunc(s, charClasses[c]) {
			return false
		}
	}
	return true
}

func (d *Detector) isPlaceholder(secret string) bool {
	s := strings.ToLower(secret)
	for _, p := range d.rs.placeholders {
		if strings.Contains(s, p) {
			return true
		}
	}
	// A run of one repeated character ("aaaaaaaa") is a placeholder too.
	return strings.Count(s, s[:1]) == len(s)
}

// allowed applies gitleaks allowlists to one finding; commit conditions
// never hold because chats have no commits.
func allowed(lists []allowlist, secret, match, line, fileName string) bool {
	for _, a := range lists {
		target := secret
		switch a.RegexTarget {
		case "match":
			target = match
		case "line":
			target = line
		}
		regexOK := a.regexAllowed(target)
		stopOK, _ := a.ContainsStopWord(secret)
		if a.MatchCondition == glconfig.AllowlistMatchAnd {
			var checks []bool
			if len(a.Commits) > 0 {
				checks = append(checks, false)
			}
			if len(a.Paths) > 0 {
				checks = append(checks, a.PathAllowed(fileName))
			}
			if len(a.Regexes) > 0 {
				checks = append(checks, regexOK)
			}
			if len(a.StopWords) > 0 {
				checks = append(checks, stopOK)
			}
			all := len(checks) > 0
			for _, c := range checks {
				all = all && c
			}
			if all {
				return true
			}
			continue
		}
		if regexOK || stopOK {
			return true
		}
	}
	return false
}

func lineAround(text string, start, end int) string {
	ls := strings.LastIndexByte(text[:start], '\n') + 1
	le := strings.IndexByte(text[end:], '\n')
	if le < 0 {
		return text[ls:]
	}
	return text[ls : end+le]
}

// preferSpecific drops generic findings that overlap a specific rule's
// finding, and exact duplicates.
func preferSpecific(fs []detect.Finding) []detect.Finding {
	if len(fs) < 2 {
		return fs
	}
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].Score != fs[j].Score {
			return fs[i].Score > fs[j].Score
		}
		return fs[i].Start < fs[j].Start
	})
	var kept []detect.Finding
	for _, f := range fs {
		dup := false
		for _, k := range kept {
			if f.Start < k.End && k.Start < f.End {
				dup = true
				break
			}
		}
		if !dup {
			kept = append(kept, f)
		}
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].Start < kept[j].Start })
	return kept
}

// shannon returns the Shannon entropy of s in bits per byte.
func shannon(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	var h float64
	n := float64(len(s))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}
