package pii

import (
	"encoding/binary"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"github.com/claudit/claudit/internal/policy/detect"
)

// The learned recognizer finds PERSON, STREET_ADDRESS and PHONE where the
// rule recognizers have no cue or no fixed layout to go on. Candidate spans
// come from cheap generators over a token stream: runs of capitalised words
// (PERSON), numbers with the words around them (STREET_ADDRESS) and runs of
// digits with number punctuation (PHONE). Each candidate becomes a set of
// hashed string features (its words' shapes, affixes and whether they are
// common lower-case words, the words around it, number layouts, phone
// number validity) scored by a logistic model per entity, trained by
// tools/trainpii on row-labelled data with a noisy-OR multiple-instance loss.

// Model entity indexes, the order of ModelEntities.
const (
	modelPerson = iota
	modelStreet
	modelPhone
	numModelEntities
)

// ModelEntities are the entities the learned recognizer scores, in the
// order of the model's per-entity parameters.
var ModelEntities = [numModelEntities]string{Person, StreetAddress, Phone}

// Token kinds.
const (
	tokWord = iota + 1
	tokNum
	tokPunct
	tokNewline
)

type token struct {
	start, end int
	kind       uint8
	// cap: the word starts with an upper-case letter; upper: every letter
	// is upper case; ascii: the word is ASCII only.
	cap, upper, ascii bool
}

// maxTokens bounds the tokens featurized in one text, which keeps the
// model's cost linear and small on very long messages.
const maxTokens = 4096

// tokenize splits text into words (letters, with inner apostrophes and
// hyphens), numbers, single punctuation marks and newlines.
func tokenize(text string, buf []token) []token {
	toks := buf[:0]
	for i := 0; i < len(text) && len(toks) < maxTokens; {
		c := text[i]
		switch {
		case c == '\n':
			toks = append(toks, token{start: i, end: i + 1, kind: tokNewline})
			i++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			i++
		case isDigit(c):
			j := i
			for j < len(text) && isDigit(text[j]) {
				j++
			}
			toks = append(toks, token{start: i, end: j, kind: tokNum})
			i = j
		case c < utf8.RuneSelf && !isLetterByte(c):
			toks = append(toks, token{start: i, end: i + 1, kind: tokPunct})
			i++
		default:
			r, n := utf8.DecodeRuneInString(text[i:])
			if !unicode.IsLetter(r) {
				if unicode.IsSpace(r) {
					i += n
					continue
				}
				toks = append(toks, token{start: i, end: i + n, kind: tokPunct})
				i += n
				continue
			}
			t := token{start: i, kind: tokWord, cap: unicode.IsUpper(r), upper: true, ascii: true}
			j := i
			for j < len(text) {
				if c := text[j]; c < utf8.RuneSelf {
					// ASCII fast path.
					if isLetterByte(c) {
						if c >= 'a' {
							t.upper = false
						}
						j++
						continue
					}
					if c != '\'' && c != '-' {
						break // no ASCII byte else is a letter or a mark
					}
				}
				r, n := utf8.DecodeRuneInString(text[j:])
				if unicode.IsLetter(r) || unicode.Is(unicode.Mn, r) {
					if r >= utf8.RuneSelf {
						t.ascii = false
					}
					if unicode.IsLower(r) {
						t.upper = false
					}
					j += n
					continue
				}
				// Inner apostrophe or hyphen: O'Neil, Jean-Luc.
				if (r == '\'' || r == '’' || r == '-') && j+n < len(text) {
					if r2, _ := utf8.DecodeRuneInString(text[j+n:]); unicode.IsLetter(r2) {
						if r == '’' {
							t.ascii = false
						}
						j += n
						continue
					}
				}
				break
			}
			t.end = j
			toks = append(toks, t)
			i = j
		}
	}
	return toks
}

func isLetterByte(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// featureHash builds the bucket index of a string feature without
// allocating: FNV-1a over a feature kind and its parts, ASCII lower-cased.
type featureHash uint64

const (
	fnv64Offset = 14695981039346656037
	fnv64Prime  = 1099511628211
)

func newHash(kind string) featureHash {
	h := featureHash(fnv64Offset)
	return h.add(kind)
}

func (h featureHash) add(s string) featureHash {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		h ^= featureHash(c)
		h *= fnv64Prime
	}
	// A separator so ("ab","c") and ("a","bc") differ.
	h ^= 0xff
	h *= fnv64Prime
	return h
}

func (h featureHash) addInt(n int) featureHash {
	var b [20]byte
	for _, c := range strconv.AppendInt(b[:0], int64(n), 10) {
		h ^= featureHash(c)
		h *= fnv64Prime
	}
	h ^= 0xff
	h *= fnv64Prime
	return h
}

func (h featureHash) index(bits uint8) uint32 {
	x := uint64(h)
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	return uint32(x >> (64 - uint64(bits)))
}

// Featurizer turns a text into scored candidates' features. It holds the
// common-word vocabulary the model was trained with; it is read-only after
// construction and safe for concurrent use.
type Featurizer struct {
	bits     uint8
	common   *hashSet
	suffixes map[featureHash]bool
	// numbered holds words that number things other than houses ("Python
	// 3", "Chapter 5"): a number right after one is no house number.
	// numberedScored holds more such words, checked only after scoring.
	numbered, numberedScored map[featureHash]bool
	// products holds names of software and companies that are no person
	// ("Linux", "Jira"): a PERSON span of only these and common words is
	// not scored.
	products map[featureHash]bool
	region   string
}

// hashSet is a set of word hashes with open addressing: the common-word
// lookup runs for every word of every text, where a Go map costs several
// times more.
type hashSet struct {
	slots []featureHash // 0 marks an empty slot
	mask  uint64
}

func newHashSet(hs []featureHash) *hashSet {
	n := 16
	for n < 2*len(hs) {
		n *= 2
	}
	s := &hashSet{slots: make([]featureHash, n), mask: uint64(n - 1)}
	for _, h := range hs {
		if h == 0 || s.has(h) {
			continue
		}
		i := uint64(h) & s.mask
		for s.slots[i] != 0 {
			i = (i + 1) & s.mask
		}
		s.slots[i] = h
	}
	return s
}

func (s *hashSet) has(h featureHash) bool {
	for i := uint64(h) & s.mask; ; i = (i + 1) & s.mask {
		switch s.slots[i] {
		case h:
			return true
		case 0:
			return false
		}
	}
}

// NewFeaturizer returns a featurizer hashing into 2^bits buckets, with the
// given common lower-case words and the embedded street-type words.
func NewFeaturizer(bits uint8, commonWords []string) (*Featurizer, error) {
	f := &Featurizer{bits: bits, region: "US"}
	var common []featureHash
	for _, w := range commonWords {
		common = append(common, newHash("").add(w))
	}
	everyday, err := loadSet("data/common_words.txt", true)
	if err != nil {
		return nil, err
	}
	for line := range everyday {
		for _, w := range strings.Fields(line) {
			common = append(common, newHash("").add(w))
		}
	}
	f.common = newHashSet(common)
	for _, set := range []struct {
		path string
		dst  *map[featureHash]bool
	}{
		{"data/street_suffixes.txt", &f.suffixes},
		{"data/numbered_nouns.txt", &f.numbered},
		{"data/numbered_nouns_scored.txt", &f.numberedScored},
		{"data/product_names.txt", &f.products},
	} {
		words, err := loadSet(set.path, true)
		if err != nil {
			return nil, err
		}
		*set.dst = make(map[featureHash]bool, len(words))
		for w := range words {
			(*set.dst)[newHash("").add(w)] = true
		}
	}
	return f, nil
}

// ModelCandidate is one span the learned recognizer scores: its entity
// index (into ModelEntities), byte span and feature bucket indexes.
type ModelCandidate struct {
	Entity     int
	Start, End int
	Features   []uint32
	// Intrinsic counts the leading features that describe the span itself;
	// the rest describe its context (the trainer drops those at random so
	// the span's own features carry weight).
	Intrinsic int
	// margin is the sum of the feature weights when the candidate was made
	// for scoring (Features is then nil).
	margin float64
}

// textFeatures is the per-text state of one featurization.
type textFeatures struct {
	f    *Featurizer
	text string
	toks []token
	// wordHash caches each token's lower-cased hash; common marks common
	// words.
	wordHash []featureHash
	common   []bool
	out      []ModelCandidate
	feats    []uint32
	// hasCapital: the text has a capitalised word.
	hasCapital bool
	// shouting marks the tokens of sentences with a common word in
	// capitals ("IS", "THE"): there capitals say nothing about names.
	shouting []bool
	// intrinsic is len(feats) when the context features began.
	intrinsic int
	// weights, when set, are summed into margin instead of collecting
	// features: the detector's allocation-free path.
	weights []float32
	margin  float64
	// phoneChecks memoizes libphonenumber's verdicts; nil parses each time.
	phoneChecks *phoneChecks
}

// Candidates returns the text's candidates with their features, for the
// entities enabled in want (indexed like ModelEntities).
func (f *Featurizer) Candidates(text string, want [numModelEntities]bool) []ModelCandidate {
	tf := f.newText(text)
	var out []ModelCandidate
	for e, ok := range want {
		if ok {
			out = append(out, tf.candidates(e)...)
		}
	}
	return out
}

// newText tokenizes text once for any number of candidates calls.
func (f *Featurizer) newText(text string) *textFeatures {
	return f.fillText(&textFeatures{toks: make([]token, 0, min(len(text)/4+4, maxTokens))}, text)
}

// textFeaturesPool recycles the buffers of the detector's textFeatures
// once the scan that made them ends (see scan.recycle).
var textFeaturesPool = sync.Pool{New: func() any { return new(textFeatures) }}

// fillText is newText in tf, reusing its token, hash and feature buffers.
func (f *Featurizer) fillText(tf *textFeatures, text string) *textFeatures {
	toks, wordHash, common, feats := tf.toks[:0], tf.wordHash[:0], tf.common[:0], tf.feats[:0]
	*tf = textFeatures{f: f, text: text, feats: feats}
	tf.toks = tokenize(text, toks)
	tf.wordHash = slices.Grow(wordHash, len(tf.toks))[:len(tf.toks)]
	clear(tf.wordHash)
	tf.common = slices.Grow(common, len(tf.toks))[:len(tf.toks)]
	clear(tf.common)
	for i, t := range tf.toks {
		if t.kind != tokWord {
			continue
		}
		h := newHash("").add(text[t.start:t.end])
		tf.wordHash[i] = h
		tf.common[i] = f.common.has(h)
		tf.hasCapital = tf.hasCapital || t.cap
	}
	tf.markShouting()
	return tf
}

// markShouting sets shouting for the sentences that hold a common word of
// two letters or more written in capitals.
func (tf *textFeatures) markShouting() {
	start, loud := 0, false
	for i := 0; i <= len(tf.toks); i++ {
		if i == len(tf.toks) || tf.isBreak(i) {
			if loud {
				if tf.shouting == nil {
					tf.shouting = make([]bool, len(tf.toks))
				}
				for k := start; k < i; k++ {
					tf.shouting[k] = true
				}
			}
			start, loud = i+1, false
			continue
		}
		t := tf.toks[i]
		loud = loud || t.kind == tokWord && t.upper && t.end-t.start > 1 && tf.common[i]
	}
}

// candidates returns entity e's candidates (an index into ModelEntities).
func (tf *textFeatures) candidates(e int) []ModelCandidate {
	tf.out = nil
	switch e {
	case modelPerson:
		tf.persons()
	case modelStreet:
		tf.streets()
	case modelPhone:
		tf.phones()
	}
	return tf.out
}

func (tf *textFeatures) emit(entity, start, end int) {
	c := ModelCandidate{Entity: entity, Start: start, End: end, Intrinsic: tf.intrinsic, margin: tf.margin}
	if tf.weights == nil {
		c.Features = make([]uint32, len(tf.feats))
		copy(c.Features, tf.feats)
	}
	tf.out = append(tf.out, c)
	tf.feats = tf.feats[:0]
	tf.intrinsic = 0
	tf.margin = 0
}

func (tf *textFeatures) put(h featureHash) {
	if tf.weights != nil {
		tf.margin += float64(tf.weights[h.index(tf.f.bits)])
		tf.intrinsic++
		return
	}
	tf.feats = append(tf.feats, h.index(tf.f.bits))
}

func (tf *textFeatures) tokText(i int) string {
	return tf.text[tf.toks[i].start:tf.toks[i].end]
}

// repr is how a context token enters a feature: common words as
// themselves, street-type words as themselves, other words, numbers and
// punctuation by shape.
func (tf *textFeatures) repr(i int) string {
	if i < 0 {
		return "<bos>"
	}
	if i >= len(tf.toks) {
		return "<eos>"
	}
	t := tf.toks[i]
	switch t.kind {
	case tokNewline:
		return "<nl>"
	case tokPunct:
		return tf.tokText(i)
	case tokNum:
		return numShape(t.end - t.start)
	}
	if tf.common[i] || tf.f.suffixes[tf.wordHash[i]] {
		return tf.tokText(i)
	}
	return wordShape(t)
}

func numShape(n int) string {
	if n < len(numShapes) {
		return numShapes[n]
	}
	return "<dd>"
}

var numShapes = [...]string{"<d0>", "<d1>", "<d2>", "<d3>", "<d4>", "<d5>"}

func wordShape(t token) string {
	n := t.end - t.start
	switch {
	case t.upper && n == 1:
		return "<X>"
	case t.upper:
		return "<XX>"
	case t.cap:
		return "<Xx>"
	}
	return "<x>"
}

// isBreak reports whether token i ends a sentence or a line.
func (tf *textFeatures) isBreak(i int) bool {
	if i < 0 || i >= len(tf.toks) {
		return true
	}
	t := tf.toks[i]
	if t.kind == tokNewline {
		return true
	}
	if t.kind != tokPunct {
		return false
	}
	switch tf.text[t.start] {
	case '.', '!', '?', ':', ';', '"', '(', ')', '[', ']', '|':
		return true
	}
	return false
}

// context adds the words around tokens [i,j): the next two either side
// one by one, the pair before, and a bag of the common words further out.
func (tf *textFeatures) context(prefix string, i, j, before, after int) {
	if tf.weights == nil {
		tf.intrinsic = len(tf.feats)
	}
	p1, p2 := tf.repr(i-1), tf.repr(i-2)
	n1, n2 := tf.repr(j), tf.repr(j+1)
	tf.put(newHash(prefix).add("p1").add(p1))
	tf.put(newHash(prefix).add("p2").add(p2))
	tf.put(newHash(prefix).add("p21").add(p2).add(p1))
	tf.put(newHash(prefix).add("n1").add(n1))
	tf.put(newHash(prefix).add("n2").add(n2))
	tf.put(newHash(prefix).add("n12").add(n1).add(n2))
	tf.put(newHash(prefix).add("p1n1").add(p1).add(n1))
	for k := i - 3; k >= 0 && k >= i-before; k-- {
		if tf.common[k] || tf.toks[k].kind == tokWord && tf.f.suffixes[tf.wordHash[k]] {
			tf.put(newHash(prefix).add("bw").add(tf.tokText(k)))
		}
	}
	for k := j + 2; k < len(tf.toks) && k < j+after; k++ {
		if tf.common[k] {
			tf.put(newHash(prefix).add("aw").add(tf.tokText(k)))
		}
	}
}

// isNameToken reports whether token i may be part of a name: a capitalised
// word, or a one-letter initial.
func (tf *textFeatures) isNameToken(i int) bool {
	t := tf.toks[i]
	if t.kind != tokWord || !t.cap || t.upper && t.end-t.start > 1 && tf.shouting != nil && tf.shouting[i] {
		return false
	}
	// Code, not prose: a member after a dot or underscore (fmt.Println,
	// os_Exit), or a call (Println().
	if t.start > 0 {
		if c := tf.text[t.start-1]; c == '.' || c == '_' || c == '/' || isAlnum(c) {
			return false
		}
	}
	return t.end == len(tf.text) || tf.text[t.end] != '(' && tf.text[t.end] != '_'
}

// maxNameRun and maxNameLen bound the runs of capitalised words searched and
// the candidate spans within them.
const (
	maxNameRun = 8
	maxNameLen = 3
)

// persons emits every span of one to three tokens inside runs of
// capitalised words (an initial's period may sit inside a run).
func (tf *textFeatures) persons() {
	toks := tf.toks
	for i := 0; i < len(toks); {
		if !tf.isNameToken(i) {
			i++
			continue
		}
		// The run's name tokens, skipping an initial's or title's period.
		var run [maxNameRun]int
		run[0] = i
		idx := run[:1]
		k := i + 1
		for k < len(toks) && len(idx) < maxNameRun {
			if tf.isNameToken(k) {
				idx = append(idx, k)
				k++
				continue
			}
			last := toks[idx[len(idx)-1]]
			if toks[k].kind == tokPunct && tf.text[toks[k].start] == '.' && last.end == toks[k].start &&
				last.end-last.start <= 3 && k+1 < len(toks) && tf.isNameToken(k+1) {
				k++
				continue
			}
			break
		}
		for a := range idx {
			for b := a; b < len(idx) && b < a+maxNameLen; b++ {
				tf.person(idx, a, b)
			}
		}
		i = k
	}
}

// person featurizes the name span from idx[a] to idx[b] of a run.
func (tf *textFeatures) person(idx []int, a, b int) {
	first, last := idx[a], idx[b]
	// A lone "I", and a lone common word starting a sentence ("We",
	// "Could"), are not scored: they are most of the capitalised words in
	// prose and almost never names.
	if a == b {
		t := tf.toks[first]
		if t.end-t.start == 1 && tf.text[t.start] == 'I' || tf.common[first] && tf.isBreak(first-1) {
			return
		}
		// Nor is a lone word in capitals: an acronym ("JSON", "NASA")
		// far more often than a surname.
		if t.upper && t.end-t.start > 1 {
			return
		}
	}
	// Nor is a span of product names and common words that holds a
	// product name ("Linux", "Google Cloud Storage").
	product := false
	for k := a; k <= b; k++ {
		w := idx[k]
		if tf.f.products[tf.wordHash[w]] {
			product = true
		} else if !tf.common[w] {
			product = false
			break
		}
	}
	if product {
		return
	}
	// Nor is a span of common words only, inside a longer run ("Lane" in
	// "Harbour Lane"): the run's other spans cover the name in it.
	if n := b - a + 1; n < len(idx) {
		all := true
		for k := a; k <= b && all; k++ {
			all = tf.common[idx[k]]
		}
		if all {
			return
		}
	}
	n := b - a + 1
	tf.put(newHash("P:bias"))
	tf.put(newHash("P:n").addInt(n))
	// The span's pattern: each token's shape and whether it is common.
	pattern := newHash("P:pattern")
	for k := a; k <= b; k++ {
		pattern = pattern.add(wordShape(tf.toks[idx[k]]))
		if tf.common[idx[k]] {
			pattern = pattern.add("c")
		}
	}
	tf.put(pattern)
	allCommon := true
	for k := a; k <= b; k++ {
		ti := idx[k]
		t := tf.toks[ti]
		role := "m"
		switch {
		case n == 1:
			role = "o"
		case k == a:
			role = "f"
		case k == b:
			role = "l"
		}
		w := tf.tokText(ti)
		shape := wordShape(t)
		if !t.ascii {
			tf.put(newHash("P:nonascii"))
		}
		tf.put(newHash("P:sh").add(role).add(shape))
		tf.put(newHash("P:len").add(role).addInt(min(t.end-t.start, 10)))
		if tf.common[ti] {
			tf.put(newHash("P:cw").add(role).add(w))
			tf.put(newHash("P:cw").add(role))
		} else {
			allCommon = false
			tf.put(newHash("P:uw").add(role))
			if tf.f.suffixes[tf.wordHash[ti]] {
				tf.put(newHash("P:sfx").add(role).add(w))
			}
		}
		// Affixes in bytes; the hash lower-cases ASCII.
		if len(w) >= 4 {
			tf.put(newHash("P:s3").add(w[len(w)-3:]))
			tf.put(newHash("P:s2").add(w[len(w)-2:]))
			tf.put(newHash("P:p3").add(w[:3]))
		}
		if ti+1 < len(tf.toks) && tf.toks[ti+1].start == t.end && tf.text[t.end] == '.' {
			tf.put(newHash("P:dot").add(role).addInt(min(t.end-t.start, 4)))
		}
	}
	if allCommon {
		tf.put(newHash("P:allcommon").addInt(n))
	}
	if a > 0 {
		tf.put(newHash("P:lcap"))
	}
	if b < len(idx)-1 {
		tf.put(newHash("P:rcap"))
	}
	if tf.isBreak(first - 1) {
		tf.put(newHash("P:start").addInt(n))
		if tf.common[first] {
			tf.put(newHash("P:startcw"))
		}
	}
	if tf.isBreak(first-1) && tf.isBreak(last+1) {
		tf.put(newHash("P:whole"))
	}
	tf.context("P:", first, last+1, 6, 4)
	tf.emit(modelPerson, tf.toks[first].start, tf.toks[last].end)
}

// streets emits one candidate per number of up to six digits that is not
// glued to other digits by number punctuation (those are phones, dates,
// cards).
func (tf *textFeatures) streets() {
	toks := tf.toks
	emitted := 0
	for i, t := range toks {
		if t.kind != tokNum || t.end-t.start > 6 || emitted >= maxStreetCandidates {
			continue
		}
		// Glued to a word before it (Q3, a key, an id, %2F): not a house
		// number.
		if t.start > 0 && (isAlnum(tf.text[t.start-1]) || tf.text[t.start-1] == '%') {
			continue
		}
		if i > 0 && toks[i-1].kind == tokWord && tf.f.numbered[tf.wordHash[i-1]] {
			continue
		}
		if tf.gluedNumber(i) || tf.afterExtension(i) || !tf.addressWordNear(i) {
			continue
		}
		tf.street(i)
		emitted++
	}
}

// addressWordNear reports whether number token i has, right before it or
// after it (past a comma or a letter suffix), a word an address could hold
// there: a capitalised word or a street type, or any word in an all
// lower-case text. Bare numbers in prose are not scored.
func (tf *textFeatures) addressWordNear(i int) bool {
	ok := func(k int) bool {
		if k < 0 || k >= len(tf.toks) || tf.toks[k].kind != tokWord {
			return false
		}
		return tf.toks[k].cap || !tf.hasCapital || tf.f.suffixes[tf.wordHash[k]]
	}
	next := i + 1
	for next < len(tf.toks) && next <= i+2 && (tf.toks[next].kind == tokPunct && tf.text[tf.toks[next].start] == ',' && next+1 < len(tf.toks) && tf.toks[next+1].start > tf.toks[next].end ||
		tf.toks[next].kind == tokWord && tf.toks[next].start == tf.toks[i].end && tf.toks[next].end-tf.toks[next].start == 1) {
		next++
	}
	return ok(next) || ok(i-1) || ok(i-2) && tf.toks[i-1].kind == tokPunct && tf.text[tf.toks[i-1].start] == ','
}

// isVersion reports whether the address candidate text[start:end] is only
// a versionName and a number: "ISO 8601", "RFC 3339", "Django 5" name a
// standard or a version, not an address. It filters the model's
// candidates after scoring, so the model is trained on the same
// candidates as before.
func (tf *textFeatures) isVersion(start, end int) bool {
	i, j := tf.tokenSpan(start, end)
	return j-i == 2 && tf.toks[i+1].kind == tokNum && tf.versionName(i)
}

// notAddress reports whether the scored address candidate text[start:end]
// is something else with a number in it. Like isVersion it filters after
// scoring, so the model is trained on the same candidates as before:
//   - a number after a word of data/numbered_nouns_scored.txt ("Invoice
//     4471", "terminal 2");
//   - an HTTP status ("502 Bad Gateway");
//   - a number inside a blob of 32 bytes or more with no space (a key,
//     base64);
//   - a count (see isCount).
func (tf *textFeatures) notAddress(start, end int) bool {
	i, j := tf.tokenSpan(start, end)
	if j <= i || tf.toks[i].kind != tokNum {
		return false
	}
	return i > 0 && tf.toks[i-1].kind == tokWord && tf.f.numberedScored[tf.wordHash[i-1]] ||
		tf.httpStatus(i) || inBlob(tf.text, tf.toks[i].start) || tf.isCount(i, j)
}

// isCount reports whether the candidate of tokens [i,j), number token i
// first, is a count: the number and the everyday lower-case noun it counts
// ("250 users", "30 seconds", "14 countries"), a bare number between
// everyday words ("zoom to 200 percent": the span stops before "percent"),
// or a bare number after a word of quantity ("men over 50"). A street
// type, an address part or a second number makes it an address ("12 main
// st", "box 2708"), and so does an uncommon word before a bare number
// ("Box 104", "hegyalja út 98").
func (tf *textFeatures) isCount(i, j int) bool {
	bare := j-i == 1
	if !tf.countedWord(i + 1) {
		return bare && i > 0 && (i+1 >= len(tf.toks) || tf.toks[i+1].kind != tokWord) &&
			tf.toks[i-1].kind == tokWord && quantityWords[strings.ToLower(tf.tokText(i-1))]
	}
	if p := i - 1; bare && p >= 0 && (tf.toks[p].kind != tokWord || tf.toks[p].cap || !tf.common[p] || tf.addressWord(p)) {
		return false
	}
	// The span, or the words after a bare number ("12 main street" in
	// lower case stops before "main").
	for k := i + 1; k < max(j, min(i+4, len(tf.toks))); k++ {
		if tf.toks[k].kind == tokNum && k < j || tf.toks[k].kind == tokWord && tf.addressWord(k) {
			return false
		}
	}
	return true
}

// addressWord reports whether word token k is a street type or an address
// part.
func (tf *textFeatures) addressWord(k int) bool {
	return tf.f.suffixes[tf.wordHash[k]] || addressParts[strings.ToLower(tf.tokText(k))]
}

// countedWord reports whether token k, right after a number and apart from
// it, is a lower-case common word or the plural of one ("users", "hours",
// "countries") and no address word.
func (tf *textFeatures) countedWord(k int) bool {
	if k >= len(tf.toks) {
		return false
	}
	t := tf.toks[k]
	if t.kind != tokWord || t.cap || t.start == tf.toks[k-1].end || tf.addressWord(k) {
		return false
	}
	if tf.common[k] {
		return true
	}
	w := strings.ToLower(tf.tokText(k))
	for _, sg := range [...]string{strings.TrimSuffix(w, "s"), strings.TrimSuffix(w, "es"), strings.TrimSuffix(w, "ies") + "y"} {
		if sg != w && len(sg) > 2 && tf.f.common.has(newHash("").add(sg)) {
			return true
		}
	}
	return false
}

// inBlob reports whether byte pos of text is inside a run of 32 or more
// bytes without a space: a key, a hash or a line of base64, where no
// address is.
func inBlob(text string, pos int) bool {
	start, end := pos, pos
	for start > 0 && !isSpaceByte(text[start-1]) && pos-start < 32 {
		start--
	}
	for end < len(text) && !isSpaceByte(text[end]) && end-start < 32 {
		end++
	}
	return end-start >= 32
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// httpStatus reports whether number token i and the words after it are an
// HTTP status line's code and reason ("502 Bad Gateway", "404 Not Found").
func (tf *textFeatures) httpStatus(i int) bool {
	t := tf.toks[i]
	if t.end-t.start != 3 || tf.text[t.start] < '1' || tf.text[t.start] > '5' {
		return false
	}
	rest := tf.text[t.end:]
	if len(rest) == 0 || rest[0] != ' ' {
		return false
	}
	rest = strings.ToLower(rest[1:])
	for _, reason := range httpReasons {
		if strings.HasPrefix(rest, reason) && (len(rest) == len(reason) || !isAlnum(rest[len(reason)])) {
			return true
		}
	}
	return false
}

// httpReasons are the reason phrases of the HTTP status codes that error
// messages and logs quote, lower case.
var httpReasons = []string{"ok", "created", "accepted", "no content", "moved permanently", "found", "see other", "not modified",
	"temporary redirect", "permanent redirect", "bad request", "unauthorized", "payment required", "forbidden", "not found",
	"method not allowed", "not acceptable", "request timeout", "conflict", "gone", "length required", "precondition failed",
	"payload too large", "content too large", "uri too long", "unsupported media type", "unprocessable entity",
	"unprocessable content", "too many requests", "internal server error", "not implemented", "bad gateway",
	"service unavailable", "gateway timeout", "http version not supported", "insufficient storage"}

// quantityWords come before a number that is an amount or an age.
var quantityWords = map[string]bool{"over": true, "under": true, "than": true, "about": true, "around": true, "approximately": true,
	"nearly": true, "almost": true, "least": true, "roughly": true, "aged": true, "age": true, "ages": true}

// addressParts are the words of an address's unit or mailbox.
var addressParts = map[string]bool{"apt": true, "apartment": true, "suite": true, "ste": true, "unit": true, "box": true,
	"floor": true, "fl": true, "room": true, "rm": true, "bldg": true, "building": true, "flat": true, "po": true}

// versionName reports whether word token k names what a number after it
// is the version or part of: a product name, or an acronym of two to five
// capitals outside shouted text.
func (tf *textFeatures) versionName(k int) bool {
	t := tf.toks[k]
	if t.kind != tokWord {
		return false
	}
	if tf.f.products[tf.wordHash[k]] {
		return true
	}
	n := t.end - t.start
	return t.upper && t.ascii && n >= 2 && n <= 5 && (tf.shouting == nil || !tf.shouting[k])
}

// afterExtension reports whether number token i is a phone extension.
func (tf *textFeatures) afterExtension(i int) bool {
	for k := i - 1; k >= 0 && k >= i-3; k-- {
		t := tf.toks[k]
		if t.kind == tokWord {
			w := tf.tokText(k)
			return strings.EqualFold(w, "ext") || strings.EqualFold(w, "extension") || strings.EqualFold(w, "x")
		}
		if t.kind != tokPunct {
			return false
		}
	}
	return false
}

// maxStreetCandidates bounds the numbers scored in one text.
const maxStreetCandidates = 64

// gluedNumber reports whether number token i touches another number through
// one of - . / : (a date, a time, a phone number, a version).
func (tf *textFeatures) gluedNumber(i int) bool {
	toks := tf.toks
	glued := func(p, q int) bool {
		if p < 0 || q >= len(toks) || toks[p].end != toks[p+1].start || toks[p+1].end != toks[q].start {
			return false
		}
		if toks[p+1].kind != tokPunct {
			return false
		}
		c := tf.text[toks[p+1].start]
		return (c == '-' || c == '.' || c == '/' || c == ':') && toks[p].kind == tokNum && toks[q].kind == tokNum
	}
	return glued(i-2, i) || glued(i, i+2)
}

// streetWindow is how many tokens after a house number the address may run.
const streetWindow = 14

// street featurizes the address around number token i.
func (tf *textFeatures) street(i int) {
	toks := tf.toks
	t := toks[i]
	tf.put(newHash("A:bias"))
	tf.put(newHash("A:nd").addInt(t.end - t.start))
	if n := tf.text[t.start:t.end]; len(n) == 4 && (n[:2] == "19" || n[:2] == "20") {
		tf.put(newHash("A:year"))
	}
	if i+1 < len(toks) && toks[i+1].start == t.end && toks[i+1].kind == tokWord {
		tf.put(newHash("A:glued").add(wordShape(toks[i+1])))
	}
	// The span: back over up to three capitalised words (a street name
	// before its number), forward to the end of the address-like tokens.
	start := i
	for k := i - 1; k >= 0 && k >= i-3 && toks[k].kind == tokWord && toks[k].cap && !tf.common[k]; k-- {
		start = k
	}
	end := i
	caps, nums, lines, commas := 0, 0, 0, 0
	for k := i + 1; k < len(toks) && k <= i+streetWindow; k++ {
		tk := toks[k]
		stop := false
		switch tk.kind {
		case tokWord:
			// A lower-case word ends the address unless it is a street
			// type, a short particle ("de", "la") or the text is all lower
			// case.
			if !tk.cap && !tf.f.suffixes[tf.wordHash[k]] && (tf.common[k] || tf.hasCapital && tk.end-tk.start > 3) {
				stop = true
				break
			}
			if tk.cap {
				caps++
			}
			if tk.upper && tk.end-tk.start == 2 {
				tf.put(newHash("A:upper2"))
			}
		case tokNum:
			nums++
			tf.put(newHash("A:num").add(numShape(tk.end - tk.start)))
		case tokNewline:
			lines++
			if k+1 < len(toks) && toks[k+1].kind == tokNewline {
				stop = true
			}
		case tokPunct:
			switch tf.text[tk.start] {
			case ',':
				commas++
			case '#', '-', '\'', '/':
			case '.':
				// An abbreviation's period stays; a sentence's ends it,
				// also after the number's own letter suffix ("21C.",
				// "5PM.").
				if !(k > 0 && toks[k-1].end == tk.start && toks[k-1].kind == tokWord && toks[k-1].end-toks[k-1].start <= 4) ||
					k == i+2 && toks[i+1].start == t.end {
					stop = true
				}
			default:
				stop = true
			}
		}
		if stop {
			break
		}
		if tk.kind != tokPunct && tk.kind != tokNewline {
			end = k
		}
	}
	tf.put(newHash("A:caps").addInt(min(caps, 6)))
	tf.put(newHash("A:nums").addInt(min(nums, 3)))
	tf.put(newHash("A:lines").addInt(min(lines, 4)))
	tf.put(newHash("A:commas").addInt(min(commas, 3)))
	tf.put(newHash("A:len").addInt(min(end-i, 8)))
	if start < i {
		tf.put(newHash("A:before").addInt(i - start))
		tf.put(newHash("A:bsh").add(tf.repr(i - 1)))
	}
	// The words of the address, by position and as a bag.
	for k := i + 1; k <= end && k <= i+streetWindow; k++ {
		r := tf.repr(k)
		if k <= i+3 {
			tf.put(newHash("A:at").addInt(k - i).add(r))
		}
		tf.put(newHash("A:in").add(r))
		if tf.toks[k].kind == tokWord && tf.f.suffixes[tf.wordHash[k]] {
			tf.put(newHash("A:sfx").addInt(min(k-i, 5)))
		}
	}
	for k := max(start-1, 0); k < i && k >= i-4; k++ {
		if toks[k].kind == tokWord && tf.f.suffixes[tf.wordHash[k]] {
			tf.put(newHash("A:sfxbefore"))
		}
	}
	tf.context("A:", start, i+1, 7, 0)
	tf.emit(modelStreet, toks[start].start, toks[end].end)
}

// phoneRunPunct are the bytes a phone number's digit groups may be joined by.
func isPhonePunct(c byte) bool {
	return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/'
}

// phones emits runs of 7 to 15 digits joined by number punctuation, with a
// leading + or ( and an extension.
func (tf *textFeatures) phones() {
	text := tf.text
	for i := 0; i < len(text); {
		for i < len(text) && !isDigit(text[i]) {
			i++
		}
		if i == len(text) {
			return
		}
		start, end, digits, groups := i, i, 0, 0
		var shape [8]byte
		var seps [8]byte
		nseps := 0
		for j := i; j < len(text); {
			if isDigit(text[j]) {
				k := j
				for k < len(text) && isDigit(text[k]) {
					k++
				}
				if groups < len(shape) {
					shape[groups] = byte(min(k-j, 9))
				}
				groups++
				digits += k - j
				end = k
				j = k
				continue
			}
			// Up to two punctuation bytes (") " or " -") between groups.
			k := j
			for k < len(text) && k-j < 3 && isPhonePunct(text[k]) {
				k++
			}
			if k == j || k == len(text) || !isDigit(text[k]) {
				break
			}
			for p := j; p < k; p++ {
				if nseps < len(seps) && text[p] != ' ' {
					seps[nseps] = text[p]
					nseps++
				}
			}
			j = k
		}
		i = end
		if digits < 7 || digits > 15 {
			continue
		}
		// A leading + or (.
		for start > 0 && (text[start-1] == '+' || text[start-1] == '(') {
			start--
		}
		if start > 0 && isAlnum(text[start-1]) || end < len(text) && isLetterByte(text[end]) && !isExtension(text[end:]) {
			continue
		}
		if end < len(text) && text[end] == ')' && strings.IndexByte(text[start:end], '(') >= 0 {
			end++
		}
		if isDateShape(shape[:min(groups, len(shape))], seps[:nseps]) {
			continue
		}
		ext := extensionEnd(text, end)
		tf.phone(start, end, ext, digits, shape[:min(groups, len(shape))], groups, seps[:nseps])
		i = max(i, ext)
	}
}

func isExtension(s string) bool {
	s = strings.ToLower(s[:min(len(s), 3)])
	return strings.HasPrefix(s, "x") || strings.HasPrefix(s, "ext")
}

// extensionEnd returns the end of an extension after a phone number ending
// at end (" x204", " ext. 12", "#3"), or end when there is none.
func extensionEnd(text string, end int) int {
	i := end
	for i < len(text) && i-end < 2 && (text[i] == ' ' || text[i] == ',') {
		i++
	}
	switch {
	case i < len(text) && text[i] == '#':
		i++
	case i+3 <= len(text) && strings.EqualFold(text[i:i+3], "ext"):
		i += 3
		for i < len(text) && isLetterByte(text[i]) && i-end < 12 {
			i++ // "extension"
		}
	case i < len(text) && (text[i] == 'x' || text[i] == 'X'):
		i++
	default:
		return end
	}
	for i < len(text) && (text[i] == '.' || text[i] == ':' || text[i] == ' ') && i-end < 14 {
		i++
	}
	j := i
	for j < len(text) && isDigit(text[j]) && j-i < 6 {
		j++
	}
	if j == i || j < len(text) && isAlnum(text[j]) {
		return end
	}
	return j
}

// phone featurizes the digit run text[start:end].
func (tf *textFeatures) phone(start, end, ext, digits int, shape []byte, groups int, seps []byte) {
	s := tf.text[start:end]
	tf.put(newHash("H:bias"))
	tf.put(newHash("H:nd").addInt(digits))
	var gb [20]byte
	g := gb[:0]
	for k, n := range shape {
		if k > 0 {
			g = append(g, '-')
		}
		g = append(g, '0'+n)
	}
	if groups > len(shape) {
		g = append(g, '+')
	}
	tf.put(newHash("H:groups").add(string(g)))
	tf.put(newHash("H:ngroups").addInt(min(groups, 6)))
	tf.put(newHash("H:seps").add(sepSet(seps)))
	if s[0] == '+' {
		tf.put(newHash("H:plus"))
	}
	if strings.IndexByte(s, '(') >= 0 {
		tf.put(newHash("H:paren"))
	}
	d0 := strings.IndexFunc(s, func(r rune) bool { return r >= '0' && r <= '9' })
	switch {
	case strings.HasPrefix(s[d0:], "00"):
		tf.put(newHash("H:lead00"))
	case s[d0] == '0':
		tf.put(newHash("H:lead0"))
	case s[d0] == '1':
		tf.put(newHash("H:lead1"))
	}
	if digits >= 13 && luhn(digitsOnly(s)) {
		tf.put(newHash("H:luhn"))
	}
	if len(shape) == 3 && shape[0] == 3 && shape[1] == 2 && shape[2] == 4 {
		tf.put(newHash("H:ssnshape"))
	}
	if len(shape) == 3 && shape[0] == 4 && shape[1] <= 2 && shape[2] <= 2 {
		tf.put(newHash("H:date"))
	}
	pc := tf.phoneChecks.check(s, tf.f.region)
	valid := pc.valid
	switch {
	case pc.valid:
		tf.put(newHash("H:valid"))
		if pc.nanp {
			tf.put(newHash("H:validnanp"))
		}
	case pc.num != nil && phonenumbers.IsPossibleNumber(pc.num):
		tf.put(newHash("H:possible"))
	}
	// Read as an international number without its +, when the default
	// region does not already validate it.
	if s[0] != '+' && digits >= 10 && !valid {
		if tf.phoneChecks.check("+"+digitsOnly(s), "ZZ").valid {
			tf.put(newHash("H:validintl"))
		}
	}
	// Token span for the context features.
	i, j := tf.tokenSpan(start, end)
	if ext > end {
		tf.put(newHash("H:ext"))
	}
	tf.context("H:", i, j, 7, 3)
	tf.emit(modelPhone, start, ext)
}

// sepSet returns the distinct separators in order of first appearance.
func sepSet(seps []byte) string {
	var buf [8]byte
	out := buf[:0]
	for _, c := range seps {
		if bytesIndex(out, c) < 0 {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return "_"
	}
	return string(out)
}

func bytesIndex(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// tokenSpan returns the tokens covering bytes [start,end).
func (tf *textFeatures) tokenSpan(start, end int) (int, int) {
	i := 0
	for i < len(tf.toks) && tf.toks[i].end <= start {
		i++
	}
	j := i
	for j < len(tf.toks) && tf.toks[j].start < end {
		j++
	}
	return i, j
}

// hasCapital reports whether text has an upper-case ASCII letter or a
// non-ASCII byte: without either there is no capitalised word to score.
func hasCapital(text string) bool {
	// Eight bytes at a time: a non-ASCII byte has its high bit set; an
	// upper-case letter is, in its low seven bits, >= 'A' and <= 'Z'.
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(text); i += 8 {
		x := binary.LittleEndian.Uint64(detect.Bytes(text[i : i+8]))
		low := x &^ highs
		upper := (low + (0x80-'A')*ones) &^ (low + (0x80-'Z'-1)*ones)
		if (x|upper)&highs != 0 {
			return true
		}
	}
	for ; i < len(text); i++ {
		if c := text[i]; c >= 'A' && c <= 'Z' || c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// modelCandidates scores entity e's candidates in the scan's text with the
// embedded model.
func (d *Detector) modelCandidates(sc *scan, e int) []candidate {
	if sc.model == nil {
		if sc.pooled {
			sc.model = d.learned.feat.fillText(textFeaturesPool.Get().(*textFeatures), sc.text)
		} else {
			sc.model = d.learned.feat.newText(sc.text)
		}
		sc.model.weights = d.learned.model.Weights
		sc.model.phoneChecks = &sc.phoneChecks
	}
	var out []candidate
	for _, c := range sc.model.candidates(e) {
		score := d.learned.model.Score(e, c.margin)
		if score < minModelScore {
			continue
		}
		if e == modelPhone && sc.phoneChecks.check(phoneNumberPart(sc.text[c.Start:c.End]), d.region).fictional {
			score -= 0.5
		}
		switch {
		case e == modelPerson && (weakPerson(sc.text[c.Start:c.End], score) || sc.model.commonPlural(c.Start, c.End)),
			e == modelStreet && (sc.model.isVersion(c.Start, c.End) || sc.model.notAddress(c.Start, c.End)):
			continue
		}
		if e == modelPerson {
			c.Start = afterGreeting(sc.text, c.Start, c.End)
		}
		out = append(out, candidate{entity: ModelEntities[e], start: c.Start, end: c.End, score: score, learned: true})
	}
	return out
}

// minModelScore is the score below which the model's candidates are
// dropped before they become findings: far under any useful threshold
// (the trainer maps its operating points to 0.5-0.7), and most candidates
// score near zero.
const minModelScore = 0.2

// minOneWordPerson is the score a PERSON span of one word needs. A lone
// capitalised word is weaker evidence than a first and last name: on the
// simulator's history the one-word spans under 0.8 were mostly words of
// titles, diagrams and file names ("Alerts", "Paste", "Internal",
// "Lisbon"), while on the non-test rows of eval/pii.jsonl 2 of the 143
// rows found by a one-word span alone scored under it.
const minOneWordPerson = 0.8

// weakPerson reports whether a scored PERSON span is no name: it holds a
// verb's contraction or no letter, or it is one word scoring under
// minOneWordPerson.
func weakPerson(span string, score float64) bool {
	if hasContraction(span) || !strings.ContainsFunc(span, unicode.IsLetter) {
		return true
	}
	return score < minOneWordPerson && !strings.ContainsAny(span, " \t\n")
}

// commonPlural reports whether the PERSON candidate text[start:end] is one
// word, the plural of a common one ("Tuesdays", "Alerts").
func (tf *textFeatures) commonPlural(start, end int) bool {
	i, j := tf.tokenSpan(start, end)
	if j-i != 1 || tf.toks[i].kind != tokWord {
		return false
	}
	w := tf.tokText(i)
	return len(w) > 4 && (w[len(w)-1] == 's' || w[len(w)-1] == 'S') && tf.f.common.has(newHash("").add(w[:len(w)-1]))
}

// afterGreeting returns where the name in the PERSON span text[start:end]
// begins: after a greeting that opens it ("Hi Olivia", "Dear Dr. Khan"),
// so the finding and its excerpt cover the name alone.
func afterGreeting(text string, start, end int) int {
	word, rest, ok := strings.Cut(text[start:end], " ")
	if ok && strings.TrimSpace(rest) != "" && greetings[strings.ToLower(strings.TrimRight(word, ",!"))] {
		return end - len(strings.TrimLeft(rest, " "))
	}
	return start
}

var greetings = map[string]bool{"hi": true, "hello": true, "hey": true, "dear": true, "thanks": true, "morning": true, "evening": true, "afternoon": true}

// hasContraction reports whether span holds a verb's contraction ("Don't",
// "We're", "They'll"), which no name does; a possessive ("John's") is not
// one. It filters the model's candidates after scoring, so the model is
// trained on the same candidates as before.
func hasContraction(span string) bool {
	for _, w := range strings.Fields(span) {
		for _, suffix := range [...]string{"n't", "'re", "'ve", "'ll", "'m", "n’t", "’re", "’ve", "’ll", "’m"} {
			if len(w) > len(suffix) && strings.EqualFold(w[len(w)-len(suffix):], suffix) {
				return true
			}
		}
	}
	return false
}

// phoneNumberPart is a model phone span without its extension.
func phoneNumberPart(s string) string {
	end := len(s)
	for end > 0 && !isDigit(s[end-1]) && s[end-1] != ')' {
		end--
	}
	for i := 0; i < end; i++ {
		if c := s[i]; c == 'x' || c == 'X' || c == 'e' || c == 'E' || c == '#' || c == ',' {
			return strings.TrimRight(s[:i], " ")
		}
	}
	return s[:end]
}

// isDateShape reports digit groups of a date, 1-2/1-2/4 or 4-1-2-1-2,
// joined by one repeated separator: dates are left to the date rule.
func isDateShape(shape, seps []byte) bool {
	if len(shape) != 3 || len(seps) != 2 || seps[0] != seps[1] || seps[0] == '(' || seps[0] == ')' {
		return false
	}
	short := func(n byte) bool { return n >= 1 && n <= 2 }
	return short(shape[0]) && short(shape[1]) && shape[2] == 4 || shape[0] == 4 && short(shape[1]) && short(shape[2])
}
