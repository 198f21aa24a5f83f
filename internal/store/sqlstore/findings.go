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

// Evaluations are saved a few statements per batch, not per event: one
// DELETE per evalsPerStatement events, one INSERT per findingsPerInsert
// findings and one UPDATE per set of events with the same marks. Three
// statements per event and one per finding were a fifth of the CPU of
// evaluation on SQLite.
const (
	evalsPerStatement = 100
	findingsPerInsert = 50
)

// saveEvaluations replaces each event's findings and tags and marks it
// evaluated. An event listed twice keeps its last evaluation, as when each
// was saved in turn.
func (s *Store) saveEvaluations(ctx context.Context, st *txStmts, evals []store.Evaluation) error {
	type eventKey struct {
		integrationID int64
		kind, id      string
	}
	last := make(map[eventKey]int, len(evals))
	for i := range evals {
		last[eventKey{evals[i].IntegrationID, evals[i].Kind, evals[i].EventID}] = i
	}
	keep := func(i int) bool { return last[eventKey{evals[i].IntegrationID, evals[i].Kind, evals[i].EventID}] == i }
	type group struct {
		integrationID int64
		kind          string
	}
	// Events by integration and kind, for the deletes.
	var byGroup idsByKey[group]
	for i := range evals {
		if keep(i) {
			byGroup.add(group{evals[i].IntegrationID, evals[i].Kind}, evals[i].EventID)
		}
	}
	for _, g := range byGroup.keys {
		if err := execIn(ctx, st, clearFindingsSQL, []any{g.integrationID, g.kind}, byGroup.ids[g]); err != nil {
			return fmt.Errorf("clear findings: %w", err)
		}
	}
	if err := s.insertFindings(ctx, st, evals, keep); err != nil {
		return err
	}
	return markEvaluated(ctx, st, evals, keep)
}

// clearFindingsSQL deletes the findings of events of one integration and
// kind; execIn completes its IN list.
const clearFindingsSQL = `DELETE FROM findings WHERE integration_id = ? AND event_kind = ? AND event_id IN `

// findingParams is how many parameters one finding row takes.
const findingParams = 19

// insertFindingsSQL inserts n findings.
func (s *Store) insertFindingsSQL(n int) string {
	return multiRowInsert(s.orFail(`INSERT`)+` INTO findings (integration_id, event_kind, event_id, chat_id, user_id, user_email, policy, detector, entity, severity, action, effective_action, score, span_start, span_end, excerpt, policy_version, created_at, event_time) VALUES `,
		findingParams, n, "")
}

// insertFindings inserts the findings of the evaluations keep selects,
// many rows per statement, in order.
func (s *Store) insertFindings(ctx context.Context, st *txStmts, evals []store.Evaluation, keep func(int) bool) error {
	now := us(s.now())
	args := make([]any, 0, findingsPerInsert*findingParams)
	// flush inserts the rows gathered, in order: findingsPerInsert at a
	// time, the rest in halving chunks (the shapes evalQueries prepares).
	flush := func() error {
		rows := args
		for k := findingsPerInsert; len(rows) > 0; k /= 2 {
			for len(rows) >= k*findingParams {
				if _, err := st.exec(ctx, s.insertFindingsSQL(k), rows[:k*findingParams]...); err != nil {
					return fmt.Errorf("save findings: %w", err)
				}
				rows = rows[k*findingParams:]
			}
		}
		args = args[:0]
		return nil
	}
	for i := range evals {
		if !keep(i) {
			continue
		}
		e := &evals[i]
		for j := range e.Findings {
			f := &e.Findings[j]
			args = append(args, e.IntegrationID, e.Kind, e.EventID, f.ChatID, f.UserID, f.UserEmail, f.Policy, f.Detector, f.Entity,
				f.Severity, f.Action, f.EffectiveAction, f.Score, f.Start, f.End, f.Excerpt, e.Version, now, us(f.EventTime))
			if len(args) == findingsPerInsert*findingParams {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// markEvaluated sets the tags, violation count and policy version of
// prompt and access events, one UPDATE per set of events that get the same
// marks (most events get no tags and no violations), for the evaluations
// keep selects. Session evaluations mark nothing.
//
// Events read for evaluation on SQLite carry their rowid (store.Message
// RowID): the UPDATE finds them by it, in rowid order, not through the
// primary key's index, which was a third of its B-tree descents. It checks
// their ids too, and when a row has moved since it was read (VACUUM may
// renumber rowids, a deleted row's rowid may be taken by a new event),
// marks that statement's events by id as well: marking is the same either
// way, and never marks an event that was not evaluated.
func markEvaluated(ctx context.Context, st *txStmts, evals []store.Evaluation, keep func(int) bool) error {
	type marks struct {
		table, tags, version string
		integrationID        int64
		violations           int
		byRowID              bool
	}
	var byMarks idsByKey[marks]
	rowIDs := map[marks][]any{}
	for i := range evals {
		e := &evals[i]
		if e.Kind == "session" || !keep(i) {
			continue
		}
		m := marks{table: "messages", tags: encodeJSONList(e.Tags), version: e.Version, integrationID: e.IntegrationID}
		var rowID int64
		switch {
		case e.Kind == "access":
			m.table = "activities"
			if e.Activity != nil && e.Activity.ID == e.EventID {
				rowID = e.Activity.RowID
			}
		case e.Message != nil && e.Message.ID == e.EventID:
			rowID = e.Message.RowID
		}
		for _, f := range e.Findings {
			if f.EffectiveAction == "alert" {
				m.violations++
			}
		}
		m.byRowID = rowID != 0 && st.s.d.Name == "sqlite"
		byMarks.add(m, e.EventID)
		if m.byRowID {
			rowIDs[m] = append(rowIDs[m], rowID)
		}
	}
	for _, m := range byMarks.keys {
		set := st.s.markSet(m.table)
		args := []any{m.tags, m.violations, m.version, m.integrationID}
		var err error
		if m.byRowID {
			err = markByRowID(ctx, st, set, args, rowIDs[m], byMarks.ids[m])
		} else {
			err = execIn(ctx, st, set+markByIDWhere, args, byMarks.ids[m])
		}
		if err != nil {
			return fmt.Errorf("mark %s evaluated: %w", m.table, err)
		}
	}
	return nil
}

// markSet is the UPDATE of the marks of table's events up to its WHERE:
// their tags, violation count, policy version and integration id are its
// parameters.
func (s *Store) markSet(table string) string {
	return s.orFail(`UPDATE`) + ` ` + table + ` SET tags = ?, violations = ?, eval_version = ? WHERE `
}

// markByIDWhere is the WHERE of a mark statement by id; execIn completes
// its IN list.
const markByIDWhere = `integration_id = ? AND id IN `

// markByRowIDWhere is the WHERE of a mark statement of n rows by rowid,
// checked against their ids (markByRowID).
func markByRowIDWhere(n int) string {
	return `+integration_id = ? AND rowid IN ` + inList(n) + ` AND +id IN ` + inList(n)
}

// markByRowID runs set (an UPDATE up to its WHERE, the integration id last
// of args) over the rows rowIDs whose ids are ids (rowIDs[i] is the row of
// ids[i]), evalsPerStatement rows at a time; a statement that finds fewer
// rows than it names runs again by id. A batch's rows are distinct, so
// the lists padded to inListLen still name end-start rows.
func markByRowID(ctx context.Context, st *txStmts, set string, args, rowIDs, ids []any) error {
	all := make([]any, 0, len(args)+2*evalsPerStatement)
	for start := 0; start < len(rowIDs); start += evalsPerStatement {
		end := min(start+evalsPerStatement, len(rowIDs))
		n := inListLen(end - start)
		all = append(all[:0], args...)
		all = padded(append(all, rowIDs[start:end]...), len(args)+n)
		all = padded(append(all, ids[start:end]...), len(args)+2*n)
		r, err := st.exec(ctx, set+markByRowIDWhere(n), all...)
		if err != nil {
			return err
		}
		if n, err := r.RowsAffected(); err == nil && n == int64(end-start) {
			continue
		}
		if err := execIn(ctx, st, set+markByIDWhere, args, ids[start:end]); err != nil {
			return err
		}
	}
	return nil
}

// orFail is verb (INSERT or UPDATE) with SQLite's OR FAIL conflict
// clause: a statement that writes many rows under NOT NULL constraints and
// the default OR ABORT keeps a statement journal of every page it changes,
// to undo only itself when a row fails (a tenth of the CPU of evaluation's
// marks); OR FAIL leaves the rows it wrote, and the transaction, which
// fails with it, undoes them. PostgreSQL has no such clause.
func (s *Store) orFail(verb string) string {
	if s.d.Name == "sqlite" {
		return verb + " OR FAIL"
	}
	return verb
}

// idsByKey gathers event ids under a key, the keys in the order first seen.
type idsByKey[K comparable] struct {
	keys []K
	ids  map[K][]any
}

func (g *idsByKey[K]) add(k K, id string) {
	if g.ids == nil {
		g.ids = map[K][]any{}
	}
	if _, ok := g.ids[k]; !ok {
		g.keys = append(g.keys, k)
	}
	g.ids[k] = append(g.ids[k], id)
}

// execIn runs query, which ends in "IN ", with args and then the list in,
// evalsPerStatement values of the list at a time, in lists padded to
// inListLen (the shapes evalQueries prepares).
func execIn(ctx context.Context, st *txStmts, query string, args, in []any) error {
	all := make([]any, 0, len(args)+evalsPerStatement)
	for start := 0; start < len(in); start += evalsPerStatement {
		part := in[start:min(start+evalsPerStatement, len(in))]
		n := inListLen(len(part))
		all = padded(append(append(all[:0], args...), part...), len(args)+n)
		if _, err := st.exec(ctx, query+inList(n), all...); err != nil {
			return err
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
