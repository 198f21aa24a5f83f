// Package alert turns policy findings into alerts and deliveries: it groups
// findings into alerts within a window, applies suppressions, routes alerts
// and forwarded events to the configured sinks through the store's durable
// outbox, and delivers the outbox with retries, backoff and a dead-letter
// state. The store only stores; every alerting decision is made here.
package alert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/claudit/claudit/internal/alert/sink"
	"github.com/claudit/claudit/internal/store"
)

// Router decides which sinks get which alerts and events.
type Router struct {
	Sinks []RoutedSink
	// BaseURL of the claudit UI, for links in alerts.
	BaseURL string
	// Integrations names integration ids for payloads.
	Integrations map[int64]string
	// Window groups findings of one policy, user and chat into one alert
	// (default 1h).
	Window time.Duration
}

// RoutedSink is a sink's name and filter.
type RoutedSink struct {
	Name   string
	Filter sink.Filter
}

// notifyCounts are the alert counts at which an update is delivered again,
// so a noisy alert is a few messages, not a flood.
var notifyCounts = []int{10, 100, 1000, 10000}

func (r *Router) onAlert(a store.Alert, isNew bool) []store.OutboxItem {
	if !isNew && !slices.Contains(notifyCounts, a.Count) {
		return nil
	}
	d := sink.Delivery{Kind: sink.KindAlert, CreatedAt: time.Now().UTC(), Alert: r.toSinkAlert(a)}
	return r.route(d)
}

func (r *Router) onEvent(e store.Evaluation) []store.OutboxItem {
	if len(r.Sinks) == 0 { // nothing routes it: skip building it for every event
		return nil
	}
	ev := r.toSinkEvent(e)
	if ev == nil {
		return nil
	}
	return r.route(sink.Delivery{Kind: sink.KindEvent, CreatedAt: time.Now().UTC(), Event: ev})
}

func (r *Router) route(d sink.Delivery) []store.OutboxItem {
	var items []store.OutboxItem
	var payload []byte
	for _, s := range r.Sinks {
		if !s.Filter.Match(d) {
			continue
		}
		if payload == nil {
			var err error
			if payload, err = json.Marshal(d); err != nil {
				return nil
			}
		}
		items = append(items, store.OutboxItem{Sink: s.Name, Kind: d.Kind, Payload: payload})
	}
	return items
}

func (r *Router) toSinkAlert(a store.Alert) *sink.Alert {
	url := ""
	if r.BaseURL != "" {
		url = strings.TrimRight(r.BaseURL, "/") + "/alerts/" + strconv.FormatInt(a.ID, 10)
	}
	action := a.Action
	if action == "block" || action == "modify" {
		action = "alert"
	}
	return &sink.Alert{ID: strconv.FormatInt(a.ID, 10), Policy: a.Policy, Detector: a.Detector, Severity: a.Severity,
		Action: action, OriginalAction: a.Action, Status: a.Status, UserID: a.UserID, UserEmail: a.UserEmail, ChatID: a.ChatID,
		EventID: a.EventID, Integration: r.Integrations[a.IntegrationID], Count: a.Count, FirstSeen: a.FirstSeen,
		LastSeen: a.LastSeen, Excerpt: a.Excerpt, URL: url}
}

func (r *Router) toSinkEvent(e store.Evaluation) *sink.Event {
	switch {
	case e.Message != nil:
		m := e.Message
		return &sink.Event{ID: m.ID, Kind: "prompt", Type: "message", Role: m.Role, Text: m.Text, Model: m.Model, UserID: m.UserID,
			UserEmail: m.UserEmail, ChatID: m.ChatID, Integration: r.Integrations[m.IntegrationID], CreatedAt: m.CreatedAt, Tags: e.Tags}
	case e.Activity != nil:
		a := e.Activity
		return &sink.Event{ID: a.ID, Kind: "access", Type: a.Type, UserID: a.ActorUserID, UserEmail: a.ActorEmail, ChatID: a.ChatID,
			Integration: r.Integrations[a.IntegrationID], IP: a.IP, UserAgent: a.UserAgent, CreatedAt: a.CreatedAt, Tags: e.Tags, Raw: a.Raw}
	}
	return nil
}

// Outbox is the store's delivery queue as the Deliverer uses it.
type Outbox interface {
	// InstallID is the database's random id, made once when it was created.
	InstallID(ctx context.Context) (string, error)
	// ClaimOutbox leases up to n due pending rows to worker.
	ClaimOutbox(ctx context.Context, worker string, n int, lease time.Duration) ([]store.OutboxItem, error)
	// ExtendOutbox renews worker's leases on rows it is still sending.
	ExtendOutbox(ctx context.Context, ids []int64, worker string, lease time.Duration) error
	// CompleteOutbox marks a row delivered.
	CompleteOutbox(ctx context.Context, id int64, worker string) error
	// FailOutbox records a failed attempt: retry at next, or dead when dead is set.
	FailOutbox(ctx context.Context, id int64, worker, errText string, next time.Time, dead bool) error
}

// Deliverer drains the outbox into the sinks: at least once, with
// exponential backoff, and a dead-letter state after MaxAttempts.
type Deliverer struct {
	Store       Outbox
	Sinks       map[string]sink.Sink
	Worker      string
	Batch       int
	MaxAttempts int
	// MinBackoff and MaxBackoff bound retry delays (default 5s and 1h).
	MinBackoff, MaxBackoff time.Duration
	// Lease is how long a claimed row stays with this worker (default 1m).
	Lease time.Duration
	// Poll is the idle wait between empty claims (default 500ms).
	Poll time.Duration
	Log  *slog.Logger

	install string // the store's install id, read on the first claim
}

func (d *Deliverer) defaults() {
	if d.Batch <= 0 {
		d.Batch = 100
	}
	if d.MaxAttempts <= 0 {
		d.MaxAttempts = 10
	}
	if d.MinBackoff <= 0 {
		d.MinBackoff = 5 * time.Second
	}
	if d.MaxBackoff <= 0 {
		d.MaxBackoff = time.Hour
	}
	if d.Lease <= 0 {
		d.Lease = time.Minute
	}
	if d.Poll <= 0 {
		d.Poll = 500 * time.Millisecond
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Worker == "" {
		d.Worker = "deliverer"
	}
}

// Run delivers until ctx ends.
func (d *Deliverer) Run(ctx context.Context) error {
	d.defaults()
	for {
		n, err := d.DeliverOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			d.Log.Error("outbox delivery", "err", err)
		}
		if n == 0 || err != nil {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(d.Poll):
			}
		}
	}
}

// DeliverOnce claims one batch and sends it; it returns how many rows it
// handled. Each row is recorded as sent the moment its receiver accepts it,
// and the leases on rows not yet sent are renewed while sinks work, so a
// slow sink does not let another worker claim and send them again.
func (d *Deliverer) DeliverOnce(ctx context.Context) (int, error) {
	d.defaults()
	if d.install == "" {
		id, err := d.Store.InstallID(ctx)
		if err != nil {
			return 0, err
		}
		d.install = id
	}
	items, err := d.Store.ClaimOutbox(ctx, d.Worker, d.Batch, d.Lease)
	if err != nil || len(items) == 0 {
		return 0, err
	}
	h := &held{rows: map[int64]bool{}}
	bySink := map[string][]store.OutboxItem{}
	var order []string
	for _, it := range items {
		h.rows[it.ID] = true
		if _, ok := bySink[it.Sink]; !ok {
			order = append(order, it.Sink)
		}
		bySink[it.Sink] = append(bySink[it.Sink], it)
	}
	stop := d.renew(ctx, h)
	defer stop()
	var errs []error
	for _, name := range order {
		errs = append(errs, d.send(ctx, name, bySink[name], h))
	}
	return len(items), errors.Join(errs...)
}

// held is the set of claimed rows this worker has not yet settled.
type held struct {
	mu   sync.Mutex
	rows map[int64]bool
}

func (h *held) settle(id int64) {
	h.mu.Lock()
	delete(h.rows, id)
	h.mu.Unlock()
}

func (h *held) ids() []int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]int64, 0, len(h.rows))
	for id := range h.rows {
		out = append(out, id)
	}
	return out
}

// renew extends the leases of unsettled rows every third of a lease until
// the returned stop is called.
func (d *Deliverer) renew(ctx context.Context, h *held) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(max(d.Lease/3, time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if err := d.Store.ExtendOutbox(ctx, h.ids(), d.Worker, d.Lease); err != nil && ctx.Err() == nil {
				d.Log.Warn("renew outbox leases", "err", err)
			}
		}
	}()
	return func() { close(done); <-finished }
}

// DeliveryID is the idempotency key receivers see for an outbox row of the
// database with this install id: the same on every retry of the row, and
// unique across installs sending to one receiver.
func DeliveryID(install string, id int64) string {
	return "claudit-" + install + "-" + strconv.FormatInt(id, 10)
}

func (d *Deliverer) send(ctx context.Context, name string, items []store.OutboxItem, h *held) error {
	s, ok := d.Sinks[name]
	if !ok {
		for _, it := range items {
			_ = d.Store.FailOutbox(ctx, it.ID, d.Worker, "sink "+name+" is not configured any more", time.Now(), true)
			h.settle(it.ID)
		}
		return nil
	}
	batch := make([]sink.Delivery, 0, len(items))
	byID := map[string]store.OutboxItem{}
	for _, it := range items {
		var del sink.Delivery
		if err := json.Unmarshal(it.Payload, &del); err != nil {
			_ = d.Store.FailOutbox(ctx, it.ID, d.Worker, "undecodable payload: "+err.Error(), time.Now(), true)
			h.settle(it.ID)
			continue
		}
		del.ID = DeliveryID(d.install, it.ID)
		byID[del.ID] = it
		batch = append(batch, del)
	}
	if len(batch) == 0 {
		return nil
	}
	// Recording survives cancellation: a receiver that accepted a delivery
	// during shutdown must not get it again after the restart.
	record := context.WithoutCancel(ctx)
	var mu sync.Mutex
	sent := map[string]bool{}
	var recErr error
	complete := func(id string) {
		mu.Lock()
		defer mu.Unlock()
		it, ok := byID[id]
		if !ok || sent[id] {
			return
		}
		if err := d.Store.CompleteOutbox(record, it.ID, d.Worker); err != nil {
			recErr = errors.Join(recErr, err)
			return
		}
		sent[id] = true
		h.settle(it.ID)
	}
	err := s.Send(sink.WithAccepted(ctx, func(ids ...string) {
		for _, id := range ids {
			complete(id)
		}
	}), batch)
	var partial *sink.PartialError
	failed := map[string]error{}
	switch {
	case err == nil:
	case errors.As(err, &partial):
		failed = partial.Failed
	default:
		for id := range byID {
			failed[id] = err
		}
	}
	for id, it := range byID {
		ferr, bad := failed[id]
		if !bad {
			// Sinks that do not report acceptance one by one.
			complete(id)
			continue
		}
		mu.Lock()
		already := sent[id]
		mu.Unlock()
		if already {
			continue
		}
		dead := sink.IsPermanent(ferr) || it.Attempts+1 >= d.MaxAttempts
		next := time.Now().Add(d.backoff(it.Attempts))
		if dead {
			d.Log.Warn("delivery moved to dead letters", "sink", name, "outbox_id", it.ID, "attempts", it.Attempts+1, "err", ferr)
		}
		if ferr2 := d.Store.FailOutbox(record, it.ID, d.Worker, ferr.Error(), next, dead); ferr2 != nil {
			return ferr2
		}
		h.settle(it.ID)
	}
	if recErr != nil {
		return fmt.Errorf("sink %s: record deliveries: %w", name, recErr)
	}
	if err != nil {
		return fmt.Errorf("sink %s: %w", name, err)
	}
	return nil
}

// backoff is exponential with jitter: MinBackoff·2^attempt, capped.
func (d *Deliverer) backoff(attempt int) time.Duration {
	b := d.MinBackoff << min(attempt, 20)
	if b <= 0 || b > d.MaxBackoff {
		b = d.MaxBackoff
	}
	return b/2 + time.Duration(rand.Int64N(int64(b/2)+1))
}
