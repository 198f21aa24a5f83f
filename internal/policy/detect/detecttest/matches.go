package detecttest

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// SameMatches checks a narrowed or hand-written search against the regex
// search it replaces: on n texts of 1 to maxPieces random pieces, fast and
// reference must return the same spans (each a []int of submatch indices).
// It fails when fewer than minFound spans were found in all, as then the
// pieces no longer exercise the search.
func SameMatches(t *testing.T, seed uint64, pieces []string, n, maxPieces, minFound int, fast, reference func(string) [][]int) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, seed+1))
	found := 0
	for range n {
		var b strings.Builder
		for range 1 + r.IntN(maxPieces) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		text := b.String()
		want, got := reference(text), fast(text)
		found += len(want)
		if !slices.EqualFunc(got, want, slices.Equal[[]int]) {
			t.Fatalf("%q:\n got %v\nwant %v", text, got, want)
		}
	}
	if found < minFound {
		t.Fatalf("only %d matches in %d texts: the pieces no longer exercise the search", found, n)
	}
}
