package classifier

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
)

// Example is one labeled text.
type Example struct {
	Text  string
	Label bool
}

// TrainConfig holds the hyper-parameters of Train. Zero fields take the
// defaults from DefaultTrainConfig.
type TrainConfig struct {
	Features FeatureConfig `json:"features"`
	// Epochs is the number of passes of stochastic gradient descent.
	Epochs int `json:"epochs"`
	// LearningRate is the initial step size, decayed as eta0/(1+eta0*L2*t).
	LearningRate float64 `json:"learning_rate"`
	// L2 is the regularization strength lambda.
	L2 float64 `json:"l2"`
	// Seed fixes the example order so training is reproducible.
	Seed uint64 `json:"seed"`
	// BalanceClasses weights examples so both classes count equally.
	BalanceClasses bool `json:"balance_classes"`
	// PruneBelow drops smaller weights when the model is written.
	PruneBelow float32 `json:"prune_below"`
	// NBScale scales every feature by its naive-Bayes log-count ratio
	// before fitting (as in NBSVM) and folds the ratios into the weights,
	// so the model file and scoring are unchanged.
	NBScale bool `json:"nb_scale,omitempty"`
}

// DefaultTrainConfig returns the settings used by tools/train.
func DefaultTrainConfig() TrainConfig {
	return TrainConfig{
		Features:       DefaultFeatureConfig(),
		Epochs:         15,
		LearningRate:   0.5,
		L2:             1e-5,
		Seed:           1,
		BalanceClasses: true,
		PruneBelow:     1e-4,
	}
}

func (c TrainConfig) withDefaults() TrainConfig {
	d := DefaultTrainConfig()
	if c.Features == (FeatureConfig{}) {
		c.Features = d.Features
	}
	if c.Epochs <= 0 {
		c.Epochs = d.Epochs
	}
	if c.LearningRate <= 0 {
		c.LearningRate = d.LearningRate
	}
	if c.L2 <= 0 {
		c.L2 = d.L2
	}
	return c
}

// ErrOneClass is returned when the training data lacks positives or negatives.
var ErrOneClass = errors.New("classifier: training data needs both positive and negative examples")

// Train fits a logistic-regression model on train with L2-regularized SGD,
// then fits Platt calibration on the margins of calib (which must be disjoint
// from train). With an empty or one-class calib the plain sigmoid is kept.
func Train(train, calib []Example, cfg TrainConfig) (*Model, error) {
	cfg = cfg.withDefaults()
	if !cfg.Features.valid() {
		return nil, errors.New("classifier: invalid feature config")
	}
	pos := 0
	for _, e := range train {
		if e.Label {
			pos++
		}
	}
	neg := len(train) - pos
	if pos == 0 || neg == 0 {
		return nil, ErrOneClass
	}
	xs := make([]Vector, len(train))
	for i, e := range train {
		xs[i] = cfg.Features.Vectorize(e.Text)
	}
	var ratio []float64
	if cfg.NBScale {
		ratio = nbRatios(xs, train, 1<<cfg.Features.Bits)
		for i, x := range xs {
			sx := make(Vector, len(x))
			for k, f := range x {
				sx[k] = Feature{Index: f.Index, Value: f.Value * float32(ratio[f.Index])}
			}
			xs[i] = sx
		}
	}
	wPos, wNeg := 1.0, 1.0
	if cfg.BalanceClasses {
		wPos = float64(len(train)) / (2 * float64(pos))
		wNeg = float64(len(train)) / (2 * float64(neg))
	}

	// w = scale * v lets the L2 shrink of every weight be one multiplication.
	v := make([]float64, 1<<cfg.Features.Bits)
	scale, bias := 1.0, 0.0
	order := make([]int, len(train))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x636c6175646974))
	t := 0.0
	for range cfg.Epochs {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			eta := cfg.LearningRate / (1 + cfg.LearningRate*cfg.L2*t)
			t++
			x := xs[i]
			margin := bias
			for _, f := range x {
				margin += scale * v[f.Index] * float64(f.Value)
			}
			y, cw := 0.0, wNeg
			if train[i].Label {
				y, cw = 1, wPos
			}
			g := cw * (sigmoid(margin) - y)
			scale *= 1 - eta*cfg.L2
			if scale < 1e-9 {
				for k := range v {
					v[k] *= scale
				}
				scale = 1
			}
			step := eta * g / scale
			for _, f := range x {
				v[f.Index] -= step * float64(f.Value)
			}
			bias -= eta * g
		}
	}
	m := &Model{Features: cfg.Features, Weights: make([]float32, len(v)), Bias: float32(bias), PlattA: -1, RulePower: 1}
	for k, x := range v {
		if ratio != nil {
			x *= ratio[k]
		}
		m.Weights[k] = float32(scale * x)
	}
	if len(calib) > 0 {
		margins := make([]float64, len(calib))
		labels := make([]bool, len(calib))
		for i, e := range calib {
			margins[i] = m.Margin(cfg.Features.Vectorize(e.Text))
			labels[i] = e.Label
		}
		if a, b, ok := FitPlatt(margins, labels); ok {
			m.PlattA, m.PlattB = float32(a), float32(b)
		}
	}
	return m, nil
}

// nbRatios returns each bucket's log-count ratio: the log of its share of
// the positives' feature mass over its share of the negatives', with
// add-one smoothing.
func nbRatios(xs []Vector, train []Example, size int) []float64 {
	p, q := make([]float64, size), make([]float64, size)
	for k := range p {
		p[k], q[k] = 1, 1
	}
	for i, x := range xs {
		acc := q
		if train[i].Label {
			acc = p
		}
		for _, f := range x {
			acc[f.Index] += math.Abs(float64(f.Value))
		}
	}
	var sp, sq float64
	for k := range p {
		sp += p[k]
		sq += q[k]
	}
	r := make([]float64, size)
	for k := range r {
		r[k] = math.Log((p[k] / sp) / (q[k] / sq))
	}
	return r
}

// FitPlatt fits P(y=1|f) = 1/(1+exp(A*f+B)) by Newton's method with Platt's
// smoothed targets (Lin, Lin and Weng's robust variant). ok is false when the
// labels are all one class or the fit fails to converge.
func FitPlatt(margins []float64, labels []bool) (a, b float64, ok bool) {
	var prior1, prior0 float64
	for _, l := range labels {
		if l {
			prior1++
		} else {
			prior0++
		}
	}
	if prior1 == 0 || prior0 == 0 || len(margins) != len(labels) {
		return 0, 0, false
	}
	hi, lo := (prior1+1)/(prior1+2), 1/(prior0+2)
	target := make([]float64, len(labels))
	for i, l := range labels {
		target[i] = lo
		if l {
			target[i] = hi
		}
	}
	const (
		maxIter = 100
		minStep = 1e-10
		sigma   = 1e-12
		eps     = 1e-5
	)
	a, b = 0, math.Log((prior0+1)/(prior1+1))
	fval := plattLoss(margins, target, a, b)
	for range maxIter {
		h11, h22, h21, g1, g2 := sigma, sigma, 0.0, 0.0, 0.0
		for i, f := range margins {
			fApB := f*a + b
			var p, q float64
			if fApB >= 0 {
				e := math.Exp(-fApB)
				p, q = e/(1+e), 1/(1+e)
			} else {
				e := math.Exp(fApB)
				p, q = 1/(1+e), e/(1+e)
			}
			d2 := p * q
			h11 += f * f * d2
			h22 += d2
			h21 += f * d2
			d1 := target[i] - p
			g1 += f * d1
			g2 += d1
		}
		if math.Abs(g1) < eps && math.Abs(g2) < eps {
			return a, b, true
		}
		det := h11*h22 - h21*h21
		dA := -(h22*g1 - h21*g2) / det
		dB := -(-h21*g1 + h11*g2) / det
		gd := g1*dA + g2*dB
		step := 1.0
		for step >= minStep {
			na, nb := a+step*dA, b+step*dB
			nf := plattLoss(margins, target, na, nb)
			if nf < fval+1e-4*step*gd {
				a, b, fval = na, nb, nf
				break
			}
			step /= 2
		}
		if step < minStep {
			return a, b, !math.IsNaN(a) && !math.IsNaN(b)
		}
	}
	return a, b, !math.IsNaN(a) && !math.IsNaN(b)
}

func plattLoss(margins, target []float64, a, b float64) float64 {
	var f float64
	for i, m := range margins {
		fApB := m*a + b
		if fApB >= 0 {
			f += target[i]*fApB + math.Log1p(math.Exp(-fApB))
		} else {
			f += (target[i]-1)*fApB + math.Log1p(math.Exp(fApB))
		}
	}
	return f
}

// Metrics summarizes a model on labeled data at Threshold.
type Metrics struct {
	N         int     `json:"n"`
	Positives int     `json:"positives"`
	Threshold float64 `json:"threshold"`
	TP        int     `json:"tp"`
	FP        int     `json:"fp"`
	TN        int     `json:"tn"`
	FN        int     `json:"fn"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Accuracy  float64 `json:"accuracy"`
	// FPR is the false-positive rate on negatives.
	FPR float64 `json:"fpr"`
	// AUC is the area under the ROC curve of the calibrated score.
	AUC float64 `json:"auc"`
	// LogLoss is the mean cross-entropy of the calibrated score.
	LogLoss float64 `json:"log_loss"`
}

// Evaluate scores every example and computes Metrics at threshold.
func Evaluate(m *Model, data []Example, threshold float64) Metrics {
	scores := make([]float64, len(data))
	labels := make([]bool, len(data))
	for i, e := range data {
		scores[i] = m.Score(e.Text)
		labels[i] = e.Label
	}
	return MetricsOf(scores, labels, threshold)
}

// MetricsOf computes Metrics from scores in [0,1] and labels.
func MetricsOf(scores []float64, labels []bool, threshold float64) Metrics {
	mt := Metrics{N: len(scores), Threshold: threshold}
	for i, s := range scores {
		pred := s >= threshold
		switch {
		case labels[i] && pred:
			mt.TP++
		case labels[i]:
			mt.FN++
		case pred:
			mt.FP++
		default:
			mt.TN++
		}
		p := math.Min(math.Max(s, 1e-12), 1-1e-12)
		if labels[i] {
			mt.Positives++
			mt.LogLoss -= math.Log(p)
		} else {
			mt.LogLoss -= math.Log(1 - p)
		}
	}
	if mt.N > 0 {
		mt.LogLoss /= float64(mt.N)
		mt.Accuracy = float64(mt.TP+mt.TN) / float64(mt.N)
	}
	mt.Precision = ratio(mt.TP, mt.TP+mt.FP)
	mt.Recall = ratio(mt.TP, mt.TP+mt.FN)
	mt.FPR = ratio(mt.FP, mt.FP+mt.TN)
	if mt.Precision+mt.Recall > 0 {
		mt.F1 = 2 * mt.Precision * mt.Recall / (mt.Precision + mt.Recall)
	}
	mt.AUC = auc(scores, labels)
	return mt
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// auc is the Mann-Whitney statistic with ties counted as one half.
func auc(scores []float64, labels []bool) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		switch {
		case scores[a] < scores[b]:
			return -1
		case scores[a] > scores[b]:
			return 1
		}
		return 0
	})
	var rankSum, pos, neg float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		rank := float64(i+j+1) / 2 // average 1-based rank of the tie group
		for k := i; k < j; k++ {
			if labels[idx[k]] {
				rankSum += rank
				pos++
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return 0
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}
