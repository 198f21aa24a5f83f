package classifier

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// DataFile is one labeled file a model was trained on, named relative to the
// shared data folder (e.g. "eval/injection.jsonl", "train/negatives.jsonl").
type DataFile struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Rows   int    `json:"rows"`
	// Used says which rows of the file were used, e.g. "train+calibration
	// splits" or "all rows".
	Used string `json:"used"`
}

// Manifest is the provenance record written beside every embedded model by
// the command that trains it (`make models`): what data, which seed, which
// command, and how the model did on the held-out test split.
type Manifest struct {
	Model       string     `json:"model"`
	ModelSHA256 string     `json:"model_sha256"`
	ModelBytes  int        `json:"model_bytes"`
	Command     string     `json:"command"`
	Seed        uint64     `json:"seed"`
	SplitRule   string     `json:"split_rule"`
	Data        []DataFile `json:"data"`
	// Method names the model family and its features in a sentence.
	Method string `json:"method"`
	// Test holds the figures on the test split rows of ../shared/eval that
	// the trainer measured, keyed by name (e.g. "f1", "recall").
	Test map[string]float64 `json:"test"`
	// Extra holds model-specific settings (thresholds, hyper-parameters).
	Extra map[string]any `json:"extra,omitempty"`
}

// HashFile returns the hex sha256 of a file's bytes.
func HashFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return HashBytes(b), nil
}

// HashBytes returns the hex sha256 of b.
func HashBytes(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ErrNoData is returned by Manifest.Check when none of the manifest's data
// files exists under the shared folder, so the data side cannot be checked.
var ErrNoData = errors.New("classifier: training data not present")

// ParseManifest decodes a manifest JSON file.
func ParseManifest(b []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parse manifest: %w", err)
	}
	if m.Model == "" || m.ModelSHA256 == "" || len(m.Data) == 0 {
		return nil, errors.New("parse manifest: model, model_sha256 and data are required")
	}
	return &m, nil
}

// Check verifies that model is the file the manifest describes and that
// every data file it names under sharedDir has the recorded sha256. It
// returns ErrNoData (wrapped) when sharedDir holds none of the files.
func (m *Manifest) Check(model []byte, sharedDir string) error {
	if got := HashBytes(model); got != m.ModelSHA256 {
		return fmt.Errorf("model %s: sha256 %s, manifest says %s: rebuild with `make models`", m.Model, got, m.ModelSHA256)
	}
	present := 0
	for _, d := range m.Data {
		got, err := HashFile(filepath.Join(sharedDir, filepath.FromSlash(d.Path)))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		present++
		if got != d.SHA256 {
			return fmt.Errorf("model %s: data %s has sha256 %s, the model was trained on %s: rebuild with `make models`", m.Model, d.Path, got, d.SHA256)
		}
	}
	if present == 0 {
		return fmt.Errorf("%w under %s", ErrNoData, sharedDir)
	}
	return nil
}

// SharedDir finds the shared data folder for tests and tools: $CLAUDIT_SHARED
// when set, else "shared" beside the module root (the folder holding go.mod,
// searched upward from the working directory).
func SharedDir() string {
	if d := os.Getenv("CLAUDIT_SHARED"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return filepath.Join("..", "shared")
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(dir), "shared")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return filepath.Join("..", "shared")
		}
		dir = parent
	}
}
