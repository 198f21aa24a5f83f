package toxicity

import (
	"slices"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/policy/classifier"
	"github.com/claudit/claudit/internal/policy/detect"
)

// TestAnchoredPhrasesAgree checks that trying an anchored phrase where its
// prefixes occur in the token stream finds what the search over the
// window finds, on the shared evaluation texts when ../../../../../shared
// is there and on a few texts of its own, over whole and cut windows.
func TestAnchoredPhrasesAgree(t *testing.T) {
	texts := []string{"", "you are a stupid idiot", "I will kill you", "go back to where you came from",
		"you people are all the same", "I'm going to find where you live and hurt you"}
	sample, err := classifier.SampleTexts("../../../../../shared/eval", 40)
	if err != nil {
		t.Fatal(err)
	}
	texts = append(texts, sample...)
	anchored := 0
	var lexes []*Lexicon
	for _, data := range [][]byte{toxicityData, sexualData} {
		lex, err := ParseLexicon(data)
		if err != nil {
			t.Fatal(err)
		}
		lexes = append(lexes, lex)
		for _, p := range lex.phrases {
			if p.led != nil {
				anchored++
			}
		}
	}
	if anchored == 0 {
		t.Fatal("no phrase is anchored")
	}
	var sc detect.LedScratch
	for _, text := range texts {
		stream := buildStream(tokenizeInto(nil, text, detect.LowerASCII(text))).text
		if strings.Contains(string(stream), "\u212a") || strings.Contains(string(stream), "\u017f") {
			continue
		}
		lower := detect.Bytes(detect.LowerASCII(string(stream)))
		n := len(stream)
		for _, lex := range lexes {
			for _, p := range lex.phrases {
				if p.led == nil {
					continue
				}
				for _, w := range [][2]int{{0, n}, {n / 7, n}, {0, n - n/5}, {n / 3, n - n/4}} {
					for _, limit := range []int{maxPhraseMatches, 1} {
						want := p.re.FindAllIndex(stream[w[0]:w[1]], limit)
						got := p.led.Matches(stream, lower, w[0], w[1], limit, &sc)
						if len(want) != len(got) || !slices.EqualFunc(want, got, slices.Equal[[]int]) {
							t.Fatalf("phrase %s on %q window %v: search %v, anchored %v", p.re, stream, w, want, got)
						}
					}
				}
			}
		}
	}
	t.Logf("%d anchored phrases agree on %d texts", anchored, len(texts))
}
