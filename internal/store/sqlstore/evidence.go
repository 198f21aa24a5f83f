package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// Evidence counts the records of [from, to) a compliance report cites,
// each with one grouped query.
func (s *Store) Evidence(ctx context.Context, from, to time.Time) (store.Evidence, error) {
	e := store.Evidence{From: from.UTC(), To: to.UTC(), Accounts: map[string]int{}}
	f, t := us(from), us(to)
	var oldestAudit, lastSync, oldestAct, oldestMsg int64
	queries := []struct {
		what string
		sql  string
		args []any
		dest []any
	}{
		{"audit log", `SELECT COUNT(*),
			COALESCE(CAST(SUM(CASE WHEN action IN ('view', 'list', 'export', 'download') THEN 1 ELSE 0 END) AS BIGINT), 0),
			COALESCE(CAST(SUM(CASE WHEN action IN ('login', 'login_failed') THEN 1 ELSE 0 END) AS BIGINT), 0),
			COALESCE(CAST(SUM(CASE WHEN action = 'login_failed' THEN 1 ELSE 0 END) AS BIGINT), 0),
			COALESCE(CAST(SUM(CASE WHEN action NOT IN ('view', 'list', 'export', 'download', 'login', 'login_failed', 'logout') THEN 1 ELSE 0 END) AS BIGINT), 0)
			FROM audit_log WHERE at >= ? AND at < ?`, []any{f, t}, []any{&e.AuditEntries, &e.AuditViews, &e.AuditSignIns, &e.AuditFailed, &e.AuditChanges}},
		{"oldest audit entry", `SELECT COALESCE(MIN(at), 0) FROM audit_log`, nil, []any{&oldestAudit}},
		{"sync runs", `SELECT COUNT(*), COALESCE(CAST(SUM(CASE WHEN error <> '' THEN 1 ELSE 0 END) AS BIGINT), 0)
			FROM sync_runs WHERE started_at >= ? AND started_at < ?`, []any{f, t}, []any{&e.SyncRuns, &e.SyncFailed}},
		{"last sync", `SELECT COALESCE(MAX(finished_at), 0) FROM sync_runs WHERE error = '' AND finished_at < ?`, []any{t}, []any{&lastSync}},
		{"oldest activity", `SELECT COALESCE(MIN(created_at), 0) FROM activities`, nil, []any{&oldestAct}},
		{"oldest message", `SELECT COALESCE(MIN(created_at), 0) FROM messages`, nil, []any{&oldestMsg}},
		{"alerts", `SELECT COUNT(*),
			COALESCE(CAST(SUM(CASE WHEN status = 'resolved' THEN 1 ELSE 0 END) AS BIGINT), 0),
			COALESCE(CAST(SUM(CASE WHEN severity = 'critical' THEN 1 ELSE 0 END) AS BIGINT), 0)
			FROM alerts WHERE first_seen >= ? AND first_seen < ? AND suppressed = 0`, []any{f, t}, []any{&e.AlertsRaised, &e.AlertsResolved, &e.AlertsCritical}},
		{"open alerts", `SELECT COUNT(*) FROM alerts WHERE status IN ('open', 'acknowledged') AND suppressed = 0`, nil, []any{&e.AlertsOpen}},
		{"alert history", `SELECT COUNT(*) FROM alert_history WHERE at >= ? AND at < ?`, []any{f, t}, []any{&e.TriageChanges}},
		{"deletions", `SELECT COUNT(*), COALESCE(CAST(SUM(CASE WHEN status = 'deleted' THEN 1 ELSE 0 END) AS BIGINT), 0)
			FROM deletion_requests WHERE requested_at >= ? AND requested_at < ?`, []any{f, t}, []any{&e.DeletionRequests, &e.DeletionReceipts}},
		{"api tokens", `SELECT COUNT(*) FROM api_tokens WHERE revoked_at = 0 AND expires_at > ?`, []any{t}, []any{&e.APITokensLive}},
	}
	for _, q := range queries {
		if err := s.r.QueryRowContext(ctx, s.q(q.sql), q.args...).Scan(q.dest...); err != nil {
			return e, fmt.Errorf("evidence: count %s: %w", q.what, err)
		}
	}
	e.OldestAudit, e.LastSync = tm(oldestAudit), tm(lastSync)
	switch {
	case oldestAct == 0:
		e.OldestEvent = tm(oldestMsg)
	case oldestMsg == 0 || oldestAct < oldestMsg:
		e.OldestEvent = tm(oldestAct)
	default:
		e.OldestEvent = tm(oldestMsg)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT role, COUNT(*) FROM accounts WHERE disabled = 0 GROUP BY role`)
	if err != nil {
		return e, fmt.Errorf("evidence: count accounts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var role string
		var n int
		if err := rows.Scan(&role, &n); err != nil {
			return e, err
		}
		e.Accounts[role] = n
	}
	return e, rows.Err()
}
