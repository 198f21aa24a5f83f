package main

import (
	"context"
	"fmt"
	"maps"
	"math"

	"github.com/claudit/claudit/internal/policy"
	"github.com/claudit/claudit/internal/policy/detect"
)

// ruleScorer returns a function giving the score a category's rules (or
// lexicon) alone give a text, with the params and role of the built-in
// policy that runs its detector. The detector adds that score to the
// model's by noisy-OR, so the operating point must account for it.
func ruleScorer(detectorID string) (func(text string) float64, error) {
	cfg, err := policy.DefaultConfig()
	if err != nil {
		return nil, err
	}
	params := detect.Params{}
	role := detect.RoleUser
	for _, p := range cfg.Policies {
		if p.Detector == detectorID && p.Enabled {
			maps.Copy(params, p.Params)
			if len(p.Roles) > 0 {
				role = p.Roles[0]
			}
			break
		}
	}
	params["use_model"] = false
	params["threshold"] = 0.001
	factory, ok := detect.Lookup(detectorID)
	if !ok {
		return nil, fmt.Errorf("detector %q is not registered", detectorID)
	}
	det, err := factory(params)
	if err != nil {
		return nil, err
	}
	return func(text string) float64 {
		best := 0.0
		for _, f := range det.Detect(context.Background(), detect.Input{Text: text, Role: role}) {
			best = max(best, f.Score)
		}
		return best
	}, nil
}

// criticalB returns, per row, the largest Platt B at which the row is
// flagged: its combined score 1-(1-rule)(1-model) reaches Anchor exactly
// when model = sigmoid(-(a*margin+B)) reaches 1-(1-Anchor)/(1-rule). Rows
// the rules flag alone get +Inf. Flagged rows are then those with a
// critical value at or above B, so operatingPoint over these values picks
// B as it picks a margin threshold.
func criticalB(a float64, margins, rules []float64) []float64 {
	out := make([]float64, len(margins))
	for i, x := range margins {
		if rules[i] >= Anchor {
			out[i] = math.Inf(1)
			continue
		}
		need := 1 - (1-Anchor)/(1-rules[i])
		out[i] = -logit(need) - a*x
	}
	return out
}
