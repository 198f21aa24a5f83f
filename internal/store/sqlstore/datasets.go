package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/claudit/claudit/internal/store"
)

// CreateDataset stores a dataset with its items; ErrExists when the name is taken.
func (s *Store) CreateDataset(ctx context.Context, d *store.Dataset, items []store.DatasetItem) error {
	if d.CreatedAt.IsZero() {
		d.CreatedAt = s.now()
	}
	d.Items = len(items)
	return s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO datasets (name, description, filter, items, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
			d.Name, d.Description, d.Filter, d.Items, d.CreatedBy, us(d.CreatedAt)).Scan(&d.ID)
		if isUnique(err) {
			return fmt.Errorf("dataset %q: %w", d.Name, store.ErrExists)
		}
		if err != nil {
			return fmt.Errorf("create dataset %q: %w", d.Name, err)
		}
		st, err := tx.PrepareContext(ctx, s.q(`INSERT INTO dataset_items (dataset_id, seq, integration_id, message_id) VALUES (?, ?, ?, ?)`))
		if err != nil {
			return fmt.Errorf("prepare dataset items: %w", err)
		}
		defer st.Close()
		for i, it := range items {
			if _, err := st.ExecContext(ctx, d.ID, i, it.IntegrationID, it.MessageID); err != nil {
				return fmt.Errorf("save dataset item %s: %w", it.MessageID, err)
			}
		}
		return nil
	})
}

const datasetCols = `id, name, description, filter, items, created_by, created_at`

func scanDataset(row scanner) (*store.Dataset, error) {
	var d store.Dataset
	var created int64
	if err := row.Scan(&d.ID, &d.Name, &d.Description, &d.Filter, &d.Items, &d.CreatedBy, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, store.ErrNotFound
		}
		return nil, err
	}
	d.CreatedAt = tm(created)
	return &d, nil
}

// Datasets lists datasets, newest first.
func (s *Store) Datasets(ctx context.Context) ([]store.Dataset, error) {
	out, err := queryRows(ctx, s.r, value(scanDataset), `SELECT `+datasetCols+` FROM datasets ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list datasets: %w", err)
	}
	return out, nil
}

// Dataset reads one dataset.
func (s *Store) Dataset(ctx context.Context, id int64) (*store.Dataset, error) {
	d, err := scanDataset(s.r.QueryRowContext(ctx, s.q(`SELECT `+datasetCols+` FROM datasets WHERE id = ?`), id))
	if err != nil {
		return nil, fmt.Errorf("read dataset %d: %w", id, err)
	}
	return d, nil
}

// DatasetMessages reads a window of a dataset's messages in saved order;
// messages deleted since (with their integration) are skipped.
func (s *Store) DatasetMessages(ctx context.Context, id int64, offset, limit int) ([]store.Message, error) {
	if limit <= 0 {
		limit = 500
	}
	out, err := queryRows(ctx, s.r, scanMessage, s.q(`SELECT `+messageCols+` FROM dataset_items di
		JOIN messages m ON m.integration_id = di.integration_id AND m.id = di.message_id
		WHERE di.dataset_id = ? AND di.seq >= ? AND di.seq < ? ORDER BY di.seq`), id, offset, offset+limit)
	if err != nil {
		return nil, fmt.Errorf("read dataset %d: %w", id, err)
	}
	return out, nil
}

// DeleteDataset removes a dataset and its items.
func (s *Store) DeleteDataset(ctx context.Context, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM dataset_items WHERE dataset_id = ?`), id); err != nil {
			return fmt.Errorf("delete dataset %d items: %w", id, err)
		}
		r, err := tx.ExecContext(ctx, s.q(`DELETE FROM datasets WHERE id = ?`), id)
		if err != nil {
			return fmt.Errorf("delete dataset %d: %w", id, err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return fmt.Errorf("dataset %d: %w", id, store.ErrNotFound)
		}
		return nil
	})
}
