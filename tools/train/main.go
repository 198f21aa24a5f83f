// Command train fits the embedded text classifiers (prompt injection,
// jailbreak, toxicity, sexual content) on the labeled JSONL files in the
// shared data folder and writes each model file with its manifest beside it.
//
//	go run ./tools/train                     # every model (what `make models` runs)
//	go run ./tools/train --category jailbreak
//
// For a category C the model is trained on the train-split rows of
// eval/C.jsonl (classifier.SplitRule), on every row of train/C.jsonl and of
// train/negatives.jsonl, plus its calibration-split rows; Platt calibration
// and the operating point use 4-fold out-of-fold margins of those eval rows;
// the figures recorded in the manifest come from its test-split rows, which
// nothing else sees.
// The same data and flags give bit-identical files.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/claudit/claudit/internal/policy/classifier"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		slog.Error("train", "err", err)
		os.Exit(1)
	}
}

// Category says where a model's data comes from and where it goes.
type Category struct {
	Name string
	// Detector is the registered detector the model belongs to.
	Detector string
	// Out is the model path relative to the repository root.
	Out string
	// Train lists the files (relative to the shared folder) used whole.
	Train []string
	// EvalRepeat weights the eval train-split rows against the larger,
	// templated train/ files; MaxFPR bounds the operating point's
	// false-positive rate on the out-of-fold rows, set at four fifths of
	// the product's limit (1 %, 2 % for toxicity) so that sampling noise on
	// new text stays within it. EvalRepeat and L2 were chosen on held-out
	// train-split rows (--dev), never on the test split.
	EvalRepeat int
	MaxFPR     float64
	// L2 overrides the default regularization strength when not 0.
	L2 float64
}

// Categories are the embedded models `make models` rebuilds.
var Categories = []Category{
	{Name: "injection", Detector: "injection", Out: "internal/policy/detect/injection/model/model.bin", Train: []string{"train/injection.jsonl", "train/negatives.jsonl"}, EvalRepeat: 6, MaxFPR: 0.008},
	{Name: "jailbreak", Detector: "jailbreak", Out: "internal/policy/detect/jailbreak/model/model.bin", Train: []string{"train/jailbreak.jsonl", "train/negatives.jsonl"}, EvalRepeat: 6, MaxFPR: 0.008, L2: 2e-6},
	{Name: "toxicity", Detector: "toxicity", Out: "internal/policy/detect/toxicity/model/toxicity.bin", Train: []string{"train/toxicity.jsonl", "train/negatives.jsonl"}, EvalRepeat: 8, MaxFPR: 0.016, L2: 5e-7},
	{Name: "sexual", Detector: "sexual", Out: "internal/policy/detect/toxicity/model/sexual.bin", Train: []string{"train/sexual.jsonl", "train/negatives.jsonl"}, EvalRepeat: 6, MaxFPR: 0.008},
}

// Anchor is the score the chosen operating point is mapped to: the default
// policies flag these detectors at 0.7.
const Anchor = 0.7

// Overrides of the categories' settings, for experiments: 0 keeps the
// category's own; evalOnly leaves the train/ files out; devMode reports
// on held-out train-split rows.
var (
	maxCalFPR  float64
	evalRepeat int
	evalOnly   bool
	devMode    bool
	devShow    int
	oofPath    string
	mlpHidden  int
	mlpEpochs  int
	mlpMix     float64
	mlpL2      float64
	l2Set      bool
)

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	def := DefaultConfig()
	shared := fs.String("shared", filepath.Join("..", "shared"), "shared data folder holding eval/ and train/")
	root := fs.String("root", ".", "repository root the model paths are relative to")
	only := fs.String("category", "", "train only this category (injection, jailbreak, toxicity, sexual, gate)")
	epochs := fs.Int("epochs", def.Epochs, "SGD epochs")
	l2 := fs.Float64("l2", def.L2, "L2 regularization strength")
	bits := fs.Int("bits", int(def.Features.Bits), "log2 of the hash buckets")
	flags := fs.Int("flags", int(def.Features.Flags), "feature groups: 1 normalize, 2 structure")
	dry := fs.Bool("dry-run", false, "train and report, write nothing")
	nb := fs.Bool("nb", def.NBScale, "scale features by naive-Bayes log-count ratios (NBSVM)")
	charMin := fs.Int("char-min", int(def.Features.CharMin), "shortest character n-gram")
	charMax := fs.Int("char-max", int(def.Features.CharMax), "longest character n-gram")
	wordN := fs.Int("word-ngrams", int(def.Features.WordNgrams), "longest word n-gram")
	fs.IntVar(&evalRepeat, "eval-repeat", evalRepeat, "times each eval train-split row is repeated in the fitting data (0: the category's setting)")
	fs.BoolVar(&evalOnly, "eval-only", false, "fit on eval train-split rows only (for comparison)")
	fs.BoolVar(&devMode, "dev", false, "hold a quarter of the eval train-split rows out and report on them per source (for model selection; implies --dry-run)")
	fs.IntVar(&mlpHidden, "mlp", 0, "with --dev: also fit an experimental one-hidden-layer network with this many units and mix its margin in")
	fs.IntVar(&mlpEpochs, "mlp-epochs", 6, "with --mlp: epochs")
	fs.Float64Var(&mlpMix, "mlp-mix", 1, "with --mlp: weight of the network's margin against the linear model's (1: network only)")
	fs.Float64Var(&mlpL2, "mlp-l2", 1e-6, "with --mlp: L2 strength")
	fs.StringVar(&oofPath, "oof", "", "write every non-test eval row's out-of-fold result (label, flagged at the operating point, rule score, model margin) to this JSON-lines file, for error analysis")
	fs.IntVar(&devShow, "dev-show", 0, "with --dev, print up to this many missed positives and false positives of the held-out rows")
	fs.Float64Var(&maxCalFPR, "max-fpr", maxCalFPR, "largest false-positive rate of the operating point on calibration rows (0: the category's setting)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg := def
	cfg.Epochs, cfg.L2, cfg.Features.Bits, cfg.Features.Flags = *epochs, *l2, uint8(*bits), uint8(*flags)
	cfg.NBScale = *nb
	l2Set = false
	fs.Visit(func(f *flag.Flag) { l2Set = l2Set || f.Name == "l2" })
	cfg.Features.CharMin, cfg.Features.CharMax, cfg.Features.WordNgrams = uint8(*charMin), uint8(*charMax), uint8(*wordN)
	var todo []Category
	for _, c := range Categories {
		if *only == "" || c.Name == *only {
			todo = append(todo, c)
		}
	}
	if len(todo) == 0 && *only != "gate" {
		return fmt.Errorf("unknown category %q", *only)
	}
	for _, c := range todo {
		if err := trainOne(c, *shared, *root, cfg, *dry, args, stdout); err != nil {
			return fmt.Errorf("%s: %w", c.Name, err)
		}
	}
	if *only == "" || *only == "gate" {
		if err := trainGate(*shared, *root, *dry, args, stdout); err != nil {
			return fmt.Errorf("gate: %w", err)
		}
	}
	return nil
}

// DefaultConfig is the training configuration of the embedded models.
func DefaultConfig() classifier.TrainConfig {
	c := classifier.DefaultTrainConfig()
	c.Features.Flags = classifier.FlagNormalize | classifier.FlagStructure
	// Character 4-grams alone score about as well as 3- to 5-grams on
	// held-out train-split rows at a third of the featurizing cost.
	c.Features.CharMin, c.Features.CharMax = 4, 4
	c.Epochs = 12
	c.L2 = 2e-5
	return c
}

func readRows(shared, rel string) ([]classifier.Row, classifier.DataFile, error) {
	path := filepath.Join(shared, filepath.FromSlash(rel))
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, classifier.DataFile{}, fmt.Errorf("no training data at %s: pass --shared with the folder that holds eval/ and train/", path)
	}
	if err != nil {
		return nil, classifier.DataFile{}, err
	}
	rows, err := classifier.ReadRows(bytes.NewReader(b))
	if err != nil {
		return nil, classifier.DataFile{}, fmt.Errorf("parse %s: %w", path, err)
	}
	return rows, classifier.DataFile{Path: rel, SHA256: classifier.HashBytes(b), Rows: len(rows)}, nil
}

func trainOne(c Category, shared, root string, cfg classifier.TrainConfig, dry bool, args []string, stdout io.Writer) error {
	if c.L2 > 0 && !l2Set {
		cfg.L2 = c.L2
	}
	man := classifier.Manifest{
		Model:     filepath.Base(c.Out),
		Command:   "go run ./tools/train" + argString(args),
		Seed:      cfg.Seed,
		SplitRule: classifier.SplitRule,
		Method: "logistic regression (SGD, L2, class-balanced) over signed hashed features: character 4-grams and word 1-2-grams of the " +
			"normalized text (homoglyphs, zero-width characters, leetspeak), plus sentence openers and the words of the quoted/data part " +
			"of the text in their own hash spaces; Platt-calibrated on 4-fold out-of-fold margins of the non-test eval rows, with the operating " +
			"point and the power tempering the rules' score (extra.rule_power) chosen on the detector's combined rule-and-model score of those rows",
		Test:  map[string]float64{},
		Extra: map[string]any{"features": cfg.Features, "epochs": cfg.Epochs, "l2": cfg.L2, "learning_rate": cfg.LearningRate},
	}
	evalRows, df, err := readRows(shared, "eval/"+c.Name+".jsonl")
	if err != nil {
		return err
	}
	df.Used = "train and calibration splits for fitting and cross-validated calibration, test split for the figures only"
	man.Data = append(man.Data, df)
	var train, calib, test []classifier.Example
	train, calib, test = classifier.SplitRows(evalRows)
	var dev []classifier.Row
	if devMode {
		dry = true
		train = train[:0]
		for _, r := range evalRows {
			if classifier.SplitOf(r.Text) != classifier.SplitTrain {
				continue
			}
			if classifier.HashBytes([]byte("dev\x00" + r.Text))[0] < '4' {
				dev = append(dev, r)
				continue
			}
			train = append(train, classifier.Example{Text: r.Text, Label: r.Label})
		}
	}
	repeat, maxFPR := c.EvalRepeat, c.MaxFPR
	if evalRepeat > 0 {
		repeat = evalRepeat
	}
	if maxCalFPR > 0 {
		maxFPR = maxCalFPR
	}
	man.Extra["eval_repeat"], man.Extra["max_calibration_fpr"] = repeat, maxFPR
	var extraEx []classifier.Example
	extra := c.Train
	if evalOnly {
		extra = nil
	}
	for _, rel := range extra {
		rows, df, err := readRows(shared, rel)
		if err != nil {
			return err
		}
		df.Used = "all rows, for fitting"
		man.Data = append(man.Data, df)
		for _, r := range rows {
			// Guard against any overlap with the held-out rows.
			if classifier.SplitOf(r.Text) == classifier.SplitTest && containsText(test, r.Text) {
				continue
			}
			extraEx = append(extraEx, classifier.Example{Text: r.Text, Label: r.Label})
		}
	}
	// The model reads the detector's model text (see scorers): the
	// fitting data, the out-of-fold margins and the figures alike.
	rule, prep, err := scorers(c.Detector)
	if err != nil {
		return err
	}
	for i := range extraEx {
		extraEx[i].Text = prep(extraEx[i].Text)
	}
	fit := func(evalPart []classifier.Example) (*classifier.Model, error) {
		part := make([]classifier.Example, len(evalPart))
		for i, e := range evalPart {
			part[i] = classifier.Example{Text: prep(e.Text), Label: e.Label}
		}
		data := make([]classifier.Example, 0, repeat*len(part)+len(extraEx))
		for range repeat {
			data = append(data, part...)
		}
		return classifier.Train(append(data, extraEx...), nil, cfg)
	}
	// The calibration split alone is a few hundred rows, too few to place
	// an operating point at a 1 % false-positive rate; calibration and the
	// operating point use out-of-fold margins of every non-test eval row.
	pool := append(slices.Clip(train), calib...)
	fmt.Fprintf(stdout, "%s: eval rows %d (×%d) + train/ rows %d, %d-fold calibration, test %d\n", c.Name, len(pool), repeat, len(extraEx), folds, len(test))
	held, margins, err := outOfFold(pool, fit, prep)
	if err != nil {
		return err
	}
	labels := make([]bool, len(held))
	for i, e := range held {
		labels[i] = e.Label
	}
	var net *mlp
	if devMode && mlpHidden > 0 {
		cache := &vecCache{feats: cfg.Features, m: map[string]classifier.Vector{}}
		netFit := func(part []classifier.Example) *mlp {
			data := make([]classifier.Example, 0, repeat*len(part)+len(extraEx))
			for range repeat {
				data = append(data, part...)
			}
			return trainMLP(append(data, extraEx...), cache, mlpHidden, mlpEpochs, cfg.Seed, mlpL2)
		}
		nm := mlpOutOfFold(pool, netFit)
		fmt.Fprintf(stdout, "  mlp out-of-fold auc=%.4f, linear auc=%.4f\n", classifier.MetricsOf(sigmoids(nm), labels, 0.5).AUC, classifier.MetricsOf(sigmoids(margins), labels, 0.5).AUC)
		for i := range margins {
			margins[i] = (1-mlpMix)*margins[i] + mlpMix*nm[i]
		}
		net = netFit(pool)
	}
	a, _, ok := classifier.FitPlatt(margins, labels)
	if !ok {
		return errors.New("calibration did not converge")
	}
	// The operating point is placed on what the detector decides: the
	// model's score combined with its rules' by noisy-OR, on out-of-fold
	// rows, so the rules' own false positives count against the budget.
	parts := make([]ruleScore, len(held))
	rules := make([]float64, len(held))
	for i, e := range held {
		parts[i] = rule(e.Text)
		rules[i] = parts[i].at(1)
	}
	ruleOnly := classifier.MetricsOf(rules, labels, Anchor)
	fmt.Fprintf(stdout, "  cross-validated, rules alone: p=%.3f r=%.3f f1=%.3f fpr=%.4f\n", ruleOnly.Precision, ruleOnly.Recall, ruleOnly.F1, ruleOnly.FPR)
	power := chooseRulePower(a, margins, parts, labels, maxFPR, stdout)
	for i := range rules {
		rules[i] = parts[i].at(power)
	}
	b, oof, _ := operatingMetrics(a, margins, rules, labels, maxFPR)
	if oofPath != "" {
		if err := writeOutOfFold(oofPath, held, labels, criticalB(a, margins, rules), b, rules, margins); err != nil {
			return err
		}
	}
	m, err := fit(pool)
	if err != nil {
		return err
	}
	m.PlattA, m.PlattB, m.RulePower = float32(a), float32(b), float32(power)
	man.Extra["cross_validated"] = map[string]float64{"precision": round(oof.Precision), "recall": round(oof.Recall), "f1": round(oof.F1), "fpr": round(oof.FPR)}
	man.Extra["operating_margin"] = round((-logit(Anchor) - b) / a)
	man.Extra["rule_power"] = power

	combined := func(text string) float64 {
		r := rule(text)
		return m.CombineFirm(r.tempered, r.firm, m.Score(prep(text)))
	}
	if net != nil {
		act := make([]float32, net.hidden)
		combined = func(text string) float64 {
			r := rule(text)
			x := m.Features.Vectorize(text)
			mg := (1-mlpMix)*m.Margin(x) + mlpMix*net.margin(x, act)
			return m.CombineFirm(r.tempered, r.firm, m.Calibrate(mg))
		}
	}
	var testScores []float64
	var testLabels []bool
	for _, e := range test {
		testScores = append(testScores, combined(e.Text))
		testLabels = append(testLabels, e.Label)
	}
	tm := classifier.MetricsOf(testScores, testLabels, Anchor)
	man.Test = map[string]float64{"rows": float64(tm.N), "precision": round(tm.Precision), "recall": round(tm.Recall),
		"f1": round(tm.F1), "fpr": round(tm.FPR), "auc": round(tm.AUC)}
	fmt.Fprintf(stdout, "  cross-validated, with rules: p=%.3f r=%.3f f1=%.3f fpr=%.4f\n", oof.Precision, oof.Recall, oof.F1, oof.FPR)
	if !devMode {
		fmt.Fprintf(stdout, "  test (with rules, at %.1f): p=%.3f r=%.3f f1=%.3f fpr=%.4f auc=%.4f\n", Anchor, tm.Precision, tm.Recall, tm.F1, tm.FPR, tm.AUC)
	}
	if devMode {
		reportDev(combined, dev, stdout)
	}
	if dry {
		return nil
	}
	return writeModel(m, man, filepath.Join(root, filepath.FromSlash(c.Out)), cfg.PruneBelow, stdout)
}

// writeModel writes m to out and its manifest beside it, as out with a
// .json extension.
func writeModel(m *classifier.Model, man classifier.Manifest, out string, pruneBelow float32, stdout io.Writer) error {
	var buf bytes.Buffer
	if err := m.WriteTo(&buf, pruneBelow); err != nil {
		return err
	}
	man.ModelSHA256 = classifier.HashBytes(buf.Bytes())
	man.ModelBytes = buf.Len()
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	mj, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return err
	}
	manPath := strings.TrimSuffix(out, filepath.Ext(out)) + ".json"
	if err := os.WriteFile(manPath, append(mj, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  wrote %s (%d bytes) and %s\n", out, buf.Len(), manPath)
	return nil
}

// writeOutOfFold writes one JSON line per held-out row: its text and label,
// whether the detector flags it at the operating point b (crit[i] >= b),
// its rule score and its model margin.
func writeOutOfFold(path string, held []classifier.Example, labels []bool, crit []float64, b float64, rules, margins []float64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	for i, e := range held {
		row := struct {
			Text    string  `json:"text"`
			Label   bool    `json:"label"`
			Flagged bool    `json:"flagged"`
			Rule    float64 `json:"rule"`
			Margin  float64 `json:"margin"`
		}{e.Text, labels[i], crit[i] >= b, rules[i], margins[i]}
		if err := enc.Encode(row); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// folds is the number of cross-validation folds for calibration.
const folds = 4

// outOfFold fits a model on all but one fold of pool, for each fold, and
// returns the held-out rows in fold order with their margins.
func outOfFold(pool []classifier.Example, fit func([]classifier.Example) (*classifier.Model, error), prep func(string) string) ([]classifier.Example, []float64, error) {
	var held []classifier.Example
	var margins []float64
	for k := range folds {
		in, out := foldParts(pool, k)
		mk, err := fit(in)
		if err != nil {
			return nil, nil, err
		}
		for _, e := range out {
			margins = append(margins, mk.Margin(mk.Features.Vectorize(prep(e.Text))))
		}
		held = append(held, out...)
	}
	return held, margins, nil
}

// foldParts splits pool into the rows outside fold k and the rows in it.
func foldParts(pool []classifier.Example, k int) (in, out []classifier.Example) {
	for _, e := range pool {
		if foldOf(e.Text) == k {
			out = append(out, e)
		} else {
			in = append(in, e)
		}
	}
	return in, out
}

func foldOf(text string) int { return int(classifier.HashBytes([]byte("fold\x00" + text))[0]) % folds }

func containsText(xs []classifier.Example, text string) bool {
	return slices.ContainsFunc(xs, func(e classifier.Example) bool { return e.Text == text })
}

// operatingPoint returns the threshold on scores that maximizes F1 among
// those whose false-positive rate stays within maxFPR, flagging the rows at
// or above it. Rows scored +Inf are flagged at any threshold; ok is false
// when they alone exceed maxFPR.
func operatingPoint(scores []float64, labels []bool, maxFPR float64) (threshold float64, ok bool) {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		switch {
		case scores[a] > scores[b]:
			return -1
		case scores[a] < scores[b]:
			return 1
		}
		return 0
	})
	pos, neg := 0, 0
	for _, l := range labels {
		if l {
			pos++
		} else {
			neg++
		}
	}
	// Above every finite score only the +Inf rows are flagged.
	top := 0.0
	for _, x := range scores {
		if !math.IsInf(x, 1) {
			top = max(top, x)
		}
	}
	best, bestF1 := top+1, -1.0
	tp, fp := 0, 0
	for k, i := range idx {
		if labels[i] {
			tp++
		} else {
			fp++
		}
		if k+1 < len(idx) && scores[idx[k+1]] == scores[i] {
			continue
		}
		if neg > 0 && float64(fp)/float64(neg) > maxFPR {
			break
		}
		f1 := 2 * float64(tp) / float64(tp+fp+pos)
		if f1 <= bestF1 {
			continue
		}
		bestF1, ok = f1, true
		switch {
		case math.IsInf(scores[i], 1):
			best = top + 1
		case k+1 < len(idx):
			// Halfway to the next lower score keeps the point off a row.
			best = (scores[i] + scores[idx[k+1]]) / 2
		default:
			best = scores[i] - 1
		}
	}
	if !ok && !slices.ContainsFunc(scores, func(x float64) bool { return math.IsInf(x, 1) }) {
		// Not even the top row fits: flag nothing.
		return top + 1, true
	}
	return best, ok
}

func logit(p float64) float64 { return math.Log(p / (1 - p)) }

func round(x float64) float64 { return math.Round(x*1e4) / 1e4 }

func argString(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return " " + strings.Join(args, " ")
}

// reportDev prints recall per source and the false positives of the
// held-out development rows at the anchor.
func reportDev(score func(string) float64, dev []classifier.Row, stdout io.Writer) {
	type count struct{ pos, hit, neg, fp int }
	by := map[string]*count{}
	var scores []float64
	var labels []bool
	for _, r := range dev {
		src, _, _ := strings.Cut(r.Source, "@")
		if by[src] == nil {
			by[src] = &count{}
		}
		s := score(r.Text)
		scores = append(scores, s)
		labels = append(labels, r.Label)
		c := by[src]
		if r.Label {
			c.pos++
			if s >= Anchor {
				c.hit++
			}
		} else {
			c.neg++
			if s >= Anchor {
				c.fp++
			}
		}
	}
	for _, want := range []bool{true, false} {
		shown := 0
		for i, r := range dev {
			if shown >= devShow || r.Label != want || (scores[i] >= Anchor) == want {
				continue
			}
			shown++
			kind := "missed"
			if !want {
				kind = "false positive"
			}
			fmt.Fprintf(stdout, "  %s %.2f: %.160q\n", kind, scores[i], r.Text)
		}
	}
	mt := classifier.MetricsOf(scores, labels, Anchor)
	fmt.Fprintf(stdout, "  dev: n=%d p=%.3f r=%.3f f1=%.3f fpr=%.4f auc=%.4f\n", mt.N, mt.Precision, mt.Recall, mt.F1, mt.FPR, mt.AUC)
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		c := by[k]
		fmt.Fprintf(stdout, "    %-70.70s pos %4d recall %.2f | neg %4d fp %d\n", k, c.pos, float64(c.hit)/math.Max(1, float64(c.pos)), c.neg, c.fp)
	}
}

func sigmoids(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = 1 / (1 + math.Exp(-x))
	}
	return out
}
