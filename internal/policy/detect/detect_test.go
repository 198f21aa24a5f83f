package detect

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"abc", "***"},
		{"12345678", "********"},
		{"123456789", "12*****89"},
		{"ghp_abcdefgh", "gh********gh"},
		{"héllo wörld", "hé*******ld"},
		{"ab\ncdefg\nhi", "ab*******hi"},
		// A long span keeps its ends and at most MaxMask stars.
		{"xy" + strings.Repeat("s", 5000) + "zw", "xy" + strings.Repeat("*", MaxMask) + "zw"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := Excerpt("hello", -3, 99); got != "*****" {
		t.Errorf("Excerpt out of range = %q", got)
	}
}

func TestParams(t *testing.T) {
	p := Params{
		"f": 0.5, "i": 3, "b": true, "s": "x",
		"list": []any{"a", "b", 1}, "one": "only",
		"m": map[string]any{"PHONE": 0.6, "X": "nope", "I": 2},
	}
	if p.Float("f", 0) != 0.5 || p.Float("i", 0) != 3 || p.Float("missing", 9) != 9 || p.Float("s", 1) != 1 {
		t.Error("Float")
	}
	if p.Int("i", 0) != 3 || p.Int("f", 7) != 0 || p.Int("missing", 7) != 7 {
		t.Error("Int")
	}
	if !p.Bool("b", false) || p.Bool("missing", false) || !p.Bool("s", true) {
		t.Error("Bool")
	}
	if !slices.Equal(p.Strings("list"), []string{"a", "b", "1"}) || !slices.Equal(p.Strings("one"), []string{"only"}) || p.Strings("missing") != nil {
		t.Error("Strings")
	}
	if m := p.FloatMap("m"); len(m) != 2 || m["PHONE"] != 0.6 || m["I"] != 2 {
		t.Errorf("FloatMap = %v", m)
	}
	var nilParams Params
	if nilParams.Float("x", 1) != 1 || nilParams.Strings("x") != nil {
		t.Error("nil Params")
	}
}

type stub struct{}

func (stub) ID() string                              { return "stub" }
func (stub) Keywords() []string                      { return nil }
func (stub) Detect(context.Context, Input) []Finding { return nil }

func TestRegistry(t *testing.T) {
	Register("zz-test-stub", func(Params) (Detector, error) { return stub{}, nil })
	if _, ok := Lookup("zz-test-stub"); !ok {
		t.Fatal("Lookup after Register failed")
	}
	if _, ok := Lookup("zz-missing"); ok {
		t.Fatal("Lookup of unknown id succeeded")
	}
	ids := IDs()
	if !slices.IsSorted(ids) || !slices.Contains(ids, "zz-test-stub") {
		t.Fatalf("IDs = %v", ids)
	}
	defer func() {
		if recover() == nil {
			t.Error("duplicate Register did not panic")
		}
	}()
	Register("zz-test-stub", func(Params) (Detector, error) { return stub{}, nil })
}

// TestIsASCII puts one non-ASCII byte at each offset of texts of each
// length around the 16-byte blocks IsASCII reads.
func TestIsASCII(t *testing.T) {
	for n := range 70 {
		for k := -1; k < n; k++ {
			b := make([]byte, n)
			for i := range b {
				b[i] = 'a' + byte(i%26)
			}
			if k >= 0 {
				b[k] = 0x80 + byte(k)
			}
			if got, want := IsASCII(string(b)), k < 0; got != want {
				t.Fatalf("len %d, non-ASCII at %d: got %v", n, k, got)
			}
		}
	}
}
