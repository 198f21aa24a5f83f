package banned

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/policy/detect"
	"github.com/claudit/claudit/internal/policy/detect/detecttest"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		name   string
		params detect.Params
		text   string
		want   []string // original substrings found, in order
	}{
		{"plain", detect.Params{"substrings": []any{"Project Falcon"}}, "Status of project falcon?", []string{"project falcon"}},
		{"case and accents", detect.Params{"substrings": []any{"Crème Brûlée"}}, "We ship CREME BRULEE next.", []string{"CREME BRULEE"}},
		{"accents in text", detect.Params{"substrings": []any{"Zurich"}}, "Office in Zürich.", []string{"Zürich"}},
		{"combining marks", detect.Params{"substrings": []any{"cafe"}}, "Meet at the cafe\u0301.", []string{"cafe\u0301"}},
		{"whitespace", detect.Params{"substrings": []any{"top secret"}}, "This is TOP\n   SECRET and t o p s e c r e t.", []string{"TOP\n   SECRET", "t o p s e c r e t"}},
		{"zero width", detect.Params{"substrings": []any{"falcon"}}, "fal\u200bcon", []string{"fal\u200bcon"}},
		{"full width", detect.Params{"substrings": []any{"falcon"}}, "ＦＡＬＣＯＮ", []string{"ＦＡＬＣＯＮ"}},
		{"multiple", detect.Params{"substrings": []any{"alpha", "beta", "alphabet"}}, "alphabet, beta, alpha", []string{"alphabet", "beta", "alpha"}},
		{"str inside word", detect.Params{"substrings": []any{"cat"}}, "concatenate", []string{"cat"}},
		{"word mode rejects inside", detect.Params{"substrings": []any{"cat"}, "match_type": "word"}, "concatenate the cat", []string{"cat"}},
		{"word mode longest fails, retry", detect.Params{"substrings": []any{"ab", "abc"}, "match_type": "word"}, "abcd ab", []string{"ab"}},
		{"word mode punctuation", detect.Params{"substrings": []any{"acme-corp"}, "match_type": "word"}, "(acme-corp)", []string{"acme-corp"}},
		{"no match", detect.Params{"substrings": []any{"falcon"}}, "nothing here", nil},
		{"strings slice", detect.Params{"substrings": []string{"x1"}}, "X1", []string{"X1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New(tt.params)
			if err != nil {
				t.Fatal(err)
			}
			fs := d.Detect(context.Background(), detect.Input{Text: tt.text})
			var got []string
			for _, f := range fs {
				got = append(got, tt.text[f.Start:f.End])
				if f.Detector != ID || f.Entity != Entity || f.Score != 1 {
					t.Errorf("bad finding %+v", f)
				}
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("found %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParams(t *testing.T) {
	tests := []struct {
		name string
		p    detect.Params
	}{
		{"missing substrings", detect.Params{}},
		{"empty after normalization", detect.Params{"substrings": []any{" \n "}}},
		{"bad match type", detect.Params{"substrings": []any{"a"}, "match_type": "regex"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.p); err == nil {
				t.Fatal("New succeeded, want error")
			}
		})
	}
	f, ok := detect.Lookup(ID)
	if !ok {
		t.Fatalf("%q is not registered", ID)
	}
	if _, err := f(detect.Params{"substrings": []any{"a"}}); err != nil {
		t.Fatal(err)
	}
}

func FuzzDetect(f *testing.F) {
	f.Add("Project  FALCON in Zürich", "falcon")
	f.Add("\xff\xfe\u200b ﬁle", "fi")
	f.Add("ǅ İ ß", "ss")
	f.Fuzz(func(t *testing.T, text, pattern string) {
		for _, mode := range []string{"str", "word"} {
			d, err := New(detect.Params{"substrings": []any{pattern}, "match_type": mode})
			if err != nil {
				return
			}
			for _, fd := range d.Detect(context.Background(), detect.Input{Text: text}) {
				if fd.Start < 0 || fd.End > len(text) || fd.Start >= fd.End {
					t.Fatalf("span %d-%d out of %d bytes", fd.Start, fd.End, len(text))
				}
				// The span's normalized form holds the pattern's; it may hold
				// more when a match ends inside a rune that expands ("ﬁ").
				got, _ := normalize(text[fd.Start:fd.End])
				want, _ := normalize(pattern)
				if !strings.Contains(got, want) {
					t.Fatalf("span %q normalizes to %q, pattern to %q", text[fd.Start:fd.End], got, want)
				}
			}
		}
	})
}

func BenchmarkDetect(b *testing.B) {
	words := make([]any, 0, 200)
	for i := range 200 {
		words = append(words, "codename-"+strings.Repeat("x", i%7)+string(rune('a'+i%26)))
	}
	d, err := New(detect.Params{"substrings": words})
	if err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat("The quarterly numbers for the Zürich office look fine; next steps are below. ", 25)
	detecttest.Bench(b, d, detect.Input{Text: text})
}

// TestMatchesNaiveSearch pins the automaton's behavior: on random patterns
// and texts, the detector must find exactly the leftmost-longest
// non-overlapping matches that a naive scan finds.
func TestMatchesNaiveSearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		var pats []string
		for range 1 + rng.IntN(6) {
			var b strings.Builder
			for range 1 + rng.IntN(4) {
				b.WriteByte("abc"[rng.IntN(3)])
			}
			pats = append(pats, b.String())
		}
		var hb strings.Builder
		for range rng.IntN(40) {
			hb.WriteByte("abcd"[rng.IntN(4)])
		}
		text := hb.String()
		var want []string
		for s := 0; s < len(text); {
			best := ""
			for _, p := range pats {
				if strings.HasPrefix(text[s:], p) && len(p) > len(best) {
					best = p
				}
			}
			if best == "" {
				s++
				continue
			}
			want = append(want, fmt.Sprint(s, ":", best))
			s += len(best)
		}
		d, err := New(detect.Params{"substrings": pats})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, sp := range d.spans(text) {
			got = append(got, fmt.Sprint(sp.start, ":", text[sp.start:sp.end]))
		}
		if !slices.Equal(got, want) {
			t.Fatalf("patterns %q in %q: got %v, want %v", pats, text, got, want)
		}
	}
}
