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
}

// TestSignalLiterals checks on random lines made of the signals' own
// literals and code fragments that a line matching a signal's regex holds
// one of its literals, so the check before the regex loses no match.
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
			}
		}
	}
	if matched < 1000 {
		t.Fatalf("only %d matches: the lines do not exercise the signals", matched)
	}
}
