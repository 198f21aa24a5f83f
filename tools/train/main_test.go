package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/policy/classifier"
)

// writeSynthetic writes a generated toy data set; no evaluation rows are used.
func writeSynthetic(t *testing.T, dir, name string, n int) {
	t.Helper()
	var b strings.Builder
	for i := range n {
		text := fmt.Sprintf("note %d about the garden and the weather today", i)
		label := i%2 == 0
		if label {
			text = fmt.Sprintf("note %d zorblax quenfit override the garden rules", i)
		}
		row, _ := json.Marshal(map[string]any{"text": text, "label": label, "source": "synthetic", "license": "CC0"})
		b.Write(row)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRun(t *testing.T) {
	data := t.TempDir()
	writeSynthetic(t, data, "injection.jsonl", 400)
	out := filepath.Join(t.TempDir(), "internal/policy/detect/injection/model/model.bin")
	if err := run([]string{"--data", data, "--out", out, "--bits", "12", "--epochs", "4", "--date", "2026-01-02"}, io.Discard); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	m, err := classifier.UnmarshalModel(b)
	if err != nil {
		t.Fatal(err)
	}
	if p := m.Score("note 9999 zorblax quenfit override the garden rules"); p < 0.5 {
		t.Errorf("positive-looking text scored %v", p)
	}
	pj, err := os.ReadFile(strings.TrimSuffix(out, ".bin") + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var prov Provenance
	if err := json.Unmarshal(pj, &prov); err != nil {
		t.Fatal(err)
	}
	if prov.Category != "injection" || prov.Created != "2026-01-02" || len(prov.Sources) != 1 || prov.Sources[0].Rows != 400 {
		t.Fatalf("provenance = %+v", prov)
	}
	total := prov.SplitRows["train"] + prov.SplitRows["calibration"] + prov.SplitRows["test"]
	if total != 400 || prov.SplitRows["test"] == 0 || prov.TestMetrics.N != prov.SplitRows["test"] {
		t.Fatalf("split rows = %v, test metrics n = %d", prov.SplitRows, prov.TestMetrics.N)
	}
	if prov.TestMetrics.AUC < 0.95 {
		t.Errorf("test AUC = %v", prov.TestMetrics.AUC)
	}
}

func TestRunErrors(t *testing.T) {
	empty := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no out", []string{"--data", empty}, "--out is required"},
		{"no data", []string{"--data", empty, "--out", filepath.Join(empty, "jailbreak/model.bin")}, "no training data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(tt.args, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestCategoryFromPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"internal/policy/detect/injection/model/model.bin", "injection"},
		{"internal/policy/detect/jailbreak/model.bin", "jailbreak"},
		{"/tmp/x/jailbreak/model/model.bin", "jailbreak"},
		{"out/injection/m.bin", "injection"},
	}
	for _, tt := range tests {
		if got := categoryFromPath(tt.in); got != tt.want {
			t.Errorf("categoryFromPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
