package classifier

import "github.com/claudit/claudit/internal/policy/detect"

// Hybrid scores text with weighted phrase rules and, when present, a trained
// model. The two are combined by noisy-OR, so a strong phrase or a confident
// model flags on its own and two weak signals add up.
type Hybrid struct {
	Rules *RuleSet
	// Model is nil when no trained model is embedded; scoring is then from
	// the rules alone.
	Model *Model
	// Gate, when set, decides which windows the model scores.
	Gate *Gate
	// Window and MaxWindows bound model scoring of long texts; see
	// Model.ScoreWindows.
	Window, MaxWindows int
	// Short, when set, keeps the model off short texts; see ShortText.
	Short *ShortText
}

// Assessment is the result of Hybrid.Assess.
type Assessment struct {
	Matches   []RuleMatch
	Heuristic float64
	// ModelScore is the calibrated model probability of the best window,
	// ModelStart and ModelEnd its byte span; all zero without a model.
	ModelScore           float64
	ModelStart, ModelEnd int
	// Score is Heuristic without a model, else Model.Combine of both.
	Score float64
}

// Assess scores text; useModel false skips the model even when present.
func (h *Hybrid) Assess(text string, useModel bool) Assessment {
	return h.assess(detect.Input{Text: text}, useModel)
}

// assess is Assess of in.Text, reusing in's lower-casing and keyword index.
func (h *Hybrid) assess(in detect.Input, useModel bool) Assessment {
	var a Assessment
	if h.Rules != nil {
		a.Matches = h.Rules.MatchInput(in)
		a.Heuristic = Combine(a.Matches)
	}
	a.Score = a.Heuristic
	if useModel && h.Model != nil && !h.Short.Silences(in.Text) {
		a.ModelScore, a.ModelStart, a.ModelEnd = h.Model.ScoreGated(in, h.Window, h.MaxWindows, h.Gate)
		a.Score = h.Model.Combine(a.Heuristic, a.ModelScore)
	}
	return a
}

// Keywords returns the rule keywords when there is no model, and nil (run on
// every text) when a model is present, since the model may flag texts that
// contain no keyword.
func (h *Hybrid) Keywords(useModel bool) []string {
	if useModel && h.Model != nil {
		return nil
	}
	if h.Rules == nil {
		return nil
	}
	return h.Rules.Keywords()
}
