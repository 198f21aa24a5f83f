package code

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/policy/detect/literal"
)

// TestSignalLiterals checks on random lines made of the signals' own
// literals and code fragments that a line matching a signal's regex holds
// one of its literals and starts with one of its prefixes, so the checks
// before the regex lose no match; and likewise for fences.
func TestSignalLiterals(t *testing.T) {
	sig, err := loadSignals()
	if err != nil {
		t.Fatal(err)
	}
	pieces := []string{" ", "  ", "\t", "x", "Foo", "_a1", "(", ")", "[", "]", "{", "}", ";", ",", ":", "=", "<", ">", "\"", "'", ".", "$", "#", "!", "?", "*", "/", "-", "\xff", "é", "\n"}
	var signals []signal
	for _, ss := range sig.byHint {
		for _, s := range ss {
			signals = append(signals, s)
			pieces = append(pieces, s.literals...)
			pieces = append(pieces, s.prefixes...)
		}
	}
	for _, h := range sig.hints {
		pieces = append(pieces, h, strings.ToUpper(h))
	}
	rng := rand.New(rand.NewPCG(3, 4))
	matched := 0
	for range 20000 {
		var b strings.Builder
		for range 1 + rng.IntN(10) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		line := b.String()
		for _, s := range signals {
			if s.re.MatchString(line) {
				matched++
				if s.literals != nil && !literal.ContainsAny(line, s.literals) {
					t.Fatalf("%q matches %q but holds none of %q", line, s.re, s.literals)
				}
				if s.prefixes != nil && !literal.HasAnyPrefix(line, s.prefixes) {
					t.Fatalf("%q matches %q but starts with none of %q", line, s.re, s.prefixes)
				}
			}
		}
	}
	for range 20000 {
		var b strings.Builder
		for range 1 + rng.IntN(6) {
			b.WriteString([]string{" ", "\t", "```", "~~~", "``", "~", "go", "py", "x"}[rng.IntN(9)])
		}
		if line := b.String(); fenceRe.MatchString(line) && !literal.ContainsAny(line, fenceLiterals) {
			t.Fatalf("%q is a fence but holds none of %q", line, fenceLiterals)
		}
	}
	if matched < 1000 {
		t.Fatalf("only %d matches: the lines do not exercise the signals", matched)
	}
}
