package detect

import (
	"regexp"

	"github.com/claudit/claudit/internal/policy/detect/literal"
)

// LedPattern returns ^(?:pattern), an automaton over the literals every
// match of pattern starts with (after a leading \b) and whether there is
// that \b, when there are such literals, all ASCII and, with \b, each
// starting with a word byte; ok is false otherwise. A caller then runs the
// anchored regex only where the automaton finds a literal, instead of over
// the whole text.
func LedPattern(pattern string) (re *regexp.Regexp, a *Automaton, wordStart, ok bool) {
	prefixes, wordStart, ok := literal.LedPrefixes(pattern)
	if !ok || len(prefixes) == 0 {
		return nil, nil, false, false
	}
	for _, p := range prefixes {
		if p == "" || !IsASCII(p) || wordStart && !IsWordByte(p[0]) {
			return nil, nil, false, false
		}
	}
	re, err := regexp.Compile(`^(?:` + pattern + `)`)
	if err != nil {
		return nil, nil, false, false
	}
	if a, ok = NewAutomaton(prefixes); !ok {
		return nil, nil, false, false
	}
	return re, a, wordStart, true
}

// IsWordByte reports whether c is a \b word character: [0-9A-Za-z_].
func IsWordByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}
