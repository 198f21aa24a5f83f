package evalharness

// Counts is a confusion matrix.
type Counts struct {
	TP, FP, FN, TN int
}

func (c *Counts) add(gold, pred bool) {
	switch {
	case gold && pred:
		c.TP++
	case !gold && pred:
		c.FP++
	case gold && !pred:
		c.FN++
	default:
		c.TN++
	}
}

func (c *Counts) plus(o Counts) {
	c.TP += o.TP
	c.FP += o.FP
	c.FN += o.FN
	c.TN += o.TN
}

// Metrics are a confusion matrix and the rates derived from it. A rate
// whose denominator is zero is nil (JSON null) rather than a made-up 0 or 1.
type Metrics struct {
	Rows      int      `json:"rows"`
	TP        int      `json:"tp"`
	FP        int      `json:"fp"`
	FN        int      `json:"fn"`
	TN        int      `json:"tn"`
	Precision *float64 `json:"precision"`
	Recall    *float64 `json:"recall"`
	F1        *float64 `json:"f1"`
	FPR       *float64 `json:"fpr"`
}

// NewMetrics derives precision, recall, F1 and false-positive rate from c.
func NewMetrics(rows int, c Counts) Metrics {
	m := Metrics{Rows: rows, TP: c.TP, FP: c.FP, FN: c.FN, TN: c.TN,
		Precision: ratio(c.TP, c.TP+c.FP),
		Recall:    ratio(c.TP, c.TP+c.FN),
		FPR:       ratio(c.FP, c.FP+c.TN),
	}
	if m.Precision != nil && m.Recall != nil {
		f1 := 0.0
		if p, r := *m.Precision, *m.Recall; p+r > 0 {
			f1 = 2 * p * r / (p + r)
		}
		m.F1 = &f1
	}
	return m
}

func ratio(num, den int) *float64 {
	if den == 0 {
		return nil
	}
	f := float64(num) / float64(den)
	return &f
}
