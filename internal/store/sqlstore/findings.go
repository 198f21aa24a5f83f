package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/claudit/claudit/internal/store"
)

// EventFindings reads the findings of many events of one kind, in chunks.
func (s *Store) EventFindings(ctx context.Context, kind string, refs []store.EventRef) ([]store.Finding, error) {
	var out []store.Finding
	const chunk = 200
	for start := 0; start < len(refs); start += chunk {
		part := refs[start:min(start+chunk, len(refs))]
		conds := make([]string, 0, len(part))
		args := []any{kind}
		for _, r := range part {
			conds = append(conds, "(integration_id = ? AND event_id = ?)")
			args = append(args, r.IntegrationID, r.ID)
		}
		fs, err := queryRows(ctx, s.r, scanFinding, s.q(`SELECT `+findingCols+` FROM findings
			WHERE event_kind = ? AND (`+strings.Join(conds, " OR ")+`) ORDER BY event_time, id`), args...)
		if err != nil {
			return nil, fmt.Errorf("list findings: %w", err)
		}
		out = append(out, fs...)
	}
	return out, nil
}

// SaveEvaluations stores findings and tags and marks the events evaluated,
// in one transaction.
func (s *Store) SaveEvaluations(ctx context.Context, evals []store.Evaluation) error {
	if len(evals) == 0 {
		return nil
	}
	return s.WithTx(ctx, func(tx store.Tx) error { return tx.SaveEvaluations(ctx, evals) })
}

// saveEvaluations replaces each event's findings and tags and marks it evaluated.
func (s *Store) saveEvaluations(ctx context.Context, st *txStmts, evals []store.Evaluation) error {
	now := us(s.now())
	for _, e := range evals {
		if _, err := st.exec(ctx, `DELETE FROM findings WHERE integration_id = ? AND event_kind = ? AND event_id = ?`, e.IntegrationID, e.Kind, e.EventID); err != nil {
			return fmt.Errorf("clear findings of %s: %w", e.EventID, err)
		}
		violations := 0
		for _, f := range e.Findings {
			if f.EffectiveAction == "alert" {
				violations++
			}
			if _, err := st.exec(ctx, `INSERT INTO findings (integration_id, event_kind, event_id, chat_id, user_id, user_email, policy, detector, entity, severity, action, effective_action, score, span_start, span_end, excerpt, policy_version, created_at, event_time)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.IntegrationID, e.Kind, e.EventID, f.ChatID, f.UserID, f.UserEmail, f.Policy, f.Detector, f.Entity,
				f.Severity, f.Action, f.EffectiveAction, f.Score, f.Start, f.End, f.Excerpt, e.Version, now, us(f.EventTime)); err != nil {
				return fmt.Errorf("save finding of %s: %w", e.EventID, err)
			}
		}
		table := "messages"
		if e.Kind == "access" {
			table = "activities"
		}
		if e.Kind == "session" {
			continue
		}
		if _, err := st.exec(ctx, `UPDATE `+table+` SET tags = ?, violations = ?, eval_version = ? WHERE integration_id = ? AND id = ?`,
			encodeJSONList(e.Tags), violations, e.Version, e.IntegrationID, e.EventID); err != nil {
			return fmt.Errorf("mark %s evaluated: %w", e.EventID, err)
		}
	}
	return nil
}

const findingCols = `id, integration_id, event_kind, event_id, chat_id, user_id, user_email, policy, detector, entity, severity, action, effective_action, score, span_start, span_end, excerpt, policy_version, created_at, event_time`

func scanFinding(row scanner) (store.Finding, error) {
	var f store.Finding
	var created, evt int64
	if err := row.Scan(&f.ID, &f.IntegrationID, &f.EventKind, &f.EventID, &f.ChatID, &f.UserID, &f.UserEmail, &f.Policy, &f.Detector,
		&f.Entity, &f.Severity, &f.Action, &f.EffectiveAction, &f.Score, &f.Start, &f.End, &f.Excerpt, &f.PolicyVersion, &created, &evt); err != nil {
		return f, err
	}
	f.CreatedAt, f.EventTime = tm(created), tm(evt)
	return f, nil
}

// Findings lists findings of an event, or of every event of a chat when eventID is "".
func (s *Store) Findings(ctx context.Context, integrationID int64, kind, eventID, chatID string) ([]store.Finding, error) {
	w := &where{}
	w.add("integration_id = ?", integrationID)
	if kind != "" {
		w.add("event_kind = ?", kind)
	}
	if eventID != "" {
		w.add("event_id = ?", eventID)
	}
	if chatID != "" {
		w.add("chat_id = ?", chatID)
	}
	out, err := queryRows(ctx, s.r, scanFinding, s.q(`SELECT `+findingCols+` FROM findings`+w.sql()+` ORDER BY event_time, id`), w.args...)
	if err != nil {
		return nil, fmt.Errorf("list findings: %w", err)
	}
	return out, nil
}

// ResetEvaluations clears the marks of events evaluated under a version other than keep.
func (s *Store) ResetEvaluations(ctx context.Context, keep string) (int64, error) {
	var total int64
	for _, t := range []string{"messages", "activities"} {
		r, err := s.w.ExecContext(ctx, s.q(`UPDATE `+t+` SET eval_version = '' WHERE eval_version <> '' AND eval_version <> ?`), keep)
		if err != nil {
			return total, fmt.Errorf("reset %s evaluations: %w", t, err)
		}
		n, _ := r.RowsAffected()
		total += n
	}
	return total, nil
}
