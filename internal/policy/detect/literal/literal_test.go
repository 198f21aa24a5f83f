package literal

import (
	"slices"
	"strings"
	"testing"
)

func TestRequired(t *testing.T) {
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
		if got := Required(tt.expr); !slices.Equal(got, tt.want) {
			t.Errorf("Required(%q) = %q, want %q", tt.expr, got, tt.want)
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
		if got := Prefixes(tt.expr); !slices.Equal(got, tt.want) {
			t.Errorf("Prefixes(%q) = %q, want %q", tt.expr, got, tt.want)
		}
	}
}

func TestRequiredFolded(t *testing.T) {
	tests := []struct {
		pattern string
		want    []string // nil: no useful set
	}{
		{`(?i)\bignore\s+previous\b`, []string{"previou"}}, // a folded s may be the long s
		{`(?i)(do\s+not|never|without)\s+tel`, []string{"not", "never", "without"}},
		{`(?i)(do\s+not|never|without)\s+tell`, []string{"tell"}},
		{`(?i)\b(foo|ba)\b`, nil},          // "ba" is too short to be worth it
		{`(?i)kiss`, nil},                  // folded k and s may be non-ASCII
		{`ASK`, []string{"ask"}},           // case-sensitive: ASCII lower-casing is exact
		{`(?i)x?yz`, nil},                  // too short
		{`(?i)(abc)*def`, []string{"def"}}, // optional parts are not required
		{`(?i)hello|\d+`, nil},             // one branch needs no literal
		{`(?i)(hello){2,3}world`, []string{"hello"}},
	}
	for _, tt := range tests {
		got := RequiredFolded(tt.pattern, false)
		if len(tt.want) == 0 {
			if got != nil {
				t.Errorf("%s: got %q, want none", tt.pattern, got)
			}
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.pattern, got, tt.want)
		}
	}
}

// TestRequiredFoldedPlain checks the longer strings a text without the
// Kelvin sign or long s allows.
func TestRequiredFoldedPlain(t *testing.T) {
	for _, tt := range []struct {
		pattern string
		want    []string
	}{
		{`(?i)\bignore\s+previous\b`, []string{"previous"}},
		{`(?i)kiss`, []string{"kiss"}},
		{`(?i)(do\s+not|never|without)\s+tell`, []string{"tell"}},
		{`(?i)caf\x{e9}s`, []string{"caf"}}, // é folds to É, which ASCII lower-casing keeps
	} {
		if got := RequiredFolded(tt.pattern, true); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.pattern, got, tt.want)
		}
	}
}

func TestFoldedPrefixes(t *testing.T) {
	tests := []struct {
		pattern   string
		want      []string
		wordStart bool
		ok        bool
	}{
		{`ghp_[a-z]{36}`, []string{"ghp_"}, false, true},
		{`\b(?:sk|rk)_live_\w+`, []string{"sk_live_", "rk_live_"}, true, true},
		// A keyword group the parser factors (m(?:ysql|ssql)) still gives whole words.
		{`(?i)\b(postgres|mysql|mssql)://\S+`, []string{"postgres://", "mysql://", "mssql://"}, true, true},
		{`[a-z]+@example`, nil, false, false},
	}
	for _, tt := range tests {
		got, wordStart, ok := FoldedPrefixes(tt.pattern)
		slices.Sort(got)
		want := slices.Clone(tt.want)
		slices.Sort(want)
		if ok != tt.ok || wordStart != tt.wordStart || ok && !slices.Equal(got, want) {
			t.Errorf("FoldedPrefixes(%q) = %q, %v, %v; want %q, %v, %v", tt.pattern, got, wordStart, ok, want, tt.wordStart, tt.ok)
		}
	}
}

func TestRequiredBranches(t *testing.T) {
	for _, tc := range []struct {
		expr   string
		folded bool
		match  []string
		skip   []string
	}{
		{`\b(kill|shoot)\s+all\s+(the\s+)?(rats|pigs)\b|\bgo\s+die\s+now\b`, false,
			[]string{"kill all the rats", "go die now"}, []string{"rats are cute", "kill the process"}},
		{`(?i)(ignore|bypass)\s+(the\s+)?(rules|filters)`, true,
			[]string{"Ignore the RULES", "bypass filters"}, []string{"ignore the warning", "the rules say"}},
	} {
		br := RequiredBranches(tc.expr, 16)
		lower := func(s string) string { return s }
		if tc.folded {
			br, lower = RequiredBranchesFolded(tc.expr, true), strings.ToLower
		}
		if br == nil {
			t.Fatalf("%s: no branches", tc.expr)
		}
		for _, s := range tc.match {
			if !br.In([]byte(lower(s))) {
				t.Errorf("%s: %q matches but fails %q", tc.expr, s, br)
			}
		}
		for _, s := range tc.skip {
			if br.In([]byte(lower(s))) {
				t.Errorf("%s: %q passes %q", tc.expr, s, br)
			}
		}
	}
	if RequiredBranches(`\bfoo\b|bar`, 16) != nil {
		t.Error("one set per branch says no more than one Set")
	}
}
