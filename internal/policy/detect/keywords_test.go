package detect

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/coregx/ahocorasick"
)

func TestKeywordSet(t *testing.T) {
	if _, err := NewKeywordSet([]string{"a", "a"}); err == nil {
		t.Fatal("duplicate words accepted")
	}
	ks, err := NewKeywordSet([]string{"key", "api", "apikey"})
	if err != nil {
		t.Fatal(err)
	}
	in := Input{Text: "the APIKEY and a Key"}
	got := ks.Find(in)
	want := []Match{{Word: 1, Start: 4, End: 7}, {Word: 2, Start: 4, End: 10}, {Word: 0, Start: 7, End: 10}, {Word: 0, Start: 17, End: 20}}
	sortMatches := func(ms []Match) {
		slices.SortFunc(ms, func(a, b Match) int { return a.Start*100 + a.Word - b.Start*100 - b.Word })
	}
	sortMatches(got)
	sortMatches(want)
	if !slices.Equal(got, want) {
		t.Fatalf("Find = %v, want %v", got, want)
	}
	// With an index from the engine's pass, Find returns what it holds.
	other, _ := NewKeywordSet([]string{"zzz"})
	in.Index = NewKeywordIndex([]*KeywordSet{other, ks})
	in.Index.Add(1, 0, 17, 20)
	if got := ks.Find(in); !slices.Equal(got, []Match{{Word: 0, Start: 17, End: 20}}) {
		t.Fatalf("Find with index = %v", got)
	}
	// Room reserved per set keeps each set's matches apart.
	in.Index = NewKeywordIndex([]*KeywordSet{other, ks})
	in.Index.Reserve([]int{1, 2})
	in.Index.Add(1, 0, 7, 10)
	in.Index.Add(0, 0, 0, 3)
	in.Index.Add(1, 0, 17, 20)
	if got := ks.Find(in); !slices.Equal(got, []Match{{Word: 0, Start: 7, End: 10}, {Word: 0, Start: 17, End: 20}}) {
		t.Fatalf("Find with reserved index = %v", got)
	}
	if got := other.Find(in); !slices.Equal(got, []Match{{Word: 0, Start: 0, End: 3}}) {
		t.Fatalf("other set with reserved index = %v", got)
	}
	// Reset starts another text: the previous matches are gone, the
	// storage is reused.
	in.Index.Reset([]*KeywordSet{ks, other})
	if got := ks.Find(in); len(got) != 0 {
		t.Fatalf("Find after Reset = %v", got)
	}
	in.Index.Reserve([]int{1, 0})
	in.Index.Add(0, 1, 4, 7)
	if got := ks.Find(in); !slices.Equal(got, []Match{{Word: 1, Start: 4, End: 7}}) {
		t.Fatalf("Find after Reset and Add = %v", got)
	}
	// A set the index does not cover is searched directly.
	if got := other.Find(Input{Text: "zzz", Index: NewKeywordIndex([]*KeywordSet{ks})}); len(got) != 1 {
		t.Fatalf("Find outside the index = %v", got)
	}
}

// TestAutomaton checks Automaton against coregx/ahocorasick's
// FindAllOverlapping, matches and their order, on random texts over
// overlapping patterns.
func TestAutomaton(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	alphabet := []byte("abc :=\xc3\xa9")
	word := func(max int) string {
		b := make([]byte, 1+rng.IntN(max))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	for round := range 300 {
		patterns := []string{"a", "ab", "abc", "bc", "c", "=", "abc"} // one repeated
		for range rng.IntN(40) {
			patterns = append(patterns, word(6))
		}
		ref, err := ahocorasick.NewBuilder().AddStrings(patterns).Build()
		if err != nil {
			t.Fatal(err)
		}
		a, ok := NewAutomaton(patterns)
		if !ok {
			t.Fatal("NewAutomaton refused")
		}
		for range 20 {
			text := []byte(word(200))
			var want []Match
			for _, m := range ref.FindAllOverlapping(text) {
				want = append(want, Match{Word: m.PatternID, Start: m.Start, End: m.End})
			}
			if got := a.AppendMatches(nil, text); !slices.Equal(got, want) {
				t.Fatalf("round %d: patterns %q, text %q:\n got %v\nwant %v", round, patterns, text, got, want)
			}
		}
		// An ASCII text: the ASCII patterns' table finds the same.
		for range 20 {
			text := []byte(strings.NewReplacer("\xc3", "", "\xa9", "").Replace(word(200)))
			want := a.AppendMatches(nil, text)
			if got := a.AppendMatchesASCII(nil, text); !slices.Equal(got, want) {
				t.Fatalf("round %d: patterns %q, ASCII text %q:\n got %v\nwant %v", round, patterns, text, got, want)
			}
		}
	}
}
