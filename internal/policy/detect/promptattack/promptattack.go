// Package promptattack registers the prompt-attack detectors, one
// parameterized hybrid classifier (package classifier: weighted phrase
// rules and, when trained, a hashed n-gram logistic-regression model)
// serving two kinds:
//
//   - "injection": prompt-injection attempts such as instruction overrides,
//     system-prompt extraction, chat-template delimiter injection and
//     instructions planted in documents or tool output for an AI to read;
//     findings have entity PROMPT_INJECTION.
//   - "jailbreak": attempts to talk the model out of its safety rules, such
//     as DAN-style "do anything now" prompts, developer or unrestricted
//     modes, amoral personas, dual-answer formats and demands never to
//     refuse; findings have entity JAILBREAK.
//
// Each kind's data (rules.yaml and the model/ folder tools/train writes)
// stays in the data package named after its detector id,
// policy/detect/injection and policy/detect/jailbreak.
package promptattack

import (
	"io/fs"

	"github.com/claudit/claudit/internal/policy/classifier"
	"github.com/claudit/claudit/internal/policy/classifier/gate"
	"github.com/claudit/claudit/internal/policy/detect"
	"github.com/claudit/claudit/internal/policy/detect/injection"
	"github.com/claudit/claudit/internal/policy/detect/jailbreak"
)

// Detector ids and finding entities.
const (
	InjectionID     = "injection"
	InjectionEntity = "PROMPT_INJECTION"
	JailbreakID     = "jailbreak"
	JailbreakEntity = "JAILBREAK"
)

// ModelPath is where a kind's model lives in its Files.
const ModelPath = "model/model.bin"

// Kind is one prompt-attack detector: its id, entity and data.
type Kind struct {
	ID, Entity string
	// Rules is the YAML rule file; Files holds the optional model at ModelPath.
	Rules []byte
	Files fs.FS
	// ShortTerms, when set, are the words that let the model score a short
	// text; see classifier.ShortText.
	ShortTerms []byte

	assets func() (classifier.Assets, error)
}

// Kinds are the registered detectors.
var Kinds = []*Kind{
	newKind(InjectionID, InjectionEntity, injection.Rules, injection.Model, nil),
	newKind(JailbreakID, JailbreakEntity, jailbreak.Rules, jailbreak.Model, jailbreak.ShortTerms),
}

// Short texts: fewer than shortWords words and shortBytes bytes.
const shortWords, shortBytes = 20, 200

func newKind(id, entity string, rules []byte, files fs.FS, shortTerms []byte) *Kind {
	k := &Kind{ID: id, Entity: entity, Rules: rules, Files: files, ShortTerms: shortTerms}
	k.assets = classifier.Loader(k.spec())
	return k
}

func (k *Kind) spec() classifier.Spec {
	spec := classifier.Spec{ID: k.ID, Entity: k.Entity, Rules: k.Rules, Files: k.Files, ModelPath: ModelPath, Gate: gate.Load}
	if k.ShortTerms != nil {
		spec.Short = func() (*classifier.ShortText, error) {
			return classifier.ParseShortText(shortWords, shortBytes, k.ShortTerms)
		}
	}
	return spec
}

// Assets returns the kind's parsed rules and model, loaded once.
func (k *Kind) Assets() (classifier.Assets, error) { return k.assets() }

// Params are the policy parameters both detectors read; a policy with any
// other field, or a value of another type, fails validation.
type Params struct {
	Threshold  float64 `yaml:"threshold"`
	UseModel   bool    `yaml:"use_model"`
	MaxWindows int     `yaml:"max_windows"`
}

func init() {
	for _, k := range Kinds {
		detect.RegisterParams(k.ID, Params{})
		detect.Register(k.ID, k.New)
	}
}

// New builds the kind's detector; see classifier.HybridDetector for its params.
func (k *Kind) New(p detect.Params) (detect.Detector, error) {
	a, err := k.assets()
	if err != nil {
		return nil, err
	}
	return classifier.NewHybridDetector(k.spec(), a, p)
}
