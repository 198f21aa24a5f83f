package literal

import (
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxRequired bounds the size of a required-literal set; larger sets cost
// more to check than they save.
const maxRequired = 32

// RequiredFolded returns lower-case strings of which every match of
// pattern must contain at least one, once the matched text is ASCII
// lower-cased; nil when the pattern offers no useful such set. Rules check
// it before running their regex on a window, so a window without any of
// the strings is skipped: a necessary condition, so results do not change.
// With plain set, the strings need only hold for a text without the Kelvin
// sign and long s, where a case-folded k or s is an ASCII letter too.
func RequiredFolded(pattern string, plain bool) []string {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil
	}
	set, ok := requiredFolded(re.Simplify(), plain)
	if !ok || len(set) == 0 || minLen(set) < 3 {
		return nil
	}
	return set
}

// requiredFolded computes the set for one node; ok false means "unknown", which
// is always safe.
func requiredFolded(re *syntax.Regexp, plain bool) ([]string, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		return literalPiece(re, plain)
	case syntax.OpCapture, syntax.OpPlus:
		return requiredFolded(re.Sub[0], plain)
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredFolded(re.Sub[0], plain)
		}
	case syntax.OpConcat:
		var best []string
		for _, sub := range re.Sub {
			if set, ok := requiredFolded(sub, plain); ok && (best == nil || minLen(set) > minLen(best)) {
				best = set
			}
		}
		return best, best != nil
	case syntax.OpAlternate:
		var union []string
		for _, sub := range re.Sub {
			set, ok := requiredFolded(sub, plain)
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

func minLen(set []string) int { return max(shortest(set), 0) }

// ExactFolded returns, lower-cased, every string re matches when those
// are a few ASCII literals (at most limit), whatever the case of the text.
// Like FoldedPrefixes, it lists ASCII spellings only: a folded k or s
// written as the Kelvin sign or long s is not among them, which callers
// allow for (the secrets detector drops its gates in such a text).
func ExactFolded(re *syntax.Regexp, limit int) ([]string, bool) {
	switch re.Op {
	case syntax.OpEmptyMatch:
		return []string{""}, true
	case syntax.OpLiteral:
		var b strings.Builder
		for _, r := range re.Rune {
			if r >= utf8.RuneSelf {
				return nil, false
			}
			b.WriteRune(unicode.ToLower(r))
		}
		return []string{b.String()}, true
	case syntax.OpCharClass:
		// A class of one letter in either case, as [Aa].
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if r >= utf8.RuneSelf || len(out) > 2 {
					return nil, false
				}
				if l := string(unicode.ToLower(r)); !slices.Contains(out, l) {
					out = append(out, l)
				}
			}
		}
		return out, len(out) == 1
	case syntax.OpCapture:
		return ExactFolded(re.Sub[0], limit)
	case syntax.OpQuest:
		sub, ok := ExactFolded(re.Sub[0], limit)
		return append(sub, ""), ok && len(sub) < limit
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			lits, ok := ExactFolded(sub, limit)
			if !ok || len(out)+len(lits) > limit {
				return nil, false
			}
			out = append(out, lits...)
		}
		return out, true
	case syntax.OpConcat:
		out := []string{""}
		for _, sub := range re.Sub {
			lits, ok := ExactFolded(sub, limit)
			if !ok || len(out)*len(lits) > limit {
				return nil, false
			}
			var next []string
			for _, a := range out {
				for _, l := range lits {
					next = append(next, a+l)
				}
			}
			out = next
		}
		return out, true
	}
	return nil, false
}

// FoldedPrefixes returns, lower-cased, literals one of which every match
// of pattern starts with, after an optional leading \b (wordStart) and
// capture groups; an alternation gives one literal per branch. ok is false
// when a branch starts with anything but a literal.
func FoldedPrefixes(pattern string) (prefixes []string, wordStart, ok bool) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, false, false
	}
	prefixes, wordStart, ok = prefixesOf(re.Simplify())
	return prefixes, wordStart, ok
}

// prefixesOf is FoldedPrefixes of a parsed and simplified pattern.
func prefixesOf(re *syntax.Regexp) (prefixes []string, wordStart, ok bool) {
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	if re.Op == syntax.OpConcat && len(re.Sub) > 1 && re.Sub[0].Op == syntax.OpWordBoundary {
		wordStart = true
		re = &syntax.Regexp{Op: syntax.OpConcat, Sub: re.Sub[1:]}
	}
	prefixes, ok = startLiterals(re)
	return prefixes, wordStart, ok
}

// LedPrefixes is FoldedPrefixes, and for an alternation whose branches
// each open with \b, or none does, the union of the branches' prefixes:
// every match is one branch's.
func LedPrefixes(pattern string) (prefixes []string, wordStart, ok bool) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, false, false
	}
	re = re.Simplify()
	if prefixes, wordStart, ok = prefixesOf(re); ok {
		return prefixes, wordStart, true
	}
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	if re.Op != syntax.OpAlternate {
		return nil, false, false
	}
	for i, sub := range re.Sub {
		ps, ws, ok := prefixesOf(sub)
		if !ok || i > 0 && ws != wordStart {
			return nil, false, false
		}
		prefixes, wordStart = append(prefixes, ps...), ws
	}
	return prefixes, wordStart, true
}

// startLiterals is FoldedPrefixes below the leading \b.
func startLiterals(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpConcat:
		if len(re.Sub) == 0 {
			return nil, false
		}
		// Leading elements that match only a few literals, as a keyword
		// group (postgres|mysql), give the whole literals rather than the
		// common first letters the parser factors out of them.
		out := []string{""}
		for _, sub := range re.Sub {
			lits, ok := ExactFolded(sub, 64)
			if !ok || len(out)*len(lits) > 64 {
				break
			}
			var next []string
			for _, a := range out {
				for _, l := range lits {
					next = append(next, a+l)
				}
			}
			out = next
		}
		if !slices.Contains(out, "") {
			return out, true
		}
		return startLiterals(re.Sub[0])
	case syntax.OpCapture:
		return startLiterals(re.Sub[0])
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			ps, ok := startLiterals(sub)
			if !ok {
				return nil, false
			}
			out = append(out, ps...)
		}
		return out, true
	case syntax.OpLiteral:
		var b strings.Builder
		for _, r := range re.Rune {
			if r >= utf8.RuneSelf {
				break // case folding beyond ASCII: keep the ASCII part
			}
			b.WriteRune(unicode.ToLower(r))
		}
		return []string{b.String()}, b.Len() > 0
	}
	return nil, false
}
