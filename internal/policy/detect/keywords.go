package detect

import (
	"fmt"

	"github.com/coregx/ahocorasick"
)

// KeywordSet is a detector's list of lower-case keywords whose positions in
// a text it needs (secrets' rule keywords, pii's cue words). Find returns
// them from the engine's single pass over every detector's keywords when the
// engine ran one (Input.Index), and runs the set's own automaton otherwise,
// so a detector behaves the same inside and outside the engine.
type KeywordSet struct {
	words []string
	ac    *ahocorasick.Automaton
}

// Match is one occurrence of a KeywordSet word: Word indexes the set's
// words, Start and End are byte offsets into the text.
type Match struct {
	Word       int
	Start, End int
}

// NewKeywordSet builds a set from lower-case words; duplicates and empty
// words are not allowed.
func NewKeywordSet(words []string) (*KeywordSet, error) {
	seen := map[string]bool{}
	for _, w := range words {
		if w == "" || seen[w] {
			return nil, fmt.Errorf("keyword set: empty or duplicate word %q", w)
		}
		seen[w] = true
	}
	ks := &KeywordSet{words: words}
	if len(words) > 0 {
		ac, err := ahocorasick.NewBuilder().AddStrings(words).Build()
		if err != nil {
			return nil, fmt.Errorf("keyword set: %w", err)
		}
		ks.ac = ac
	}
	return ks, nil
}

// Words returns the set's words; Match.Word indexes them.
func (ks *KeywordSet) Words() []string { return ks.words }

// Find returns every (overlapping) occurrence of the set's words in
// in.LowerText(), in no particular order.
func (ks *KeywordSet) Find(in Input) []Match {
	if ks.ac == nil {
		return nil
	}
	if ms, ok := in.Index.lookup(ks); ok {
		return ms
	}
	return ks.FindIn(Bytes(in.LowerText()))
}

// FindIn runs the set's own automaton over lower, a lower-cased text the
// caller prepared (not the engine's ASCII lower-casing).
func (ks *KeywordSet) FindIn(lower []byte) []Match {
	if ks.ac == nil {
		return nil
	}
	found := ks.ac.FindAllOverlapping(lower)
	out := make([]Match, len(found))
	for i, m := range found {
		out[i] = Match{Word: m.PatternID, Start: m.Start, End: m.End}
	}
	return out
}

// KeywordUser is implemented by detectors that look keywords up through
// KeywordSets, so the engine can find them all in one pass.
type KeywordUser interface {
	KeywordSets() []*KeywordSet
}

// KeywordIndex holds, for one text, the matches of the keyword sets the
// engine searched in its single pass. The engine fills it; detectors read
// it through KeywordSet.Find.
type KeywordIndex struct {
	sets    []*KeywordSet
	matches [][]Match
	buf     []Match // the storage Reserve hands out
}

// NewKeywordIndex returns an index for sets with no matches yet.
func NewKeywordIndex(sets []*KeywordSet) *KeywordIndex {
	return &KeywordIndex{sets: sets, matches: make([][]Match, len(sets))}
}

// Reset empties x for another text over sets, keeping its storage for the
// engine's next scan; the matches of the previous text are gone.
func (x *KeywordIndex) Reset(sets []*KeywordSet) {
	x.sets = sets
	if cap(x.matches) < len(sets) {
		x.matches = make([][]Match, len(sets))
	}
	x.matches = x.matches[:len(sets)]
	clear(x.matches)
}

// Reserve makes room for counts[i] matches of the i-th set, all in one
// allocation (none when x's storage is large enough), so that the Adds
// that follow do not grow slices one by one.
func (x *KeywordIndex) Reserve(counts []int) {
	total := 0
	for _, n := range counts {
		total += n
	}
	if cap(x.buf) < total {
		x.buf = make([]Match, total)
	}
	buf := x.buf[:total]
	for i, n := range counts {
		x.matches[i], buf = buf[:0:n], buf[n:]
	}
}

// Add records an occurrence of word w of the i-th set.
func (x *KeywordIndex) Add(i, w, start, end int) {
	x.matches[i] = append(x.matches[i], Match{Word: w, Start: start, End: end})
}

func (x *KeywordIndex) lookup(ks *KeywordSet) ([]Match, bool) {
	if x == nil {
		return nil, false
	}
	for i, s := range x.sets {
		if s == ks {
			return x.matches[i], true
		}
	}
	return nil, false
}
