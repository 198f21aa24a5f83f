package secrets

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestAssignedValueGate checks that the high-entropy-assignment rule has
// its window gate and, on random windows, that the gate never turns down
// one where the rule's regex matches.
func TestAssignedValueGate(t *testing.T) {
	rs, err := loadRules()
	if err != nil {
		t.Fatal(err)
	}
	var r *rule
	for i := range rs.rules {
		if rs.rules[i].id == "high-entropy-assignment" {
			r = &rs.rules[i]
		}
	}
	if r == nil || r.windowGate == nil {
		t.Fatal("high-entropy-assignment has no window gate: its regex changed, update assignmentPattern and assignedValue")
	}
	pieces := []string{
		" ", "  ", "\t", "\n", "\r", ";", "&", ",", "{", "(", "[", "=", "==", "===", "====", ":", ":=", "=>", ">",
		"\"", "'", "`", "-", "- ", "export ", "key", "API_KEY", "a.b", "_x", "Decode this", "the config",
		"aB3dE5gH7jK9mN1pQ3sT5vW", "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2", "+/~.-", "0xDEADbeef1234567890abcdefABC",
		"cGxlYXNlIHN1bW1hcmlzZSB0aGUgcXVhcnRlcmx5", "é", "\xff",
	}
	// Windows are mostly assignments, each part drawn from a few forms
	// (some of which break the pattern), around random pieces.
	forms := [][]string{
		{"", "\n", " ", ";", "{", "x", "\n- ", "\n  - ", "\t", "\nexport ", "-"},
		{"\"", "'", ""},
		{"key", "API_KEY", "a.b", "_x", "k", "x-y", "Decode this", "9z"},
		{"\"", "'", "", ""},
		{"", " ", "\t", "     "},
		{"=", ":", ":=", "=>", ">", "", "=="},
		{"", " ", "\t", "     "},
		{"\"", "'", "`", "", ""},
		{"aB3dE5gH7jK9mN1pQ3sT5vW", "Zx9Yw8Vu7Ts6Rq5Po4Nm3", "+aB3dE5gH7jK9mN1pQ3sT5vW", "short1A", "aB3dE5gH7jK9mN1pQ3s"},
		{"", "=", "==", "===", "===="},
		{"\"", "'", "`", "", ""},
		{"", " ", "\t", ";", "&", "\n", "x", ",", "\r\n"},
	}
	rng := rand.New(rand.NewPCG(5, 6))
	matched := 0
	for range 100000 {
		var b strings.Builder
		for range rng.IntN(3) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		for _, f := range forms {
			b.WriteString(f[rng.IntN(len(f))])
		}
		for range rng.IntN(3) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		w := b.String()
		if r.re.MatchString(w) {
			matched++
			if !assignedValue(w) {
				t.Fatalf("the regex matches %q but the gate turns it down", w)
			}
		}
	}
	if matched < 500 {
		t.Fatalf("only %d windows match: they do not exercise the regex", matched)
	}
}
