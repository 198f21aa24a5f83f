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

// SetIntegrationKey stores a sealed API key.
func (s *Store) SetIntegrationKey(ctx context.Context, integrationID int64, sealed string) error {
	r, err := s.w.ExecContext(ctx, s.q(`UPDATE integrations SET api_key_enc = ? WHERE id = ?`), sealed, integrationID)
	if err != nil {
		return fmt.Errorf("store key of integration %d: %w", integrationID, err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return fmt.Errorf("integration %d: %w", integrationID, store.ErrNotFound)
	}
	return nil
}

// IntegrationKey reads a sealed API key ("" when none is stored).
func (s *Store) IntegrationKey(ctx context.Context, integrationID int64) (string, error) {
	var k string
	err := s.r.QueryRowContext(ctx, s.q(`SELECT api_key_enc FROM integrations WHERE id = ?`), integrationID).Scan(&k)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("integration %d: %w", integrationID, store.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("read key of integration %d: %w", integrationID, err)
	}
	return k, nil
}

// SetIntegrationScopes records the scopes a key was found to hold.
func (s *Store) SetIntegrationScopes(ctx context.Context, integrationID int64, scopes []string, at time.Time) error {
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO integration_scopes (integration_id, scopes, checked_at) VALUES (?, ?, ?)
		ON CONFLICT (integration_id) DO UPDATE SET scopes = excluded.scopes, checked_at = excluded.checked_at`),
		integrationID, strings.Join(scopes, " "), us(at))
	if err != nil {
		return fmt.Errorf("record scopes of integration %d: %w", integrationID, err)
	}
	return nil
}

// IntegrationScopes reads the scopes recorded for an integration's key.
func (s *Store) IntegrationScopes(ctx context.Context, integrationID int64) ([]string, time.Time, error) {
	var scopes string
	var at int64
	err := s.r.QueryRowContext(ctx, s.q(`SELECT scopes, checked_at FROM integration_scopes WHERE integration_id = ?`), integrationID).Scan(&scopes, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, time.Time{}, nil
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("read scopes of integration %d: %w", integrationID, err)
	}
	return strings.Fields(scopes), tm(at), nil
}

const integrationCols = `id, name, base_url, project, interval_us, paused, mode, source, rate_limit, created_at, last_synced_at, last_error, last_failure`

func scanIntegration(row scanner) (*store.Integration, error) {
	var in store.Integration
	var interval, created, synced int64
	var paused int
	if err := row.Scan(&in.ID, &in.Name, &in.BaseURL, &in.Project, &interval, &paused, &in.Mode, &in.Source,
		&in.RateLimit, &created, &synced, &in.LastError, &in.LastFailure); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, store.ErrNotFound
		}
		return nil, err
	}
	in.Interval, in.Paused = time.Duration(interval)*time.Microsecond, paused != 0
	in.CreatedAt, in.LastSyncedAt = tm(created), tm(synced)
	return &in, nil
}

// UpsertIntegration creates or updates by name; pause state and mode survive updates from config.
func (s *Store) UpsertIntegration(ctx context.Context, in *store.Integration) error {
	if in.Mode == "" {
		in.Mode = "full"
	}
	if in.Source == "" {
		in.Source = "config"
	}
	now := s.now()
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO integrations (name, base_url, project, interval_us, paused, mode, source, rate_limit, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET base_url = excluded.base_url, project = excluded.project,
		  interval_us = excluded.interval_us, source = excluded.source, rate_limit = excluded.rate_limit`),
		in.Name, in.BaseURL, in.Project, in.Interval.Microseconds(), b2i(in.Paused), in.Mode, in.Source, in.RateLimit, us(now))
	if err != nil {
		return fmt.Errorf("save integration %s: %w", in.Name, err)
	}
	got, err := s.Integration(ctx, in.Name)
	if err != nil {
		return err
	}
	key := in.APIKey
	*in = *got
	in.APIKey = key
	return nil
}

// Integration reads one integration by name.
func (s *Store) Integration(ctx context.Context, name string) (*store.Integration, error) {
	in, err := scanIntegration(s.r.QueryRowContext(ctx, s.q(`SELECT `+integrationCols+` FROM integrations WHERE name = ?`), name))
	if err != nil {
		return nil, fmt.Errorf("read integration %s: %w", name, err)
	}
	return in, nil
}

// IntegrationByID reads one integration by id.
func (s *Store) IntegrationByID(ctx context.Context, id int64) (*store.Integration, error) {
	in, err := scanIntegration(s.r.QueryRowContext(ctx, s.q(`SELECT `+integrationCols+` FROM integrations WHERE id = ?`), id))
	if err != nil {
		return nil, fmt.Errorf("read integration %d: %w", id, err)
	}
	return in, nil
}

// Integrations lists all integrations by name.
func (s *Store) Integrations(ctx context.Context) ([]store.Integration, error) {
	out, err := queryRows(ctx, s.r, value(scanIntegration), `SELECT `+integrationCols+` FROM integrations ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list integrations: %w", err)
	}
	return out, nil
}

// SetIntegrationState sets pause and mode.
func (s *Store) SetIntegrationState(ctx context.Context, id int64, paused bool, mode string) error {
	_, err := s.w.ExecContext(ctx, s.q(`UPDATE integrations SET paused = ?, mode = ? WHERE id = ?`), b2i(paused), mode, id)
	if err != nil {
		return fmt.Errorf("update integration %d: %w", id, err)
	}
	return nil
}

// MarkSynced records a cycle's end.
func (s *Store) MarkSynced(ctx context.Context, id int64, at time.Time, errText string) error {
	var err error
	if errText == "" {
		_, err = s.w.ExecContext(ctx, s.q(`UPDATE integrations SET last_synced_at = ?, last_error = '', last_failure = '' WHERE id = ?`), us(at), id)
	} else {
		_, err = s.w.ExecContext(ctx, s.q(`UPDATE integrations SET last_error = ?, last_failure = 'error' WHERE id = ?`), errText, id)
	}
	if err != nil {
		return fmt.Errorf("mark integration %d synced: %w", id, err)
	}
	return nil
}

// SetIntegrationFailure records the last error and its kind.
func (s *Store) SetIntegrationFailure(ctx context.Context, id int64, kind, errText string) error {
	if errText != "" && kind == "" {
		kind = "error"
	}
	_, err := s.w.ExecContext(ctx, s.q(`UPDATE integrations SET last_error = ?, last_failure = ? WHERE id = ?`), errText, kind, id)
	if err != nil {
		return fmt.Errorf("record failure of integration %d: %w", id, err)
	}
	return nil
}

// DeleteIntegration removes an integration and its data.
func (s *Store) DeleteIntegration(ctx context.Context, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, t := range []string{"checkpoints", "activities", "users", "projects", "chats", "messages", "files", "sync_runs", "findings", "quarantined_items", "file_texts", "integration_scopes", "org_roles", "org_groups", "group_members", "org_settings"} {
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM `+t+` WHERE integration_id = ?`), id); err != nil {
				return fmt.Errorf("delete %s of integration %d: %w", t, id, err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM backfill_batches WHERE backfill_id IN (SELECT id FROM backfills WHERE integration_id = ?)`), id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM backfills WHERE integration_id = ?`), id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`DELETE FROM integrations WHERE id = ?`), id)
		return err
	})
}
