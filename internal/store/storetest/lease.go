package storetest

import (
	"context"
	"testing"

	"github.com/claudit/claudit/internal/store"
)

// testLeaseAndCompactLog: a store one process owns needs no election (a nil
// lease, ok); a shared one hands out a lease that confirms until released.
// CompactLog succeeds on both.
func testLeaseAndCompactLog(t *testing.T, s store.Store) {
	ctx := context.Background()
	l, ok, err := s.TryLeader(ctx, 7_300_001)
	if err != nil || !ok {
		t.Fatalf("TryLeader: ok %v, err %v", ok, err)
	}
	switch s.Backend() {
	case "sqlite":
		if l != nil {
			t.Errorf("SQLite lease %v, want none", l)
		}
	default:
		if l == nil {
			t.Fatal("a shared store gave no lease")
		}
		if err := l.Confirm(ctx); err != nil {
			t.Errorf("Confirm while held: %v", err)
		}
		l.Release()
		l.Release()
		if err := l.Confirm(ctx); err == nil {
			t.Error("Confirm after Release succeeded")
		}
	}
	if err := s.CompactLog(ctx); err != nil {
		t.Errorf("CompactLog: %v", err)
	}
}
