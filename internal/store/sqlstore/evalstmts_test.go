package sqlstore

import "testing"

// Every IN list execIn and markByRowID run is one of the shapes
// evalQueries prepares.
func TestInListLen(t *testing.T) {
	shapes := map[int]bool{}
	for n := 1; n <= evalsPerStatement; n = inListLen(n + 1) {
		shapes[n] = true
		if n == evalsPerStatement {
			break
		}
	}
	for n := 1; n <= evalsPerStatement; n++ {
		k := inListLen(n)
		if k < n || !shapes[k] {
			t.Fatalf("inListLen(%d) = %d, not a prepared shape holding %d values (shapes %v)", n, k, n, shapes)
		}
	}
	if len(shapes) != 8 {
		t.Fatalf("shapes %v", shapes)
	}
}
