package alert

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// Transactor runs a function in one store transaction.
type Transactor interface {
	WithTx(ctx context.Context, fn func(tx store.Tx) error) error
}

// Save stores evaluations and raises their alerts in one transaction: a
// finding, its alert and its deliveries commit together or not at all.
func (r *Router) Save(ctx context.Context, st Transactor, evals []store.Evaluation) error {
	if len(evals) == 0 {
		return nil
	}
	return st.WithTx(ctx, func(tx store.Tx) error {
		if err := tx.SaveEvaluations(ctx, evals); err != nil {
			return err
		}
		return r.Raise(ctx, tx, evals)
	})
}

// Raise groups the alert-level findings of evals into alerts and queues
// the deliveries of alerts and forwarded events, inside tx. A finding joins
// the open alert of its policy, user and chat last seen within the window
// before it, or opens one; an event counts once per alert, so evaluating
// it again under the same policies changes nothing. Alerts that a
// suppression matches when they open are recorded as suppressed and never
// delivered.
func (r *Router) Raise(ctx context.Context, tx store.Tx, evals []store.Evaluation) error {
	sups, err := tx.ActiveSuppressions(ctx)
	if err != nil {
		return err
	}
	open := map[groupKey]openAlert{}
	linked := map[alertEvent]bool{}
	var items []store.OutboxItem
	for _, e := range evals {
		for _, f := range e.Findings {
			if f.EffectiveAction != "alert" {
				continue
			}
			id, isNew, counted, err := r.group(ctx, tx, e, f, sups, open, linked)
			if err != nil {
				return err
			}
			// Without sinks nothing is delivered, and the alert need not
			// be read back (it was a sixth of the evaluation's writes).
			if !counted || len(r.Sinks) == 0 {
				continue
			}
			al, err := tx.AlertByID(ctx, id)
			if err != nil {
				return err
			}
			if !al.Suppressed {
				items = append(items, r.onAlert(*al, isNew)...)
			}
		}
		items = append(items, r.onEvent(e)...)
	}
	return tx.Enqueue(ctx, items)
}

// alertEvent is an event linked to an alert.
type alertEvent struct {
	alertID       int64
	kind, eventID string
}

// groupKey names the alerts a finding may join: its policy, user and chat.
type groupKey struct {
	integrationID        int64
	policy, user, chatID string
}

// openAlert is the open alert of a group that the newest finding of the
// group in this transaction joined: the group's alert last seen latest,
// last seen at or after seenBy.
type openAlert struct {
	id     int64
	seenBy time.Time
}

// window is how far back a finding looks for an alert to join (default 1h).
func (r *Router) window() time.Duration {
	if r.Window <= 0 {
		return time.Hour
	}
	return r.Window
}

// group adds a finding to the open alert of its policy, user and chat
// within the window, or opens one, and returns the alert's id. counted is
// false when the event was already counted (re-evaluation). open remembers,
// for this transaction, each group's latest alert, so a finding whose window
// reaches back to it joins it without a lookup (the lookup's answer: the
// group's open alert last seen latest, if within the window). linked
// remembers the events this transaction linked: an event's further findings
// in the same alert (most PII findings share their event with others) would
// only be refused by the store, which costs a statement each.
func (r *Router) group(ctx context.Context, tx store.Tx, e store.Evaluation, f store.Finding, sups []store.Suppression,
	open map[groupKey]openAlert, linked map[alertEvent]bool) (id int64, isNew, counted bool, err error) {
	at := f.EventTime
	if at.IsZero() {
		at = tx.Now()
	}
	since := at.Add(-r.window())
	k := groupKey{e.IntegrationID, f.Policy, f.UserID, f.ChatID}
	if o, ok := open[k]; ok && !o.seenBy.Before(since) {
		id = o.id
	} else {
		id, err = tx.OpenAlertID(ctx, e.IntegrationID, f.Policy, f.UserID, f.ChatID, since)
		isNew = errors.Is(err, store.ErrNotFound)
		if err != nil && !isNew {
			return 0, false, false, err
		}
		open[k] = openAlert{id: id, seenBy: since}
	}
	if isNew {
		a := &store.Alert{IntegrationID: e.IntegrationID, Policy: f.Policy, Detector: f.Detector, Severity: f.Severity, Action: f.Action,
			UserID: f.UserID, UserEmail: f.UserEmail, ChatID: f.ChatID, EventKind: e.Kind, EventID: e.EventID, Entity: f.Entity,
			Excerpt: f.Excerpt, FirstSeen: at, Suppressed: suppressed(sups, f)}
		if err := tx.InsertAlert(ctx, a); err != nil {
			return 0, false, false, err
		}
		id = a.ID
		open[k] = openAlert{id: id, seenBy: at}
		linked[alertEvent{id, e.Kind, e.EventID}] = true
		return id, true, true, nil // the store counted the event with the alert
	}
	ae := alertEvent{id, e.Kind, e.EventID}
	if linked[ae] {
		return id, isNew, false, nil
	}
	if counted, err = tx.AddAlertEvent(ctx, id, e.Kind, e.EventID, at, f.Excerpt, f.Entity); err != nil {
		return 0, false, false, err
	}
	linked[ae] = true
	if o := open[k]; counted && at.After(o.seenBy) {
		open[k] = openAlert{id: id, seenBy: at}
	}
	return id, isNew, counted, nil
}

// suppressed reports whether a rule matches the finding: every criterion
// a rule sets must match (the user by id or email, the pattern in the
// excerpt or the entity).
func suppressed(sups []store.Suppression, f store.Finding) bool {
	for _, sp := range sups {
		if sp.Policy != "" && sp.Policy != f.Policy {
			continue
		}
		if sp.User != "" && sp.User != f.UserID && !strings.EqualFold(sp.User, f.UserEmail) {
			continue
		}
		if sp.Pattern != "" && !strings.Contains(f.Excerpt, sp.Pattern) && !strings.Contains(f.Entity, sp.Pattern) {
			continue
		}
		return true
	}
	return false
}
