package detect

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// redactRunes is the straightforward []rune form of Redact, kept as the
// reference the faster Redact must agree with.
func redactRunes(s string) string {
	n := utf8.RuneCountInString(s)
	if n == 0 {
		return ""
	}
	if n <= 8 {
		return strings.Repeat("*", n)
	}
	runes := []rune(s)
	var b strings.Builder
	stars := 0
	for i, r := range runes {
		switch {
		case i < 2 || i >= n-2:
			b.WriteRune(visible(r))
		case stars < MaxMask:
			b.WriteByte('*')
			stars++
		}
	}
	return b.String()
}

func FuzzRedact(f *testing.F) {
	for _, s := range []string{"", "abc", "123456789", "héllo wörld", "ab\ncdefg\nhi", "\xe2\x82abcdefghij\xe2\x82", "a\x80€bcdefgh\xf0\x9f\x98"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Redact(s), redactRunes(s); got != want {
			t.Fatalf("Redact(%q) = %q, want %q", s, got, want)
		}
	})
}

func TestLowerText(t *testing.T) {
	for _, s := range []string{"", "abc", "Hello WORLD", "ÉCOLE Straße", "\xffA"} {
		want := []byte(s)
		for i, c := range want {
			if c >= 'A' && c <= 'Z' {
				want[i] = c + 'a' - 'A'
			}
		}
		if got := LowerASCII(s); got != string(want) {
			t.Errorf("LowerASCII(%q) = %q, want %q", s, got, want)
		}
		if got := (Input{Text: s}).LowerText(); got != string(want) {
			t.Errorf("LowerText(%q) = %q", s, got)
		}
	}
	if got := (Input{Text: "ABC", Lower: "xyz"}).LowerText(); got != "xyz" {
		t.Errorf("LowerText ignored a precomputed Lower: %q", got)
	}
}

// FuzzLowerASCII checks the eight-bytes-at-a-time lower-casing against a
// byte loop, on every byte value around the letters and the high bit.
func FuzzLowerASCII(f *testing.F) {
	for _, s := range []string{"", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "@[`{\x7f\x80\xc1\xdaZ", "0123456789abcdefGHIJ", "ÉCOLE Straße 123 ABC"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := []byte(s)
		for i, c := range want {
			if c >= 'A' && c <= 'Z' {
				want[i] = c + 'a' - 'A'
			}
		}
		if got := LowerASCII(s); got != string(want) {
			t.Fatalf("LowerASCII(%q) = %q, want %q", s, got, want)
		}
	})
}

func TestLowerASCIIEveryByte(t *testing.T) {
	all := make([]byte, 0, 256*9)
	for c := range 256 {
		all = append(all, byte(c), 'a', 'Z', byte(c), 0x80|byte(c), 'A', byte(c), '@', '[')
	}
	want := []byte(string(all))
	for i, c := range want {
		if c >= 'A' && c <= 'Z' {
			want[i] = c + 'a' - 'A'
		}
	}
	if got := LowerASCII(string(all)); got != string(want) {
		t.Fatal("LowerASCII differs from the byte loop")
	}
}
