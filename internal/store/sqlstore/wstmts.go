package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
)

// writerStmts holds the ingest statements prepared once on the writer
// pool (Dialect.ReuseWriterStmts, SQLite's single connection) and reused
// by every transaction: parsing the 64-row INSERTs, some 10 KB of SQL
// each, again for every statement or page was about 4 % of the CPU of a
// 100 k-activity sync. A statement is prepared outside any transaction
// (the pool's one connection is taken while a transaction runs), by
// warm before the writer's transaction begins.
type writerStmts struct {
	mu   sync.Mutex
	m    map[string]*sql.Stmt
	warm atomic.Bool // every ingest statement is in m
}

// warmWriterStmts prepares the queries (with ? placeholders) not prepared
// yet on the writer pool. It must not run inside a write transaction, and
// holds no lock while it waits for the writer's connection (a transaction
// holding it may look statements up meanwhile).
func (s *Store) warmWriterStmts(ctx context.Context, queries ...string) error {
	if !s.d.ReuseWriterStmts || s.ws.warm.Load() {
		return nil
	}
	if err := s.prepareOnWriter(ctx, queries); err != nil {
		return err
	}
	s.ws.warm.Store(true)
	return nil
}

// prepareOnWriter prepares each of queries not in s.ws.m yet on the
// writer pool and adds it there.
func (s *Store) prepareOnWriter(ctx context.Context, queries []string) error {
	for _, q := range queries {
		if s.writerStmt(q) != nil {
			continue
		}
		st, err := s.w.PrepareContext(ctx, s.q(q))
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		s.ws.mu.Lock()
		if s.ws.m == nil {
			s.ws.m = map[string]*sql.Stmt{}
		}
		if _, ok := s.ws.m[q]; ok {
			st.Close()
		} else {
			s.ws.m[q] = st
		}
		s.ws.mu.Unlock()
	}
	return nil
}

// txStmt returns query (with ? placeholders) prepared for tx: the writer's
// statement when warm prepared it, otherwise one prepared now, which the
// transaction's end closes.
func (s *Store) txStmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	if st := s.writerStmt(query); st != nil {
		return tx.StmtContext(ctx, st), nil
	}
	st, err := tx.PrepareContext(ctx, s.q(query))
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	return st, nil
}

// txExec runs query (with ? placeholders) once in tx, through the
// writer's statement when warm prepared it.
func (s *Store) txExec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if st := s.writerStmt(query); st != nil {
		return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, s.q(query), args...)
}

// writerStmt returns the writer's prepared query, nil when the dialect
// keeps none or warm has not prepared it.
func (s *Store) writerStmt(query string) *sql.Stmt {
	if !s.d.ReuseWriterStmts {
		return nil
	}
	s.ws.mu.Lock()
	defer s.ws.mu.Unlock()
	return s.ws.m[query]
}

// closeWriterStmts releases the writer's statements (before the pool closes).
func (s *Store) closeWriterStmts() {
	s.ws.mu.Lock()
	defer s.ws.mu.Unlock()
	for _, st := range s.ws.m {
		st.Close()
	}
	s.ws.m = nil
}
