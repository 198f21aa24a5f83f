package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// AddLoginFailure counts a failed sign-in against key in one statement, so
// processes sharing the database count every failure.
func (s *Store) AddLoginFailure(ctx context.Context, key string, at, since time.Time) (store.LoginThrottle, error) {
	lt := store.LoginThrottle{Key: key}
	var last, locked int64
	err := s.w.QueryRowContext(ctx, s.q(`INSERT INTO login_throttle (key, failures, last_failure_at, locked_until) VALUES (?, 1, ?, 0)
		ON CONFLICT (key) DO UPDATE SET
		  failures = CASE WHEN login_throttle.last_failure_at < ? THEN 1 ELSE login_throttle.failures + 1 END,
		  last_failure_at = excluded.last_failure_at
		RETURNING failures, last_failure_at, locked_until`), key, us(at), us(since)).Scan(&lt.Failures, &last, &locked)
	if err != nil {
		return lt, fmt.Errorf("count failed sign-in: %w", err)
	}
	lt.LastFailure, lt.LockedUntil = tm(last), tm(locked)
	return lt, nil
}

// LockLogin refuses sign-ins for key until the given time; an earlier
// time never shortens a lock already set.
func (s *Store) LockLogin(ctx context.Context, key string, until time.Time) error {
	_, err := s.w.ExecContext(ctx, s.q(`UPDATE login_throttle SET locked_until = ? WHERE key = ? AND locked_until < ?`), us(until), key, us(until))
	if err != nil {
		return fmt.Errorf("lock sign-in: %w", err)
	}
	return nil
}

// LoginThrottles reads the rows of those keys that have one.
func (s *Store) LoginThrottles(ctx context.Context, keys []string) ([]store.LoginThrottle, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	return s.loginThrottles(ctx, `SELECT key, failures, last_failure_at, locked_until FROM login_throttle WHERE key IN (?`+strings.Repeat(", ?", len(keys)-1)+`)`, args...)
}

// LoginLocks lists the keys locked past t, latest lock first.
func (s *Store) LoginLocks(ctx context.Context, t time.Time) ([]store.LoginThrottle, error) {
	return s.loginThrottles(ctx, `SELECT key, failures, last_failure_at, locked_until FROM login_throttle WHERE locked_until > ? ORDER BY locked_until DESC, key`, us(t))
}

func (s *Store) loginThrottles(ctx context.Context, query string, args ...any) ([]store.LoginThrottle, error) {
	out, err := queryRows(ctx, s.r, func(rows scanner) (store.LoginThrottle, error) {
		var lt store.LoginThrottle
		var last, locked int64
		if err := rows.Scan(&lt.Key, &lt.Failures, &last, &locked); err != nil {
			return store.LoginThrottle{}, fmt.Errorf("read sign-in throttles: %w", err)
		}
		lt.LastFailure, lt.LockedUntil = tm(last), tm(locked)
		return lt, nil
	}, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("read sign-in throttles: %w", err)
	}
	return out, nil
}

// ClearLoginThrottle forgets key's failures and lock.
func (s *Store) ClearLoginThrottle(ctx context.Context, key string) error {
	if _, err := s.w.ExecContext(ctx, s.q(`DELETE FROM login_throttle WHERE key = ?`), key); err != nil {
		return fmt.Errorf("clear sign-in throttle: %w", err)
	}
	return nil
}

// PruneLoginThrottles forgets keys whose last failure and lock both ended before t.
func (s *Store) PruneLoginThrottles(ctx context.Context, t time.Time) (int64, error) {
	r, err := s.w.ExecContext(ctx, s.q(`DELETE FROM login_throttle WHERE last_failure_at < ? AND locked_until < ?`), us(t), us(t))
	if err != nil {
		return 0, fmt.Errorf("prune sign-in throttles: %w", err)
	}
	n, _ := r.RowsAffected()
	return n, nil
}
