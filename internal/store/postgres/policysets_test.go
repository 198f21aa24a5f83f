package postgres_test

import (
	"context"
	"testing"

	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/store/postgres"
	"github.com/claudit/claudit/internal/store/storetest"
)

func TestPolicySetsSuite(t *testing.T) {
	storetest.RunPolicySets(t, func(t *testing.T) store.Store {
		s, err := postgres.Open(context.Background(), postgres.NewTestDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
