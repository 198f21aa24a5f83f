// Package encoded finds obfuscated text (detector id "encoded") and decodes
// it so the policy engine can scan what it hides.
//
// It reports the obfuscation itself: base64 and hex runs that decode to
// readable text, runs of percent-encoding, ROT13 (only when decoding turns a
// line into mostly dictionary words, data/words.txt), leetspeak words
// ("1gn0r3"), zero-width characters, bidirectional control characters
// (Trojan Source) and words mixing Latin letters with look-alike letters from
// other scripts (Unicode TR39 confusable skeletons via
// github.com/mtibben/confusables). Decode returns the decoded texts with the
// span they came from; nesting (base64 of hex) is followed to a bounded depth
// and the total decoded size is capped.
package encoded

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"iter"
	"math/bits"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/mtibben/confusables"

	"github.com/claudit/claudit/internal/policy/detect"
)

// hexSeparators strips the spaces and colons of "de ad be ef" / "de:ad:be:ef"
// (built once: a Replacer is costly to build per match).
var hexSeparators = strings.NewReplacer(" ", "", ":", "")

// ID is the registered detector id.
const ID = "encoded"

// Kinds of obfuscation, used as Finding.Entity and Decoded.Kind.
const (
	Base64     = "BASE64"
	Hex        = "HEX"
	URLEncoded = "URL_ENCODED"
	ROT13      = "ROT13"
	Reversed   = "REVERSED"
	Spaced     = "SPACED"
	Leetspeak  = "LEETSPEAK"
	ZeroWidth  = "ZERO_WIDTH"
	Bidi       = "BIDI"
	Homoglyph  = "HOMOGLYPH"
)

// Kinds lists every kind this detector reports.
var Kinds = []string{Base64, Hex, URLEncoded, ROT13, Reversed, Spaced, Leetspeak, ZeroWidth, Bidi, Homoglyph}

var scores = map[string]float64{
	Base64: 0.6, Hex: 0.5, URLEncoded: 0.5, ROT13: 0.75, Reversed: 0.7, Spaced: 0.6, Leetspeak: 0.6,
	ZeroWidth: 0.8, Bidi: 0.9, Homoglyph: 0.8,
}

//go:embed data/words.txt
var wordsTXT []byte

// wordSet is the dictionary of data/words.txt. Words of up to eight bytes
// (nearly all, looked up or not) are eight-byte keys in a small
// open-addressing table that stays in cache; longer ones are in a map
// behind a one-hash Bloom filter: most long words of code and logs are
// not in it, and the filter tells so without hashing for the map.
type wordSet struct {
	short  [shortSlots]uint64 // keys of the words of 1-8 bytes, 0: empty
	words  map[string]bool
	filter [1 << 8]uint64
}

// shortSlots is the size of wordSet.short, a power of two over four times
// the dictionary's words.
const shortSlots = 1 << 12

// shortKey packs a word of 1-8 bytes without a zero byte into a key,
// little-endian and zero-padded, so a key is one word exactly; ok is false
// for other words.
func shortKey(w []byte) (key uint64, ok bool) {
	if len(w) == 0 || len(w) > 8 {
		return 0, false
	}
	for i, c := range w {
		if c == 0 {
			return 0, false
		}
		key |= uint64(c) << (8 * i)
	}
	return key, true
}

// shortSlot is where a key's probe starts.
func shortSlot(key uint64) int { return int((key * 0x9E3779B97F4A7C15) >> (64 - 12)) }

// addShort adds a key to the table (which the dictionary never fills).
func (ws *wordSet) addShort(key uint64) {
	for i := shortSlot(key); ; i = (i + 1) & (shortSlots - 1) {
		if ws.short[i] == 0 || ws.short[i] == key {
			ws.short[i] = key
			return
		}
	}
}

func fnv(b []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	return h
}

// has reports whether the lower-case word w is in the dictionary.
func (ws *wordSet) has(w []byte) bool {
	if key, ok := shortKey(w); ok {
		for i := shortSlot(key); ; i = (i + 1) & (shortSlots - 1) {
			switch ws.short[i] {
			case key:
				return true
			case 0:
				return false
			}
		}
	}
	h := fnv(w)
	if ws.filter[h>>6&(1<<8-1)]&(1<<(h&63)) == 0 {
		return false
	}
	return ws.words[string(w)]
}

var dictionary = sync.OnceValue(func() *wordSet {
	ws := &wordSet{words: map[string]bool{}}
	sc := bufio.NewScanner(bytes.NewReader(wordsTXT))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			continue
		}
		for _, w := range strings.Fields(line) {
			if key, ok := shortKey([]byte(w)); ok {
				ws.addShort(key)
				continue
			}
			ws.words[w] = true
			h := fnv([]byte(w))
			ws.filter[h>>6&(1<<8-1)] |= 1 << (h & 63)
		}
	}
	return ws
})

// Params are the policy parameters this detector reads; a policy with any
// other field, or a value of another type, fails validation.
type Params struct {
	Kinds []string `yaml:"kinds"`
}

func init() {
	detect.RegisterParams(ID, Params{})
	detect.Register(ID, New)
	detect.RegisterDecoder(ID, DecodeInput)
}

// Detector reports obfuscated spans. It is safe for concurrent use.
type Detector struct {
	kinds map[string]bool
}

// New builds the detector. Params: `kinds: [BASE64, ZERO_WIDTH]` limits the
// reported kinds (default all).
func New(p detect.Params) (detect.Detector, error) {
	d := &Detector{kinds: map[string]bool{}}
	ks := p.Strings("kinds")
	if len(ks) == 0 {
		ks = Kinds
	}
	for _, k := range ks {
		d.kinds[strings.ToUpper(k)] = true
	}
	return d, nil
}

// ID returns "encoded".
func (d *Detector) ID() string { return ID }

// Keywords returns nil: encodings have no keywords, the detector always runs.
func (d *Detector) Keywords() []string { return nil }

// Detect reports each obfuscated span once. Text the decode stage
// recovered (in.Decoded) is not looked at: its encoding was reported on
// the message itself.
func (d *Detector) Detect(ctx context.Context, in detect.Input) []detect.Finding {
	if in.Decoded != "" {
		return nil
	}
	var out []detect.Finding
	for _, s := range segments(in) {
		if ctx.Err() != nil {
			return nil
		}
		if !d.kinds[s.kind] || s.decodeOnly {
			continue
		}
		out = append(out, detect.Finding{Detector: ID, Entity: s.kind, Start: s.start, End: s.end,
			Score: scores[s.kind], Excerpt: detect.Excerpt(in.Text, s.start, s.end)})
	}
	return out
}

// Decoded is text recovered from an obfuscated span of the input.
type Decoded = detect.Decoded

// segmentsKey memoizes a text's segments for Detect and DecodeInput.
var segmentsKey = new(int)

// segments returns find(in.Text, true), computed once per in.Memo.
func segments(in detect.Input) []segment {
	return detect.Memoize(in, segmentsKey, func() []segment { return find(in.Text, true) })
}

// Decode returns the texts hidden in text, following nested encodings up to
// maxDepth levels and stopping once maxBytes of decoded text were produced.
func Decode(text string, maxDepth, maxBytes int) []Decoded {
	return decode(text, find(text, false), maxDepth, maxBytes)
}

// DecodeInput is Decode of in.Text, sharing the segments it finds with the
// detector through in.Memo. It is the engine's decode stage (a
// detect.Decoder).
func DecodeInput(in detect.Input, maxDepth, maxBytes int) []Decoded {
	return decode(in.Text, segments(in), maxDepth, maxBytes)
}

// decode walks top, the segments of text, and what they decode to.
func decode(text string, top []segment, maxDepth, maxBytes int) []Decoded {
	var out []Decoded
	budget := maxBytes
	var walk func(s string, start, end int, kind string, depth int)
	walk = func(s string, start, end int, kind string, depth int) {
		if depth > maxDepth || budget <= 0 {
			return
		}
		segs := top
		if depth > 1 {
			segs = find(s, false)
		}
		for _, seg := range segs {
			if seg.decoded == "" || budget <= 0 {
				continue
			}
			if len(seg.decoded) > budget {
				seg.decoded = truncate(seg.decoded, budget)
			}
			budget -= len(seg.decoded)
			k, st, en := seg.kind, seg.start, seg.end
			if kind != "" {
				k, st, en = kind+">"+seg.kind, start, end
			}
			out = append(out, Decoded{Text: seg.decoded, Start: st, End: en, Kind: k, Depth: depth})
			walk(seg.decoded, st, en, k, depth+1)
		}
	}
	walk(text, 0, len(text), "", 1)
	return out
}

func truncate(s string, n int) string {
	for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// segment is one obfuscated span, with its decoded text when it has one.
type segment struct {
	kind       string
	start, end int
	decoded    string
	// decodeOnly segments feed Decode but are not reported as findings.
	decodeOnly bool
}

var (
	hexEscRe = regexp.MustCompile(`(?:\\x[0-9a-fA-F]{2}){4,}`)
	pctRe    = regexp.MustCompile(`[^\s%]*(?:%[0-9a-fA-F]{2}[^\s%]*){3,}`)
)

// find returns obfuscated segments in text. With report false only
// segments that decode to something are needed. The gates decide which
// finders run; the finders do not check them again.
func find(text string, report bool) []segment {
	g := scanGates(text)
	var out []segment
	if g.base64 {
		out = append(out, findBase64(text)...)
	}
	if g.hexEscape {
		out = append(out, findHexEscapes(text)...)
	}
	if g.hex {
		out = append(out, findHex(text)...)
	}
	if g.percent >= 3 {
		out = append(out, findPercent(text)...)
	}
	if g.lines3 {
		// Whether the text names ROT13 or reversing is looked up only when
		// a line could be either: prose, all of whose lines read as
		// dictionary words, needs neither scan.
		named, looked := false, false
		rot, notPlain := findROT13(text, func() bool {
			if !looked {
				named, looked = containsFold(text, rot13Names), true
			}
			return named
		})
		out = append(out, rot...)
		if notPlain && containsFold(text, reversedNames) {
			out = append(out, findReversed(text)...)
		}
	}
	if g.spaced {
		out = append(out, findSpaced(text)...)
	}
	if g.leet {
		out = append(out, findLeet(text, g.leetFrom)...)
	}
	if g.nonASCII {
		out = append(out, findUnicode(text, report)...)
	}
	return out
}

// Byte classes for the scans, one table so each byte is looked up once.
const (
	classBase64     = 1 << iota // A-Z a-z 0-9 + / _ -
	classLetter                 // A-Z a-z
	classLeet                   // letters, digits, @ $ ! |
	classHex                    // 0-9 a-f A-F
	classLeetSymbol             // digits, @ $ ! |: what leetspeak puts in words
	classHexRegion              // hex digits, 'x', space, colon: what a hex match spans
)

var class = func() (t [256]uint8) {
	for c := range 256 {
		b := byte(c)
		letter := b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z'
		digit := b >= '0' && b <= '9'
		if letter || digit || b == '+' || b == '/' || b == '_' || b == '-' {
			t[c] |= classBase64
		}
		if letter {
			t[c] |= classLetter
		}
		if letter || digit || b == '@' || b == '$' || b == '!' || b == '|' {
			t[c] |= classLeet
		}
		if digit || b == '@' || b == '$' || b == '!' || b == '|' {
			t[c] |= classLeetSymbol
		}
		if digit || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F' || b == 'x' || b == ' ' || b == ':' {
			t[c] |= classHexRegion
		}
		if digit || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F' {
			t[c] |= classHex
		}
	}
	return t
}()

// gates say which finders can find anything in a text; each is true
// whenever its finder could find something (it may be true when the finder
// then finds nothing), and benign prose fails most.
type gates struct {
	base64    bool // a run of 16 base64 bytes
	hex       bool // 16 hex digits in a row, or 8 two-digit groups
	hexEscape bool // a \x
	percent   int  // '%' bytes
	lines3    bool // some line has three words (ROT13 needs them)
	spaced    bool // a run of letters each followed by one space ("i g n o r e")
	leet      bool // a 4-byte token mixing letters with digits or leet symbols
	// leetFrom is where the first run that opened leet starts: no token
	// findLeet reports starts before it.
	leetFrom int
	nonASCII bool
}

func scanGates(text string) gates {
	g := gates{
		percent:   strings.Count(text, "%"),
		hexEscape: strings.Contains(text, `\x`),
		nonASCII:  !detect.IsASCII(text),
		lines3:    hasLineOfWords(text, 3),
		spaced:    spacedRunAt(text, 0) >= 0,
	}
	for i := 0; i < len(text); {
		// Runs of bytes of any class (letters, digits, base64 and leet
		// symbols); their classes ORed tell what they can hold.
		for i < len(text) && class[text[i]] == 0 {
			i++
		}
		start := i
		var or uint8
		for i < len(text) {
			cl := class[text[i]]
			if cl == 0 {
				break
			}
			or |= cl
			i++
		}
		n := i - start
		if n == 0 {
			break
		}
		if n >= 4 && or&classLetter != 0 && or&classLeetSymbol != 0 && !g.leet {
			g.leet, g.leetFrom = true, start
		}
		if n >= 16 {
			g.base64 = g.base64 || hasRun(text[start:i], classBase64, 16)
			g.hex = g.hex || hasRun(text[start:i], classHex, 16)
		}
	}
	g.hex = g.hex || hexGroupRuns(text)
	return g
}

// hexGroupRuns is hexGroups of text, read only inside the runs of
// classHexRegion bytes long enough to hold its eight groups (23 bytes):
// the bytes around a run are not hex digits, so each run decides alone.
func hexGroupRuns(text string) bool {
	found := false
	detect.LongRuns(text, classSet(classHexRegion), 23, func(start, end int) bool {
		found = hexGroups(text[start:end])
		return !found
	})
	return found
}

// hexGroups reports whether text holds eight or more groups of exactly two
// hex digits in a row, each but the last followed by one space or colon:
// "6f 70 65 6e …", "de:ad:be:ef:…", the separated form findHex decodes.
// (Space and colon belong to classHexRegion, so the runs above span them
// and cannot count the groups.)
func hexGroups(text string) bool {
	hexAt := func(k int) bool { return k >= 0 && k < len(text) && class[text[k]]&classHex != 0 }
	pairs := 0
	for i := 0; i+1 < len(text); {
		if !hexAt(i) || !hexAt(i+1) || hexAt(i+2) || hexAt(i-1) {
			pairs = 0
			i++
			continue
		}
		if pairs++; pairs >= 8 {
			return true
		}
		if i+2 < len(text) && (text[i+2] == ' ' || text[i+2] == ':') {
			i += 3
			continue
		}
		pairs = 0
		i += 2
	}
	return false
}

// hasRun reports whether s has n bytes in a row of class cl.
func hasRun(s string, cl uint8, n int) bool {
	found := false
	detect.LongRuns(s, classSet(cl), n, func(int, int) bool {
		found = true
		return false
	})
	return found
}

// classSets holds, for each class bit, the bytes of that class.
var classSets = func() (sets [8][256]bool) {
	for c := range 256 {
		for b := range 8 {
			sets[b][c] = class[c]&(1<<b) != 0
		}
	}
	return sets
}()

// classSet returns the bytes of class cl (a single class bit).
func classSet(cl uint8) *[256]bool { return &classSets[bits.TrailingZeros8(cl)] }

// hasLineOfWords reports whether some line of text has n runs of ASCII
// letters.
func hasLineOfWords(text string, n int) bool {
	words, inWord := 0, false
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c == '\n' {
			words, inWord = 0, false
			continue
		}
		letter := class[c]&classLetter != 0
		if letter && !inWord {
			if words++; words >= n {
				return true
			}
		}
		inWord = letter
	}
	return false
}

func isBase64Char(c byte) bool { return class[c]&classBase64 != 0 }

// findBase64 scans for runs of base64 characters of at least 16 bytes that
// decode to readable text.
func findBase64(text string) []segment {
	var out []segment
	for i := 0; i < len(text); {
		if !isBase64Char(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && isBase64Char(text[j]) {
			j++
		}
		start, end := i, j
		for k := 0; k < 2 && end < len(text) && text[end] == '='; k++ {
			end++
		}
		i = end
		if j-start < 16 {
			continue
		}
		s := text[start:end]
		if !mixedAlphabet(s) {
			continue
		}
		dec, ok := decodeBase64(s)
		if !ok || len(dec) < 8 || !readable(dec) {
			continue
		}
		out = append(out, segment{kind: Base64, start: start, end: end, decoded: dec})
	}
	return out
}

// mixedAlphabet rejects words and pure hex: base64 of text mixes cases and digits.
func mixedAlphabet(s string) bool {
	var up, low, dig bool
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			up = true
		case c >= 'a' && c <= 'z':
			low = true
		case c >= '0' && c <= '9':
			dig = true
		}
	}
	return up && low && (dig || len(s) >= 24)
}

func decodeBase64(s string) (string, bool) {
	trimmed := strings.TrimRight(s, "=")
	encs := []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding}
	for _, enc := range encs {
		if b, err := enc.DecodeString(trimmed); err == nil {
			return string(b), true
		}
	}
	return "", false
}

// readable reports whether b is valid UTF-8 made mostly of printable
// characters, i.e. text rather than binary.
func readable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	printable, total := 0, 0
	for _, r := range s {
		total++
		if unicode.IsPrint(r) || r == '\n' || r == '\t' || r == '\r' {
			printable++
		}
	}
	return total > 0 && printable*100 >= total*95
}

// findHex finds runs of hex digits that decode to readable text.
func findHex(text string) []segment {
	var out []segment
	for _, m := range hexMatches(text) {
		s := strings.TrimSpace(text[m[0]:m[1]])
		raw := hexSeparators.Replace(strings.TrimPrefix(s, "0x"))
		if len(raw)%2 != 0 || len(raw) < 16 || !strings.HasPrefix(s, "0x") && decimalNumber(raw) {
			continue
		}
		b, err := hex.DecodeString(raw)
		if err != nil || !readable(string(b)) || !hasLetters(string(b), 4) {
			continue
		}
		out = append(out, segment{kind: Hex, start: m[0], end: m[0] + len(s), decoded: string(b)})
	}
	return out
}

// hexMatches finds what the regex \b(?:0x)?(?:[0-9a-fA-F]{2}[ :]?){8,}
// finds over the whole text (hexRe in the tests), looking only in
// regions made of the bytes a match can hold (hex digits, 'x', space and
// colon) with 16 hex digits or more, with hexMatchAt instead of the regex.
func hexMatches(text string) [][]int {
	var out [][]int
	for i := 0; i < len(text); {
		for i < len(text) && class[text[i]]&classHexRegion == 0 {
			i++
		}
		start, digits := i, 0
		for ; i < len(text); i++ {
			cl := class[text[i]]
			if cl&classHexRegion == 0 {
				break
			}
			if cl&classHex != 0 {
				digits++
			}
		}
		if digits < 16 {
			continue
		}
		for k := start; k < i; {
			if end, ok := hexMatchAt(text, k); ok {
				out = append(out, []int{k, end})
				k = end
				continue
			}
			k++
		}
	}
	return out
}

// hexMatchAt matches that regex at k as the regex engine would: a word boundary,
// an optional "0x", then at least eight two-digit groups, each taking one
// following space or colon when there is one (greedy, and taking it never
// prevents a further group, so no backtracking is needed).
func hexMatchAt(text string, k int) (int, bool) {
	if k > 0 && isWordByte(text[k-1]) || !isWordByte(text[k]) {
		return 0, false
	}
	j := k
	if strings.HasPrefix(text[k:], "0x") {
		j += 2
	}
	groups := 0
	for j+1 < len(text) && class[text[j]]&classHex != 0 && class[text[j+1]]&classHex != 0 {
		j += 2
		groups++
		if j < len(text) && (text[j] == ' ' || text[j] == ':') {
			j++
		}
	}
	return j, groups >= 8
}

// isWordByte is RE2's \w, for \b.
func isWordByte(c byte) bool { return class[c]&classLetter != 0 || c >= '0' && c <= '9' || c == '_' }

func findHexEscapes(text string) []segment {
	var out []segment
	for _, m := range hexEscRe.FindAllStringIndex(text, -1) {
		raw := strings.ReplaceAll(text[m[0]:m[1]], `\x`, "")
		b, err := hex.DecodeString(raw)
		if err != nil || !readable(string(b)) {
			continue
		}
		out = append(out, segment{kind: Hex, start: m[0], end: m[1], decoded: string(b)})
	}
	return out
}

// decimalNumber reports whether the hex digits raw are all decimal and
// few enough to be a number: a card number in groups of four ("4129 5969
// 7477 5772") or a phone number decodes to a few letters ("A)YitwWr"),
// which the other detectors then read as a name. Hex of a sentence holds a
// letter digit (a-f) long before 40 digits: "n", "o", "l", "m", a comma or
// a full stop.
func decimalNumber(raw string) bool {
	return len(raw) < 40 && strings.IndexFunc(raw, func(r rune) bool { return r < '0' || r > '9' }) < 0
}

func hasLetters(s string, n int) bool {
	c := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			c++
		}
	}
	return c >= n
}

func findPercent(text string) []segment {
	var out []segment
	for _, m := range percentMatches(text) {
		s := text[m[0]:m[1]]
		dec, err := url.QueryUnescape(s)
		if err != nil {
			dec, err = url.PathUnescape(s)
		}
		if err != nil || dec == s || !readable(dec) {
			continue
		}
		out = append(out, segment{kind: URLEncoded, start: m[0], end: m[1], decoded: dec})
	}
	return out
}

// percentMatches runs pctRe on each whitespace-separated token with three
// '%' or more: a match holds no whitespace, so this finds what the regex
// finds over the whole text without running it over all of it.
func percentMatches(text string) [][]int {
	var out [][]int
	for i := 0; i < len(text); {
		for i < len(text) && isRegexSpace(text[i]) {
			i++
		}
		start := i
		for i < len(text) && !isRegexSpace(text[i]) {
			i++
		}
		if tok := text[start:i]; strings.Count(tok, "%") >= 3 {
			for _, m := range pctRe.FindAllStringIndex(tok, -1) {
				out = append(out, []int{start + m[0], start + m[1]})
			}
		}
	}
	return out
}

// isRegexSpace is RE2's \s.
func isRegexSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

func rot13(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return 'a' + (r-'a'+13)%26
		case r >= 'A' && r <= 'Z':
			return 'A' + (r-'A'+13)%26
		}
		return r
	}, s)
}

// findROT13 reports lines whose words are mostly dictionary words after
// ROT13 and mostly not before. When the text names ROT13 (named, called
// only when needed), the part of a line after its last colon counts too
// ("Decode this ROT13: Vtaber …"). notPlain reports whether some line, or
// part of a line after its last colon, has three words or more of which
// more than a fifth are not dictionary words, as findReversed needs of
// the text it reports: without one it finds nothing.
func findROT13(text string, named func() bool) (out []segment, notPlain bool) {
	dict := dictionary()
	for start, end := range lines(text) {
		// Count the words first so the lookups can stop as soon as the
		// outcome is known.
		line := text[start:end]
		if words := countWords(line); words >= 3 && !plainWords(dict, line, words/5) {
			notPlain = true
			if isROT13Line(dict, line, words) {
				out = append(out, segment{kind: ROT13, start: start, end: end, decoded: rot13(line)})
				continue
			}
		}
		// Most lines have no colon: IndexByte, vectorized, says so
		// faster than LastIndexByte, a byte loop.
		if strings.IndexByte(line, ':') < 0 {
			continue
		}
		if c := strings.LastIndexByte(line, ':'); c >= 0 {
			tail := line[c+1:]
			if words := countWords(tail); words >= 3 && !plainWords(dict, tail, words/5) {
				notPlain = true
				if named() && isROT13Line(dict, tail, words) {
					out = append(out, segment{kind: ROT13, start: start + c + 1, end: end, decoded: rot13(tail)})
				}
			}
		}
	}
	return out, notPlain
}

// lines yields the byte span of each line of text, without its newline.
func lines(text string) iter.Seq2[int, int] {
	return func(yield func(start, end int) bool) {
		for start := 0; start < len(text); {
			end := strings.IndexByte(text[start:], '\n')
			if end < 0 {
				end = len(text)
			} else {
				end += start
			}
			if !yield(start, end) {
				return
			}
			start = end + 1
		}
	}
}

// findReversed reports lines, or the part of a line after its last colon,
// that read as mostly dictionary words backwards and mostly not forwards
// (".tpmorp metsys ruoy laever"). find runs it only when the text says
// "reverse" or "backwards", as such an attack must tell the model to.
func findReversed(text string) []segment {
	dict := dictionary()
	var out []segment
	var buf []byte
	try := func(start, end int) bool {
		part := text[start:end]
		words := countWords(part)
		if words < 3 || !detect.IsASCII(part) || plainWords(dict, part, words/5) {
			return false
		}
		buf = append(buf[:0], part...)
		slices.Reverse(buf)
		if !plainWords(dict, string(buf), max(3, (words+1)/2)-1) {
			return false
		}
		out = append(out, segment{kind: Reversed, start: start, end: end, decoded: string(buf)})
		return true
	}
	for start, end := range lines(text) {
		if !try(start, end) {
			if c := strings.LastIndexByte(text[start:end], ':'); c >= 0 {
				try(start+c+1, end)
			}
		}
	}
	return out
}

// minSpacedLetters is the shortest run of spaced-out letters findSpaced
// reads.
const minSpacedLetters = 8

// spacedRunAt returns the start of the first run at or after from of at
// least minSpacedLetters ASCII letters, each but the last followed by
// spaces (one inside a word, two or more between words), or -1.
func spacedRunAt(text string, from int) int {
	// single reports a letter standing alone before a space (or the end):
	// the letters of a run, and the only bytes that can start one.
	single := func(i int) bool {
		return isLetter(text[i]) && (i == 0 || !isLetter(text[i-1])) && (i+1 == len(text) || text[i+1] == ' ')
	}
	for i := from; i < len(text); {
		// Between runs, only a letter right before a space can start one
		// (a letter ending the text starts a run too short). Spaces are
		// a few bytes apart in prose: a plain loop finds the next one
		// sooner than a call to strings.IndexByte.
		for i+1 < len(text) && text[i+1] != ' ' {
			i++
		}
		if i+1 >= len(text) {
			return -1
		}
		if !single(i) {
			i++
			continue
		}
		// In a run: its letters are apart by spaces only.
		start, n := i, 1
		for {
			i++
			for i < len(text) && text[i] == ' ' {
				i++
			}
			if i == len(text) {
				return -1
			}
			if !single(i) {
				break
			}
			if n++; n >= minSpacedLetters {
				return start
			}
		}
	}
	return -1
}

// findSpaced reports runs of letters written one by one with spaces
// ("I g n o r e   a l l") that read as dictionary words once joined.
func findSpaced(text string) []segment {
	dict := dictionary()
	var out []segment
	for i := spacedRunAt(text, 0); i >= 0; i = spacedRunAt(text, i) {
		var b strings.Builder
		j, gap := i, 0
		for j < len(text) {
			c := text[j]
			if c == ' ' {
				gap++
				j++
				continue
			}
			if !isLetter(c) || j+1 < len(text) && isLetter(text[j+1]) {
				break
			}
			if gap >= 2 && b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteByte(c)
			gap = 0
			j++
		}
		end := j
		for end > i && text[end-1] == ' ' {
			end--
		}
		if decoded := b.String(); plainWords(dict, decoded, 2) {
			out = append(out, segment{kind: Spaced, start: i, end: end, decoded: decoded})
		}
		i = max(j, i+1)
	}
	return out
}

// rot13Names and reversedNames are the words by which a text names ROT13
// ("rot13", "rot-13", "rot 13") and reversed text ("revers", "backward"),
// for containsFold.
var (
	rot13Names    = []string{"rot13", "rot-13", "rot 13"}
	reversedNames = []string{"revers", "backward"}
)

// namedCodecs reports whether text names ROT13 and reversed text, in any
// letter case.
func namedCodecs(text string) (rot13, reversed bool) {
	return containsFold(text, rot13Names), containsFold(text, reversedNames)
}

// containsFold reports whether text contains one of words, lower-case
// ASCII words in any letter case (a byte matches when it equals the word's
// byte with bit 0x20 set), in one pass that skips the bytes no word can
// start with, or be followed by, and stops at the first.
func containsFold(text string, words []string) bool {
	// first marks the bytes a word can start with, second those that can
	// follow them (any byte after a one-byte word).
	var first, second [256]bool
	for _, w := range words {
		if w[0]&0x20 == 0 {
			continue // no byte matches it
		}
		first[w[0]], first[w[0]&^0x20] = true, true
		if len(w) == 1 {
			for c := range second {
				second[c] = true
			}
			continue
		}
		second[w[1]], second[w[1]&^0x20] = true, true
	}
	for i := 0; i+1 < len(text); i++ {
		if !first[text[i]] || !second[text[i+1]] {
			continue
		}
		for _, w := range words {
			if hasFoldAt(text[i:], w) {
				return true
			}
		}
	}
	// The last byte only matters to a one-byte word.
	if n := len(text); n > 0 && first[text[n-1]] {
		for _, w := range words {
			if hasFoldAt(text[n-1:], w) {
				return true
			}
		}
	}
	return false
}

// hasFoldAt reports whether s starts with w as containsFold2 matches it.
func hasFoldAt(s, w string) bool {
	if len(s) < len(w) {
		return false
	}
	for k := 0; k < len(w); k++ {
		if s[k]|0x20 != w[k] {
			return false
		}
	}
	return true
}

// isROT13Line reports, of a line at most a fifth of whose words (runs of
// ASCII letters, words in all) are dictionary words (the caller checked
// with plainWords, on which ordinary prose fails at one lookup a word
// instead of two), whether that stays so and at least half of the words,
// and three, are dictionary words after ROT13. Both counts are kept in
// one pass that stops as soon as either condition is lost.
func isROT13Line(dict *wordSet, line string, words int) bool {
	var plain, rot [32]byte
	before, after, seen, need := 0, 0, 0, max(3, (words+1)/2)
	for i := 0; i < len(line); {
		if !isLetter(line[i]) {
			i++
			continue
		}
		j := i
		for j < len(line) && isLetter(line[j]) {
			j++
		}
		seen++
		if j-i <= len(plain) {
			for k := i; k < j; k++ {
				c := line[k] | 0x20 // ASCII lower-case
				plain[k-i], rot[k-i] = c, 'a'+(c-'a'+13)%26
			}
			if dict.has(plain[:j-i]) {
				if before++; before > words/5 {
					return false
				}
			}
			if dict.has(rot[:j-i]) {
				after++
			}
		}
		if after+words-seen < need {
			return false
		}
		i = j
	}
	return after >= need
}

// plainWords reports whether more than limit of line's words (runs of
// ASCII letters of at most 32 bytes) are dictionary words as they stand.
func plainWords(dict *wordSet, line string, limit int) bool {
	var plain [32]byte
	found := 0
	for i := 0; i < len(line); {
		if !isLetter(line[i]) {
			i++
			continue
		}
		j := i
		for j < len(line) && isLetter(line[j]) {
			j++
		}
		if j-i <= len(plain) {
			for k := i; k < j; k++ {
				plain[k-i] = line[k] | 0x20
			}
			if dict.has(plain[:j-i]) {
				if found++; found > limit {
					return true
				}
			}
		}
		i = j
	}
	return false
}

// countWords counts runs of ASCII letters.
func countWords(s string) int {
	// Without branches: a word starts where the letter bit rises.
	n := 0
	var prev uint8
	for i := 0; i < len(s); i++ {
		l := class[s[i]] & classLetter
		n += int(l &^ prev)
		prev = l
	}
	return n / classLetter
}

func isLetter(c byte) bool { return class[c]&classLetter != 0 }

func isLeetChar(c byte) bool { return class[c]&classLeet != 0 }

// leetTokens yields the spans of 4-30 byte tokens that mix letters with
// digits or leet symbols.
func leetTokens(text string, from int) iter.Seq2[int, int] {
	return func(yield func(start, end int) bool) {
		for i := from; i < len(text); {
			if !isLeetChar(text[i]) {
				i++
				continue
			}
			j := i
			letters, others := 0, 0
			for j < len(text) && isLeetChar(text[j]) {
				if c := text[j]; c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' {
					letters++
				} else {
					others++
				}
				j++
			}
			if n := j - i; n >= 4 && n <= 30 && letters > 0 && others > 0 && !yield(i, j) {
				return
			}
			i = j
		}
	}
}

// leetLetter maps the digits and symbols leetspeak uses to the letters
// they stand for.
var leetLetter = [256]byte{'4': 'a', '@': 'a', '3': 'e', '1': 'i', '!': 'i', '|': 'l', '0': 'o', '5': 's', '$': 's', '7': 't', '8': 'b', '9': 'g'}

// findLeet reports words that become dictionary words once digits and
// symbols are read as letters ("h4ck", "p@ssw0rd"); the decoded text is the
// whole line with those words replaced so phrases can be re-scanned.
//
// from is where to start reading: 0, or the start of a run of bytes of any
// class (scanGates' leetFrom), which no token crosses, with no token
// reported before it.
func findLeet(text string, from int) []segment {
	dict := dictionary()
	var out []segment
	var dec, low [30]byte // leet tokens are ASCII and at most 30 bytes
	for start, end := range leetTokens(text, from) {
		w := text[start:end]
		subs := 0
		for k := 0; k < len(w); k++ {
			c := w[k]
			low[k] = c
			if c >= 'A' && c <= 'Z' {
				low[k] = c + 'a' - 'A'
			}
			if l := leetLetter[c]; l != 0 {
				subs++
				c = l
			} else {
				c = low[k]
			}
			dec[k] = c
		}
		// Trailing "!" is punctuation, not a letter: "thanks!" is a word,
		// not leetspeak.
		n := len(w)
		for n > 0 && w[n-1] == '!' {
			n--
			subs--
		}
		if subs <= 0 || subs*2 > n || !dict.has(dec[:n]) || dict.has(low[:n]) {
			continue
		}
		out = append(out, segment{kind: Leetspeak, start: start, end: end, decoded: string(dec[:n])})
	}
	if len(out) == 0 {
		return nil
	}
	// Hand the engine one decoded text covering all leet words, with them
	// replaced, so "1gn0r3 pr3v10us 1nstruct10ns" is re-scanned as a phrase.
	first, last := out[0].start, out[len(out)-1].end
	var b strings.Builder
	at := first
	for i := range out {
		b.WriteString(text[at:out[i].start])
		b.WriteString(out[i].decoded)
		at = out[i].end
		out[i].decoded = ""
	}
	return append(out, segment{kind: Leetspeak, start: first, end: last, decoded: b.String(), decodeOnly: true})
}

func isZeroWidth(r rune) bool {
	switch r {
	case '\u200b', '\u200c', '\u200d', '\u2060', '\u180e', '\ufeff', '\u2061', '\u2062', '\u2063', '\u2064':
		return true
	}
	return false
}

func isBidi(r rune) bool {
	return r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069'
}

// findUnicode reports zero-width and bidi runs and mixed-script words.
// Zero-width characters inside a word decode to the word without them;
// homoglyph words decode to their Latin skeleton.
func findUnicode(text string, report bool) []segment {
	var out []segment
	for i := 0; i < len(text); {
		if text[i] < utf8.RuneSelf {
			i++ // no bidi control is ASCII
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case isBidi(r):
			j := i + size
			for j < len(text) {
				r2, s2 := utf8.DecodeRuneInString(text[j:])
				if !isBidi(r2) {
					break
				}
				j += s2
			}
			if report {
				out = append(out, segment{kind: Bidi, start: i, end: j})
			}
			i = j
			continue
		}
		i += size
	}
	// Word-level checks: zero-width inside words and mixed scripts.
	for start, end := range words(text) {
		w := [2]int{start, end}
		s := text[start:end]
		if detect.IsASCII(s) {
			// Zero-width characters and look-alike letters are not ASCII.
			continue
		}
		if strings.IndexFunc(s, isZeroWidth) >= 0 && !onlyJoiners(s) {
			// A BOM at the very start of the input is an artefact, not obfuscation.
			if !(w[0] == 0 && strings.IndexFunc(s[3:], isZeroWidth) < 0 && strings.HasPrefix(s, "\ufeff")) {
				stripped := strings.Map(func(r rune) rune {
					if isZeroWidth(r) {
						return -1
					}
					return r
				}, s)
				out = append(out, segment{kind: ZeroWidth, start: w[0], end: w[1], decoded: stripped})
			}
			continue
		}
		if skel, ok := homoglyphWord(s); ok {
			out = append(out, segment{kind: Homoglyph, start: w[0], end: w[1], decoded: skel})
		}
	}
	return joinWordRuns(text, out)
}

// joiningScripts write some words with ZWNJ and ZWJ as part of their
// spelling: Persian "می‌خواهم", Hindi and the other Indic scripts'
// conjuncts.
var joiningScripts = []*unicode.RangeTable{unicode.Arabic, unicode.Syriac, unicode.Devanagari, unicode.Bengali,
	unicode.Gurmukhi, unicode.Gujarati, unicode.Oriya, unicode.Tamil, unicode.Telugu, unicode.Kannada,
	unicode.Malayalam, unicode.Sinhala, unicode.Mongolian}

// isEmojiPart reports whether r may stand on either side of the ZWJ of an
// emoji sequence (👨‍👩‍👧, 🏳️‍🌈): a pictograph, a skin tone, a symbol such
// as ♀ or ⚕, or the emoji variation selector.
func isEmojiPart(r rune) bool {
	return r >= 0x1F000 && r <= 0x1FAFF || r >= 0x2600 && r <= 0x27BF || r == 0xFE0F || r == 0x2B1B || r == 0x2B50
}

// onlyJoiners reports whether every zero-width character of word s is a
// joiner that its language or an emoji sequence puts there: ZWNJ or ZWJ
// after a letter of a joining script, or ZWJ between emoji parts.
func onlyJoiners(s string) bool {
	prev := rune(-1)
	for i, r := range s {
		if isZeroWidth(r) {
			next, _ := utf8.DecodeRuneInString(s[i+utf8.RuneLen(r):])
			switch {
			case (r == '\u200c' || r == '\u200d') && prev >= 0 && unicode.IsOneOf(joiningScripts, prev):
			case r == '\u200d' && isEmojiPart(prev) && isEmojiPart(next):
			default:
				return false
			}
		}
		prev = r
	}
	return true
}

// maxRunGap is the longest stretch of plain text between two obfuscated
// words that joinWordRuns bridges.
const maxRunGap = 80

// joinWordRuns merges the word segments of one kind (zero-width, homoglyph)
// that stand on one line with at most maxRunGap bytes between them into one
// segment, whose decoded text keeps the plain words between them: the
// detectors then read "ignore all previous instructions", not four
// separate words each too short for a classifier, and the message gets one
// finding per run instead of one per word.
func joinWordRuns(text string, segs []segment) []segment {
	out := segs[:0]
	for i := 0; i < len(segs); {
		// segs[i:j] is one run; its decoded text is built once, so a long
		// line of obfuscated words costs its length, not its square.
		j := i + 1
		for j < len(segs) && joins(text, segs[j-1], segs[j]) {
			j++
		}
		run := segs[i]
		if j > i+1 {
			var b strings.Builder
			for k := i; k < j; k++ {
				if k > i {
					b.WriteString(text[segs[k-1].end:segs[k].start])
				}
				b.WriteString(segs[k].decoded)
			}
			run.decoded, run.end = b.String(), segs[j-1].end
		}
		out = append(out, run)
		i = j
	}
	return out
}

// joins reports whether b continues a's run: both zero-width or both
// homoglyph words, b after a on the same line, at most maxRunGap apart.
func joins(text string, a, b segment) bool {
	return (a.kind == ZeroWidth || a.kind == Homoglyph) && a.kind == b.kind && a.end <= b.start &&
		b.start-a.end <= maxRunGap && !strings.Contains(text[a.end:b.start], "\n")
}

// words yields the spans of runs of non-space, non-bidi runes, one by
// one, without a slice.
func words(text string) iter.Seq2[int, int] {
	return func(yield func(start, end int) bool) {
		start := -1
		for i, r := range text {
			var sep bool
			if r < utf8.RuneSelf {
				sep = asciiSep[r]
			} else {
				sep = isWordSep(r)
			}
			if sep && start >= 0 {
				if !yield(start, i) {
					return
				}
				start = -1
			} else if !sep && start < 0 {
				start = i
			}
		}
		if start >= 0 {
			yield(start, len(text))
		}
	}
}

// isWordSep reports whether r separates the words of words.
func isWordSep(r rune) bool {
	return unicode.IsSpace(r) || isBidi(r) || unicode.IsPunct(r) && r != '.' && r != '-' && r != '_'
}

// asciiSep is isWordSep of the ASCII characters.
var asciiSep = func() (t [utf8.RuneSelf]bool) {
	for r := range rune(utf8.RuneSelf) {
		t[r] = isWordSep(r)
	}
	return t
}()

// homoglyphWord reports a word that mixes ASCII letters with non-ASCII
// letters whose confusable skeleton is ASCII, and returns the skeleton.
func homoglyphWord(s string) (string, bool) {
	var ascii, lookalike bool
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			ascii = ascii || unicode.IsLetter(r)
		case r >= 0xC0 && r <= 0x24F:
			// The letters of Latin-1 and Latin Extended-A and -B belong to
			// European and Turkic alphabets (Turkish dotless "ı" in
			// "toplantı"), not to an attacker's look-alike set.
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			sk := confusables.Skeleton(string(r))
			if sk != string(r) && detect.IsASCII(sk) {
				lookalike = true
			} else {
				// Genuine non-Latin text (an accented name, a Cyrillic word) is not obfuscation.
				return "", false
			}
		}
	}
	if !ascii || !lookalike {
		return "", false
	}
	var b strings.Builder
	for _, r := range s {
		if r < utf8.RuneSelf {
			b.WriteRune(r)
			continue
		}
		b.WriteString(confusables.Skeleton(string(r)))
	}
	return b.String(), true
}
