// Package injection registers the "injection" detector: prompt-injection
// attempts such as instruction overrides, system-prompt extraction,
// chat-template delimiter injection and instructions planted in documents or
// tool output for an AI to read.
//
// It scores text with the weighted phrase rules in rules.yaml and, when
// model/model.bin is present (trained by tools/train), with a hashed n-gram
// logistic-regression model; see package classifier. Findings have entity
// PROMPT_INJECTION.
package injection

import (
	"embed"

	"github.com/claudit/claudit/internal/policy/classifier"
	"github.com/claudit/claudit/internal/policy/classifier/gate"
	"github.com/claudit/claudit/internal/policy/detect"
)

// ID is the registered detector id.
const ID = "injection"

// Entity is the Finding entity.
const Entity = "PROMPT_INJECTION"

//go:embed rules.yaml
var rules []byte

// The model folder always holds a README, so the embed works before any
// model has been trained.
//
//go:embed model
var modelFiles embed.FS

var spec = classifier.Spec{ID: ID, Entity: Entity, Rules: rules, Files: modelFiles, ModelPath: "model/model.bin", Gate: gate.Load}

var assets = classifier.Loader(spec)

// Params are the policy parameters this detector reads; a policy with any
// other field, or a value of another type, fails validation.
type Params struct {
	Threshold  float64 `yaml:"threshold"`
	UseModel   bool    `yaml:"use_model"`
	MaxWindows int     `yaml:"max_windows"`
}

func init() {
	detect.RegisterParams(ID, Params{})
	detect.Register(ID, New)
}

// New builds the detector; see classifier.HybridDetector for its params.
func New(p detect.Params) (detect.Detector, error) {
	a, err := assets()
	if err != nil {
		return nil, err
	}
	return classifier.NewHybridDetector(spec, a, p)
}
