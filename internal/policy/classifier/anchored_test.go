package classifier

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/policy/detect"
)

// TestAnchoredMatchesAgree checks that trying an anchored rule where its
// prefixes occur finds what the search over the window finds: on every
// rule example with text around it, on their case variants, and on the
// shared evaluation texts when ../../../../shared/eval is there, for
// windows over the whole text and windows starting and ending inside it.
func TestAnchoredMatchesAgree(t *testing.T) {
	texts := []string{"", "x", "ignore"}
	var sets []*RuleSet
	for _, f := range ruleFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rs := MustParseRules(data)
		sets = append(sets, rs)
		for _, r := range rs.Rules {
			for _, ex := range r.Examples {
				for _, v := range variants(ex) {
					texts = append(texts, v, "say: "+v+" now", "a"+v+"b", v+"\n"+v, v+" "+v+" "+v)
				}
			}
		}
	}
	texts = append(texts, evalTexts(t, 30)...)
	anchored := 0
	for _, rs := range sets {
		for i := range rs.Rules {
			if rs.Rules[i].led != nil {
				anchored++
			}
		}
	}
	if anchored == 0 {
		t.Fatal("no rule is anchored")
	}
	var sc detect.LedScratch
	for _, text := range texts {
		if strings.Contains(text, "\u212a") || strings.Contains(text, "\u017f") {
			continue
		}
		lower := detect.Bytes(detect.LowerASCII(text))
		for _, rs := range sets {
			for ri := range rs.Rules {
				r := &rs.Rules[ri]
				if r.led == nil {
					continue
				}
				n := len(text)
				for _, w := range []span{{0, n}, {n / 7, n}, {0, n - n/5}, {n / 3, n - n/4}} {
					if w.start > w.end {
						continue
					}
					want := r.re.FindAllStringIndex(text[w.start:w.end], maxMatchesPerRule)
					got := r.led.Matches(detect.Bytes(text), lower, w.start, w.end, maxMatchesPerRule, &sc)
					if len(want) != len(got) || !slices.EqualFunc(want, got, slices.Equal[[]int]) {
						t.Fatalf("rule %s on %q window %v: search %v, anchored %v", r.ID, text, w, want, got)
					}
				}
			}
		}
	}
	t.Logf("%d anchored rules agree on %d texts", anchored, len(texts))
}

// evalTexts returns up to n texts of each shared evaluation file, when
// the shared data is there.
func evalTexts(t *testing.T, n int) []string {
	texts, err := SampleTexts("../../../../shared/eval", n)
	if err != nil {
		t.Fatal(err)
	}
	return texts
}
