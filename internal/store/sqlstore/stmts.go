package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
)

// txStmts prepares each statement once per transaction. Evaluation runs
// the same few statements for every event and finding of a batch, and
// parsing them again each time was a sixth of its CPU on SQLite.
type txStmts struct {
	s    *Store
	tx   *sql.Tx
	byQL map[string]*sql.Stmt
}

func (s *Store) stmts(tx *sql.Tx) *txStmts {
	return &txStmts{s: s, tx: tx, byQL: map[string]*sql.Stmt{}}
}

// get returns the prepared form of query (written with ? placeholders).
func (c *txStmts) get(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := c.byQL[query]; ok {
		return st, nil
	}
	if st := c.s.writerStmt(query); st != nil { // warmEvalStmts prepared it
		st = c.tx.StmtContext(ctx, st)
		c.byQL[query] = st
		return st, nil
	}
	st, err := c.tx.PrepareContext(ctx, c.s.q(query))
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	c.byQL[query] = st
	return st, nil
}

func (c *txStmts) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.get(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (c *txStmts) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := c.get(ctx, query)
	if err != nil {
		// A statement that does not prepare fails the same way when run.
		return c.tx.QueryRowContext(ctx, c.s.q(query), args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// close releases the statements; the transaction's end would too.
func (c *txStmts) close() {
	for _, st := range c.byQL {
		st.Close()
	}
}
