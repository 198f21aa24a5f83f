package main

import (
	"math"
	"math/rand/v2"

	"github.com/claudit/claudit/internal/policy/classifier"
)

// mlp is an experimental one-hidden-layer network over the same hashed
// features as the logistic model: hidden = relu(W·x + b1), out = v·hidden
// + b2. It is only used with --dev, to measure whether a non-linear model
// family beats the linear one on held-out rows.
type mlp struct {
	feats  classifier.FeatureConfig
	hidden int
	w      []float32 // bucket-major: w[i*hidden+j]
	b1, v  []float32
	b2     float32
}

// vecCache memoizes featurized texts across folds.
type vecCache struct {
	feats classifier.FeatureConfig
	m     map[string]classifier.Vector
}

func (c *vecCache) get(text string) classifier.Vector {
	if v, ok := c.m[text]; ok {
		return v
	}
	v := c.feats.Vectorize(text)
	c.m[text] = v
	return v
}

func (n *mlp) margin(x classifier.Vector, act []float32) float64 {
	h := n.hidden
	copy(act, n.b1)
	for _, f := range x {
		row := n.w[int(f.Index)*h : int(f.Index)*h+h]
		for j := range h {
			act[j] += row[j] * f.Value
		}
	}
	out := float64(n.b2)
	for j := range h {
		if act[j] > 0 {
			out += float64(n.v[j] * act[j])
		}
	}
	return out
}

// trainMLP fits the network with class-balanced SGD and L2.
func trainMLP(data []classifier.Example, cache *vecCache, hidden, epochs int, seed uint64, l2 float64) *mlp {
	size := 1 << cache.feats.Bits
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	n := &mlp{feats: cache.feats, hidden: hidden, w: make([]float32, size*hidden), b1: make([]float32, hidden), v: make([]float32, hidden)}
	for i := range n.w {
		n.w[i] = float32((r.Float64()*2 - 1) * 0.01)
	}
	for j := range n.v {
		n.v[j] = float32((r.Float64()*2 - 1) * 0.5)
		n.b1[j] = 0.01
	}
	pos := 0
	for _, e := range data {
		if e.Label {
			pos++
		}
	}
	wPos, wNeg := float64(len(data))/(2*float64(max(pos, 1))), float64(len(data))/(2*float64(max(len(data)-pos, 1)))
	order := make([]int, len(data))
	for i := range order {
		order[i] = i
	}
	act := make([]float32, hidden)
	delta := make([]float32, hidden)
	for ep := range epochs {
		r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		lr := 0.05 / (1 + float64(ep)*0.5)
		for _, k := range order {
			e := data[k]
			x := cache.get(e.Text)
			out := n.margin(x, act)
			p := 1 / (1 + math.Exp(-out))
			y, cw := 0.0, wNeg
			if e.Label {
				y, cw = 1, wPos
			}
			g := (p - y) * cw
			for j := range hidden {
				delta[j] = 0
				if act[j] > 0 {
					delta[j] = float32(g) * n.v[j]
					n.v[j] -= float32(lr * (g*float64(act[j]) + l2*float64(n.v[j])))
				}
			}
			n.b2 -= float32(lr * g)
			for j := range hidden {
				n.b1[j] -= float32(lr) * delta[j]
			}
			for _, f := range x {
				row := n.w[int(f.Index)*hidden : int(f.Index)*hidden+hidden]
				for j := range hidden {
					if delta[j] != 0 {
						row[j] -= float32(lr) * (delta[j]*f.Value + float32(l2)*row[j])
					}
				}
			}
		}
	}
	return n
}

// mlpOutOfFold is outOfFold for the network: margins of each fold's rows
// from a network fitted on the other folds, in outOfFold's order.
func mlpOutOfFold(pool []classifier.Example, fit func([]classifier.Example) *mlp) []float64 {
	var margins []float64
	for k := range folds {
		in, out := foldParts(pool, k)
		n := fit(in)
		act := make([]float32, n.hidden)
		for _, e := range out {
			margins = append(margins, n.margin(n.feats.Vectorize(e.Text), act))
		}
	}
	return margins
}
