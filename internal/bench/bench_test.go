package bench

import (
	"bytes"
	"crypto/sha256"
	"slices"
	"strings"
	"testing"
)

func TestFindingsDiff(t *testing.T) {
	key := func(line string) findingKey { sum := sha256.Sum256([]byte(line)); return findingKey(sum[:16]) }
	list := func(lines ...string) ([]findingKey, map[findingKey]string) {
		var keys []findingKey
		m := map[findingKey]string{}
		for _, l := range lines {
			keys = append(keys, key(l))
			m[key(l)] = l
		}
		slices.SortFunc(keys, func(a, b findingKey) int { return bytes.Compare(a[:], b[:]) })
		return keys, m
	}
	tests := []struct {
		name          string
		during, again []string
		want          string
	}{
		{"one more in the re-evaluation", []string{"a", "b"}, []string{"a", "b", "c"}, "0 only in the run, 1 only in the re-evaluation (only in the re-evaluation: c)"},
		{"one more in the run", []string{"a", "b", "b"}, []string{"a", "b"}, "1 only in the run, 0 only in the re-evaluation (the run has"},
		{"one replaced", []string{"a", "x"}, []string{"a", "y"}, "1 only in the run, 1 only in the re-evaluation (only in the re-evaluation: y)"},
	}
	for _, tc := range tests {
		during, _ := list(tc.during...)
		again, lines := list(tc.again...)
		if got := findingsDiff(during, again, lines); !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want it to contain %q", tc.name, got, tc.want)
		}
	}
}
