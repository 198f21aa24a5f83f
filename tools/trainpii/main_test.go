package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/claudit/claudit/internal/policy/classifier"
	"github.com/claudit/claudit/internal/policy/detect/pii"
)

// TestDeterministic trains twice and wants identical model and manifest
// bytes, equal to the committed files.
func TestDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the model twice")
	}
	shared := classifier.SharedDir()
	if _, err := os.Stat(filepath.Join(shared, filepath.FromSlash(dataPath))); err != nil {
		t.Skipf("shared data not present: %v", err)
	}
	var outs [2][]byte
	for i := range outs {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(filepath.FromSlash(pii.ModelPath))), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := run([]string{"--data", shared, "--out", dir}, io.Discard); err != nil {
			t.Fatal(err)
		}
		model, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(pii.ModelPath)))
		if err != nil {
			t.Fatal(err)
		}
		man, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(pii.ManifestPath)))
		if err != nil {
			t.Fatal(err)
		}
		outs[i] = append(model, man...)
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Fatal("two runs gave different files")
	}
	root := filepath.Join("..", "..")
	model, _ := os.ReadFile(filepath.Join(root, filepath.FromSlash(pii.ModelPath)))
	man, _ := os.ReadFile(filepath.Join(root, filepath.FromSlash(pii.ManifestPath)))
	if !bytes.Equal(outs[0], append(model, man...)) {
		t.Error("committed model or manifest differ from a fresh run: rebuild with `go run ./tools/trainpii`")
	}
}

func TestCommonWords(t *testing.T) {
	got := commonWords([]string{"the cat sat", "The dog sat", "a cat and the Hat"}, 2)
	want := []string{"cat", "sat", "the"}
	if len(got) != len(want) {
		t.Fatalf("commonWords = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("commonWords = %q, want %q", got, want)
		}
	}
}
