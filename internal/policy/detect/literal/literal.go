// Package literal finds the literal strings that every match of a regular
// expression holds, or starts with, so a cheap substring search can skip
// text the regex cannot match: gitleaks' keyword prefilter, derived from
// the pattern itself. It reads patterns in two modes. As written, literals
// are case-sensitive (Required, Prefixes). Folded, for (?i) patterns
// searched in ASCII-lower-cased text, literals are lower-cased
// (RequiredFolded, FoldedPrefixes); there a folded k or s also matches the
// Kelvin sign or long s, which ASCII lower-casing keeps, and each function
// says how it stands to them.
//
// Every set returned is a necessary condition: a text without any of its
// strings has no match, so a prefilter built on one never changes results.
package literal

import (
	"bytes"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxLiterals bounds the strings of a literal set of Required and
// Prefixes.
const maxLiterals = 16

// bound is the most strings a literal set may hold: past it, looking for
// them costs more than running the regex would.
type bound int

// Required returns strings one of which every match of the regex
// expr holds as it stands (case-sensitive), or nil when it knows none worth
// looking for: a line holding none of them cannot match, and a search for
// a few literals costs much less than running the regex over the line.
func Required(expr string) []string { return RequiredUpTo(expr, maxLiterals) }

// RequiredUpTo is Required with sets of up to max strings, for patterns
// whose every match holds one of a long word list (slurs, insults): a few
// dozen substring searches still cost far less than such a regex.
func RequiredUpTo(expr string, max int) []string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	lits, ok := bound(max).required(re)
	if !ok || slices.Contains(lits, "") {
		return nil
	}
	return lits
}

// Prefixes returns strings one of which every match of the regex
// expr starts with, when expr is anchored at the start of the text (^
// without (?m)), or nil. Such a regex runs only at the start, but Go
// clears its state for the whole input first: a line that starts with
// none of them is told much faster by strings.HasPrefix.
func Prefixes(expr string) []string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	if re.Op != syntax.OpConcat || len(re.Sub) < 2 || re.Sub[0].Op != syntax.OpBeginText {
		return nil
	}
	rest := &syntax.Regexp{Op: syntax.OpConcat, Sub: re.Sub[1:]}
	lits := bound(maxLiterals).prefixes(rest)
	if len(lits) == 0 || slices.Contains(lits, "") {
		return nil
	}
	return lits
}

// prefixes returns strings one of which every match of re starts with
// (the empty string when it knows none).
func (b bound) prefixes(re *syntax.Regexp) []string {
	none := []string{""}
	if lits, ok := b.exact(re); ok {
		return lits
	}
	switch re.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return b.prefixes(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return b.prefixes(re.Sub[0])
		}
	case syntax.OpAlternate:
		var all []string
		for _, sub := range re.Sub {
			if all = union(all, b.prefixes(sub)); len(all) > int(b) {
				return none
			}
		}
		return all
	case syntax.OpConcat:
		// The exact subexpressions up front, then the prefixes of the
		// first other one.
		prod := []string{""}
		for _, sub := range re.Sub {
			lits, ok := b.exact(sub)
			if !ok {
				lits = b.prefixes(sub)
			}
			next := product(prod, lits)
			if len(next) > int(b) {
				return prod
			}
			prod = next
			if !ok {
				break
			}
		}
		return prod
	}
	return none
}

// required returns a set of non-empty strings one of which every match of
// re holds.
func (b bound) required(re *syntax.Regexp) ([]string, bool) {
	if lits, ok := b.exact(re); ok && !slices.Contains(lits, "") {
		return lits, true
	}
	switch re.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return b.required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return b.required(re.Sub[0])
		}
	case syntax.OpAlternate:
		var all []string
		for _, sub := range re.Sub {
			lits, ok := b.required(sub)
			if !ok {
				return nil, false
			}
			all = union(all, lits)
			if len(all) > int(b) {
				return nil, false
			}
		}
		return all, true
	case syntax.OpConcat:
		// The best of the subexpressions' own sets and of the products of
		// runs of consecutive subexpressions that match finite sets.
		var best []string
		for i, sub := range re.Sub {
			if lits, ok := b.required(sub); ok {
				best = better(best, lits)
			}
			prod := []string{""}
			for _, next := range re.Sub[i:] {
				lits, ok := b.exact(next)
				if !ok {
					break
				}
				if prod = product(prod, lits); len(prod) > int(b) {
					break
				}
				if !slices.Contains(prod, "") {
					best = better(best, prod)
				}
			}
		}
		return best, best != nil
	}
	return nil, false
}

// exact returns every string re matches, when they are few and re asserts
// nothing about its context (no anchors or word boundaries).
func (b bound) exact(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpEmptyMatch:
		return []string{""}, true
	case syntax.OpLiteral:
		// Under (?i) a literal matches other cases too; U+FFFD also
		// matches each byte of invalid UTF-8.
		if re.Flags&syntax.FoldCase != 0 || slices.Contains(re.Rune, utf8.RuneError) {
			return nil, false
		}
		return []string{string(re.Rune)}, true
	case syntax.OpCharClass:
		var lits []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			if hi-lo >= rune(b) || lo <= utf8.RuneError && utf8.RuneError <= hi {
				return nil, false
			}
			for r := lo; r <= hi; r++ {
				lits = append(lits, string(r))
			}
			if len(lits) > int(b) {
				return nil, false
			}
		}
		return lits, len(lits) > 0
	case syntax.OpCapture:
		return b.exact(re.Sub[0])
	case syntax.OpQuest:
		lits, ok := b.exact(re.Sub[0])
		return union(lits, []string{""}), ok
	case syntax.OpAlternate:
		var all []string
		for _, sub := range re.Sub {
			lits, ok := b.exact(sub)
			if !ok {
				return nil, false
			}
			if all = union(all, lits); len(all) > int(b) {
				return nil, false
			}
		}
		return all, true
	case syntax.OpConcat:
		prod := []string{""}
		for _, sub := range re.Sub {
			lits, ok := b.exact(sub)
			if !ok {
				return nil, false
			}
			if prod = product(prod, lits); len(prod) > int(b) {
				return nil, false
			}
		}
		return prod, true
	}
	return nil, false
}

// product returns every string of a followed by one of b, without repeats.
func product(a, b []string) []string {
	var out []string
	for _, x := range a {
		for _, y := range b {
			out = union(out, []string{x + y})
		}
	}
	return out
}

// union adds the strings of b missing from a.
func union(a, b []string) []string {
	for _, s := range b {
		if !slices.Contains(a, s) {
			a = append(a, s)
		}
	}
	return a
}

// better returns the set cheaper to look for and less often found: strings
// of at least four bytes if either has them, then fewer strings, then
// longer ones.
func better(a, b []string) []string {
	if a == nil {
		return b
	}
	ka, kb := min(shortest(a), 4), min(shortest(b), 4)
	switch {
	case ka != kb:
		if kb > ka {
			return b
		}
		return a
	case len(a) != len(b):
		if len(b) < len(a) {
			return b
		}
		return a
	case shortest(b) > shortest(a):
		return b
	}
	return a
}

func shortest(lits []string) int {
	n := -1
	for _, s := range lits {
		if n < 0 || len(s) < n {
			n = len(s)
		}
	}
	return n
}

// HasAnyPrefix reports whether s starts with one of lits.
func HasAnyPrefix(s string, lits []string) bool {
	for _, l := range lits {
		if strings.HasPrefix(s, l) {
			return true
		}
	}
	return false
}

// ContainsAny reports whether s contains one of lits.
func ContainsAny(s string, lits []string) bool {
	for _, l := range lits {
		if strings.Contains(s, l) {
			return true
		}
	}
	return false
}

// Set is a list of strings one of which every match holds, as bytes, to
// test the windows a pattern would run on.
type Set [][]byte

// NewSet returns lits as a Set, nil when there are none (nothing known).
func NewSet(lits []string) Set {
	var set Set
	for _, l := range lits {
		set = append(set, []byte(l))
	}
	return set
}

// In reports whether b holds one of the set's strings.
func (set Set) In(b []byte) bool {
	for _, w := range set {
		if bytes.Contains(b, w) {
			return true
		}
	}
	return false
}

// Branches is a finer necessary condition than one Set, for patterns that
// are alternations of concatenations: per branch of the alternation, sets
// of strings, one string of each of which every match of that branch
// holds. A text can hold a match only where, for some branch, it holds a
// string of each of that branch's sets. An ordinary word that opens the
// way for a pattern ("ignore", "waste") then no longer sends its window
// to the regex unless the rest of some branch can be there too.
type Branches [][]Set

// In reports whether b holds a string of each set of some branch.
func (br Branches) In(b []byte) bool {
	for _, sets := range br {
		all := true
		for _, set := range sets {
			if !set.In(b) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// RequiredBranches returns the Branches of expr as it stands
// (case-sensitive, sets of up to max strings of three bytes or more, as
// RequiredUpTo), or nil when some branch has no such set or none has
// more than one, where one Set says as much.
func RequiredBranches(expr string, max int) Branches {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	return requiredBranches(re, func(re *syntax.Regexp) ([]string, bool) {
		lits, ok := bound(max).required(re)
		return lits, ok && !slices.Contains(lits, "")
	})
}

// RequiredBranchesFolded is RequiredBranches in the folded mode of
// RequiredFolded: lower-case strings to look for in the ASCII-lower-cased
// text, with plain as there.
func RequiredBranchesFolded(expr string, plain bool) Branches {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	return requiredBranches(re.Simplify(), func(re *syntax.Regexp) ([]string, bool) {
		set, ok := requiredFolded(re, plain)
		return set, ok && len(set) > 0
	})
}

// requiredBranches splits re into the branches of its top alternation and
// each branch into the elements of its concatenation, and keeps the sets
// required finds for the elements, of strings of three bytes or more.
func requiredBranches(re *syntax.Regexp, required func(*syntax.Regexp) ([]string, bool)) Branches {
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	branches := []*syntax.Regexp{re}
	if re.Op == syntax.OpAlternate {
		branches = re.Sub
	}
	var out Branches
	finer := false
	for _, b := range branches {
		for b.Op == syntax.OpCapture {
			b = b.Sub[0]
		}
		elems := []*syntax.Regexp{b}
		if b.Op == syntax.OpConcat {
			elems = b.Sub
		}
		var sets []Set
		for _, e := range elems {
			if lits, ok := required(e); ok && shortest(lits) >= 3 {
				sets = append(sets, NewSet(lits))
			}
		}
		if len(sets) == 0 {
			return nil
		}
		finer = finer || len(sets) > 1
		out = append(out, sets)
	}
	if !finer {
		return nil
	}
	return out
}
