// Command train fits the prompt-injection or jailbreak classifier on the
// labeled JSONL files in an evaluation folder and writes the model file that
// the detector embeds, plus a provenance JSON beside it.
//
//	go run ./tools/train --data ../shared/eval --out internal/policy/detect/injection/model/model.bin
//
// The category (and so the input file, <category>.jsonl) defaults to the
// detector package named in --out. Rows are split into train, calibration and
// test parts by a hash of their text (classifier.SplitRule); the model sees
// only the train part, Platt calibration only the calibration part, and the
// reported metrics come from the test part alone.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/policy/classifier"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		slog.Error("train", "err", err)
		os.Exit(1)
	}
}

// SourceFile describes one input file.
type SourceFile struct {
	File      string `json:"file"`
	SHA256    string `json:"sha256"`
	Rows      int    `json:"rows"`
	Positives int    `json:"positives"`
	Negatives int    `json:"negatives"`
}

// Provenance is written next to the model so anyone can tell what it was
// trained on and how well it did on data it never saw.
type Provenance struct {
	Category    string                 `json:"category"`
	Created     string                 `json:"created"`
	Command     string                 `json:"command"`
	Sources     []SourceFile           `json:"sources"`
	RowSources  map[string]int         `json:"row_sources"`
	Licenses    map[string]int         `json:"licenses"`
	SplitRule   string                 `json:"split_rule"`
	SplitRows   map[string]int         `json:"split_rows"`
	Config      classifier.TrainConfig `json:"config"`
	PlattA      float32                `json:"platt_a"`
	PlattB      float32                `json:"platt_b"`
	TestMetrics classifier.Metrics     `json:"test_metrics"`
	CalMetrics  *classifier.Metrics    `json:"calibration_metrics,omitempty"`
	ModelFile   string                 `json:"model_file"`
	ModelSHA256 string                 `json:"model_sha256"`
	ModelBytes  int                    `json:"model_bytes"`
	NonZero     int                    `json:"nonzero_weights"`
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	def := classifier.DefaultTrainConfig()
	data := fs.String("data", "../shared/eval", "folder with labeled <category>.jsonl files")
	out := fs.String("out", "", "model file to write, e.g. internal/policy/detect/injection/model/model.bin")
	category := fs.String("category", "", "data category; default: the detector package named in --out")
	files := fs.String("files", "", "comma-separated JSONL files in --data to use instead of <category>.jsonl")
	epochs := fs.Int("epochs", def.Epochs, "SGD epochs")
	l2 := fs.Float64("l2", def.L2, "L2 regularization strength")
	lr := fs.Float64("lr", def.LearningRate, "initial learning rate")
	bits := fs.Int("bits", int(def.Features.Bits), "log2 of the hash buckets")
	threshold := fs.Float64("threshold", 0.5, "score threshold for the reported metrics")
	created := fs.String("date", time.Now().UTC().Format(time.DateOnly), "date recorded in the provenance file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("--out is required, e.g. --out internal/policy/detect/injection/model/model.bin")
	}
	if *category == "" {
		*category = categoryFromPath(*out)
	}
	names := []string{*category + ".jsonl"}
	if *files != "" {
		names = strings.Split(*files, ",")
	}

	prov := Provenance{
		Category:   *category,
		Created:    *created,
		Command:    "go run ./tools/train " + strings.Join(args, " "),
		RowSources: map[string]int{},
		Licenses:   map[string]int{},
		SplitRule:  classifier.SplitRule,
	}
	var rows []classifier.Row
	for _, name := range names {
		path := filepath.Join(*data, strings.TrimSpace(name))
		b, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("no training data at %s: add the labeled file (see %s/README.md) or pass --files", path, *data)
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		rs, err := classifier.ReadRows(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("parse %s: %w", path, err)
		}
		sum := sha256.Sum256(b)
		sf := SourceFile{File: filepath.Base(path), SHA256: hex.EncodeToString(sum[:]), Rows: len(rs)}
		for _, r := range rs {
			if r.Label {
				sf.Positives++
			} else {
				sf.Negatives++
			}
			prov.RowSources[r.Source]++
			prov.Licenses[r.License]++
		}
		prov.Sources = append(prov.Sources, sf)
		rows = append(rows, rs...)
	}

	train, calib, test := classifier.SplitRows(rows)
	prov.SplitRows = map[string]int{"train": len(train), "calibration": len(calib), "test": len(test)}
	cfg := def
	cfg.Epochs, cfg.L2, cfg.LearningRate, cfg.Features.Bits = *epochs, *l2, *lr, uint8(*bits)
	prov.Config = cfg
	fmt.Fprintf(stdout, "%s: %d rows → train %d, calibration %d, test %d\n", *category, len(rows), len(train), len(calib), len(test))

	m, err := classifier.Train(train, calib, cfg)
	if err != nil {
		return fmt.Errorf("train %s: %w", *category, err)
	}
	prov.PlattA, prov.PlattB = m.PlattA, m.PlattB
	prov.TestMetrics = classifier.Evaluate(m, test, *threshold)
	if len(calib) > 0 {
		cm := classifier.Evaluate(m, calib, *threshold)
		prov.CalMetrics = &cm
	}

	var buf bytes.Buffer
	if err := m.WriteTo(&buf, cfg.PruneBelow); err != nil {
		return err
	}
	// Count what survived pruning from the file itself.
	saved, err := classifier.UnmarshalModel(buf.Bytes())
	if err != nil {
		return fmt.Errorf("re-read model: %w", err)
	}
	for _, w := range saved.Weights {
		if w != 0 {
			prov.NonZero++
		}
	}
	sum := sha256.Sum256(buf.Bytes())
	prov.ModelFile = filepath.Base(*out)
	prov.ModelSHA256 = hex.EncodeToString(sum[:])
	prov.ModelBytes = buf.Len()

	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return fmt.Errorf("create model folder: %w", err)
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	pj, err := json.MarshalIndent(prov, "", "  ")
	if err != nil {
		return fmt.Errorf("encode provenance: %w", err)
	}
	provPath := provenancePath(*out)
	if err := os.WriteFile(provPath, append(pj, '\n'), 0o644); err != nil {
		return fmt.Errorf("write provenance: %w", err)
	}
	mt := prov.TestMetrics
	fmt.Fprintf(stdout, "test: n=%d auc=%.4f precision=%.4f recall=%.4f f1=%.4f fpr=%.4f logloss=%.4f\n",
		mt.N, mt.AUC, mt.Precision, mt.Recall, mt.F1, mt.FPR, mt.LogLoss)
	fmt.Fprintf(stdout, "wrote %s (%d bytes, %d weights) and %s\n", *out, prov.ModelBytes, prov.NonZero, provPath)
	return nil
}

// categoryFromPath finds the detector package in a path such as
// internal/policy/detect/injection/model/model.bin.
func categoryFromPath(out string) string {
	parts := strings.Split(filepath.ToSlash(filepath.Clean(out)), "/")
	if i := slices.Index(parts, "detect"); i >= 0 && i+1 < len(parts)-1 {
		return parts[i+1]
	}
	dir := filepath.Base(filepath.Dir(out))
	if dir == "model" {
		dir = filepath.Base(filepath.Dir(filepath.Dir(out)))
	}
	return dir
}

// provenancePath is the model path with its extension replaced by .json.
func provenancePath(out string) string {
	return strings.TrimSuffix(out, filepath.Ext(out)) + ".json"
}
