package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/store/sqlite"
	"github.com/claudit/claudit/internal/store/storetest"
)

func TestPolicySetsSuite(t *testing.T) {
	storetest.RunPolicySets(t, func(t *testing.T) store.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "claudit.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
