package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// MarkObjectDeleted records that the API deleted a chat, file or project.
func (s *Store) MarkObjectDeleted(ctx context.Context, integrationID int64, kind, id string, at time.Time) error {
	var query string
	switch kind {
	case store.DeleteChat:
		return s.MarkChatHardDeleted(ctx, integrationID, id, at)
	case store.DeleteFile:
		query = `UPDATE files SET deleted_at = COALESCE(deleted_at, ?) WHERE integration_id = ? AND id = ?`
	case store.DeleteProject:
		query = `UPDATE projects SET deleted_at = COALESCE(deleted_at, ?) WHERE integration_id = ? AND id = ?`
	default:
		return fmt.Errorf("mark %s %s deleted: kind is not chat, file or project", kind, id)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(query), us(at), integrationID, id); err != nil {
			return fmt.Errorf("mark %s %s deleted: %w", kind, id, err)
		}
		return nil
	})
}
