package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/store/sqlite"
	"github.com/claudit/claudit/internal/store/storetest"
)

func TestStoreSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "claudit.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "claudit.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	in := &store.Integration{Name: "acme", BaseURL: "http://x"}
	if err := s.UpsertIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Integration(ctx, "acme"); err != nil {
		t.Fatalf("migrations re-ran or data lost: %v", err)
	}
}
