package classifier

import (
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// maxRequired bounds the size of a required-literal set; larger sets cost
// more to check than they save.
const maxRequired = 32

// requiredLiterals returns lower-case strings of which every match of
// pattern must contain at least one, once the matched text is ASCII
// lower-cased; nil when the pattern offers no useful such set. Rules check
// it before running their regex on a window, so a window without any of
// the strings is skipped: a necessary condition, so results do not change.
// With plain set, the strings need only hold for a text without the Kelvin
// sign and long s, where a case-folded k or s is an ASCII letter too.
func requiredLiterals(pattern string, plain bool) []string {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil
	}
	set, ok := required(re.Simplify(), plain)
	if !ok || len(set) == 0 || minLen(set) < 3 {
		return nil
	}
	return set
}

// required computes the set for one node; ok false means "unknown", which
// is always safe.
func required(re *syntax.Regexp, plain bool) ([]string, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		return literalPiece(re, plain)
	case syntax.OpCapture, syntax.OpPlus:
		return required(re.Sub[0], plain)
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0], plain)
		}
	case syntax.OpConcat:
		var best []string
		for _, sub := range re.Sub {
			if set, ok := required(sub, plain); ok && (best == nil || minLen(set) > minLen(best)) {
				best = set
			}
		}
		return best, best != nil
	case syntax.OpAlternate:
		var union []string
		for _, sub := range re.Sub {
			set, ok := required(sub, plain)
			if !ok {
				return nil, false
			}
			union = append(union, set...)
		}
		if len(union) > maxRequired {
			return nil, false
		}
		return union, true
	}
	return nil, false
}

// literalPiece returns the longest piece of a literal that is sure to
// appear, lower-cased, in the lower-cased text. Under case folding, 'k'
// and 's' also match the non-ASCII Kelvin sign and long s, which ASCII
// lower-casing leaves alone, so folded literals are cut at those letters,
// unless plain says the text holds neither; other non-ASCII runes are
// left out when folded.
func literalPiece(re *syntax.Regexp, plain bool) ([]string, bool) {
	fold := re.Flags&syntax.FoldCase != 0
	var best, cur strings.Builder
	flush := func() {
		if cur.Len() > best.Len() {
			best.Reset()
			best.WriteString(cur.String())
		}
		cur.Reset()
	}
	for _, r := range re.Rune {
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		if fold && (!plain && (r == 'k' || r == 's') || r >= utf8.RuneSelf) {
			flush()
			continue
		}
		cur.WriteRune(r)
	}
	flush()
	if best.Len() == 0 {
		return nil, false
	}
	return []string{best.String()}, true
}

func minLen(set []string) int {
	n := -1
	for _, s := range set {
		if n < 0 || len(s) < n {
			n = len(s)
		}
	}
	return max(n, 0)
}
