package detect

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestLongRunsMatchesAPlainScan compares LongRuns with a byte-by-byte scan
// over random texts.
func TestLongRunsMatchesAPlainScan(t *testing.T) {
	var set [256]bool
	for _, c := range []byte("abc019") {
		set[c] = true
	}
	plain := func(s string, n int) (out [][2]int) {
		for i := 0; i < len(s); {
			if !set[s[i]] {
				i++
				continue
			}
			j := i
			for j < len(s) && set[s[j]] {
				j++
			}
			if j-i >= n {
				out = append(out, [2]int{i, j})
			}
			i = j
		}
		return out
	}
	rng := rand.New(rand.NewPCG(3, 5))
	alphabet := "abc019xyz .-"
	for range 20000 {
		b := make([]byte, rng.IntN(100))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		for _, n := range []int{1, 2, 3, 7, 14} {
			var got [][2]int
			LongRuns(string(b), &set, n, func(start, end int) bool {
				got = append(got, [2]int{start, end})
				return true
			})
			if want := plain(string(b), n); !slices.Equal(got, want) {
				t.Fatalf("LongRuns(%q, %d) = %v, want %v", b, n, got, want)
			}
		}
	}
	// fn returning false stops the search.
	calls := 0
	LongRuns("aaaa bbbb cccc", &set, 2, func(int, int) bool { calls++; return false })
	if calls != 1 {
		t.Fatalf("%d calls after fn returned false", calls)
	}
}
