package classifier

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ShortText keeps a model off texts too short for it to judge. The models
// learn from texts of a sentence or more: a three-word follow-up such as
// "answer me" or "do it now" is outside anything they saw, and their score
// there is noise. A short text keeps the model only when it names one of
// Terms (for jailbreak: rules, filters, a mode, a persona...); the rules run
// on every text regardless.
type ShortText struct {
	// Words and Bytes: a text with fewer whitespace-separated words than
	// Words and fewer bytes than Bytes is short (the byte bound keeps a
	// long text in a script written without spaces out of it).
	Words, Bytes int
	exact        map[string]bool
	// prefixes holds the stems; a word is looked up by its own prefixes
	// of minStem to maxStem bytes, a few map lookups however many stems
	// there are.
	prefixes         map[string]bool
	minStem, maxStem int
}

// ParseShortText reads terms, one a line: a lower-case word, or a stem
// ending in "*" that matches every word it begins. Blank lines and lines
// starting with "#" are skipped.
func ParseShortText(words, maxBytes int, terms []byte) (*ShortText, error) {
	s := &ShortText{Words: words, Bytes: maxBytes, exact: map[string]bool{}, prefixes: map[string]bool{}}
	sc := bufio.NewScanner(bytes.NewReader(terms))
	for n := 1; sc.Scan(); n++ {
		t := strings.TrimSpace(sc.Text())
		switch {
		case t == "" || strings.HasPrefix(t, "#"):
		case strings.ToLower(t) != t || strings.ContainsFunc(strings.TrimSuffix(t, "*"), isWordSep):
			return nil, fmt.Errorf("short-text terms line %d: %q is not one lower-case word", n, t)
		case strings.HasSuffix(t, "*"):
			stem := strings.TrimSuffix(t, "*")
			if stem == "" {
				return nil, fmt.Errorf("short-text terms line %d: a stem needs a letter before the *", n)
			}
			s.prefixes[stem] = true
			if s.minStem == 0 || len(stem) < s.minStem {
				s.minStem = len(stem)
			}
			s.maxStem = max(s.maxStem, len(stem))
		default:
			s.exact[t] = true
		}
	}
	if len(s.exact)+len(s.prefixes) == 0 {
		return nil, fmt.Errorf("short-text terms: none")
	}
	return s, sc.Err()
}

// Silences reports whether text is short and names none of the terms, so
// the model must not score it. It allocates nothing: it runs on every text.
func (s *ShortText) Silences(text string) bool {
	if s == nil || len(text) >= s.Bytes {
		return false
	}
	n := 0
	for range strings.FieldsSeq(text) {
		if n++; n >= s.Words {
			return false
		}
	}
	var buf [128]byte
	for w := range strings.FieldsFuncSeq(text, isWordSep) {
		if s.names(appendLower(buf[:0], w)) {
			return false
		}
	}
	return true
}

// names reports whether the lower-case word is a term or begins with a
// stem.
func (s *ShortText) names(word []byte) bool {
	if s.exact[string(word)] {
		return true
	}
	for n := s.minStem; n <= min(s.maxStem, len(word)); n++ {
		if s.prefixes[string(word[:n])] {
			return true
		}
	}
	return false
}

// appendLower appends w lower-cased to b.
func appendLower(b []byte, w string) []byte {
	for _, r := range w {
		b = utf8.AppendRune(b, unicode.ToLower(r))
	}
	return b
}

func isWordSep(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }
