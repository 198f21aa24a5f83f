package detect

import (
	"fmt"
	"slices"

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

// Automaton finds every occurrence of a list of byte strings in one pass,
// as github.com/coregx/ahocorasick's FindAllOverlapping does and in the
// same order (by end, then the longest string first, then the shorter ones
// ending there), with a smaller table: 16-bit states over the classes of
// the bytes the strings hold, so that the states a text keeps visiting
// stay in cache. It is safe for concurrent use.
type Automaton struct {
	classes [256]uint16
	// Rows are 1<<shift entries long, the number of classes rounded up
	// to a power of two: a shift, not a multiplication, per byte scanned.
	shift uint
	// trans[s<<shift+class] is the state after state s reads a byte of
	// class. States are numbered with those that end a string last, from
	// firstMatch on, so a scan tells them by a comparison.
	trans      []uint16
	firstMatch uint16
	// The strings ending at state firstMatch+k are
	// outputs[outStart[k]:outStart[k+1]].
	outStart []int32
	outputs  []int32
	lens     []int
	// ascii is the automaton over the ASCII patterns alone, which finds
	// all the matches in an ASCII text (nil when every pattern is ASCII:
	// then it is this one).
	ascii *Automaton
}

// NewAutomaton builds an automaton over non-empty patterns; it reports
// false when they need more states than the 16-bit table holds.
func NewAutomaton(patterns []string) (*Automaton, bool) {
	a, ok := newAutomaton(patterns, false)
	if !ok {
		return nil, false
	}
	for _, p := range patterns {
		if !IsASCII(p) {
			// Smaller: fewer states, and rows without the classes
			// of the bytes from 0x80.
			if a.ascii, ok = newAutomaton(patterns, true); !ok {
				a.ascii = nil
			}
			break
		}
	}
	return a, true
}

// newAutomaton builds the automaton over patterns, or, asciiOnly, over
// their ASCII ones, with the pattern indices of the whole list.
func newAutomaton(patterns []string, asciiOnly bool) (*Automaton, bool) {
	a := &Automaton{lens: make([]int, len(patterns))}
	// Class 0 is every byte no pattern holds.
	var used [256]bool
	for _, p := range patterns {
		if asciiOnly && !IsASCII(p) {
			continue
		}
		for i := 0; i < len(p); i++ {
			used[p[i]] = true
		}
	}
	n := 1
	for c := range 256 {
		if used[c] {
			a.classes[c] = uint16(n)
			n++
		}
	}
	// The trie, one row of children per state (0: none, as the root is
	// no one's child), and the patterns ending at each state (more than
	// one when a pattern is repeated).
	children := make([]int32, n)
	own := [][]int32{nil}
	for id, p := range patterns {
		if p == "" {
			return nil, false
		}
		a.lens[id] = len(p)
		if asciiOnly && !IsASCII(p) {
			continue
		}
		s := 0
		for i := 0; i < len(p); i++ {
			c := int(a.classes[p[i]])
			next := int(children[s*n+c])
			if next == 0 {
				next = len(own)
				children[s*n+c] = int32(next)
				children = append(children, make([]int32, n)...)
				own = append(own, nil)
			}
			s = next
		}
		own[s] = append(own[s], int32(id))
	}
	states := len(own)
	if states > 1<<16 {
		return nil, false
	}
	// Breadth first: failure links, the full transitions (a missing child
	// is the failure state's transition), and the strings ending at each
	// state: its own, then its failure state's.
	fail := make([]int32, states)
	delta := make([]int32, states*n)
	out := make([][]int32, states)
	order := make([]int32, 0, states)
	for c := 1; c < n; c++ {
		if child := children[c]; child != 0 {
			delta[c] = child
			order = append(order, child)
		}
	}
	for k := 0; k < len(order); k++ {
		s := int(order[k])
		out[s] = append(slices.Clip(own[s]), out[fail[s]]...)
		for c := range n {
			child := children[s*n+c]
			if child == 0 {
				delta[s*n+c] = delta[int(fail[s])*n+c]
				continue
			}
			delta[s*n+c] = child
			fail[child] = delta[int(fail[s])*n+c]
			order = append(order, child)
		}
	}
	// Renumber: states without output first (the root stays 0), then the
	// others.
	id := make([]uint16, states)
	next := 0
	for pass := range 2 {
		for s := range states {
			if (len(out[s]) > 0) == (pass == 1) {
				id[s] = uint16(next)
				next++
			}
		}
		if pass == 0 {
			a.firstMatch = uint16(next)
		}
	}
	for 1<<a.shift < n {
		a.shift++
	}
	a.trans = make([]uint16, states<<a.shift)
	a.outStart = make([]int32, 1, states-int(a.firstMatch)+1)
	matchStates := make([]int, states-int(a.firstMatch))
	for s := range states {
		for c := range n {
			a.trans[int(id[s])<<a.shift+c] = id[delta[s*n+c]]
		}
		if id[s] >= a.firstMatch {
			matchStates[id[s]-a.firstMatch] = s
		}
	}
	for _, s := range matchStates {
		a.outputs = append(a.outputs, out[s]...)
		a.outStart = append(a.outStart, int32(len(a.outputs)))
	}
	return a, true
}

// AppendMatchesASCII is AppendMatches for an ASCII text, where only the
// ASCII patterns can match: it scans with their smaller table.
func (a *Automaton) AppendMatchesASCII(dst []Match, text []byte) []Match {
	if a.ascii != nil {
		a = a.ascii
	}
	return a.AppendMatches(dst, text)
}

// AppendMatches appends every occurrence of the patterns in text to dst,
// Word being the pattern's index.
func (a *Automaton) AppendMatches(dst []Match, text []byte) []Match {
	trans, classes, shift, first := a.trans, &a.classes, a.shift&15, a.firstMatch
	s := uint16(0)
	for i, b := range text {
		s = trans[int(s)<<shift+int(classes[b])]
		if s < first {
			continue
		}
		k := int(s - first)
		for _, p := range a.outputs[a.outStart[k]:a.outStart[k+1]] {
			dst = append(dst, Match{Word: int(p), Start: i + 1 - a.lens[p], End: i + 1})
		}
	}
	return dst
}
