package classifier

import (
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/claudit/claudit/internal/policy/detect"
	"github.com/mtibben/confusables"
	"golang.org/x/text/unicode/norm"
)

// NormalizeText undoes the cheap obfuscations that keep an attack readable
// to a model but hide it from n-grams: zero-width and other format
// characters are dropped, compatibility forms (fullwidth letters, ligatures,
// mathematical alphabets) fold to their plain letters, look-alike letters
// from other scripts map to Latin, and inside words that mix letters and
// digits the leetspeak digits become letters ("1gn0re" → "ignore"), and
// letters spelled out one by one are joined ("I g n o r e" → "Ignore").
// Plain ASCII text without digits inside words comes back unchanged.
func NormalizeText(s string) string {
	if isPlain(s) {
		return s
	}
	return normalizeUnplain(s)
}

// normalizeUnplain is NormalizeText of a text that is not plain.
func normalizeUnplain(s string) string {
	if detect.IsASCII(s) {
		return unspace(unleet(s))
	}
	var b strings.Builder
	b.Grow(len(s))
	var folds [8]struct {
		r   rune
		out string
	}
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			// A run of ASCII is copied as it is: no ASCII character is a
			// format character or a combining mark. Most of a text that
			// is not ASCII is, between its curly quotes and dashes.
			j := i + 1
			for j < len(s) && s[j] < utf8.RuneSelf {
				j++
			}
			b.WriteString(s[i:j])
			i = j
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		// The few non-ASCII characters of a text repeat (curly quotes,
		// dashes): each is folded once per call.
		c := &folds[int(r)&(len(folds)-1)]
		if c.r != r { // r is not 0: an empty slot never matches
			c.r, c.out = r, foldRune(r)
		}
		b.WriteString(c.out)
	}
	return unspace(unleet(b.String()))
}

// foldRune is what normalizeUnplain writes for the non-ASCII rune r.
func foldRune(r rune) string {
	switch {
	case r == utf8.RuneError:
		return string(r)
	case unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Mn, r) && r >= 0x300 && r < 0x370:
		// Zero-width, bidi controls and stacked combining marks.
		return ""
	}
	folded := norm.NFKC.String(string(r))
	var b strings.Builder
	for _, f := range folded {
		if f >= utf8.RuneSelf && !unicode.IsSpace(f) && (unicode.IsLetter(f) || unicode.IsNumber(f)) && !unicode.In(f, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul, unicode.Arabic, unicode.Hebrew, unicode.Devanagari, unicode.Thai) {
			if sk := confusables.Skeleton(string(f)); isASCIIWord(sk) {
				b.WriteString(sk)
				continue
			}
		}
		b.WriteRune(f)
	}
	return b.String()
}

// isPlain reports whether s is ASCII with no word mixing letters and digits
// and no letters spelled out one by one (see unspace).
func isPlain(s string) bool {
	letter, digit := false, false
	// n counts the current word's bytes; lone the lone letters in a row,
	// each followed by a space, from runStart, with gaps of at most three
	// spaces (spacedRun's runs); spaces the current gap's.
	n, lone, runStart, spaces := 0, 0, 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
			return false
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letter = true
			n++
		case c >= '0' && c <= '9' || c == '@' || c == '$':
			digit = true
			n += 2
		default:
			if letter && digit {
				return false
			}
			switch {
			case c == ' ' && n == 1 && letter:
				if lone == 0 {
					runStart = i - 1
				}
				lone, spaces = lone+1, 1
				if lone == minSpacedRun-1 {
					if end, _ := spacedRun(s, runStart); end > 0 {
						return false
					}
				}
			case c == ' ' && n == 0:
				if spaces++; spaces > 3 {
					lone = 0
				}
			default:
				lone = 0
			}
			letter, digit, n = false, false, 0
		}
	}
	return !(letter && digit)
}

func isASCIIWord(s string) bool {
	if s == "" || len(s) > 3 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// leetMap maps each leetspeak character to its letter, and every other
// byte to 0.
var leetMap = [256]byte{'0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '@': 'a', '$': 's'}

// unleet maps leetspeak characters to letters inside words that have at
// least two letters and at least one such character, leaving numbers,
// version strings and identifiers with a trailing number alone.
func unleet(s string) string {
	var out []byte
	i := 0
	for i < len(s) {
		if leetClass[s[i]] == 0 {
			i++
			continue
		}
		j := i
		letters, leet := 0, 0
		for ; j < len(s); j++ {
			k := leetClass[s[j]]
			if k == 0 {
				break
			}
			letters += int(k & leetLetter)
			leet += int(k&leetChar) >> 1
		}
		// A word with letters on both sides of its digits reads as leet;
		// "abc123" or "v2" do not.
		if letters >= 2 && leet >= 1 && leetInside(s[i:j]) {
			if out == nil {
				out = []byte(s)
			}
			for k := i; k < j; k++ {
				if r := leetMap[s[k]]; r != 0 {
					out[k] = r
				}
			}
		}
		i = j
	}
	if out == nil {
		return s
	}
	// out is a copy no one else holds or changes: no second copy.
	return unsafe.String(unsafe.SliceData(out), len(out))
}

// Classes of the bytes of unleet's words: letters, leetspeak characters
// (leetMap's) and the other digits; 0 ends a word.
const (
	leetLetter = 1 << iota
	leetChar
	leetDigit
)

var leetClass = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			t[c] = leetLetter
		case leetMap[c] != 0:
			t[c] = leetChar
		case c >= '0' && c <= '9':
			t[c] = leetDigit
		}
	}
	return t
}()

// leetInside reports whether a leet character has a letter somewhere
// before it and somewhere after it in w.
func leetInside(w string) bool {
	first, last := -1, -1
	for k := 0; k < len(w); k++ {
		c := w[k]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			if first < 0 {
				first = k
			}
			last = k
		}
	}
	for k := first + 1; k < last; k++ {
		if leetMap[w[k]] != 0 {
			return true
		}
	}
	return false
}
