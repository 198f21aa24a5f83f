package secrets

import (
	"regexp"
	"regexp/syntax"
	"strings"

	glconfig "github.com/zricethezav/gitleaks/v8/config"

	"github.com/claudit/claudit/internal/policy/detect"
	"github.com/claudit/claudit/internal/policy/detect/literal"
)

// allowlist is a gitleaks allowlist with its regexes split for a faster
// check than Allowlist.RegexAllowed (see allowRegex).
type allowlist struct {
	*glconfig.Allowlist
	regexes *allowRegex // nil without regexes
}

// newAllowlists wraps lists, splitting their regexes.
func newAllowlists(lists []*glconfig.Allowlist) ([]allowlist, error) {
	out := make([]allowlist, 0, len(lists))
	for _, a := range lists {
		al := allowlist{Allowlist: a}
		if len(a.Regexes) > 0 {
			var err error
			if al.regexes, err = newAllowRegex(a.Regexes); err != nil {
				return nil, err
			}
		}
		out = append(out, al)
	}
	return out, nil
}

// regexAllowed is RegexAllowed of the wrapped allowlist.
func (a allowlist) regexAllowed(target string) bool {
	return a.regexes != nil && a.regexes.match(target)
}

// allowRegex matches what an allowlist's regexes joined into one
// alternation match, as gitleaks joins them for RegexAllowed. That
// alternation is unanchored and long (gitleaks' global list has a bare
// "false" branch, generic-api-key's list forty words under (?i)), so Go
// runs it as a slow NFA over every byte of the target. Here each branch
// with strings one of which all its matches hold runs alone, only on
// targets holding one of them, and the other branches run as one regex.
type allowRegex struct {
	whole    *regexp.Regexp // the whole alternation, for non-ASCII targets
	branches []allowBranch
	rest     *regexp.Regexp // the branches without required strings; nil if none
}

// allowBranch is one branch of the alternation and the strings one of
// which its every match holds: in the ASCII-lower-cased target when
// folded, else in the target as it is.
type allowBranch struct {
	re       *regexp.Regexp
	required literal.Set
	folded   bool
}

func newAllowRegex(res []*regexp.Regexp) (*allowRegex, error) {
	parts := make([]string, len(res))
	for i, re := range res {
		parts[i] = re.String()
	}
	// The join of gitleaks' config.joinRegexOr: flags such as (?i) set in
	// one pattern carry over to the patterns after it.
	joined := "(?:" + strings.Join(parts, "|") + ")"
	whole, err := regexp.Compile(joined)
	if err != nil {
		return nil, err
	}
	ar := &allowRegex{whole: whole}
	tree, err := syntax.Parse(joined, syntax.Perl)
	if err != nil {
		return nil, err
	}
	branches := []*syntax.Regexp{tree}
	if tree.Op == syntax.OpAlternate {
		branches = tree.Sub
	}
	var rest []string
	for _, b := range branches {
		expr := b.String()
		// Targets are ASCII here, without the Kelvin sign or long s.
		required, folded := literal.RequiredFolded(expr, true), true
		if required == nil {
			required, folded = literal.Required(expr), false
		}
		if required == nil {
			rest = append(rest, expr)
			continue
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return nil, err
		}
		ar.branches = append(ar.branches, allowBranch{re: re, required: literal.NewSet(required), folded: folded})
	}
	if len(rest) > 0 {
		if ar.rest, err = regexp.Compile("(?:" + strings.Join(rest, "|") + ")"); err != nil {
			return nil, err
		}
	}
	return ar, nil
}

// match reports whether the alternation matches target; an empty target
// never does, as for RegexAllowed.
func (ar *allowRegex) match(target string) bool {
	if target == "" {
		return false
	}
	if !detect.IsASCII(target) {
		return ar.whole.MatchString(target)
	}
	// Targets are secrets, matches and lines: most fit the buffer.
	var buf [256]byte
	lower := append(buf[:0], target...)
	for i, c := range lower {
		if 'A' <= c && c <= 'Z' {
			lower[i] = c + 'a' - 'A'
		}
	}
	for _, b := range ar.branches {
		in := detect.Bytes(target)
		if b.folded {
			in = lower
		}
		if b.required.In(in) && b.re.MatchString(target) {
			return true
		}
	}
	return ar.rest != nil && ar.rest.MatchString(target)
}
