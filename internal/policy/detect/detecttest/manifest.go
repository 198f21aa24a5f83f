package detecttest

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/policy/classifier"
)

// CheckModelManifest fails when the embedded model at modelPath is not the
// file its manifest (the same path ending in .json) describes, or when the
// training data the manifest names has changed since: either way the model
// must be rebuilt with `make models`. It skips, saying why, only when none of
// the data files is present (a checkout without ../shared).
func CheckModelManifest(t *testing.T, fsys fs.FS, modelPath string) {
	t.Helper()
	model, err := fs.ReadFile(fsys, modelPath)
	if err != nil {
		t.Fatalf("read embedded model: %v", err)
	}
	mj, err := fs.ReadFile(fsys, strings.TrimSuffix(modelPath, ".bin")+".json")
	if err != nil {
		t.Fatalf("read manifest: %v", err)
	}
	m, err := classifier.ParseManifest(mj)
	if err != nil {
		t.Fatal(err)
	}
	err = m.Check(model, classifier.SharedDir())
	if errors.Is(err, classifier.ErrNoData) {
		t.Skipf("manifest of %s not checked against its data: %v (set CLAUDIT_SHARED to the shared folder)", modelPath, err)
	}
	if err != nil {
		t.Fatal(err)
	}
}
