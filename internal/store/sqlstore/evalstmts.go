package sqlstore

import (
	"context"
	"sync"
	"sync/atomic"
)

// Evaluation's statements are prepared once on the writer too
// (Dialect.ReuseWriterStmts), like ingest's: each transaction of a drain
// prepared its own (the DELETE, the findings INSERTs, the marks, the alert
// statements), some 70 KB of SQL parsed per batch, about a tenth of the
// CPU of saving evaluations. For that the statements have a few shapes:
// IN lists are evalsPerStatement long or a power of two (inListLen; a
// shorter list repeats its last value, which selects nothing more), and
// findings are inserted findingsPerInsert rows at a time, the rest in
// halving chunks.

// evalStmts is whether evalQueries are prepared on the writer.
type evalStmts struct {
	mu   sync.Mutex // one warm-up at a time
	warm atomic.Bool
}

// warmEvalStmts prepares evalQueries on the writer pool once. Like
// warmWriterStmts it must not run inside a write transaction.
func (s *Store) warmEvalStmts(ctx context.Context) error {
	if !s.d.ReuseWriterStmts || s.es.warm.Load() {
		return nil
	}
	s.es.mu.Lock()
	defer s.es.mu.Unlock()
	if s.es.warm.Load() {
		return nil
	}
	if err := s.prepareOnWriter(ctx, s.evalQueries()); err != nil {
		return err
	}
	s.es.warm.Store(true)
	return nil
}

// evalQueries are the statements saving evaluations and raising alerts runs.
func (s *Store) evalQueries() []string {
	var qs []string
	for k := findingsPerInsert; k >= 1; k /= 2 {
		qs = append(qs, s.insertFindingsSQL(k))
	}
	for n := 1; n <= evalsPerStatement; n = inListLen(n + 1) {
		qs = append(qs, clearFindingsSQL+inList(n))
		for _, t := range []string{"messages", "activities"} {
			set := s.markSet(t)
			qs = append(qs, set+markByRowIDWhere(n), set+markByIDWhere+inList(n))
		}
		if n == evalsPerStatement {
			break
		}
	}
	return append(qs, openAlertIDSQL, s.orFail(`INSERT`)+insertAlertSQL, s.orFail(`INSERT`)+linkAlertEventSQL, linkAlertEventIgnoringSQL,
		countAlertEventSQL, alertByIDSQL)
}

// inListLen is the length of the IN list that holds n values (1 to
// evalsPerStatement): evalsPerStatement, or the power of two at or above
// n below it.
func inListLen(n int) int {
	k := 1
	for k < n {
		k *= 2
	}
	return min(k, evalsPerStatement)
}

// inList is a parenthesised list of n placeholders.
func inList(n int) string { return "(" + placeholders(n) + ")" }

// padded is list extended to n values by repeating its last one; an IN
// list of them selects the same rows.
func padded(list []any, n int) []any {
	for len(list) < n {
		list = append(list, list[len(list)-1])
	}
	return list
}
