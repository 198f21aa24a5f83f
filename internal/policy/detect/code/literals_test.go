package code

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestRequiredLiterals(t *testing.T) {
	for _, tt := range []struct {
		expr string
		want []string
	}{
		{`\w+\??: (string|number)(\[\])?[;,)=]`, []string{": string", ": number"}},
		{`\bchan\s+\w+|<-\s*\w+`, []string{"chan", "<-"}},
		{`^(fi|done)$`, []string{"fi", "done"}},
		{`(?i)^insert into \w+`, nil}, // any letter case
		{`a\x{FFFD}b`, nil},           // U+FFFD matches invalid UTF-8
		{`\w+ ?x?`, nil},              // every match may lack both
		{`(?:ab|cd)*`, nil},           // or be empty
		{`(?:ab)+c`, []string{"ab"}},  // a repeated part
		{`x{2,3}yz`, []string{"yz"}},  // repeats are not expanded
		{`[ab]c[de]`, []string{"acd", "ace", "bcd", "bce"}},
	} {
		if got := requiredLiterals(tt.expr); !slices.Equal(got, tt.want) {
			t.Errorf("requiredLiterals(%q) = %q, want %q", tt.expr, got, tt.want)
		}
	}
	for _, tt := range []struct {
		expr string
		want []string
	}{
		{`^(export )?(const|let) \w+`, []string{"export const ", "export let ", "const ", "let "}},
		{`^(elif .+|else):$`, []string{"elif ", "else"}},
		{`^\s*x`, nil},       // may start with anything
		{`(?m)^def `, nil},   // ^ after any newline
		{`^a|^b`, nil},       // not one anchored concatenation
		{`(?i)^select`, nil}, // any letter case
		{`^(ab)+c`, []string{"ab"}},
	} {
		if got := requiredPrefixes(tt.expr); !slices.Equal(got, tt.want) {
			t.Errorf("requiredPrefixes(%q) = %q, want %q", tt.expr, got, tt.want)
		}
	}
}

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
				if s.literals != nil && !containsAny(line, s.literals) {
					t.Fatalf("%q matches %q but holds none of %q", line, s.re, s.literals)
				}
				if s.prefixes != nil && !hasAnyPrefix(line, s.prefixes) {
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
		if line := b.String(); fenceRe.MatchString(line) && !containsAny(line, fenceLiterals) {
			t.Fatalf("%q is a fence but holds none of %q", line, fenceLiterals)
		}
	}
	if matched < 1000 {
		t.Fatalf("only %d matches: the lines do not exercise the signals", matched)
	}
}
