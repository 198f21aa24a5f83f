package toxicity

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/coregx/ahocorasick"
	"golang.org/x/text/unicode/norm"
	"gopkg.in/yaml.v3"

	"github.com/claudit/claudit/internal/policy/detect"
	"github.com/claudit/claudit/internal/policy/detect/literal"
)

// Lexicon is a parsed word-list file: weighted terms per entity, phrase
// patterns over the normalized token stream, and a rule that turns insults
// aimed at "you" into stronger directed insults.
type Lexicon struct {
	terms map[string]term
	// collapsed maps a term with every letter run squeezed to one letter, for
	// elongated spellings such as "iiiidiot".
	collapsed map[string]keyedTerm
	// byLen holds terms by rune length, for masked spellings such as "f*ck".
	byLen    map[int][]string
	maxWords int
	// multiFirst holds the first word of every multi-word term, so lookups
	// of longer keys are tried only where one can start.
	multiFirst map[string]bool
	// first filters tokens that may begin a term (one-word terms and the
	// first words of multi-word ones).
	first   wordFilter
	phrases []phrase
	// phraseKeys finds every phrase keyword in one pass; phrasesOf maps its
	// pattern ids to the phrases listing that keyword. sharedKeys: it is
	// the automaton of the embedded lexicons' keywords (sharedPhraseKeys),
	// whose hits a text's tokenization keeps for every lexicon.
	phraseKeys *keyIndex
	phrasesOf  [][]int
	sharedKeys bool
	directed   directed
	// reportedBefore and reportedAfter recognize reported or denounced
	// speech around a phrase match (see reported).
	reportedBefore, reportedAfter *regexp.Regexp
	guard                         termGuard
}

// termGuard drops a term match that is not abuse: the word used about
// oneself (reclaimed), named or denounced rather than aimed at someone, or
// in a sense that is not an insult (a homonym and its context).
type termGuard struct {
	entities      map[string]bool
	before, after *regexp.Regexp
	// homonyms maps a term's key to the words that, anywhere in the text,
	// mark its other sense.
	homonyms map[string]map[string]bool
}

// guardReach is how many words around a term match the guard sees.
const guardReach = 6

type term struct {
	Entity string
	Weight float64
}

type keyedTerm struct {
	key  string
	term term
}

type phrase struct {
	entity   string
	weight   float64
	firm     bool
	keywords []string
	re       *regexp.Regexp
	// radius is how far around a keyword a match can reach in the token
	// stream: the longest match, or phraseRadius when that is unbounded.
	radius int
	// required holds strings one of which every match contains
	// (literal.RequiredUpTo; the stream is lower-cased, as the patterns
	// are written): a window without any is not searched. nil when
	// unknown, or when some string is too short to be rare.
	required literal.Set
	// branches is the finer condition of literal.RequiredBranches, checked
	// after required; nil when unknown.
	branches literal.Branches
	// led, when set, finds re's matches by the literals they start with
	// (detect.Led).
	led *detect.Led
}

// maxPhraseLiterals bounds a phrase's required strings: enough for the
// word lists phrases end in (the adjectives of an identity attack).
const maxPhraseLiterals = 64

type directed struct {
	entities  map[string]bool
	minWeight float64
	targets   map[string]bool
	window    int
	weight    float64
	entity    string
}

type lexiconFile struct {
	Terms []struct {
		Entity string   `yaml:"entity"`
		Weight float64  `yaml:"weight"`
		Words  []string `yaml:"words"`
	} `yaml:"terms"`
	Phrases []struct {
		Entity   string   `yaml:"entity"`
		Weight   float64  `yaml:"weight"`
		Keywords []string `yaml:"keywords"`
		Pattern  string   `yaml:"pattern"`
		// Firm phrases (explicit threats) are precise enough that the
		// model's rule power does not temper them; see Detector.Detect.
		Firm bool `yaml:"firm"`
	} `yaml:"phrases"`
	Directed struct {
		Entities  []string `yaml:"entities"`
		MinWeight float64  `yaml:"min_weight"`
		Targets   []string `yaml:"targets"`
		Window    int      `yaml:"window"`
		Weight    float64  `yaml:"weight"`
		Entity    string   `yaml:"entity"`
	} `yaml:"directed"`
	// Reported holds two patterns over the normalized stream: Before must
	// match the words right before a phrase match (anchored with $), After
	// the words right after it (anchored with ^); either one drops it.
	Reported struct {
		Before string `yaml:"before"`
		After  string `yaml:"after"`
	} `yaml:"reported"`
	// TermGuard drops term matches of the listed entities where Before
	// matches the words right before the term (anchored with $), After the
	// words right after it (anchored with ^), or, for a homonym, one of its
	// context words occurs anywhere in the text.
	TermGuard struct {
		Entities []string `yaml:"entities"`
		Before   string   `yaml:"before"`
		After    string   `yaml:"after"`
		Homonyms []struct {
			Words   []string `yaml:"words"`
			Context []string `yaml:"context"`
		} `yaml:"homonyms"`
	} `yaml:"term_guard"`
}

// ParseLexicon reads a YAML lexicon. Words are normalized the same way as
// the text they are matched against, so the file may use plain spellings.
func ParseLexicon(data []byte) (*Lexicon, error) {
	var f lexiconFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("parse lexicon: %w", err)
	}
	l := &Lexicon{terms: map[string]term{}, collapsed: map[string]keyedTerm{}, byLen: map[int][]string{}, maxWords: 1, multiFirst: map[string]bool{}}
	for _, g := range f.Terms {
		if g.Entity == "" || !(g.Weight > 0 && g.Weight <= 1) {
			return nil, fmt.Errorf("parse lexicon: term group %q needs an entity and a weight in (0,1]", g.Entity)
		}
		for _, w := range g.Words {
			key := normalizePhrase(w)
			if key == "" {
				return nil, fmt.Errorf("parse lexicon: %s: empty word %q", g.Entity, w)
			}
			t := term{Entity: g.Entity, Weight: g.Weight}
			if old, dup := l.terms[key]; dup && old.Weight >= t.Weight {
				continue
			}
			l.terms[key] = t
			l.maxWords = max(l.maxWords, strings.Count(key, " ")+1)
			first, _, multi := strings.Cut(key, " ")
			if multi {
				l.multiFirst[first] = true
			}
			l.first.add(wordHash(first))
			if !strings.Contains(key, " ") {
				l.byLen[utf8.RuneCountInString(key)] = append(l.byLen[utf8.RuneCountInString(key)], key)
				// Squeezed forms only for longer words, where they stay unambiguous.
				if c := squeeze(key, 1); utf8.RuneCountInString(c) >= 4 {
					l.collapsed[c] = keyedTerm{key: key, term: t}
				}
			}
		}
	}
	for _, p := range f.Phrases {
		if p.Entity == "" || !(p.Weight > 0 && p.Weight <= 1) {
			return nil, fmt.Errorf("parse lexicon: phrase %q needs an entity and a weight in (0,1]", p.Pattern)
		}
		re, err := regexp.Compile(p.Pattern)
		if err != nil {
			return nil, fmt.Errorf("parse lexicon: phrase for %s: %w", p.Entity, err)
		}
		for _, k := range p.Keywords {
			if k == "" || k != strings.ToLower(k) {
				return nil, fmt.Errorf("parse lexicon: phrase for %s: keyword %q must be non-empty lower case", p.Entity, k)
			}
		}
		radius := detect.MaxMatchBytes(p.Pattern, true)
		if radius < 0 || radius > phraseRadius {
			radius = phraseRadius
		}
		var required literal.Set
		lits := literal.RequiredUpTo(p.Pattern, maxPhraseLiterals)
		if !slices.ContainsFunc(lits, func(l string) bool { return len(l) < 3 }) {
			required = literal.NewSet(lits)
		}
		branches := literal.RequiredBranches(p.Pattern, maxPhraseLiterals)
		ph := phrase{entity: p.Entity, weight: p.Weight, firm: p.Firm, keywords: p.Keywords, re: re, radius: radius, required: required, branches: branches}
		ph.led = detect.NewLed(p.Pattern)
		l.phrases = append(l.phrases, ph)
	}
	for _, r := range []struct {
		src  string
		dst  **regexp.Regexp
		what string
	}{{f.Reported.Before, &l.reportedBefore, "reported"}, {f.Reported.After, &l.reportedAfter, "reported"},
		{f.TermGuard.Before, &l.guard.before, "term_guard"}, {f.TermGuard.After, &l.guard.after, "term_guard"}} {
		if r.src == "" {
			continue
		}
		re, err := regexp.Compile(r.src)
		if err != nil {
			return nil, fmt.Errorf("parse lexicon: %s: %w", r.what, err)
		}
		*r.dst = re
	}
	if g := f.TermGuard; len(g.Entities) > 0 {
		l.guard.entities = map[string]bool{}
		for _, e := range g.Entities {
			l.guard.entities[e] = true
		}
		for _, h := range g.Homonyms {
			ctx := map[string]bool{}
			for _, c := range h.Context {
				ctx[normalizePhrase(c)] = true
			}
			for _, w := range h.Words {
				if l.guard.homonyms == nil {
					l.guard.homonyms = map[string]map[string]bool{}
				}
				l.guard.homonyms[normalizePhrase(w)] = ctx
			}
		}
	}
	if err := l.indexPhraseKeywords(); err != nil {
		return nil, err
	}
	d := f.Directed
	if len(d.Targets) > 0 {
		if d.Entity == "" || !(d.Weight > 0 && d.Weight <= 1) || d.Window < 1 {
			return nil, fmt.Errorf("parse lexicon: directed rule needs an entity, a weight in (0,1] and a window")
		}
		l.directed = directed{entities: map[string]bool{}, minWeight: d.MinWeight, targets: map[string]bool{}, window: d.Window, weight: d.Weight, entity: d.Entity}
		for _, e := range d.Entities {
			l.directed.entities[e] = true
		}
		for _, t := range d.Targets {
			l.directed.targets[normalizePhrase(t)] = true
		}
	}
	return l, nil
}

// indexPhraseKeywords builds the automaton that tells which phrases'
// keywords occur in a token stream. When every keyword is one of the
// embedded lexicons', it uses their shared automaton instead, so that the
// toxicity and sexual detectors make one keyword pass over a text.
func (l *Lexicon) indexPhraseKeywords() error {
	var kws []string
	seen := map[string]bool{}
	for _, p := range l.phrases {
		for _, k := range p.keywords {
			if !seen[k] {
				seen[k] = true
				kws = append(kws, k)
			}
		}
	}
	if len(kws) == 0 {
		return nil
	}
	ids := map[string]int{}
	if shared, err := sharedPhraseKeys(); err == nil && shared.covers(kws) {
		l.phraseKeys, l.sharedKeys, ids = shared.ac, true, shared.ids
	} else {
		for i, k := range kws {
			ids[k] = i
		}
		ac, err := newKeyIndex(kws)
		if err != nil {
			return fmt.Errorf("parse lexicon: build phrase keyword index: %w", err)
		}
		l.phraseKeys = ac
	}
	l.phrasesOf = make([][]int, len(ids))
	for pi, p := range l.phrases {
		for _, k := range p.keywords {
			if id := ids[k]; !slices.Contains(l.phrasesOf[id], pi) {
				l.phrasesOf[id] = append(l.phrasesOf[id], pi)
			}
		}
	}
	return nil
}

// phraseKeySet is one automaton over a set of phrase keywords.
type phraseKeySet struct {
	ac  *keyIndex
	ids map[string]int // keyword -> pattern id
}

func (s *phraseKeySet) covers(kws []string) bool {
	for _, k := range kws {
		if _, ok := s.ids[k]; !ok {
			return false
		}
	}
	return true
}

// sharedPhraseKeys holds the phrase keywords of both embedded lexicons.
var sharedPhraseKeys = sync.OnceValues(func() (*phraseKeySet, error) {
	set := &phraseKeySet{ids: map[string]int{}}
	var kws []string
	for _, data := range [][]byte{toxicityData, sexualData} {
		var f lexiconFile
		if err := yaml.Unmarshal(data, &f); err != nil {
			return nil, err
		}
		for _, p := range f.Phrases {
			for _, k := range p.Keywords {
				if _, ok := set.ids[k]; !ok {
					set.ids[k] = len(kws)
					kws = append(kws, k)
				}
			}
		}
	}
	ac, err := newKeyIndex(kws)
	if err != nil {
		return nil, err
	}
	set.ac = ac
	return set, nil
})

// keyIndex finds every occurrence of a set of keywords: with the engine's
// table-driven automaton, which finds what ahocorasick's
// FindAllOverlapping finds in the same order (see detect.TestAutomaton),
// into a reused slice; with ahocorasick when the keywords need more states
// than its table holds.
type keyIndex struct {
	dfa *detect.Automaton
	ac  *ahocorasick.Automaton
}

func newKeyIndex(kws []string) (*keyIndex, error) {
	if dfa, ok := detect.NewAutomaton(kws); ok {
		return &keyIndex{dfa: dfa}, nil
	}
	ac, err := ahocorasick.NewBuilder().AddStrings(kws).Build()
	if err != nil {
		return nil, err
	}
	return &keyIndex{ac: ac}, nil
}

// appendHits appends the keywords' occurrences in text to dst, Word being
// the keyword's index.
func (k *keyIndex) appendHits(dst []detect.Match, text []byte) []detect.Match {
	if k.dfa != nil {
		if detect.IsASCII(unsafe.String(unsafe.SliceData(text), len(text))) {
			return k.dfa.AppendMatchesASCII(dst, text)
		}
		return k.dfa.AppendMatches(dst, text)
	}
	for _, m := range k.ac.FindAllOverlapping(text) {
		dst = append(dst, detect.Match{Word: m.PatternID, Start: m.Start, End: m.End})
	}
	return dst
}

// token is one word of the input: its normalized form and byte span in the
// original text.
type token struct {
	norm       string
	start, end int
	hash       uint32 // wordHash of norm, for the lexicons' filters
	elongated  bool   // has a run of three or more equal letters
	masked     bool   // contains '*' standing for hidden letters
	single     bool   // norm is one rune
}

// wordHash hashes a normalized word for the lexicons' filters: its first
// eight bytes and its length, mixed once. Computed once per token (the
// tokenizer packs the bytes as it reads them), so a filter check costs no
// per-byte hashing; words alike in both only collide in the filter, and the
// map lookup behind it decides.
func wordHash(s string) uint32 {
	var packed uint64
	for i := 0; i < len(s) && i < 8; i++ {
		packed |= uint64(s[i]) << (8 * i)
	}
	return mixWord(packed, len(s))
}

func mixWord(packed uint64, n int) uint32 {
	h := (packed ^ uint64(n)<<58) * 0x9e3779b97f4a7c15
	return uint32(h >> 32)
}

// wordFilter is a one-hash Bloom filter over the words a lexicon can start
// a match with; most words of a benign text fail it without a map lookup.
type wordFilter [1 << 10]uint64

func (f *wordFilter) add(h uint32) { f[h>>6&(1<<10-1)] |= 1 << (h & 63) }

func (f *wordFilter) has(h uint32) bool { return f[h>>6&(1<<10-1)]&(1<<(h&63)) != 0 }

// leet maps look-alike digits and symbols inside words to letters.
var leet = map[rune]rune{'0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '9': 'g', '@': 'a', '$': 's', '!': 'i', '€': 'e'}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || r == '@' || r == '$' || r == '!' || r == '*' || r == '\'' || r == '’' || r == '€'
}

// asciiWord is isWordRune for ASCII bytes, and asciiLetter marks A-Z and
// a-z; both are tables because tokenizing is the detectors' hot loop.
// They have 256 entries so any byte indexes them; bytes from 0x80 are
// neither. tokenKind tells the tokenizer's fast path letters from digits.
const (
	kindLetter = 1 << iota
	kindDigit
)

var tokenKind = func() (t [256]byte) {
	for c := range 256 {
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			t[c] = kindLetter
		case c >= '0' && c <= '9':
			t[c] = kindDigit
		}
	}
	return t
}()

var asciiWord, asciiLetter = func() (w, l [256]bool) {
	for c := range utf8.RuneSelf {
		w[c] = isWordRune(rune(c))
		l[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	}
	return w, l
}()

// tokenize splits text into words with byte offsets and normalizes each:
// diacritics removed, lower case, apostrophes dropped and, in words that
// contain a letter, look-alike digits and symbols mapped to letters.
func tokenize(text string) []token {
	return tokenizeLower(text, "")
}

// tokenizeLower is tokenize with text's ASCII lower-casing at hand (or ""),
// which spares an allocation for every capitalised word.
func tokenizeLower(text, lower string) []token {
	return tokenizeInto(make([]token, 0, len(text)/6+1), text, lower)
}

// tokenizeInto is tokenizeLower appending to toks.
func tokenizeInto(toks []token, text, lower string) []token {
	if lower == "" {
		lower = lowerASCII(text)
	}
	for i := 0; i < len(text); {
		// Fast path: a word of ASCII letters only, or of digits only, is
		// its own normal form (its lower-casing; no leet without letters),
		// so it is hashed and checked for runs in the same pass.
		start := i
		var packed uint64
		var kinds, prev byte
		run, elongated := 0, false
		for i < len(text) {
			k := tokenKind[text[i]]
			if k == 0 {
				break
			}
			kinds |= k
			c := lower[i]
			if n := i - start; n < 8 {
				packed |= uint64(c) << (8 * n)
			}
			if c == prev {
				if run++; run >= 3 {
					elongated = true
				}
			} else {
				run, prev = 1, c
			}
			i++
		}
		if i > start && kinds != kindLetter|kindDigit && (i == len(text) || text[i] < utf8.RuneSelf && !asciiWord[text[i]]) {
			toks = append(toks, token{norm: lower[start:i], start: start, end: i, hash: mixWord(packed, i-start), elongated: elongated, single: i-start == 1})
			continue
		}
		// Slow path: the word goes on with digits, symbols or non-ASCII
		// runes, or this is not a word at all.
		i = start
		for i < len(text) {
			c := text[i]
			word, size := false, 1
			if c < utf8.RuneSelf {
				word = asciiWord[c]
			} else {
				var r rune
				r, size = utf8.DecodeRuneInString(text[i:])
				word = isWordRune(r)
			}
			if !word {
				break
			}
			i += size
		}
		if i > start {
			toks = appendToken(toks, text, lower, start, i)
			continue
		}
		// Skip to the next word.
		for i < len(text) {
			c := text[i]
			if c < utf8.RuneSelf {
				if asciiWord[c] {
					break
				}
				i++
				continue
			}
			r, size := utf8.DecodeRuneInString(text[i:])
			if isWordRune(r) {
				break
			}
			i += size
		}
	}
	return toks
}

// lowerASCII lower-cases the ASCII letters of s, keeping byte offsets.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func appendToken(toks []token, text, lower string, start, end int) []token {
	// Edge "!" and quotes are punctuation, not leet. A leading "*" is
	// markdown emphasis, and so is a trailing one after it ("*word*"); a
	// trailing "*" alone is a mask ("sh**").
	stars := start < end && text[start] == '*'
	for start < end && (text[start] == '!' || text[start] == '*' || text[start] == '\'') {
		start++
	}
	for end > start && (text[end-1] == '!' || text[end-1] == '\'' || stars && text[end-1] == '*') {
		end--
	}
	if strings.HasSuffix(text[start:end], "’") {
		end -= len("’")
	}
	if strings.HasPrefix(text[start:end], "’") {
		start += len("’")
	}
	if start >= end {
		return toks
	}
	var n string
	if lower != "" && isASCIILetters(text[start:end]) {
		// Letters only: normalizing is lower-casing, already done.
		n = lower[start:end]
	} else {
		n = normalizeWord(text[start:end])
	}
	if n == "" {
		return toks
	}
	single := len(n) == 1 || utf8.RuneCountInString(n) == 1
	return append(toks, token{norm: n, start: start, end: end, hash: wordHash(n), elongated: hasRun(n, 3),
		masked: strings.IndexByte(n, '*') >= 0, single: single})
}

// isASCIILetters reports whether s is ASCII letters only.
func isASCIILetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf || !asciiLetter[s[i]] {
			return false
		}
	}
	return true
}

// hasRun reports whether s has a run of n or more equal runes, i.e.
// whether squeeze(s, n-1) would change it.
func hasRun(s string, n int) bool {
	if detect.IsASCII(s) {
		run := 0
		for i := 0; i < len(s); i++ {
			if i > 0 && s[i] == s[i-1] {
				run++
			} else {
				run = 1
			}
			if run >= n {
				return true
			}
		}
		return false
	}
	var prev rune
	run := 0
	for _, r := range s {
		if r == prev {
			run++
		} else {
			prev, run = r, 1
		}
		if run >= n {
			return true
		}
	}
	return false
}

func normalizeWord(w string) string {
	if isASCIILower(w) {
		// The common case needs no decomposition, folding or mapping.
		return w
	}
	if detect.IsASCII(w) {
		return normalizeASCII(w)
	}
	return normalizeRunes(w)
}

// normalizeRunes is normalizeWord for any word: diacritics removed by NFD,
// leet mapped in words with a letter, apostrophes dropped, lower case.
func normalizeRunes(w string) string {
	hasLetter := false
	for _, r := range w {
		if unicode.IsLetter(r) {
			hasLetter = true
			break
		}
	}
	var b strings.Builder
	src := w
	if !detect.IsASCII(w) {
		src = norm.NFD.String(w)
	}
	for _, r := range src {
		switch {
		case unicode.Is(unicode.Mn, r), r == '\'', r == '’':
			continue
		case hasLetter && leet[r] != 0:
			r = leet[r]
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// normalizeASCII is normalizeWord for ASCII words (code, numbers, leet),
// without map lookups, and without allocating when nothing changes.
func normalizeASCII(w string) string {
	hasLetter := false
	for i := 0; i < len(w) && !hasLetter; i++ {
		hasLetter = asciiLetter[w[i]]
	}
	changes := func(c byte) bool {
		return c == '\'' || c >= 'A' && c <= 'Z' || hasLetter && leetASCII[c] != 0
	}
	i := 0
	for i < len(w) && !changes(w[i]) {
		i++
	}
	if i == len(w) {
		return w
	}
	b := make([]byte, i, len(w))
	copy(b, w[:i])
	for ; i < len(w); i++ {
		c := w[i]
		switch {
		case c == '\'':
			continue
		case hasLetter && leetASCII[c] != 0:
			c = leetASCII[c]
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b)
}

// leetASCII is leet for ASCII bytes.
var leetASCII = func() (t [256]byte) {
	for r, l := range leet {
		if r < utf8.RuneSelf {
			t[r] = byte(l)
		}
	}
	return t
}()

// isASCIILower reports whether s is lower-case ASCII letters only.
func isASCIILower(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

// normalizePhrase normalizes a lexicon entry word by word.
func normalizePhrase(s string) string {
	toks := tokenize(s)
	words := make([]string, len(toks))
	for i, t := range toks {
		words[i] = t.norm
	}
	return strings.Join(words, " ")
}

// squeeze shortens every run of one repeated rune to at most keep runes.
func squeeze(s string, keep int) string {
	var b strings.Builder
	var prev rune
	run := 0
	for _, r := range s {
		if r == prev {
			run++
		} else {
			prev, run = r, 1
		}
		if run <= keep {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// match is one lexicon hit with its byte span in the original text.
type match struct {
	entity     string
	weight     float64
	start, end int
	firm       bool // from a firm phrase
}

// maxMatches bounds the findings from one text.
const maxMatches = 64

// Match finds lexicon terms and phrases in text and returns the matches and
// the number of words, from which the caller computes density. Terms whose
// normalized form is in allow are skipped.
func (l *Lexicon) Match(text string, allow map[string]bool) ([]match, int) {
	return l.matchText(&tokenized{toks: tokenize(text)}, allow, nil)
}

// matchText is Match over a tokenized text, which it does not modify: it
// may be shared with the other lexicon scanning the same text. When guarded
// is not nil, the byte spans of the term matches the term guard dropped are
// appended to it.
func (l *Lexicon) matchText(tx *tokenized, allow map[string]bool, guarded *[][2]int) ([]match, int) {
	toks, shared := tx.toks, true
	var out []match
	var hit []bool
	for i := 0; i < len(toks) && len(out) < maxMatches; i++ {
		if tk := &toks[i]; !tk.elongated && !tk.masked && !l.first.has(tk.hash) {
			continue
		}
		n, key, t, ok := l.lookupAt(toks, i)
		if !ok {
			continue
		}
		if hit == nil {
			hit = make([]bool, len(toks))
		}
		if n == 1 && toks[i].norm != key {
			// Phrase patterns then see "fuck" where the text had "f*ck".
			if shared {
				toks, shared = slices.Clone(toks), false
			}
			toks[i].norm = key
		}
		switch {
		case allow[key]:
		case l.guarded(toks, i, n, key, t.Entity):
			if guarded != nil {
				*guarded = append(*guarded, [2]int{toks[i].start, toks[i+n-1].end})
			}
		default:
			out = append(out, match{entity: t.Entity, weight: t.Weight, start: toks[i].start, end: toks[i+n-1].end})
		}
		for k := i; k < i+n; k++ {
			hit[k] = true
		}
		i += n - 1
	}
	out = append(out, l.spelledOut(toks, hit, allow)...)
	out = append(out, l.directedMatches(toks, out)...)
	out = append(out, l.phraseMatches(toks, tx)...)
	slices.SortStableFunc(out, func(a, b match) int { return a.start - b.start })
	if len(out) > maxMatches {
		out = out[:maxMatches]
	}
	return out, len(toks)
}

// lookupAt tries the longest multi-word term first, then one-word variants:
// as written, with long letter runs shortened, squeezed, and masked. It
// returns the number of words matched and the lexicon key.
func (l *Lexicon) lookupAt(toks []token, i int) (int, string, term, bool) {
	if l.multiFirst[toks[i].norm] {
		var buf [128]byte
		for n := min(l.maxWords, len(toks)-i); n >= 2; n-- {
			key := buf[:0]
			for k := range n {
				if k > 0 {
					key = append(key, ' ')
				}
				key = append(key, toks[i+k].norm...)
			}
			if t, ok := l.terms[string(key)]; ok {
				return n, string(key), t, true
			}
		}
	}
	tk := toks[i]
	if t, ok := l.terms[tk.norm]; ok {
		return 1, tk.norm, t, true
	}
	if tk.elongated {
		if key := squeeze(tk.norm, 2); l.terms[key] != (term{}) {
			return 1, key, l.terms[key], true
		}
		if e, ok := l.collapsed[squeeze(tk.norm, 1)]; ok {
			return 1, e.key, e.term, true
		}
	}
	if tk.masked {
		if key, ok := l.masked(tk.norm); ok {
			return 1, key, l.terms[key], true
		}
	}
	return 0, "", term{}, false
}

// masked matches a word like "f*ck" or "sh**" against terms of the same
// length, '*' standing for any letter; at least two letters must be shown.
func (l *Lexicon) masked(w string) (string, bool) {
	runes := []rune(w)
	shown := 0
	for _, r := range runes {
		if r != '*' {
			shown++
		}
	}
	if shown < 2 || shown == len(runes) {
		return "", false
	}
	for _, cand := range l.byLen[len(runes)] {
		ok := true
		for k, r := range []rune(cand) {
			if runes[k] != '*' && runes[k] != r {
				ok = false
				break
			}
		}
		if ok {
			return cand, true
		}
	}
	return "", false
}

// spelledOut joins runs of three or more one-letter words separated by at
// most two bytes ("f u c k", "f.u.c.k") and looks them up as one word. hit
// marks tokens already matched; nil means none.
func (l *Lexicon) spelledOut(toks []token, hit []bool, allow map[string]bool) []match {
	var out []match
	for i := 0; i < len(toks); {
		if !toks[i].single {
			i++
			continue
		}
		j := i
		for j < len(toks) && toks[j].single && (hit == nil || !hit[j]) &&
			(j == i || toks[j].start-toks[j-1].end <= 2) {
			j++
		}
		if j-i >= 3 {
			var b strings.Builder
			for k := i; k < j; k++ {
				b.WriteString(toks[k].norm)
			}
			if t, ok := l.terms[b.String()]; ok && !allow[b.String()] {
				out = append(out, match{entity: t.Entity, weight: t.Weight, start: toks[i].start, end: toks[j-1].end})
			}
		}
		i = max(j, i+1)
	}
	return out
}

// directedMatches adds a stronger match where a term of a directed entity
// has a target word ("you", "ur") within the window before or after it.
func (l *Lexicon) directedMatches(toks []token, ms []match) []match {
	d := l.directed
	if len(d.targets) == 0 {
		return nil
	}
	var out []match
	for _, m := range ms {
		if !d.entities[m.entity] || m.weight < d.minWeight {
			continue
		}
		i, _ := slices.BinarySearchFunc(toks, m.start, func(t token, s int) int { return t.start - s })
		j := i
		for j < len(toks) && toks[j].end < m.end {
			j++
		}
		for k := max(0, i-d.window); k <= min(len(toks)-1, j+d.window); k++ {
			if (k < i || k > j) && d.targets[toks[k].norm] {
				out = append(out, match{entity: d.entity, weight: d.weight, start: min(m.start, toks[k].start), end: max(m.end, toks[k].end)})
				break
			}
		}
	}
	return out
}

// phraseMatches runs phrase patterns over the normalized words joined by
// single spaces and maps matches back to the original byte offsets.
func (l *Lexicon) phraseMatches(toks []token, shared *tokenized) []match {
	if len(l.phrases) == 0 || len(toks) == 0 {
		return nil
	}
	ts := shared.stream()
	if &shared.toks[0] != &toks[0] {
		ts = buildStream(toks)
	}
	stream, starts := ts.text, ts.starts
	// A phrase runs only where the stream contains one of its keywords:
	// on windows around them (all of it when the phrase has none).
	var near [][][2]int
	if l.phraseKeys != nil {
		near = shared.nearWindows(len(l.phrases))
		var hits []detect.Match
		if l.sharedKeys && ts == shared.stream() {
			hits = shared.sharedPhraseHits(l.phraseKeys)
		} else {
			hits = l.phraseKeys.appendHits(nil, stream)
		}
		for _, m := range hits {
			for _, pi := range l.phrasesOf[m.Word] {
				near[pi] = addWindow(near[pi], stream, m.Start, m.End, l.phrases[pi].radius)
			}
		}
	}
	tokenAt := func(off int) int {
		i, found := slices.BinarySearch(starts, off)
		if !found {
			i--
		}
		return max(i, 0)
	}
	// (?i) folds k and s to the Kelvin sign and long s too, which the
	// ASCII lower-casing the prefixes are looked for in keeps.
	plain := !bytes.Contains(stream, []byte("\u212a")) && !bytes.Contains(stream, []byte("\u017f"))
	var lower []byte
	sc := &shared.led
	var out []match
	for pi, p := range l.phrases {
		windows := [][2]int{{0, len(stream)}}
		if len(p.keywords) > 0 {
			windows = near[pi]
		}
		n := 0
		for _, w := range windows {
			if p.required != nil && !p.required.In(stream[w[0]:w[1]]) {
				continue
			}
			if p.branches != nil && !p.branches.In(stream[w[0]:w[1]]) {
				continue
			}
			var locs [][]int
			if plain && p.led != nil {
				if lower == nil {
					lower = detect.Bytes(detect.LowerASCII(unsafe.String(unsafe.SliceData(stream), len(stream))))
				}
				locs = p.led.Matches(stream, lower, w[0], w[1], maxPhraseMatches-n, sc)
			} else {
				locs = p.re.FindAllIndex(stream[w[0]:w[1]], maxPhraseMatches-n)
			}
			for _, loc := range locs {
				start, end := w[0]+loc[0], w[0]+loc[1]
				// A match this long is cut by the window: the regex saw
				// an edge that is not the stream's.
				if end <= start || start == w[0] && w[0] > 0 || end == w[1] && w[1] < len(stream) {
					continue
				}
				if n++; l.reported(stream, start, end) {
					continue
				}
				first, last := tokenAt(start), tokenAt(end-1)
				out = append(out, match{entity: p.entity, weight: p.weight, start: toks[first].start, end: toks[last].end, firm: p.firm})
			}
			if n >= maxPhraseMatches {
				break
			}
		}
	}
	return out
}

// reported tells whether the phrase match stream[start:end] is reported or
// denounced speech rather than said: a reporting verb right before it
// ("saying …", "statements like …") or a judgment right after it ("… is a
// hateful thing to say"). Counter-speech quotes the abuse it answers.
func (l *Lexicon) reported(stream []byte, start, end int) bool {
	if l.reportedBefore != nil && l.reportedBefore.Match(stream[max(0, start-reportedReach):start]) {
		return true
	}
	return l.reportedAfter != nil && l.reportedAfter.Match(stream[end:min(len(stream), end+reportedReach)])
}

// guarded tells whether the term match toks[i:i+n] (lexicon key, entity)
// is one the term guard drops.
func (l *Lexicon) guarded(toks []token, i, n int, key, entity string) bool {
	g := &l.guard
	if !g.entities[entity] {
		return false
	}
	if ctx := g.homonyms[key]; ctx != nil {
		for _, t := range toks {
			if ctx[t.norm] {
				return true
			}
		}
	}
	words := func(from, to int) string {
		var b strings.Builder
		for k := from; k < to; k++ {
			if k > from {
				b.WriteByte(' ')
			}
			b.WriteString(toks[k].norm)
		}
		return b.String()
	}
	if g.before != nil && i > 0 && g.before.MatchString(words(max(0, i-guardReach), i)+" ") {
		return true
	}
	end := i + n
	return g.after != nil && end < len(toks) && g.after.MatchString(" "+words(end, min(len(toks), end+guardReach)))
}

// reportedReach is how many stream bytes around a phrase match the
// reported-speech patterns see.
const reportedReach = 64

const (
	// maxPhraseMatches bounds the matches of one phrase pattern in a text.
	maxPhraseMatches = 8
	// phraseRadius is how far around a keyword a phrase pattern with no
	// bounded length looks, in stream bytes: far more than phrases span.
	phraseRadius = 512
)

// addWindow adds the window of radius bytes around [start,end) of stream
// to ws, its edges moved out to token boundaries (a space or the stream's
// ends) so \b sees what it sees in the whole stream; windows that touch are
// merged.
func addWindow(ws [][2]int, stream []byte, start, end, radius int) [][2]int {
	lo, hi := max(start-radius, 0), min(end+radius, len(stream))
	if lo > 0 {
		if i := bytes.LastIndexByte(stream[:lo], ' '); i >= 0 {
			lo = i + 1
		} else {
			lo = 0
		}
	}
	if i := bytes.IndexByte(stream[hi:], ' '); i >= 0 {
		hi += i
	} else {
		hi = len(stream)
	}
	if n := len(ws); n > 0 && lo <= ws[n-1][1] {
		ws[n-1] = [2]int{min(ws[n-1][0], lo), max(ws[n-1][1], hi)}
		return ws
	}
	return append(ws, [2]int{lo, hi})
}

// tokenStream is the normalized words joined by single spaces, with the
// offset of each token in it.
type tokenStream struct {
	text   []byte
	starts []int
}

func buildStream(toks []token) *tokenStream {
	ts := buildStreamInto(tokenStream{}, toks)
	return &ts
}

// buildStreamInto is buildStream reusing ts's buffers.
func buildStreamInto(ts tokenStream, toks []token) tokenStream {
	n := len(toks)
	for _, t := range toks {
		n += len(t.norm)
	}
	ts.text = slices.Grow(ts.text[:0], n)
	ts.starts = slices.Grow(ts.starts[:0], len(toks))[:len(toks)]
	for i, t := range toks {
		if i > 0 {
			ts.text = append(ts.text, ' ')
		}
		ts.starts[i] = len(ts.text)
		ts.text = append(ts.text, t.norm...)
	}
	return ts
}

// tokenized is a tokenized text, shared by the lexicons that scan it; its
// stream is built on first use.
type tokenized struct {
	toks  []token
	ts    tokenStream
	built bool
	// phraseHits are the shared phrase keywords found in ts, once looked for.
	phraseHits    []detect.Match
	phraseHitsSet bool
	// near is phraseMatches' storage for the windows of each phrase, kept
	// across the lexicons and texts a pooled tokenized serves: a lexicon
	// has hundreds of phrases, and most texts hit none of them.
	near [][][2]int
	// release is recycle, bound once per pooled tokenized so handing it to
	// a memo allocates nothing.
	release func()
	// led is the scratch of phraseMatches' anchored phrases.
	led detect.LedScratch
}

// nearWindows returns n empty window lists, reusing their storage.
func (t *tokenized) nearWindows(n int) [][][2]int {
	if cap(t.near) < n {
		t.near = make([][][2]int, n)
	}
	near := t.near[:n]
	for i := range near {
		near[i] = near[i][:0]
	}
	return near
}

// sharedPhraseHits returns the hits of ac (the shared phrase keywords) in
// the stream, finding them on first use.
func (t *tokenized) sharedPhraseHits(ac *keyIndex) []detect.Match {
	if !t.phraseHitsSet {
		t.phraseHits, t.phraseHitsSet = ac.appendHits(t.phraseHits[:0], t.stream().text), true
	}
	return t.phraseHits
}

func (t *tokenized) stream() *tokenStream {
	if !t.built {
		t.ts = buildStreamInto(t.ts, t.toks)
		t.built = true
	}
	return &t.ts
}

// tokenizedPool recycles the token and stream buffers of scanned texts.
var tokenizedPool = sync.Pool{New: func() any { return new(tokenized) }}

// recycle returns t to the pool, keeping its buffers unless they grew
// large (one huge message should not pin memory).
func (t *tokenized) recycle() {
	if cap(t.toks) > 1<<16 {
		return
	}
	clear(t.toks) // drop the strings the tokens point into
	t.toks, t.built = t.toks[:0], false
	t.phraseHits, t.phraseHitsSet = t.phraseHits[:0], false
	t.ts.text, t.ts.starts = t.ts.text[:0], t.ts.starts[:0]
	tokenizedPool.Put(t)
}
