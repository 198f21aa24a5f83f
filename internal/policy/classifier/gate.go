package classifier

import (
	"sync"

	"github.com/claudit/claudit/internal/policy/detect"
)

// Gate is a cheap model in front of the costly ones. It sees only the word
// uni- and bigrams of the normalized text, a fifth of the features of a full
// model, and was trained (tools/train) on the positives of every category
// with its operating point set so that nearly all of them pass. A window the
// gate keeps closed is not featurized for the full models, which is what
// makes ordinary chat cheap to scan.
//
// The gate looks at a text in windows of GateWindow bytes, once per scan
// whatever the models' own windows: a model window is open when any gate
// window overlapping it is, so one hostile sentence in a long message opens
// the window around it.
type Gate struct {
	// Model's bias is shifted so that a margin of 0 is the operating point.
	Model *Model
}

// GateWindow is the size in bytes of the windows the gate decides on.
const GateWindow = 512

// gateState is one scan's gate decisions, computed as windows are asked for.
type gateState struct {
	spans []span
	// state is 0 until decided, then 1 closed or 2 open.
	state []uint8
	// release returns the state to gatePool when the scan ends.
	release func()
}

// gatePool recycles gate states once their scan ends.
var gatePool sync.Pool

// newGateState returns the undecided gate windows of text, in storage
// that in's memo recycles.
func newGateState(in detect.Input) *gateState {
	st, _ := gatePool.Get().(*gateState)
	if st == nil {
		st = &gateState{}
		st.release = func() { gatePool.Put(st) }
	}
	st.spans = st.spans[:0]
	for w := range windowSeq(in.Text, GateWindow) {
		st.spans = append(st.spans, w)
	}
	st.state = append(st.state[:0], make([]uint8, len(st.spans))...)
	in.Memo.OnRelease(st.release)
	return st
}

// Open reports whether in.Text[start:end] may be positive for any of the
// gated models. A nil gate, or one without a model, is always open.
func (g *Gate) Open(in detect.Input, start, end int) bool {
	if g == nil || g.Model == nil {
		return true
	}
	st := detect.Memoize(in, g, func() *gateState { return newGateState(in) })
	for i, w := range st.spans {
		if w.end <= start || w.start >= end {
			if w.start >= end {
				break
			}
			continue
		}
		if st.state[i] == 0 {
			st.state[i] = 1
			if g.margin(in.Text[w.start:w.end]) >= 0 {
				st.state[i] = 2
			}
		}
		if st.state[i] == 2 {
			return true
		}
	}
	return false
}

// margin is the gate model's margin of text. Without structure features
// its counts are kept in the scratch storage featurizing already holds,
// and scaled as they are summed, without building the vector.
func (g *Gate) margin(text string) float64 {
	m := g.Model
	if m.Features.Flags&FlagStructure != 0 {
		// Structure features add markers after normalizing.
		buf := vectorPool.Get().(*Vector)
		v := m.Features.appendVector(*buf, text)
		x := m.Margin(v)
		if cap(v) > cap(*buf) {
			*buf = v[:0]
		}
		vectorPool.Put(buf)
		return x
	}
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	raw, _ := m.Features.appendNgrams(sc, text)
	// toVector and Margin in one: each value scaled as toVector scales it,
	// summed in the vector's order.
	v, inv := countVector(sc.counts[:0], raw, 32-uint32(m.Features.Bits))
	if cap(v) > cap(sc.counts) {
		sc.counts = v[:0]
	}
	w := m.Weights
	x := float64(m.Bias)
	for _, f := range v {
		x += float64(w[f.Index]) * float64(f.Value*inv)
	}
	return x
}
