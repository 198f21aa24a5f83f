package postgres

import (
	"context"
	"testing"
	"time"
)

// TestPartitionKnownOnlyOnceCommitted: a partition created by a transaction
// that rolls back is not remembered, so the next transaction creates it
// again instead of sending that month's rows to the default partition.
func TestPartitionKnownOnlyOnceCommitted(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, NewTestDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	month := []time.Time{time.Date(2024, 5, 10, 0, 0, 0, 0, time.UTC)}
	exists := func() bool {
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_class WHERE relname = 'activities_y2024m05'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.parts.ensure(ctx, tx, "activities", month); err != nil {
		t.Fatal(err)
	}
	// A second page of the same transaction must not trust it either.
	if err := s.parts.ensure(ctx, tx, "activities", month); err != nil {
		t.Fatal(err)
	}
	tx.Rollback()
	if exists() || s.parts.known["activities_y2024m05"] {
		t.Fatal("a rolled-back partition exists or is remembered")
	}

	for range 2 { // created, then seen committed and remembered
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.parts.ensure(ctx, tx, "activities", month); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	if !exists() || !s.parts.known["activities_y2024m05"] {
		t.Fatal("a committed partition is missing or not remembered")
	}
	if _, err := s.DropBefore(ctx, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if s.parts.known["activities_y2024m05"] {
		t.Fatal("a dropped partition is still remembered")
	}
}
