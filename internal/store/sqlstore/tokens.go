package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/claudit/claudit/internal/store"
)

const tokenCols = `t.id, t.account_id, COALESCE(a.email, ''), t.name, t.prefix, t.hash, t.role, t.created_at, t.expires_at, t.last_used_at, t.revoked_at`

const tokenFrom = ` FROM api_tokens t LEFT JOIN accounts a ON a.id = t.account_id`

func scanAPIToken(row scanner) (*store.APIToken, error) {
	var t store.APIToken
	var created, expires, used, revoked int64
	err := row.Scan(&t.ID, &t.AccountID, &t.Email, &t.Name, &t.Prefix, &t.Hash, &t.Role, &created, &expires, &used, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt = tm(created), tm(expires), tm(used), tm(revoked)
	return &t, nil
}

// CreateAPIToken inserts a token.
func (s *Store) CreateAPIToken(ctx context.Context, t *store.APIToken) error {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.now()
	}
	err := s.w.QueryRowContext(ctx, s.q(`INSERT INTO api_tokens (account_id, name, prefix, hash, role, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		t.AccountID, t.Name, t.Prefix, t.Hash, t.Role, us(t.CreatedAt), us(t.ExpiresAt)).Scan(&t.ID)
	if isUnique(err) {
		return fmt.Errorf("api token: %w", store.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("create api token for account %d: %w", t.AccountID, err)
	}
	return nil
}

// APITokenByHash reads a token by the hash of its text.
func (s *Store) APITokenByHash(ctx context.Context, hash string) (*store.APIToken, error) {
	t, err := scanAPIToken(s.r.QueryRowContext(ctx, s.q(`SELECT `+tokenCols+tokenFrom+` WHERE t.hash = ?`), hash))
	if err != nil {
		return nil, fmt.Errorf("read api token: %w", err)
	}
	return t, nil
}

// APIToken reads a token by id.
func (s *Store) APIToken(ctx context.Context, id int64) (*store.APIToken, error) {
	t, err := scanAPIToken(s.r.QueryRowContext(ctx, s.q(`SELECT `+tokenCols+tokenFrom+` WHERE t.id = ?`), id))
	if err != nil {
		return nil, fmt.Errorf("read api token %d: %w", id, err)
	}
	return t, nil
}

// APITokens lists an account's tokens, or every account's for 0, newest first.
func (s *Store) APITokens(ctx context.Context, accountID int64) ([]store.APIToken, error) {
	query, args := `SELECT `+tokenCols+tokenFrom+` ORDER BY t.id DESC`, []any{}
	if accountID != 0 {
		query, args = `SELECT `+tokenCols+tokenFrom+` WHERE t.account_id = ? ORDER BY t.id DESC`, []any{accountID}
	}
	out, err := queryRows(ctx, s.r, value(scanAPIToken), s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	return out, nil
}

// TouchAPIToken records the time of a token's latest use.
func (s *Store) TouchAPIToken(ctx context.Context, id int64, t time.Time) error {
	if _, err := s.w.ExecContext(ctx, s.q(`UPDATE api_tokens SET last_used_at = ? WHERE id = ?`), us(t), id); err != nil {
		return fmt.Errorf("record use of api token %d: %w", id, err)
	}
	return nil
}

// RevokeAPIToken revokes a token; an earlier revocation stands.
func (s *Store) RevokeAPIToken(ctx context.Context, id int64, t time.Time) error {
	r, err := s.w.ExecContext(ctx, s.q(`UPDATE api_tokens SET revoked_at = CASE WHEN revoked_at = 0 THEN ? ELSE revoked_at END WHERE id = ?`), us(t), id)
	if err != nil {
		return fmt.Errorf("revoke api token %d: %w", id, err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return fmt.Errorf("api token %d: %w", id, store.ErrNotFound)
	}
	return nil
}
