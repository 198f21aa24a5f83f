package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// isUnique reports whether err is a unique-constraint violation on either backend.
func isUnique(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint") || strings.Contains(msg, "duplicate key")
}

const accountCols = `id, email, role, password_hash, disabled, created_at, last_login_at`

func scanAccount(row scanner) (*store.Account, error) {
	var a store.Account
	var disabled int
	var created, last int64
	if err := row.Scan(&a.ID, &a.Email, &a.Role, &a.PasswordHash, &disabled, &created, &last); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, store.ErrNotFound
		}
		return nil, err
	}
	a.Disabled, a.CreatedAt, a.LastLoginAt = disabled != 0, tm(created), tm(last)
	return &a, nil
}

// CreateAccount inserts an account; emails are stored lower-cased.
func (s *Store) CreateAccount(ctx context.Context, a *store.Account) error {
	a.Email = strings.ToLower(strings.TrimSpace(a.Email))
	if a.CreatedAt.IsZero() {
		a.CreatedAt = s.now()
	}
	err := s.w.QueryRowContext(ctx, s.q(`INSERT INTO accounts (email, role, password_hash, disabled, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`),
		a.Email, a.Role, a.PasswordHash, b2i(a.Disabled), us(a.CreatedAt)).Scan(&a.ID)
	if isUnique(err) {
		return fmt.Errorf("account %s: %w", a.Email, store.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("create account %s: %w", a.Email, err)
	}
	return nil
}

// AccountByEmail reads an account by (case-insensitive) email.
func (s *Store) AccountByEmail(ctx context.Context, email string) (*store.Account, error) {
	a, err := scanAccount(s.r.QueryRowContext(ctx, s.q(`SELECT `+accountCols+` FROM accounts WHERE email = ?`), strings.ToLower(strings.TrimSpace(email))))
	if err != nil {
		return nil, fmt.Errorf("read account %s: %w", email, err)
	}
	return a, nil
}

// AccountByID reads an account by id.
func (s *Store) AccountByID(ctx context.Context, id int64) (*store.Account, error) {
	a, err := scanAccount(s.r.QueryRowContext(ctx, s.q(`SELECT `+accountCols+` FROM accounts WHERE id = ?`), id))
	if err != nil {
		return nil, fmt.Errorf("read account %d: %w", id, err)
	}
	return a, nil
}

// Accounts lists accounts by email.
func (s *Store) Accounts(ctx context.Context) ([]store.Account, error) {
	out, err := queryRows(ctx, s.r, value(scanAccount), `SELECT `+accountCols+` FROM accounts ORDER BY email`)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	return out, nil
}

// CountAccounts counts accounts.
func (s *Store) CountAccounts(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count accounts: %w", err)
	}
	return n, nil
}

// UpdateAccount saves role, password hash and the disabled flag.
func (s *Store) UpdateAccount(ctx context.Context, a *store.Account) error {
	r, err := s.w.ExecContext(ctx, s.q(`UPDATE accounts SET role = ?, password_hash = ?, disabled = ? WHERE id = ?`),
		a.Role, a.PasswordHash, b2i(a.Disabled), a.ID)
	if err != nil {
		return fmt.Errorf("update account %d: %w", a.ID, err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return fmt.Errorf("account %d: %w", a.ID, store.ErrNotFound)
	}
	return nil
}

// TouchAccountLogin records a successful sign-in.
func (s *Store) TouchAccountLogin(ctx context.Context, id int64, at time.Time) error {
	if _, err := s.w.ExecContext(ctx, s.q(`UPDATE accounts SET last_login_at = ? WHERE id = ?`), us(at), id); err != nil {
		return fmt.Errorf("record login of account %d: %w", id, err)
	}
	return nil
}

// AccountSettings reads an account's display preferences.
func (s *Store) AccountSettings(ctx context.Context, accountID int64) (store.AccountSettings, error) {
	st := store.AccountSettings{AccountID: accountID}
	var at int64
	err := s.r.QueryRowContext(ctx, s.q(`SELECT time_zone, updated_at FROM account_settings WHERE account_id = ?`), accountID).Scan(&st.TimeZone, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read settings of account %d: %w", accountID, err)
	}
	st.UpdatedAt = tm(at)
	return st, nil
}

// SetAccountTimeZone saves an account's display time zone.
func (s *Store) SetAccountTimeZone(ctx context.Context, accountID int64, zone string, at time.Time) error {
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO account_settings (account_id, time_zone, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (account_id) DO UPDATE SET time_zone = excluded.time_zone, updated_at = excluded.updated_at`), accountID, zone, us(at))
	if err != nil {
		return fmt.Errorf("save time zone of account %d: %w", accountID, err)
	}
	return nil
}
