package detect

import (
	"regexp/syntax"
	"unicode"
	"unicode/utf8"
)

// MaxMatchBytes returns the most bytes a match of pattern (RE2 syntax) can
// span, or -1 when that is unbounded or the pattern does not parse. With
// singleSpaces, a repeated whitespace class counts as one byte: for text
// whose words are joined by single spaces (toxicity's token stream).
// Detectors use it to run a regex on a window around a keyword instead of
// the whole text.
func MaxMatchBytes(pattern string, singleSpaces bool) int {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return -1
	}
	return maxBytes(re.Simplify(), singleSpaces)
}

// maxBytes is the longest UTF-8 match of re in bytes, -1 when unbounded.
func maxBytes(re *syntax.Regexp, singleSpaces bool) int {
	switch re.Op {
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			n += runeBytes(r, re.Flags&syntax.FoldCase != 0)
		}
		return n
	case syntax.OpCharClass:
		n := 0
		for i := 1; i < len(re.Rune); i += 2 {
			n = max(n, utf8.RuneLen(min(re.Rune[i], utf8.MaxRune)))
		}
		return n
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return utf8.UTFMax
	case syntax.OpCapture, syntax.OpQuest:
		return maxBytes(re.Sub[0], singleSpaces)
	case syntax.OpStar, syntax.OpPlus:
		if singleSpaces && spaceOnly(re.Sub[0]) {
			return 1
		}
		return -1
	case syntax.OpRepeat:
		n := maxBytes(re.Sub[0], singleSpaces)
		if re.Max < 0 || n < 0 {
			if singleSpaces && spaceOnly(re.Sub[0]) {
				return 1
			}
			return -1
		}
		return re.Max * n
	case syntax.OpConcat:
		n := 0
		for _, sub := range re.Sub {
			m := maxBytes(sub, singleSpaces)
			if m < 0 {
				return -1
			}
			n += m
		}
		return n
	case syntax.OpAlternate:
		n := 0
		for _, sub := range re.Sub {
			m := maxBytes(sub, singleSpaces)
			if m < 0 {
				return -1
			}
			n = max(n, m)
		}
		return n
	}
	return 0 // empty-width assertions and the empty match
}

// spaceOnly reports whether re matches only whitespace characters.
func spaceOnly(re *syntax.Regexp) bool {
	if re.Op == syntax.OpLiteral {
		for _, r := range re.Rune {
			if !unicode.IsSpace(r) {
				return false
			}
		}
		return len(re.Rune) > 0
	}
	if re.Op != syntax.OpCharClass {
		return false
	}
	for i := 0; i+1 < len(re.Rune); i += 2 {
		if re.Rune[i+1]-re.Rune[i] > 64 {
			return false
		}
		for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
			if !unicode.IsSpace(r) {
				return false
			}
		}
	}
	return len(re.Rune) > 0
}

// runeBytes is the longest UTF-8 form of r, or of any rune case-folding to
// it (the Kelvin sign folds to k).
func runeBytes(r rune, fold bool) int {
	n := utf8.RuneLen(r)
	if fold {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			n = max(n, utf8.RuneLen(f))
		}
	}
	return max(n, 1)
}
