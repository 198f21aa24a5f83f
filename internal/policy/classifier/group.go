package classifier

import (
	"sync"
	"sync/atomic"
)

// A modelGroup is the models of one FeatureConfig that score the vectors
// memoized on a scan (the embedded injection, jailbreak, toxicity and
// sexual models share theirs). The first of them to score a window
// computes every member's margin in the same pass over the vector, from a
// table that interleaves their weights: the margins of a window cost
// about one cache miss per feature rather than one per feature and model,
// and their sums are independent chains the processor runs side by side.
// Each sum adds the same products in the same order as Model.Margin, so
// the margins are bit for bit Margin's.
//
// A model joins its group when it first scores a memoized window, so the
// models no engine uses cost nothing. The table is built once the members
// have scored tableAfter windows without another joining (the engine's
// models all join on its first messages), so it is not rebuilt for each.
// A shared model's weights must not change once it has joined.
type modelGroup struct {
	// snap is replaced (never changed) when a model joins or the table
	// is built.
	snap atomic.Pointer[groupSnapshot]
	// scored counts the windows scored since the last change of snap.
	scored atomic.Int32
}

// groupLanes is how many models a group's interleaved table holds; the
// members beyond it are scored one by one.
const groupLanes = 4

// tableAfter is how many windows a group scores before it builds its table.
const tableAfter = 64

// groupSnapshot is a group's members in joining order (a model's lane is
// its index) and the interleaved weights of the first lanes of them:
// bucket b's are weights[groupLanes*b:][:groupLanes], zero for lanes no
// model holds.
type groupSnapshot struct {
	models  []*Model
	weights []float32
	lanes   int
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
		g.snap.Store(&groupSnapshot{})
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
	g := s.group
	old := g.snap.Load()
	next := *old
	next.models = append(old.models[:len(old.models):len(old.models)], s.model)
	g.snap.Store(&next)
	g.scored.Store(0)
	s.joined.Store(int32(len(next.models)))
	return len(next.models) - 1
}

// scoredWith notes that a window was scored with snap, and builds the
// table once the members have scored tableAfter windows.
func (g *modelGroup) scoredWith(snap *groupSnapshot) {
	if snap.lanes == min(len(snap.models), groupLanes) || g.scored.Add(1) < tableAfter {
		return
	}
	groups.Lock()
	defer groups.Unlock()
	cur := g.snap.Load()
	n := min(len(cur.models), groupLanes)
	if cur.lanes == n {
		return
	}
	w := make([]float32, groupLanes*len(cur.models[0].Weights))
	for k, m := range cur.models[:n] {
		for b, x := range m.Weights {
			w[groupLanes*b+k] = x
		}
	}
	g.snap.Store(&groupSnapshot{models: cur.models, weights: w, lanes: n})
	g.scored.Store(0)
}

// groupMargins sets out[k] to g.models[k].Margin(v) for every k, summing
// the products of each in v's order as Margin does.
func groupMargins(g *groupSnapshot, v Vector, out []float64) {
	ms := g.models
	n := 0
	if g.lanes > 0 {
		var bias [groupLanes]float64
		for k := range g.lanes {
			bias[k] = float64(ms[k].Bias)
		}
		s0, s1, s2, s3 := bias[0], bias[1], bias[2], bias[3]
		wt := g.weights
		for _, f := range v {
			x := float64(f.Value)
			w := wt[groupLanes*int(f.Index):][:groupLanes:groupLanes]
			s0 += float64(w[0]) * x
			s1 += float64(w[1]) * x
			s2 += float64(w[2]) * x
			s3 += float64(w[3]) * x
		}
		sums := [groupLanes]float64{s0, s1, s2, s3}
		n = copy(out, sums[:g.lanes])
	}
	for k := n; k < len(ms); k++ {
		out[k] = ms[k].Margin(v)
	}
}
