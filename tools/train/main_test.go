package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/policy/classifier"
)

// writeSynthetic writes a generated toy data set; no labeled rows are used.
func writeSynthetic(t *testing.T, path string, n, offset int) {
	t.Helper()
	var b strings.Builder
	for i := range n {
		text := fmt.Sprintf("note %d about the garden and the weather today", i+offset)
		label := i%2 == 0
		if label {
			text = fmt.Sprintf("note %d zorblax quenfit override the garden rules", i+offset)
		}
		row, _ := json.Marshal(map[string]any{"text": text, "label": label, "source": "synthetic", "license": "CC0"})
		b.Write(row)
		b.WriteByte('\n')
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRunIsReproducible trains twice on the same data and expects the same
// bytes, a manifest that matches model and data, and a working model.
func TestRunIsReproducible(t *testing.T) {
	shared := t.TempDir()
	writeSynthetic(t, filepath.Join(shared, "eval/injection.jsonl"), 400, 0)
	writeSynthetic(t, filepath.Join(shared, "train/injection.jsonl"), 200, 1000)
	writeSynthetic(t, filepath.Join(shared, "train/negatives.jsonl"), 0, 0)
	var outs [2][]byte
	for i := range outs {
		root := t.TempDir()
		args := []string{"--shared", shared, "--root", root, "--category", "injection", "--bits", "12", "--epochs", "3"}
		if err := run(args, io.Discard); err != nil {
			t.Fatal(err)
		}
		model := filepath.Join(root, Categories[0].Out)
		b, err := os.ReadFile(model)
		if err != nil {
			t.Fatal(err)
		}
		outs[i] = b
		mj, err := os.ReadFile(strings.TrimSuffix(model, ".bin") + ".json")
		if err != nil {
			t.Fatal(err)
		}
		man, err := classifier.ParseManifest(mj)
		if err != nil {
			t.Fatal(err)
		}
		if err := man.Check(b, shared); err != nil {
			t.Fatal(err)
		}
		m, err := classifier.UnmarshalModel(b)
		if err != nil {
			t.Fatal(err)
		}
		if p := m.Score("note 9999 zorblax quenfit override the garden rules"); p < 0.5 {
			t.Errorf("positive-looking text scored %v", p)
		}
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Fatal("two runs on the same data wrote different model files")
	}
}

func TestRunErrors(t *testing.T) {
	if err := run([]string{"--shared", t.TempDir(), "--category", "injection", "--dry-run"}, io.Discard); err == nil || !strings.Contains(err.Error(), "no training data") {
		t.Fatalf("err = %v, want a missing-data error", err)
	}
	if err := run([]string{"--category", "nope"}, io.Discard); err == nil {
		t.Fatal("unknown category accepted")
	}
}

// TestGateTraining trains the gate on toy data of every category and checks
// its manifest and that it passes the positives it was placed for.
func TestGateTraining(t *testing.T) {
	shared := t.TempDir()
	for i, c := range Categories {
		writeSynthetic(t, filepath.Join(shared, "eval", c.Name+".jsonl"), 200, i*10000)
		writeSynthetic(t, filepath.Join(shared, "train", c.Name+".jsonl"), 100, i*10000+5000)
	}
	writeSynthetic(t, filepath.Join(shared, "train/negatives.jsonl"), 0, 0)
	root := t.TempDir()
	if err := run([]string{"--shared", shared, "--root", root, "--category", "gate"}, io.Discard); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(root, GateOut)
	b, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	mj, err := os.ReadFile(strings.TrimSuffix(model, ".bin") + ".json")
	if err != nil {
		t.Fatal(err)
	}
	man, err := classifier.ParseManifest(mj)
	if err != nil {
		t.Fatal(err)
	}
	if err := man.Check(b, shared); err != nil {
		t.Fatal(err)
	}
	m, err := classifier.UnmarshalModel(b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Features.CharMax != 0 {
		t.Errorf("gate features %+v, want no character n-grams", m.Features)
	}
	if x := m.Margin(m.Features.Vectorize("note 7 zorblax quenfit override the garden rules")); x < 0 {
		t.Errorf("gate closed for a positive (margin %.3f)", x)
	}
}

func TestOperatingPoint(t *testing.T) {
	inf := math.Inf(1)
	// Four positives above two negatives: the best point flags the four.
	scores := []float64{5, 4, 3, 2, 1, 0}
	labels := []bool{true, true, true, true, false, false}
	if th, ok := operatingPoint(scores, labels, 0); !ok || th != 1.5 {
		t.Errorf("got %v %v, want 1.5 true", th, ok)
	}
	// A negative flagged by the rules alone (+Inf) breaks a zero budget.
	if _, ok := operatingPoint([]float64{inf, 3, 2}, []bool{false, true, false}, 0); ok {
		t.Error("a +Inf negative fit a zero budget")
	}
	// With budget for it, the point still places the finite rows.
	if th, ok := operatingPoint([]float64{inf, 3, 2}, []bool{false, true, false}, 0.5); !ok || th != 2.5 {
		t.Errorf("got %v %v, want 2.5 true", th, ok)
	}
	// When even the top row is a negative over budget, nothing is flagged.
	if th, ok := operatingPoint([]float64{3, 2}, []bool{false, true}, 0); !ok || th <= 3 {
		t.Errorf("got %v %v, want above 3 and true", th, ok)
	}
}
