// Package sink defines how alerts and forwarded events leave claudit: the
// Delivery the outbox hands over, the Sink interface every destination
// implements, the error types that tell the outbox what to retry, and the
// Filter that decides which deliveries a sink gets.
//
// Each sink type lives in its own subpackage (webhook, slack, splunk, syslog,
// ocsf, email) and registers a constructor in init. New builds a sink from
// its Config through that registry, so this package imports none of them;
// a program that wants every sink type imports internal/alert/sink/all once
// (blank import in main), exactly like database/sql drivers.
//
// Sinks do not retry on their own: Send makes one attempt per delivery and
// reports what failed; the outbox owns backoff and retries.
package sink

import (
	"context"
	"encoding/json"
	"time"
)

// Kinds of delivery.
const (
	// KindAlert is an alert that was opened or updated.
	KindAlert = "alert"
	// KindEvent is an ingested event sent by the event forwarder.
	KindEvent = "event"
)

// Delivery is one message from the outbox to a sink.
type Delivery struct {
	// ID is the outbox row id; it is also the idempotency key receivers see.
	ID string
	// Kind is KindAlert or KindEvent.
	Kind      string
	CreatedAt time.Time
	// Alert is set when Kind is KindAlert.
	Alert *Alert
	// Event is the event the alert is about, or the forwarded event.
	Event *Event
}

// Alert is the state of one alert at the time it was queued.
type Alert struct {
	ID             string    `json:"id"`
	Policy         string    `json:"policy"`
	Detector       string    `json:"detector"`
	Severity       string    `json:"severity"` // info, low, medium, high or critical
	Action         string    `json:"action,omitempty"`
	OriginalAction string    `json:"original_action,omitempty"`
	Status         string    `json:"status,omitempty"`
	UserID         string    `json:"user_id,omitempty"`
	UserEmail      string    `json:"user_email,omitempty"`
	ChatID         string    `json:"chat_id,omitempty"`
	EventID        string    `json:"event_id,omitempty"`
	Integration    string    `json:"integration,omitempty"`
	Count          int       `json:"count"`
	FirstSeen      time.Time `json:"first_seen"`
	LastSeen       time.Time `json:"last_seen"`
	Tags           []string  `json:"tags,omitempty"`
	// Excerpt is already redacted by the policy engine.
	Excerpt string `json:"excerpt,omitempty"`
	// URL links to the event in the claudit UI.
	URL string `json:"url,omitempty"`
}

// Event is one ingested event: a prompt (chat message) or an access activity.
type Event struct {
	ID   string `json:"id"`
	Kind string `json:"kind"` // "prompt" or "access"
	// Type is the activity type, or "message" for prompts.
	Type string `json:"type"`
	Role string `json:"role,omitempty"`
	// Text is user content and may be hostile: any bytes, markup, newlines,
	// syslog and CEF metacharacters, invalid UTF-8. Every encoder escapes it.
	Text        string          `json:"text,omitempty"`
	Model       string          `json:"model,omitempty"`
	UserID      string          `json:"user_id,omitempty"`
	UserEmail   string          `json:"user_email,omitempty"`
	ChatID      string          `json:"chat_id,omitempty"`
	Integration string          `json:"integration,omitempty"`
	IP          string          `json:"ip,omitempty"`
	UserAgent   string          `json:"user_agent,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
	Tags        []string        `json:"tags,omitempty"`
	Raw         json.RawMessage `json:"raw,omitempty"`
}

// Sink sends batches of deliveries to one destination.
type Sink interface {
	// Name is the configured name, used in logs and outbox rows.
	Name() string
	// Send makes one attempt to deliver every delivery in batch. nil means
	// all were delivered. A *PartialError lists the deliveries that failed
	// (the others were delivered); any other error applies to the whole
	// batch. Errors marked with Permanent must not be retried.
	Send(ctx context.Context, batch []Delivery) error
}

type acceptedKey struct{}

// WithAccepted returns a context under which Send reports each delivery the
// moment its receiver accepted it, by calling fn with its ID, so the outbox
// can record it as sent before the rest of the batch goes out: a crash then
// repeats only the deliveries that were in flight.
func WithAccepted(ctx context.Context, fn func(ids ...string)) context.Context {
	return context.WithValue(ctx, acceptedKey{}, fn)
}

// Accepted is what a sink calls once a receiver accepted the deliveries with
// these IDs (a 2xx answer, a written and synced record, an SMTP 250).
func Accepted(ctx context.Context, ids ...string) {
	if fn, ok := ctx.Value(acceptedKey{}).(func(ids ...string)); ok && len(ids) > 0 {
		fn(ids...)
	}
}
