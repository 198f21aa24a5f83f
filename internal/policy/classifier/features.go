package classifier

import (
	"iter"
	"math"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/claudit/claudit/internal/policy/detect"
)

// FeatureConfig describes how text is turned into a hashed feature vector.
// It is stored in every model file so a model is always scored with the
// features it was trained on.
type FeatureConfig struct {
	// Bits is log2 of the number of hash buckets.
	Bits uint8 `json:"bits"`
	// CharMin and CharMax bound the character n-gram lengths.
	CharMin uint8 `json:"char_min"`
	CharMax uint8 `json:"char_max"`
	// WordNgrams is the longest word n-gram (1 = unigrams, 2 = uni- and bigrams).
	WordNgrams uint8 `json:"word_ngrams"`
	// Flags selects extra feature groups (FlagNormalize, FlagStructure).
	Flags uint8 `json:"flags"`
}

// Feature groups beyond plain n-grams.
const (
	// FlagNormalize featurizes NormalizeText(text), so homoglyphs,
	// zero-width characters and leetspeak do not change the features.
	FlagNormalize uint8 = 1 << iota
	// FlagStructure adds features of where words stand: the first word of
	// every sentence or line, and the words and sentence openers of the
	// part of a text that follows its first line or paragraph (the quoted
	// document, table, e-mail or tool output), each in its own hash space,
	// so an instruction addressed to the assistant inside data looks
	// different from the same words in the user's own request.
	FlagStructure
)

// DefaultFeatureConfig is 2^18 buckets, character 3- to 5-grams and word uni-
// and bigrams.
func DefaultFeatureConfig() FeatureConfig {
	return FeatureConfig{Bits: 18, CharMin: 3, CharMax: 5, WordNgrams: 2}
}

// MaxFeatureRunes caps how much of one text is featurized; longer texts are
// scored in windows by the caller (see Model.ScoreWindows).
const MaxFeatureRunes = 8192

const (
	minBits = 8
	maxBits = 24
)

func (c FeatureConfig) valid() bool {
	// CharMin = CharMax = 0 means no character n-grams (a gate model).
	chars := c.CharMin == 0 && c.CharMax == 0 || c.CharMin >= 1 && c.CharMin <= c.CharMax && c.CharMax <= 8
	return c.Bits >= minBits && c.Bits <= maxBits && chars &&
		c.WordNgrams <= 3 && c.Flags < 1<<2
}

// Feature is one non-zero entry of a sparse vector.
type Feature struct {
	Index uint32
	Value float32
}

// Vector is a sparse feature vector with unique indexes, in no particular
// order; its n-gram part has unit L2 norm (or it is empty).
type Vector []Feature

const (
	fnvOffset = 2166136261
	fnvPrime  = 16777619

	seedChar    = 0x9e3779b9
	seedWord    = 0x85ebca6b
	seedBigram  = 0xc2b2ae35
	seedTrigram = 0x27d4eb2f
)

func fnvRune(h uint32, r rune) uint32 {
	h ^= uint32(r)
	return h * fnvPrime
}

// fmix32 is MurmurHash3's finalizer; FNV's high bits alone mix poorly.
func fmix32(h uint32) uint32 {
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// asciiLower, asciiSpace and asciiWord hold, per ASCII byte, its
// lower-case form and whether it is whitespace or a word character (for word
// n-grams), so the common ASCII text skips the unicode tables.
var asciiLower, asciiSpace, asciiWord = func() (lower [128]byte, space, word [128]bool) {
	for c := range 128 {
		r := rune(c)
		lower[c] = byte(unicode.ToLower(r))
		space[c] = unicode.IsSpace(r)
		word[c] = unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_'
	}
	return
}()

// normalize appends to out the text lower-cased with whitespace runs
// collapsed to one space, padded with spaces so word boundaries become part
// of character n-grams.
func normalize(out []rune, text string) []rune {
	out = append(out, ' ')
	space := true
	for i := 0; i < len(text); {
		var r rune
		var isSpace bool
		if c := text[i]; c < utf8.RuneSelf {
			r, isSpace = rune(asciiLower[c]), asciiSpace[c]
			i++
		} else {
			var size int
			r, size = utf8.DecodeRuneInString(text[i:])
			i += size
			isSpace = unicode.IsSpace(r)
			r = unicode.ToLower(r)
		}
		if isSpace {
			if !space {
				out = append(out, ' ')
				space = true
			}
			continue
		}
		if len(out) >= MaxFeatureRunes {
			break
		}
		out = append(out, r)
		space = false
	}
	if !space {
		out = append(out, ' ')
	}
	return out
}

// isNgramWordRune reports whether r belongs to a word for word n-grams.
func isNgramWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiWord[r]
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// scratch is the working memory of one Vectorize call, pooled because it
// runs once per scanned text.
type scratch struct {
	runes []rune
	bytes []byte
	raw   []uint32
	// counts holds a gate's feature vector; see Gate.margin.
	counts Vector
}

var scratchPool = sync.Pool{New: func() any { return &scratch{} }}

// Vectorize turns text into a sparse, signed, sublinearly scaled and
// L2-normalized hashed feature vector.
func (c FeatureConfig) Vectorize(text string) Vector {
	return c.appendVector(nil, text)
}

// appendVector is Vectorize, building the vector in dst's storage.
func (c FeatureConfig) appendVector(dst Vector, text string) Vector {
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	shift := 32 - uint32(c.Bits)
	raw, text := c.appendNgrams(sc, text)
	if c.Flags&FlagStructure != 0 {
		raw = appendStructure(raw, text)
		sc.raw = raw[:0]
		v := toVector(dst, raw, shift)
		// Stray-line markers keep full weight: normalized among thousands
		// of n-grams they would be too faint to learn.
		return addMarkers(v, strayMarkers(text), shift)
	}
	return toVector(dst, raw, shift)
}

// appendNgrams returns the hashes of text's character and word n-grams,
// in sc.raw's storage (which it keeps), and the text FlagStructure's
// features read: text itself, or normalized with FlagNormalize.
func (c FeatureConfig) appendNgrams(sc *scratch, text string) ([]uint32, string) {
	raw := sc.raw[:0]
	defer func() { sc.raw = raw[:0] }()
	words := wordNgrams{n: c.WordNgrams}
	fast := false
	if asciiWordPath && c.CharMax == 0 && len(text) < MaxFeatureRunes-2 {
		// The common case of a word-only model (the gate): ASCII text that
		// NormalizeText returns as it is, checked and hashed in one pass.
		raw, fast = plainASCIIWords(raw, &words, text, c.Flags&FlagNormalize != 0)
	}
	if !fast {
		// A plain text is ASCII, and NormalizeText returns it as it is.
		ascii := false
		if c.Flags&FlagNormalize != 0 {
			if ascii = isPlain(text); !ascii {
				text = normalizeUnplain(text)
			}
		}
		ascii = ascii || detect.IsASCII(text)
		raw, words = raw[:0], wordNgrams{n: c.WordNgrams}
		if asciiWordPath && c.CharMax == 0 && len(text) < MaxFeatureRunes-2 && ascii {
			// Word n-grams only, straight from the bytes: what normalize
			// and the rune loop give for short ASCII text.
			raw, _ = plainASCIIWords(raw, &words, text, false)
		} else if asciiWordPath && ascii {
			raw = c.appendASCIINgrams(raw, &words, sc, text)
		} else {
			raw = c.appendRuneNgrams(raw, &words, sc, text)
		}
	}
	return raw, text
}

// appendRuneNgrams appends the character and word n-grams of text, read
// as normalize's runes.
func (c FeatureConfig) appendRuneNgrams(raw []uint32, words *wordNgrams, sc *scratch, text string) []uint32 {
	runes := normalize(sc.runes[:0], text)
	sc.runes = runes
	// Character n-grams, hashed incrementally per start position.
	for i := range runes {
		h := uint32(fnvOffset ^ seedChar)
		for n := 1; n <= int(c.CharMax) && i+n <= len(runes); n++ {
			h = fnvRune(h, runes[i+n-1])
			if n >= int(c.CharMin) {
				raw = append(raw, fmix32(h^uint32(n)))
			}
		}
	}
	// Word n-grams over runs of letters and digits.
	h, inWord := uint32(fnvOffset), false
	for _, r := range runes {
		if isNgramWordRune(r) {
			h = fnvRune(h, r)
			inWord = true
		} else if inWord {
			raw = words.add(raw, h)
			h, inWord = fnvOffset, false
		}
	}
	if inWord {
		raw = words.add(raw, h)
	}
	return raw
}

// appendASCIINgrams is appendRuneNgrams for ASCII text, on bytes: an
// ASCII byte is its rune, so the hashes are the same.
func (c FeatureConfig) appendASCIINgrams(raw []uint32, words *wordNgrams, sc *scratch, text string) []uint32 {
	b := normalizeASCII(sc.bytes[:0], text)
	sc.bytes = b
	if n := int(c.CharMax); n > 0 && c.CharMin == c.CharMax {
		// One length (the embedded models' 4-grams): no branch per length.
		for i := 0; i+n <= len(b); i++ {
			h := uint32(fnvOffset ^ seedChar)
			for _, r := range b[i : i+n] {
				h = fnvRune(h, rune(r))
			}
			raw = append(raw, fmix32(h^uint32(n)))
		}
	} else {
		for i := range b {
			h := uint32(fnvOffset ^ seedChar)
			for n := 1; n <= int(c.CharMax) && i+n <= len(b); n++ {
				h = fnvRune(h, rune(b[i+n-1]))
				if n >= int(c.CharMin) {
					raw = append(raw, fmix32(h^uint32(n)))
				}
			}
		}
	}
	h, inWord := uint32(fnvOffset), false
	for _, r := range b {
		if asciiWord[r] {
			h = fnvRune(h, rune(r))
			inWord = true
		} else if inWord {
			raw = words.add(raw, h)
			h, inWord = fnvOffset, false
		}
	}
	if inWord {
		raw = words.add(raw, h)
	}
	return raw
}

// normalizeASCII is normalize for ASCII text, into bytes.
func normalizeASCII(out []byte, text string) []byte {
	out = append(out, ' ')
	space := true
	for i := 0; i < len(text); i++ {
		c := text[i]
		if asciiSpace[c] {
			if !space {
				out = append(out, ' ')
				space = true
			}
			continue
		}
		if len(out) >= MaxFeatureRunes {
			break
		}
		out = append(out, asciiLower[c])
		space = false
	}
	if !space {
		out = append(out, ' ')
	}
	return out
}

// asciiWordPath enables appendVector's fast paths; tests turn it off to
// compare them with the general one.
var asciiWordPath = true

// Byte classes of plainASCIIWords: isPlain's letters and leet characters,
// and the bytes outside ASCII.
const (
	plainLetter = 1 << iota
	plainLeet
	plainHigh
)

var plainClass = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case c >= utf8.RuneSelf:
			t[c] = plainHigh
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			t[c] = plainLetter
		case c >= '0' && c <= '9' || c == '@' || c == '$':
			t[c] = plainLeet
		}
	}
	return t
}()

// wordBytes packs plainASCIIWords' lookups of a byte into one: its
// lower-case form when it is a word character (asciiWord), else 0, in the
// low eight bits, and its plainClass above them.
var wordBytes = func() (t [256]uint16) {
	for c := range 256 {
		t[c] = uint16(plainClass[c]) << 8
		if c < utf8.RuneSelf && asciiWord[c] {
			t[c] |= uint16(asciiLower[c])
		}
	}
	return t
}()

// plainASCIIWords appends the word n-grams of text to raw, as the byte
// loop of appendVector does, when text is ASCII and, if normalized is
// set, plain (see isPlain: NormalizeText returns it unchanged). Otherwise
// it reports false and raw and w hold partial work to discard.
func plainASCIIWords(raw []uint32, w *wordNgrams, text string, normalized bool) ([]uint32, bool) {
	// mixed is the seen of a run isPlain rejects: letters with leet
	// characters, when normalized; no run has all bits otherwise.
	mixed := uint8(0xff)
	if normalized {
		mixed = plainLetter | plainLeet
	}
	h, inWord := uint32(fnvOffset), false
	var seen uint8 // the plainLetter and plainLeet bits of isPlain's current word
	// n is the current word's length, lone the one-byte words in a row
	// that a space follows: at minSpacedRun-1 of them the text may spell
	// letters out one by one, which isPlain decides on the slow path.
	n, lone := 0, 0
	for i := 0; i < len(text); i++ {
		e := wordBytes[text[i]]
		if k := uint8(e >> 8); k != 0 {
			if k == plainHigh {
				return raw, false
			}
			seen |= k
		} else {
			if seen == mixed {
				return raw, false
			}
			seen = 0
		}
		if lower := uint32(e & 0xff); lower != 0 {
			h = (h ^ lower) * fnvPrime
			inWord = true
			n++
		} else {
			if inWord {
				raw = w.add(raw, h)
				h, inWord = fnvOffset, false
			}
			if text[i] != ' ' || n > 1 {
				lone = 0
			} else if n == 1 {
				if lone++; lone == minSpacedRun-1 && normalized {
					return raw, false
				}
			}
			n = 0
		}
	}
	if seen == mixed {
		return raw, false
	}
	if inWord {
		raw = w.add(raw, h)
	}
	return raw, true
}

// wordNgrams hashes word uni-, bi- and trigrams (up to n) from the stream
// of word hashes.
type wordNgrams struct {
	n            uint8
	prev1, prev2 uint32
	words        int
}

// add appends the n-grams that end with the word whose FNV hash is h.
func (w *wordNgrams) add(raw []uint32, h uint32) []uint32 {
	wh := fmix32(h ^ seedWord)
	if w.n >= 1 {
		raw = append(raw, wh)
	}
	if w.n >= 2 && w.words >= 1 {
		raw = append(raw, fmix32(w.prev1*31^wh^seedBigram))
	}
	if w.n >= 3 && w.words >= 2 {
		raw = append(raw, fmix32((w.prev2*31^w.prev1)*31^wh^seedTrigram))
	}
	w.prev2, w.prev1 = w.prev1, wh
	w.words++
	return raw
}

// toVector maps raw hashes to signed bucket counts, then applies log scaling
// and L2 normalization, building the vector in dst's storage.
func toVector(dst Vector, raw []uint32, shift uint32) Vector {
	v, inv := countVector(dst, raw, shift)
	for i := range v {
		v[i].Value *= inv
	}
	return v
}

// countVector is toVector without the last step: it returns the log-scaled
// counts, not yet multiplied by inv, the inverse of their L2 norm (nil and
// 0 when there are none). Counting goes through an open-addressing table in
// first-seen order rather than a sort: this runs once per scanned text.
func countVector(dst Vector, raw []uint32, shift uint32) (Vector, float32) {
	if len(raw) == 0 {
		return nil, 0
	}
	size := 64
	for size < 2*len(raw) {
		size <<= 1
	}
	tab := tablePool.Get().(*countTable)
	defer tablePool.Put(tab)
	slots, gen := tab.next(size)
	mask := uint32(size - 1)
	// The common cases, a new bucket in an empty slot and one seen before
	// in its first slot, are told apart without a branch: which it is
	// would be a coin toss per feature.
	if cap(tab.order) < len(raw) {
		tab.order = make([]uint32, len(raw))
	}
	order := tab.order[:len(raw)]
	n := 0
	shift &= 31 // it is below 32: no check per shift
	for _, h := range raw {
		idx := h >> shift
		// A slot holds gen and idx+1 in key; idx is already the top bits of
		// a mixed hash, so its low bits pick the slot.
		key := gen | (idx + 1)
		i := idx & mask
		k := slots[i].key
		// k^key is 0 for idx's own slot, has genMask bits for an empty one
		// and only others for another bucket's: one comparison.
		if (k^key)-1 < 1<<genShift-1 {
			// Another bucket's slot: probe on.
			for {
				i = (i + 1) & mask
				k = slots[i].key
				if k == key || k&genMask != gen {
					break
				}
			}
		}
		c := slots[i].count
		if k != key {
			c = 0
		}
		slots[i] = countSlot{key: key, count: c + 1 - 2*int32(h&1)}
		order[n] = i
		if k != key {
			n++
		}
	}
	order = order[:n]
	tab.order = order
	if cap(dst) < len(order) {
		dst = make(Vector, 0, len(order))
	}
	out := dst[:0]
	var norm float64
	for _, i := range order {
		sl := slots[i]
		if sl.count == 0 {
			continue
		}
		s := logCount(sl.count)
		norm += s * s
		out = append(out, Feature{Index: sl.key&^genMask - 1, Value: float32(s)})
	}
	if norm == 0 {
		return nil, 0
	}
	return out, float32(1 / math.Sqrt(norm))
}

// countSlot is one slot of a countTable: key is the table's generation in
// the bits of genMask and a bucket index plus one below them; count is the
// bucket's signed count.
type countSlot struct {
	key   uint32
	count int32
}

// Bucket indexes take at most maxBits bits (plus one for the +1), the
// generation the bits above.
const (
	genShift = maxBits + 1
	genMask  = uint32(1<<32 - 1<<genShift)
)

// countTable is toVector's pooled hash table. Slots of an older generation
// count as empty, so a table is cleared only when its generation wraps.
// order holds the slots of the current count in first-seen order.
type countTable struct {
	slots []countSlot
	order []uint32
	gen   uint32
}

// next starts a count over size slots and returns them with the new
// generation's key bits.
func (t *countTable) next(size int) ([]countSlot, uint32) {
	if len(t.slots) < size {
		t.slots = make([]countSlot, size)
		t.gen = 0
	}
	t.gen++
	if t.gen<<genShift == 0 {
		clear(t.slots)
		t.gen = 1
	}
	return t.slots[:size], t.gen << genShift
}

var tablePool = sync.Pool{New: func() any { return &countTable{} }}

// signedLog[c+16] is logCount(c) for the counts from -16 to 16.
var signedLog = func() (t [33]float64) {
	for c := -16; c <= 16; c++ {
		t[c+16] = math.Log1p(math.Abs(float64(c)))
		if c < 0 {
			t[c+16] = -t[c+16]
		}
	}
	return
}()

// logCount is the sign of a signed count times log1p of its magnitude.
// Small counts come from one table, without a branch on the sign, which
// is a coin toss per feature.
func logCount(c int32) float64 {
	if i := uint32(c + 16); i < uint32(len(signedLog)) {
		return signedLog[i]
	}
	s := math.Log1p(math.Abs(float64(c)))
	if c < 0 {
		return -s
	}
	return s
}

// Windows returns the byte ranges [start, end) of the overlapping windows
// of about size bytes that long texts are scored in (see
// Model.ScoreWindows and GateWindow).
func Windows(text string, size int) [][2]int {
	ws := windows(text, size)
	out := make([][2]int, len(ws))
	for i, w := range ws {
		out[i] = [2]int{w.start, w.end}
	}
	return out
}

// span is a byte range of a text.
type span struct{ start, end int }

// windows splits a text of length n into overlapping spans of roughly size
// bytes, cut at whitespace where possible, so a short injection buried in a
// long document is not diluted by the rest of it.
func windows(text string, size int) []span {
	if len(text) <= size {
		return []span{{0, len(text)}}
	}
	var out []span
	for w := range windowSeq(text, size) {
		out = append(out, w)
	}
	return out
}

// windowSeq yields the spans of windows one by one, without a slice.
func windowSeq(text string, size int) iter.Seq[span] {
	return func(yield func(span) bool) {
		step := size * 3 / 4
		for start := 0; start < len(text); {
			end := min(start+size, len(text))
			if end < len(text) {
				if cut := strings.LastIndexAny(text[start:end], " \n\t"); cut > size/2 {
					end = start + cut
				}
				for end > start+1 && text[end]&0xC0 == 0x80 {
					end--
				}
			}
			if !yield(span{start, end}) || end == len(text) {
				return
			}
			next := min(start+step, end)
			for next < len(text) && text[next]&0xC0 == 0x80 {
				next++
			}
			start = next
		}
		if len(text) == 0 {
			yield(span{0, 0})
		}
	}
}

const (
	seedOpener     = 0x165667b1
	seedData       = 0xd3a2646c
	seedDataOpener = 0xfd7046c5
	seedDataBigram = 0xb55a4f09
	seedStray      = 0x8ebc6af0
	seedStrayFlag  = 0x2c1b3c6d
)

// appendStrayLines adds features for prose lines that stand inside
// structured data, between or beside table rows, code or key-value lines:
// where an instruction planted in a document usually sits. The words of
// such a line go into their own hash space, plus one marker feature.
func strayMarkers(text string) []uint32 {
	var raw []uint32
	if len(text) > MaxFeatureRunes*4 {
		text = text[:MaxFeatureRunes*4]
	}
	if strings.Count(text, "\n") < 2 {
		return nil
	}
	lines := strings.Split(text, "\n")
	kinds := make([]lineKind, len(lines))
	structured := 0
	for i, l := range lines {
		kinds[i] = kindOf(l)
		if kinds[i] == lineStructured {
			structured++
		}
	}
	if structured < 2 {
		return nil
	}
	stray := 0
	// The first non-empty line is the user's own request.
	first := true
	for i, l := range lines {
		if kinds[i] == lineBlank {
			continue
		}
		if first {
			first = false
			continue
		}
		if kinds[i] != lineProse || !nearStructured(kinds, i) {
			continue
		}
		stray++
		h := uint32(fnvOffset)
		in := false
		for _, r := range l {
			if isWordRune(r) {
				h = fnvRune(h, toLower(r))
				in = true
				continue
			}
			if in {
				raw = append(raw, fmix32(h^seedStray))
				h, in = fnvOffset, false
			}
		}
		if in {
			raw = append(raw, fmix32(h^seedStray))
		}
	}
	if stray > 0 {
		raw = append(raw, fmix32(seedStrayFlag^uint32(min(stray, 3))))
	}
	return raw
}

// markerWeight is the value of each marker feature.
const markerWeight = 0.25

// addMarkers adds marker features at a fixed weight to a normalized vector.
func addMarkers(v Vector, markers []uint32, shift uint32) Vector {
	if len(markers) == 0 {
		return v
	}
	for _, h := range markers {
		idx := h >> shift
		sign := float32(markerWeight)
		if h&1 == 1 {
			sign = -sign
		}
		if i := slices.IndexFunc(v, func(f Feature) bool { return f.Index == idx }); i >= 0 {
			v[i].Value += sign
			continue
		}
		v = append(v, Feature{Index: idx, Value: sign})
	}
	return v
}

type lineKind uint8

const (
	lineBlank lineKind = iota
	lineProse
	lineStructured
)

// kindOf tells a blank line, a structured one (table row, code, markup,
// key-value or list data) and prose.
func kindOf(l string) lineKind {
	t := strings.TrimSpace(l)
	if t == "" {
		return lineBlank
	}
	switch t[0] {
	case '|', '{', '}', '[', ']', '<', '#', '/', '(', ')', ';', '+':
		return lineStructured
	}
	if strings.Count(t, "|") >= 2 || strings.Count(t, "\t") >= 2 || strings.HasSuffix(t, "{") || strings.HasSuffix(t, ";") ||
		strings.HasSuffix(t, ",") && strings.Count(t, ",") >= 2 || strings.HasPrefix(l, "    ") || strings.HasPrefix(l, "\t") {
		return lineStructured
	}
	return lineProse
}

// nearStructured reports whether the closest non-blank line before or after
// line i is structured.
func nearStructured(kinds []lineKind, i int) bool {
	for j := i - 1; j >= 0; j-- {
		if kinds[j] != lineBlank {
			if kinds[j] == lineStructured {
				return true
			}
			break
		}
	}
	for j := i + 1; j < len(kinds); j++ {
		if kinds[j] != lineBlank {
			return kinds[j] == lineStructured
		}
	}
	return false
}

// appendStructure adds FlagStructure's features of text; see FlagStructure.
func appendStructure(raw []uint32, text string) []uint32 {
	if len(text) > MaxFeatureRunes*4 {
		text = text[:MaxFeatureRunes*4]
	}
	data := dataStart(text)
	opener := true
	var prev uint32
	hasPrev := false
	pos := 0
	for pos < len(text) {
		r, size := rune(text[pos]), 1
		word := false
		if r < utf8.RuneSelf {
			word = asciiWord[r] || r == '\''
		} else {
			r, size = utf8.DecodeRuneInString(text[pos:])
			word = isWordRune(r)
		}
		if !word {
			if r == '.' || r == '!' || r == '?' || r == '\n' || r == ':' || r == '|' || r == '"' || r == '>' || r == '*' || r == '-' && (pos == 0 || text[pos-1] == '\n') {
				opener = true
				hasPrev = false
			}
			pos += size
			continue
		}
		start := pos
		h := uint32(fnvOffset)
		for pos < len(text) {
			if c := text[pos]; c < utf8.RuneSelf {
				if !asciiWord[c] && c != '\'' {
					break
				}
				h = fnvRune(h, rune(asciiLower[c]))
				pos++
				continue
			}
			r, size := utf8.DecodeRuneInString(text[pos:])
			if !isWordRune(r) {
				break
			}
			h = fnvRune(h, unicode.ToLower(r))
			pos += size
		}
		inData := data >= 0 && start >= data
		if opener {
			raw = append(raw, fmix32(h^seedOpener))
			if inData {
				raw = append(raw, fmix32(h^seedDataOpener))
			}
		}
		if inData {
			raw = append(raw, fmix32(h^seedData))
			if hasPrev {
				raw = append(raw, fmix32(prev*31^h^seedDataBigram))
			}
		}
		prev, hasPrev = h, true
		opener = false
	}
	return raw
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiWord[r] || r == '\''
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func toLower(r rune) rune {
	if r < utf8.RuneSelf {
		return rune(asciiLower[r])
	}
	return unicode.ToLower(r)
}

// dataStart returns the byte offset where the data part of a text begins:
// after its first paragraph when there are several, else after its first
// line, else after a colon that introduces a quote or document; -1 when the
// text is one plain sentence.
func dataStart(text string) int {
	t := strings.TrimLeft(text, " \t\r\n")
	lead := len(text) - len(t)
	if i := strings.Index(t, "\n\n"); i >= 0 && i < len(t)-2 {
		return lead + i + 2
	}
	if i := strings.IndexByte(t, '\n'); i >= 0 && i < len(t)-1 {
		return lead + i + 1
	}
	if i := strings.Index(t, ": "); i >= 0 && i < len(t)-2 {
		return lead + i + 2
	}
	return -1
}
