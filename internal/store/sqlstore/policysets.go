package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/claudit/claudit/internal/store"
)

// PolicySet reads the policy set stored under name; store.ErrNotFound when
// there is none.
func (s *Store) PolicySet(ctx context.Context, name string) (*store.PolicySet, error) {
	p := &store.PolicySet{Name: name}
	var at int64
	err := s.r.QueryRowContext(ctx, s.q(`SELECT yaml, version, updated_by, updated_at FROM policy_sets WHERE name = ?`), name).
		Scan(&p.YAML, &p.Version, &p.UpdatedBy, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("policy set %s: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read policy set %s: %w", name, err)
	}
	p.UpdatedAt = tm(at)
	return p, nil
}

// SavePolicySet stores p under its name, replacing what was there.
func (s *Store) SavePolicySet(ctx context.Context, p *store.PolicySet) error {
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO policy_sets (name, yaml, version, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET yaml = excluded.yaml, version = excluded.version,
		updated_by = excluded.updated_by, updated_at = excluded.updated_at`), p.Name, p.YAML, p.Version, p.UpdatedBy, us(p.UpdatedAt))
	if err != nil {
		return fmt.Errorf("save policy set %s: %w", p.Name, err)
	}
	return nil
}

// DeletePolicySet removes the policy set stored under name, if any.
func (s *Store) DeletePolicySet(ctx context.Context, name string) error {
	if _, err := s.w.ExecContext(ctx, s.q(`DELETE FROM policy_sets WHERE name = ?`), name); err != nil {
		return fmt.Errorf("delete policy set %s: %w", name, err)
	}
	return nil
}
