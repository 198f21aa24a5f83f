package classifier

import (
	"sync"
	"sync/atomic"
)

// A modelGroup is the models of one FeatureConfig that score the vectors
// memoized on a scan (the embedded injection, jailbreak, toxicity and
// sexual models share theirs). The first of them to score a window
// computes every member's margin in the same pass over the vector: the
// sums are independent chains of additions, so the processor runs them
// side by side, and a window costs about one margin rather than one per
// model. Each sum adds the same products in the same order as
// Model.Margin, so the margins are bit for bit Margin's.
//
// A model joins its group when it first scores a memoized window, so the
// models no engine uses cost nothing.
type modelGroup struct {
	// models is the members in joining order, replaced (never changed)
	// when one joins: a model's lane is its index.
	models atomic.Pointer[[]*Model]
}

// shareState is a model's membership of its group.
type shareState struct {
	group  *modelGroup
	model  *Model
	joined atomic.Int32 // lane+1 once joined, else 0
}

var groups struct {
	sync.Mutex
	byConfig map[FeatureConfig]*modelGroup
}

// shareModel prepares m, before it is published, to join the group of its
// FeatureConfig.
func shareModel(m *Model) {
	groups.Lock()
	defer groups.Unlock()
	g := groups.byConfig[m.Features]
	if g == nil {
		if groups.byConfig == nil {
			groups.byConfig = map[FeatureConfig]*modelGroup{}
		}
		g = &modelGroup{}
		g.models.Store(&[]*Model{})
		groups.byConfig[m.Features] = g
	}
	m.share = &shareState{group: g, model: m}
}

// lane returns the model's index in its group, joining it on first use.
func (s *shareState) lane() int {
	if j := s.joined.Load(); j > 0 {
		return int(j - 1)
	}
	groups.Lock()
	defer groups.Unlock()
	if j := s.joined.Load(); j > 0 {
		return int(j - 1)
	}
	old := *s.group.models.Load()
	ms := append(old[:len(old):len(old)], s.model)
	s.group.models.Store(&ms)
	s.joined.Store(int32(len(ms)))
	return len(ms) - 1
}

// groupMargins sets out[k] to ms[k].Margin(v) for every k, summing the
// products of each in v's order as Margin does.
func groupMargins(ms []*Model, v Vector, out []float64) {
	for len(ms) >= 4 {
		w0, w1, w2, w3 := ms[0].Weights, ms[1].Weights, ms[2].Weights, ms[3].Weights
		s0, s1, s2, s3 := float64(ms[0].Bias), float64(ms[1].Bias), float64(ms[2].Bias), float64(ms[3].Bias)
		for _, f := range v {
			x := float64(f.Value)
			s0 += float64(w0[f.Index]) * x
			s1 += float64(w1[f.Index]) * x
			s2 += float64(w2[f.Index]) * x
			s3 += float64(w3[f.Index]) * x
		}
		out[0], out[1], out[2], out[3] = s0, s1, s2, s3
		ms, out = ms[4:], out[4:]
	}
	if len(ms) >= 2 {
		w0, w1 := ms[0].Weights, ms[1].Weights
		s0, s1 := float64(ms[0].Bias), float64(ms[1].Bias)
		for _, f := range v {
			x := float64(f.Value)
			s0 += float64(w0[f.Index]) * x
			s1 += float64(w1[f.Index]) * x
		}
		out[0], out[1] = s0, s1
		ms, out = ms[2:], out[2:]
	}
	if len(ms) == 1 {
		out[0] = ms[0].Margin(v)
	}
}
