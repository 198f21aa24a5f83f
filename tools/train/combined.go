package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"

	"github.com/claudit/claudit/internal/policy/classifier"

	"github.com/claudit/claudit/internal/policy"
	"github.com/claudit/claudit/internal/policy/detect"
)

// rulePowers are the powers chooseRulePower tries on the rules' score.
var rulePowers = []float64{1, 1.5, 2, 3, 4, 6, 8}

// rulePowerGain is how much out-of-fold F1 a higher power on the rules'
// score must gain over a lower one to be chosen.
const rulePowerGain = 0.01

// chooseRulePower picks the power the rules' score is raised to before
// the noisy-OR. The rules keep their full weight (1) unless tempering them
// gains clearly, more than rulePowerGain of F1 at the operating point, on
// the out-of-fold rows: they are the high-precision layer that still holds
// on text unlike the training data, and a power keeps their strong hits
// flagging alone. In --dev mode every power's figures are printed.
func chooseRulePower(a float64, margins []float64, rules []ruleScore, labels []bool, maxFPR float64, stdout io.Writer) float64 {
	f1At := make([]float64, len(rulePowers))
	for k, pw := range rulePowers {
		tempered := make([]float64, len(rules))
		for i, h := range rules {
			tempered[i] = h.at(pw)
		}
		_, mt, ok := operatingMetrics(a, margins, tempered, labels, maxFPR)
		if !ok {
			f1At[k] = -1
			if devMode {
				fmt.Fprintf(stdout, "    rule power %g: the rules alone exceed the false-positive budget\n", pw)
			}
			continue
		}
		f1At[k] = mt.F1
		if devMode {
			fmt.Fprintf(stdout, "    rule power %g: p=%.3f r=%.3f f1=%.3f fpr=%.4f\n", pw, mt.Precision, mt.Recall, mt.F1, mt.FPR)
		}
	}
	best := slices.Max(f1At)
	for k, pw := range rulePowers {
		if f1At[k] >= best-rulePowerGain {
			return pw
		}
	}
	return rulePowers[len(rulePowers)-1]
}

// operatingMetrics returns the Platt B that places the operating point on
// the combined rule-and-model score (see criticalB) and the figures of the
// rows it flags; ok is false when the rules alone exceed the budget.
func operatingMetrics(a float64, margins, rules []float64, labels []bool, maxFPR float64) (float64, classifier.Metrics, bool) {
	crit := criticalB(a, margins, rules)
	b, ok := operatingPoint(crit, labels, maxFPR)
	flags := make([]float64, len(crit))
	for i, x := range crit {
		if x >= b {
			flags[i] = 1
		}
	}
	return b, classifier.MetricsOf(flags, labels, 0.5), ok
}

// ruleScore is a text's rule score in the detector's two parts: the part
// the rule power tempers and the firm part it leaves alone (see
// classifier.Model.CombineFirm); firm is zero for most detectors.
type ruleScore struct{ tempered, firm float64 }

// at is the rule score with the tempered part raised to power.
func (r ruleScore) at(power float64) float64 {
	t := math.Pow(r.tempered, power)
	if r.firm == 0 {
		return t
	}
	return 1 - (1-t)*(1-r.firm)
}

// firmScorer is implemented by detectors whose rule score has a firm part.
type firmScorer interface {
	RuleScores(in detect.Input) (tempered, firm float64)
}

// scorers returns, for a category's detector built with the params and
// role of the built-in policy that runs it (model off), the score its
// rules (or lexicon) alone give a text, and the text its trained model
// reads: the detector's ModelText where it has one (the toxicity lexicons
// blank out the words their term guard drops), else the text itself. The
// detector adds the rule score to the model's by noisy-OR, so the
// operating point must account for it.
func scorers(detectorID string) (rule func(text string) ruleScore, modelText func(string) string, err error) {
	cfg, err := policy.DefaultConfig()
	if err != nil {
		return nil, nil, err
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
		return nil, nil, fmt.Errorf("detector %q is not registered", detectorID)
	}
	det, err := factory(params)
	if err != nil {
		return nil, nil, err
	}
	modelText = identity
	if mt, ok := det.(interface{ ModelText(string) string }); ok {
		modelText = mt.ModelText
	}
	if fs, ok := det.(firmScorer); ok {
		return func(text string) ruleScore {
			t, f := fs.RuleScores(detect.Input{Text: text, Role: role})
			return ruleScore{t, f}
		}, modelText, nil
	}
	return func(text string) ruleScore {
		best := 0.0
		for _, f := range det.Detect(context.Background(), detect.Input{Text: text, Role: role}) {
			best = max(best, f.Score)
		}
		return ruleScore{tempered: best}
	}, modelText, nil
}

func identity(s string) string { return s }

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
