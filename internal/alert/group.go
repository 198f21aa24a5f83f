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
	var items []store.OutboxItem
	for _, e := range evals {
		for _, f := range e.Findings {
			if f.EffectiveAction != "alert" {
				continue
			}
			al, isNew, counted, err := r.group(ctx, tx, e, f, sups)
			if err != nil {
				return err
			}
			if counted && !al.Suppressed {
				items = append(items, r.onAlert(*al, isNew)...)
			}
		}
		items = append(items, r.onEvent(e)...)
	}
	return tx.Enqueue(ctx, items)
}

// window is how far back a finding looks for an alert to join (default 1h).
func (r *Router) window() time.Duration {
	if r.Window <= 0 {
		return time.Hour
	}
	return r.Window
}

// group adds a finding to the open alert of its policy, user and chat
// within the window, or opens one. counted is false when the event was
// already counted (re-evaluation).
func (r *Router) group(ctx context.Context, tx store.Tx, e store.Evaluation, f store.Finding, sups []store.Suppression) (al *store.Alert, isNew, counted bool, err error) {
	at := f.EventTime
	if at.IsZero() {
		at = tx.Now()
	}
	id, err := tx.OpenAlertID(ctx, e.IntegrationID, f.Policy, f.UserID, f.ChatID, at.Add(-r.window()))
	isNew = errors.Is(err, store.ErrNotFound)
	if err != nil && !isNew {
		return nil, false, false, err
	}
	if isNew {
		a := &store.Alert{IntegrationID: e.IntegrationID, Policy: f.Policy, Detector: f.Detector, Severity: f.Severity, Action: f.Action,
			UserID: f.UserID, UserEmail: f.UserEmail, ChatID: f.ChatID, EventKind: e.Kind, EventID: e.EventID, Entity: f.Entity,
			Excerpt: f.Excerpt, FirstSeen: at, Suppressed: suppressed(sups, f)}
		if err := tx.InsertAlert(ctx, a); err != nil {
			return nil, false, false, err
		}
		id = a.ID
	}
	if counted, err = tx.AddAlertEvent(ctx, id, e.Kind, e.EventID, at, f.Excerpt, f.Entity); err != nil {
		return nil, false, false, err
	}
	if al, err = tx.AlertByID(ctx, id); err != nil {
		return nil, false, false, err
	}
	return al, isNew, counted, nil
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
