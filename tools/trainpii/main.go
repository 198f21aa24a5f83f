// Command trainpii fits the pii detector's learned recognizer (PERSON,
// STREET_ADDRESS, PHONE) on eval/pii.jsonl in the shared data folder and
// writes the model and its manifest into internal/policy/detect/pii/model.
//
//	go run ./tools/trainpii                 # from the repository root
//	go run ./tools/trainpii --data ../shared --errors 20
//
// Labels are per row (a list of entity types, no spans), so each row is a
// bag of candidates per entity and the model is a logistic regression
// trained with the noisy-OR multiple-instance loss: a row labelled with the
// entity has at least one true candidate, any other row has none. The model
// learns from the train-split rows (classifier.SplitRule); the common-word
// vocabulary comes from the train and calibration rows; the operating point
// of each entity and the score scale come from the calibration rows. The
// test-split rows are only scored once, for the manifest. The same data
// gives bit-identical files.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/claudit/claudit/internal/policy/classifier"
	"github.com/claudit/claudit/internal/policy/detect/pii"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		slog.Error("trainpii", "err", err)
		os.Exit(1)
	}
}

// Settings of the training run; recorded in the manifest.
const (
	dataPath = "eval/pii.jsonl"
	seed     = 14
	bits     = 18
	epochs   = 12
	// ensemble is how many runs with consecutive seeds are averaged.
	ensemble = 7
	// averageFrom is the first epoch whose weights enter the average.
	averageFrom = 3
	rate        = 0.2
	l2          = 1e-5
	// contextDropout is the chance a candidate is seen without its context
	// features in one epoch, so names, addresses and numbers are learned
	// from their own look too and not only from the templates around them.
	contextDropout = 0.6
	// minRows is how many distinct rows must hold a word in lower case for
	// it to count as a common word.
	minRows = 3
	// maxFPR bounds the calibration rows without the entity that the
	// operating point may flag.
	maxFPR = 0.01
	// f1Slack is how far under the best calibration F1 the operating point
	// may be when that buys a higher threshold.
	f1Slack = 0.005
)

// Anchors are the scores the operating points are mapped to: the default
// policy's thresholds for these entities (PERSON 0.7, PHONE 0.6, the rest
// 0.5), so the defaults flag at the point chosen on calibration rows.
var Anchors = [3]float64{0.7, 0.5, 0.6}

type row struct {
	text     string
	entities map[string]bool
	source   string
	split    classifier.Split
	cands    []pii.ModelCandidate
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("trainpii", flag.ContinueOnError)
	data := fs.String("data", classifier.SharedDir(), "shared data folder holding "+dataPath)
	out := fs.String("out", ".", "repository root the model is written under")
	seedFlag := fs.Uint64("seed", seed, "seed of the training order and context dropout")
	showErrors := fs.Int("errors", 0, "print up to N misses and false alarms per entity on train and calibration rows")
	if err := fs.Parse(args); err != nil {
		return err
	}
	path := filepath.Join(*data, filepath.FromSlash(dataPath))
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read data: %w (set --data to the shared folder)", err)
	}
	rows, err := readRows(raw)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	var texts []string
	for _, r := range rows {
		if r.split != classifier.SplitTest {
			texts = append(texts, r.text)
		}
	}
	common := commonWords(texts, minRows)
	feat, err := pii.NewFeaturizer(bits, common)
	if err != nil {
		return err
	}
	all := [3]bool{true, true, true}
	for i := range rows {
		rows[i].cands = feat.Candidates(rows[i].text, all)
	}
	m := &pii.Model{Bits: bits, Common: common, Weights: make([]float32, 1<<bits)}
	// A bag of models: the average of the weights of ensemble runs, each
	// with its own order and dropout, steadies what one run's luck decides.
	total := make([]float64, len(m.Weights))
	for k := range uint64(ensemble) {
		one := &pii.Model{Bits: bits, Weights: make([]float32, 1<<bits)}
		train(one, rows, *seedFlag+k)
		for i, w := range one.Weights {
			total[i] += float64(w)
		}
	}
	for i := range m.Weights {
		m.Weights[i] = float32(total[i] / ensemble)
	}

	thresholds := [3]float64{}
	for e := range pii.ModelEntities {
		t, a := operatingPoint(m, rows, e)
		thresholds[e] = t
		m.Scale[e] = float32(a)
		m.Offset[e] = float32(logit(Anchors[e]) - a*t)
	}
	modelBytes, err := m.MarshalBinary()
	if err != nil {
		return err
	}
	report := func(split classifier.Split) map[string]float64 { return figures(m, rows, split) }
	fmt.Fprintln(stdout, "split        entity          P      R      F1     FPR")
	for _, s := range []classifier.Split{classifier.SplitTrain, classifier.SplitCalibration} {
		printFigures(stdout, splitName(s), report(s))
	}
	if *showErrors > 0 {
		printErrors(stdout, m, rows, *showErrors)
	}
	test := report(classifier.SplitTest)
	sum, err := classifier.HashFile(path)
	if err != nil {
		return err
	}
	man := classifier.Manifest{
		Model:       filepath.Base(pii.ModelPath),
		ModelSHA256: classifier.HashBytes(modelBytes),
		ModelBytes:  len(modelBytes),
		Command:     "go run ./tools/trainpii",
		Seed:        *seedFlag,
		SplitRule:   classifier.SplitRule,
		Data:        []classifier.DataFile{{Path: dataPath, SHA256: sum, Rows: len(rows), Used: "train split: weights; train+calibration splits: common words; calibration split: operating points; test split: the figures below only"}},
		Method: "logistic regression over hashed candidate features (word shapes, affixes, common-word identity, neighbouring words, number layouts, libphonenumber validity), " +
			"trained with a noisy-OR multiple-instance loss on row labels; a row's score per entity is its best candidate's",
		Test: test,
		Extra: map[string]any{
			"bits": bits, "ensemble_runs": ensemble, "average_from_epoch": averageFrom, "context_dropout": contextDropout, "epochs": epochs, "rate": rate, "l2": l2, "min_rows_common_word": minRows, "max_fpr": maxFPR, "f1_slack": f1Slack,
			"common_words":             len(common),
			"margin_thresholds":        map[string]float64{pii.Person: thresholds[0], pii.StreetAddress: thresholds[1], pii.Phone: thresholds[2]},
			"score_at_threshold":       map[string]float64{pii.Person: Anchors[0], pii.StreetAddress: Anchors[1], pii.Phone: Anchors[2]},
			"test_figures_are_learned": "the learned recognizer alone, row-level; the detector adds its rule recognizers",
		},
	}
	manBytes, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*out, filepath.FromSlash(pii.ModelPath)), modelBytes, 0o644); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	if err := os.WriteFile(filepath.Join(*out, filepath.FromSlash(pii.ManifestPath)), append(manBytes, '\n'), 0o644); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes, sha256 %s) and its manifest\n", pii.ModelPath, len(modelBytes), man.ModelSHA256)
	return nil
}

func readRows(b []byte) ([]row, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), classifier.MaxLineBytes)
	var rows []row
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r struct {
			Text   string   `json:"text"`
			Label  []string `json:"label"`
			Source string   `json:"source"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		ents := map[string]bool{}
		for _, e := range r.Label {
			ents[strings.ToUpper(e)] = true
		}
		rows = append(rows, row{text: r.Text, entities: ents, source: r.Source, split: classifier.SplitOf(r.Text)})
	}
	return rows, sc.Err()
}

// commonWords returns, sorted, the ASCII words found in lower case in at
// least minRows of texts: the vocabulary that tells ordinary words from
// names.
func commonWords(texts []string, minRows int) []string {
	count := map[string]int{}
	for _, t := range texts {
		seen := map[string]bool{}
		for _, w := range strings.FieldsFunc(t, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '\'') }) {
			w = strings.Trim(w, "'")
			if w == "" || strings.ToLower(w) != w || seen[w] {
				continue
			}
			seen[w] = true
			count[w]++
		}
	}
	var out []string
	for w, n := range count {
		if n >= minRows {
			out = append(out, w)
		}
	}
	sort.Strings(out)
	return out
}

// bag is one row's candidates of one entity.
type bag struct {
	feats     [][]uint32
	intrinsic []int
	positive  bool
}

func bagsOf(rows []row, split classifier.Split, e int) []bag {
	var out []bag
	for _, r := range rows {
		if r.split != split {
			continue
		}
		b := bag{positive: r.entities[pii.ModelEntities[e]]}
		for _, c := range r.cands {
			if c.Entity == e {
				b.feats = append(b.feats, c.Features)
				b.intrinsic = append(b.intrinsic, c.Intrinsic)
			}
		}
		if len(b.feats) > 0 {
			out = append(out, b)
		}
	}
	return out
}

// train fits the weights by stochastic gradient descent with AdaGrad on the
// noisy-OR bag loss: -log(1 - Π(1-p_i)) for a positive bag, -Σ log(1-p_i)
// for a negative one.
func train(m *pii.Model, rows []row, seed uint64) {
	var bags []bag
	for e := range pii.ModelEntities {
		bags = append(bags, bagsOf(rows, classifier.SplitTrain, e)...)
	}
	rng := rand.New(rand.NewPCG(seed, seed))
	g2 := make([]float64, len(m.Weights))
	order := make([]int, len(bags))
	for i := range order {
		order[i] = i
	}
	z := []float64{}
	var feats [][]uint32
	// The weights returned are the average of the weights at the end of
	// each epoch from averageFrom on, which steadies them against the
	// order the bags were seen in.
	avg := make([]float64, len(m.Weights))
	averaged := 0
	for epoch := range epochs {

		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, bi := range order {
			b := bags[bi]
			z = z[:0]
			logNone := 0.0 // log Π(1-p_i)
			feats = feats[:0]
			for i, f := range b.feats {
				if rng.Float64() < contextDropout {
					f = f[:b.intrinsic[i]]
				}
				feats = append(feats, f)
			}
			for _, f := range feats {
				zi := m.Margin(f)
				z = append(z, zi)
				logNone -= softplus(zi)
			}
			// coef scales p_i into d loss / d z_i.
			coef := 1.0
			if b.positive {
				pNone := math.Exp(logNone)
				coef = -pNone / max(-math.Expm1(logNone), 1e-6)
				coef = max(coef, -50)
			}
			for i, f := range feats {
				g := coef * sigmoid(z[i])
				if math.Abs(g) < 1e-9 {
					continue
				}
				for _, idx := range f {
					gi := g + l2*float64(m.Weights[idx])
					g2[idx] += gi * gi
					m.Weights[idx] -= float32(rate * gi / math.Sqrt(g2[idx]+1e-8))
				}
			}
		}
		if epoch >= averageFrom {
			for i, w := range m.Weights {
				avg[i] += float64(w)
			}
			averaged++
		}
	}
	for i := range m.Weights {
		m.Weights[i] = float32(avg[i] / float64(averaged))
	}
}

func softplus(z float64) float64 {
	if z > 30 {
		return z
	}
	return math.Log1p(math.Exp(z))
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

func logit(p float64) float64 { return math.Log(p / (1 - p)) }

// rowMargin is a row's best candidate margin for entity e, or -Inf.
func rowMargin(m *pii.Model, r row, e int) float64 {
	best := math.Inf(-1)
	for _, c := range r.cands {
		if c.Entity == e {
			best = max(best, m.Margin(c.Features))
		}
	}
	return best
}

// operatingPoint picks, on calibration rows, the margin threshold with the
// best F1 for entity e among those flagging at most maxFPR of the rows
// without any entity, and fits the slope of a Platt scaling of row margins.
func operatingPoint(m *pii.Model, rows []row, e int) (threshold, slope float64) {
	type sm struct {
		margin float64
		pos    bool
		clean  bool
	}
	var xs []sm
	for _, r := range rows {
		if r.split != classifier.SplitCalibration {
			continue
		}
		xs = append(xs, sm{rowMargin(m, r, e), r.entities[pii.ModelEntities[e]], len(r.entities) == 0})
	}
	slices.SortFunc(xs, func(a, b sm) int { return -cmpFloat(a.margin, b.margin) })
	pos, clean := 0, 0
	for _, x := range xs {
		if x.pos {
			pos++
		}
		if x.clean {
			clean++
		}
	}
	type point struct{ f1, threshold float64 }
	var points []point
	bestF1 := -1.0
	tp, fp, cfp := 0, 0, 0
	for i, x := range xs {
		if math.IsInf(x.margin, -1) {
			break
		}
		if x.pos {
			tp++
		} else {
			fp++
		}
		if x.clean {
			cfp++
		}
		if i+1 < len(xs) && xs[i+1].margin == x.margin {
			continue
		}
		if float64(cfp) > maxFPR*float64(clean) {
			break
		}
		// Halfway to the next margin down, so the threshold does not sit
		// on a calibration row.
		next := x.margin - 1
		if i+1 < len(xs) && !math.IsInf(xs[i+1].margin, -1) {
			next = xs[i+1].margin
		}
		f1 := 2 * float64(tp) / float64(tp+fp+pos)
		points = append(points, point{f1, (x.margin + next) / 2})
		bestF1 = max(bestF1, f1)
	}
	// The highest threshold within f1Slack of the best F1: on data of other
	// styles a stricter point loses less precision than the last bit of
	// calibration F1 is worth.
	for _, p := range points {
		if p.f1 >= bestF1-f1Slack {
			threshold = p.threshold
			break
		}
	}
	var margins []float64
	var labels []bool
	for _, x := range xs {
		if !math.IsInf(x.margin, -1) {
			margins = append(margins, x.margin)
			labels = append(labels, x.pos)
		}
	}
	a, _, ok := classifier.FitPlatt(margins, labels)
	slope = -a
	if !ok || slope <= 0.05 || slope > 20 {
		slope = 1
	}
	return threshold, slope
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// flags reports whether the model flags entity e in r at its operating point.
func flags(m *pii.Model, r row, e int) bool {
	for _, c := range r.cands {
		if c.Entity == e && m.Score(e, m.Margin(c.Features)) >= Anchors[e] {
			return true
		}
	}
	return false
}

// figures are row-level precision, recall and F1 per entity, and the
// false-positive rate over rows without any entity, on one split.
func figures(m *pii.Model, rows []row, split classifier.Split) map[string]float64 {
	out := map[string]float64{}
	clean, cleanFP := 0, 0
	for e, name := range pii.ModelEntities {
		tp, fp, fn := 0, 0, 0
		for _, r := range rows {
			if r.split != split {
				continue
			}
			got, want := flags(m, r, e), r.entities[name]
			switch {
			case got && want:
				tp++
			case got:
				fp++
			case want:
				fn++
			}
		}
		p, rc := ratio(tp, tp+fp), ratio(tp, tp+fn)
		out[name+"_precision"], out[name+"_recall"], out[name+"_f1"] = round(p), round(rc), round(ratio(2*tp, 2*tp+fp+fn))
	}
	for _, r := range rows {
		if r.split != split || len(r.entities) > 0 {
			continue
		}
		clean++
		for e := range pii.ModelEntities {
			if flags(m, r, e) {
				cleanFP++
				break
			}
		}
	}
	out["fpr_rows_without_pii"] = round(ratio(cleanFP, clean))
	// Recall per source prefix for the three entities together.
	srcPos, srcTP := map[string]int{}, map[string]int{}
	for _, r := range rows {
		if r.split != split {
			continue
		}
		src, _, _ := strings.Cut(r.source, ":")
		if strings.HasPrefix(r.source, "constructed:") {
			src = strings.SplitN(r.source, "+", 2)[0]
		}
		for e, name := range pii.ModelEntities {
			if r.entities[name] {
				srcPos[src]++
				if flags(m, r, e) {
					srcTP[src]++
				}
			}
		}
	}
	for src, n := range srcPos {
		out["recall_source_"+src] = round(ratio(srcTP[src], n))
	}
	return out
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func round(x float64) float64 { return math.Round(x*1000) / 1000 }

func splitName(s classifier.Split) string {
	switch s {
	case classifier.SplitTrain:
		return "train"
	case classifier.SplitCalibration:
		return "calibration"
	}
	return "test"
}

func printFigures(w io.Writer, split string, f map[string]float64) {
	for _, name := range pii.ModelEntities {
		fmt.Fprintf(w, "%-12s %-15s %.3f  %.3f  %.3f\n", split, name, f[name+"_precision"], f[name+"_recall"], f[name+"_f1"])
	}
	fmt.Fprintf(w, "%-12s %-15s %34.3f\n", split, "no-pii rows", f["fpr_rows_without_pii"])
}

// printErrors shows misses and false alarms on train and calibration rows,
// for developing features; it never looks at test rows.
func printErrors(w io.Writer, m *pii.Model, rows []row, n int) {
	for e, name := range pii.ModelEntities {
		miss, fa := 0, 0
		for _, r := range rows {
			if r.split == classifier.SplitTest {
				continue
			}
			got, want := flags(m, r, e), r.entities[name]
			if want && !got && miss < n {
				miss++
				fmt.Fprintf(w, "MISS %s %.60q best=%s\n", name, r.text, bestCandidate(m, r, e))
			}
			if got && !want && fa < n {
				fa++
				fmt.Fprintf(w, "FALSE %s %.60q best=%s\n", name, r.text, bestCandidate(m, r, e))
			}
		}
	}
}

func bestCandidate(m *pii.Model, r row, e int) string {
	best, s := math.Inf(-1), ""
	for _, c := range r.cands {
		if c.Entity == e {
			if sc := m.Score(e, m.Margin(c.Features)); sc > best {
				best, s = sc, fmt.Sprintf("%q@%.2f", r.text[c.Start:c.End], sc)
			}
		}
	}
	return s
}
