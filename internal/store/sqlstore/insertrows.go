package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"math/bits"
)

// insertRows runs the multi-row INSERT query(k) (k rows of cols values,
// ? placeholders) over rows 0..n-1, perStmt rows at a time, rowArgs
// appending row i's values; done hears of each statement's rows
// [start, end) and how many of them it inserted. With the writer's
// statements reused, the rows left after the full statements go in
// statements of 32, 16, ... 1 rows, each prepared once for all
// transactions; otherwise in one statement of their number.
func (s *Store) insertRows(ctx context.Context, tx *sql.Tx, query func(k int) string, perStmt, cols, n int,
	rowArgs func(i int, args []any) []any, done func(start, end, inserted int) error) error {
	if n == 0 {
		return nil
	}
	stmts := map[int]*sql.Stmt{}
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	args := make([]any, 0, min(n, perStmt)*cols)
	for start := 0; start < n; {
		k := min(perStmt, n-start)
		if s.d.ReuseWriterStmts && k < perStmt {
			k = 1 << (bits.Len(uint(k)) - 1) // the largest power of two <= k
		}
		args = args[:0]
		for i := start; i < start+k; i++ {
			args = rowArgs(i, args)
		}
		var r sql.Result
		var err error
		if st := stmts[k]; st != nil || k == perStmt || s.d.ReuseWriterStmts {
			if st == nil {
				if st, err = s.txStmt(ctx, tx, query(k)); err != nil {
					return fmt.Errorf("rows %d to %d: %w", start+1, start+k, err)
				}
				stmts[k] = st
			}
			r, err = st.ExecContext(ctx, args...)
		} else {
			r, err = tx.ExecContext(ctx, s.q(query(k)), args...)
		}
		if err != nil {
			return fmt.Errorf("rows %d to %d: %w", start+1, start+k, err)
		}
		affected, _ := r.RowsAffected()
		if err := done(start, start+k, int(affected)); err != nil {
			return err
		}
		start += k
	}
	return nil
}

// ingestQueries are the statements a page's transaction runs, which the
// writer prepares once (Dialect.ReuseWriterStmts).
func (s *Store) ingestQueries() []string {
	var qs []string
	for k := activitiesPerInsert; k >= 1; k /= 2 {
		qs = append(qs, s.insertActivities(k))
	}
	for k := messagesPerInsert; k >= 1; k /= 2 {
		qs = append(qs, s.insertMessages(k))
	}
	for k := chatsPerUpsert; k >= 1; k /= 2 {
		qs = append(qs, upsertChats(k))
	}
	for k := fileTextsPerUpsert; k >= 1; k /= 2 {
		qs = append(qs, upsertFileTexts(k))
	}
	for k := filesPerInsert; k >= 1; k /= 2 {
		qs = append(qs, s.insertFiles(k))
	}
	return append(qs, upsertProjectSQL, updateMessageSQL, markMessageRemovedSQL,
		upsertUserSQL, saveCheckpointSQL)
}

// insertIgnoring returns the INSERT of n rows of cols values into table
// (with its column list) that skips the rows whose key is stored already.
// On SQLite (Dialect.InsertOrIgnore) that is INSERT OR IGNORE: no row of
// it can fail another way (every column is bound to a value; no CHECK or
// foreign key), so it can never stop half way, and SQLite keeps no
// statement journal for it. ON CONFLICT DO NOTHING still aborts on other
// constraints, so SQLite copied every page each statement touched first
// into that journal.
func (s *Store) insertIgnoring(table string, cols, n int) string {
	if s.d.InsertOrIgnore {
		return multiRowInsert(`INSERT OR IGNORE INTO `+table+` VALUES `, cols, n, "")
	}
	return multiRowInsert(`INSERT INTO `+table+` VALUES `, cols, n, " ON CONFLICT DO NOTHING")
}
