package classifier

import "github.com/claudit/claudit/internal/policy/detect"

// Gate is a cheap model in front of the costly ones. It sees only the word
// uni- and bigrams of the normalized text, a fifth of the features of a full
// model, and was trained (tools/train) on the positives of every category
// with its operating point set so that nearly all of them pass. A window the
// gate keeps closed is not featurized for the full models, which is what
// makes ordinary chat cheap to scan.
type Gate struct {
	// Model's bias is shifted so that a margin of 0 is the operating point.
	Model *Model
}

// Open reports whether in.Text[start:end] may be positive for any of the
// gated models. A nil gate, or one without a model, is always open.
func (g *Gate) Open(in detect.Input, start, end int) bool {
	if g == nil || g.Model == nil {
		return true
	}
	return g.Model.Margin(g.Model.Features.vectorOf(in, start, end)) >= 0
}
