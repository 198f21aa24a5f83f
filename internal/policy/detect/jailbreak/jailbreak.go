// Package jailbreak registers the "jailbreak" detector: attempts to talk the
// model out of its safety rules, such as DAN-style "do anything now"
// prompts, developer or unrestricted modes, amoral personas, dual-answer
// formats and demands never to refuse.
//
// It scores text with the weighted phrase rules in rules.yaml and, when
// model/model.bin is present (trained by tools/train), with a hashed n-gram
// logistic-regression model; see package classifier. Findings have entity
// JAILBREAK.
package jailbreak

import (
	"embed"

	"github.com/claudit/claudit/internal/policy/classifier"
	"github.com/claudit/claudit/internal/policy/classifier/gate"
	"github.com/claudit/claudit/internal/policy/detect"
)

// ID is the registered detector id.
const ID = "jailbreak"

// Entity is the Finding entity.
const Entity = "JAILBREAK"

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
