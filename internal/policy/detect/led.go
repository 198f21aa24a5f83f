package detect

import (
	"regexp"
	"slices"

	"github.com/claudit/claudit/internal/policy/detect/literal"
)

// Led is a regular expression every match of which starts with one of a
// few literals (after a leading \b): instead of running the regex over a
// whole window, Matches tries it, anchored, only where one of the
// literals occurs. The rule matcher (classifier) and the phrase matcher
// (toxicity) share it.
type Led struct {
	anchored *regexp.Regexp // ^(?:pattern)
	prefixes *Automaton
	// wordStart: the pattern opens with \b (the literals then start with
	// a word byte).
	wordStart bool
}

// NewLed returns pattern's Led when every match starts with one of a few
// ASCII literals (literal.LedPrefixes), each starting with a word byte when
// there is a leading \b; nil otherwise.
func NewLed(pattern string) *Led {
	prefixes, wordStart, ok := literal.LedPrefixes(pattern)
	if !ok || len(prefixes) == 0 {
		return nil
	}
	for _, p := range prefixes {
		if p == "" || !IsASCII(p) || wordStart && !IsWordByte(p[0]) {
			return nil
		}
	}
	re, err := regexp.Compile(`^(?:` + pattern + `)`)
	if err != nil {
		return nil
	}
	a, ok := NewAutomaton(prefixes)
	if !ok {
		return nil
	}
	return &Led{anchored: re, prefixes: a, wordStart: wordStart}
}

// LedScratch is Matches' working memory, reused across calls.
type LedScratch struct {
	found     []Match
	positions []int
	locs      [][]int
}

// Matches is the pattern's FindAllIndex(text[start:end], limit) (limit < 0:
// every match), for a text without the Kelvin sign or long s (which (?i)
// folds k and s to), lower its ASCII lower-casing. Each match starts where
// lower holds one of the literals and is the anchored match there; those
// places are tried in ascending order, never inside the match before, as
// the search over the window finds its matches. With a leading \b and a
// literal starting with a word byte, \b holds inside the window where the
// byte before is no word byte, which the anchored regex, seeing the text
// start there, cannot tell. The matches are in sc's storage, valid until
// its next use.
func (l *Led) Matches(text, lower []byte, start, end, limit int, sc *LedScratch) [][]int {
	if limit == 0 {
		return nil
	}
	sc.found = l.prefixes.AppendMatches(sc.found[:0], lower[start:end])
	positions := sc.positions[:0]
	for _, m := range sc.found {
		positions = append(positions, start+m.Start)
	}
	slices.Sort(positions)
	positions = slices.Compact(positions)
	sc.positions = positions
	out := sc.locs[:0]
	next := start
	for _, at := range positions {
		if limit > 0 && len(out) == limit {
			break
		}
		if at < next || l.wordStart && at > start && IsWordByte(text[at-1]) {
			continue
		}
		loc := l.anchored.FindIndex(text[at:end])
		if loc == nil {
			continue
		}
		out = append(out, []int{at - start, at - start + loc[1]})
		next = at + loc[1]
	}
	sc.locs = out
	return out
}

// IsWordByte reports whether c is a \b word character: [0-9A-Za-z_].
func IsWordByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}
