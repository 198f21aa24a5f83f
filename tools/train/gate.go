package main

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"

	"github.com/claudit/claudit/internal/policy/classifier"
)

// GateOut is where the gate model goes, relative to the repository root.
const GateOut = "internal/policy/classifier/gate/gate.bin"

// GateRecall is the share of the positives of every category that the gate
// must let through, measured out of fold: the gate trades a little recall
// for skipping the full models on ordinary text, and this bounds the trade.
const GateRecall = 0.998

// GateConfig is the gate's training configuration: word uni- and bigrams of
// the normalized text, no character n-grams, so featurizing costs a
// fraction of a full model's.
func GateConfig() classifier.TrainConfig {
	c := DefaultConfig()
	c.Features = classifier.FeatureConfig{Bits: 17, WordNgrams: 2, Flags: classifier.FlagNormalize}
	return c
}

// trainGate fits the gate on the fitting rows of every category, a row
// being positive when it is positive in its own file, and moves its bias
// so that a margin of 0 passes GateRecall of the positives out of fold.
func trainGate(shared, root string, dry bool, args []string, stdout io.Writer) error {
	cfg := GateConfig()
	man := classifier.Manifest{
		Model:     filepath.Base(GateOut),
		Command:   "go run ./tools/train" + argString(args),
		Seed:      cfg.Seed,
		SplitRule: classifier.SplitRule,
		Method: "gate in front of the injection, jailbreak, toxicity and sexual models: logistic regression (SGD, L2, class-balanced) " +
			"over hashed word 1-2-grams of the normalized text, trained on the positives of all four categories against their " +
			"negatives; its bias puts the operating point at margin 0, where it passes the out-of-fold share of positives in extra.gate_recall",
		Test:  map[string]float64{},
		Extra: map[string]any{"features": cfg.Features, "epochs": cfg.Epochs, "l2": cfg.L2, "gate_recall": GateRecall},
	}
	var pool []classifier.Example
	tests := map[string][]classifier.Example{}
	seen := map[string]bool{}
	for _, c := range Categories {
		rows, df, err := readRows(shared, "eval/"+c.Name+".jsonl")
		if err != nil {
			return err
		}
		df.Used = "train and calibration splits for fitting, test split for the figures only"
		man.Data = append(man.Data, df)
		train, calib, test := classifier.SplitRows(rows)
		pool = append(pool, train...)
		pool = append(pool, calib...)
		tests[c.Name] = test
		for _, rel := range c.Train {
			if seen[rel] {
				continue
			}
			seen[rel] = true
			rows, df, err := readRows(shared, rel)
			if err != nil {
				return err
			}
			df.Used = "all rows, for fitting"
			man.Data = append(man.Data, df)
			for _, r := range rows {
				if classifier.SplitOf(r.Text) == classifier.SplitTest && containsText(test, r.Text) {
					continue
				}
				pool = append(pool, classifier.Example{Text: r.Text, Label: r.Label})
			}
		}
	}
	// The gate decides on windows of classifier.GateWindow bytes, so it
	// also learns from the windows of the longer negatives: a fragment of
	// ordinary text must look as ordinary as the whole.
	chunks := 0
	for _, e := range slices.Clone(pool) {
		if e.Label || len(e.Text) <= classifier.GateWindow {
			continue
		}
		for _, w := range classifier.Windows(e.Text, classifier.GateWindow) {
			pool = append(pool, classifier.Example{Text: e.Text[w[0]:w[1]]})
			chunks++
		}
	}
	fmt.Fprintf(stdout, "gate: %d rows from every category (%d of them windows of negatives), %d-fold operating point\n", len(pool), chunks, folds)
	held, margins, err := outOfFold(pool, func(in []classifier.Example) (*classifier.Model, error) { return classifier.Train(in, nil, cfg) }, identity)
	if err != nil {
		return err
	}
	var posMargins, negMargins []float64
	for i, e := range held {
		if e.Label {
			posMargins = append(posMargins, margins[i])
		} else {
			negMargins = append(negMargins, margins[i])
		}
	}
	slices.Sort(posMargins)
	op := posMargins[int((1-GateRecall)*float64(len(posMargins)))]
	m, err := classifier.Train(pool, nil, cfg)
	if err != nil {
		return err
	}
	m.Bias -= float32(op)
	m.PlattA, m.PlattB = -1, 0
	closed := 0
	for _, x := range negMargins {
		if x < op {
			closed++
		}
	}
	man.Extra["cross_validated"] = map[string]float64{"negatives_closed": round(float64(closed) / float64(len(negMargins)))}
	fmt.Fprintf(stdout, "  cross-validated: positives passed %.3f, negatives closed %.3f\n", GateRecall, float64(closed)/float64(len(negMargins)))
	g := classifier.Gate{Model: m}
	for _, c := range Categories {
		pos, pass, neg, shut := 0, 0, 0, 0
		for _, e := range tests[c.Name] {
			open := g.Model.Margin(g.Model.Features.Vectorize(e.Text)) >= 0
			if e.Label {
				pos++
				if open {
					pass++
				}
			} else {
				neg++
				if !open {
					shut++
				}
			}
		}
		man.Test[c.Name+"_positives_passed"] = round(float64(pass) / float64(max(pos, 1)))
		man.Test[c.Name+"_negatives_closed"] = round(float64(shut) / float64(max(neg, 1)))
		fmt.Fprintf(stdout, "  test %-10s positives passed %d/%d, negatives closed %d/%d\n", c.Name, pass, pos, shut, neg)
	}
	if dry {
		return nil
	}
	return writeModel(m, man, filepath.Join(root, filepath.FromSlash(GateOut)), cfg.PruneBelow, stdout)
}
