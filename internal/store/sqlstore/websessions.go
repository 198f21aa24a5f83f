package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// CreateWebSession stores a session.
func (s *Store) CreateWebSession(ctx context.Context, ws *store.WebSession) error {
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO web_sessions (id, account_id, csrf_token, ip, user_agent, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		ws.ID, ws.AccountID, ws.CSRFToken, ws.IP, ws.UserAgent, us(ws.CreatedAt), us(ws.LastSeenAt), us(ws.ExpiresAt))
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// WebSession reads a session by id.
func (s *Store) WebSession(ctx context.Context, id string) (*store.WebSession, error) {
	var ws store.WebSession
	var created, seen, expires int64
	err := s.r.QueryRowContext(ctx, s.q(`SELECT id, account_id, csrf_token, ip, user_agent, created_at, last_seen_at, expires_at FROM web_sessions WHERE id = ?`), id).
		Scan(&ws.ID, &ws.AccountID, &ws.CSRFToken, &ws.IP, &ws.UserAgent, &created, &seen, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	ws.CreatedAt, ws.LastSeenAt, ws.ExpiresAt = tm(created), tm(seen), tm(expires)
	return &ws, nil
}

// TouchWebSession slides a session's expiry.
func (s *Store) TouchWebSession(ctx context.Context, id string, seen, expires time.Time) error {
	if _, err := s.w.ExecContext(ctx, s.q(`UPDATE web_sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?`), us(seen), us(expires), id); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteWebSession signs one session out.
func (s *Store) DeleteWebSession(ctx context.Context, id string) error {
	if _, err := s.w.ExecContext(ctx, s.q(`DELETE FROM web_sessions WHERE id = ?`), id); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteAccountSessions signs an account out everywhere.
func (s *Store) DeleteAccountSessions(ctx context.Context, accountID int64) error {
	if _, err := s.w.ExecContext(ctx, s.q(`DELETE FROM web_sessions WHERE account_id = ?`), accountID); err != nil {
		return fmt.Errorf("delete sessions of account %d: %w", accountID, err)
	}
	return nil
}

// PruneWebSessions deletes sessions that expired before t.
func (s *Store) PruneWebSessions(ctx context.Context, t time.Time) (int64, error) {
	r, err := s.w.ExecContext(ctx, s.q(`DELETE FROM web_sessions WHERE expires_at < ?`), us(t))
	if err != nil {
		return 0, fmt.Errorf("prune sessions: %w", err)
	}
	n, _ := r.RowsAffected()
	return n, nil
}
