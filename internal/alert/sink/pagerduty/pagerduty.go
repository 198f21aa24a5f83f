// Package pagerduty is the PagerDuty sink (type "pagerduty"): each alert
// becomes a trigger event of the Events API v2, so on-call gets paged for
// what the policies mark as urgent. The dedup key is the alert's id, so a
// re-delivered or re-raised alert adds to the same incident instead of
// opening another.
package pagerduty

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/claudit/claudit/internal/alert/sink"
)

// Type is the sink type name in the configuration.
const Type = "pagerduty"

// DefaultURL is the Events API v2 endpoint (use
// https://events.eu.pagerduty.com/v2/enqueue for an EU account).
const DefaultURL = "https://events.pagerduty.com/v2/enqueue"

// maxSummary is the Events API's limit on payload.summary.
const maxSummary = 1024

// defaultMaxText bounds the excerpt in custom_details: the API refuses
// events over 512 KB.
const defaultMaxText = 4 << 10

func init() {
	sink.Register(Type, func(c sink.Config) (sink.Sink, error) { return New(c) })
}

// Sink sends trigger events to PagerDuty.
type Sink struct {
	name       string
	url        string
	routingKey string
	header     http.Header
	client     *http.Client
	maxText    int
}

// New builds a PagerDuty sink from cfg.PagerDuty.
func New(cfg sink.Config) (*Sink, error) {
	pc := cfg.PagerDuty
	if pc == nil {
		return nil, errors.New("missing pagerduty settings")
	}
	if pc.RoutingKey == "" {
		return nil, errors.New("pagerduty: routing_key is required (the integration key of an Events API v2 service)")
	}
	url := pc.URL
	if url == "" {
		url = DefaultURL
	}
	if err := sink.CheckURL("pagerduty url", url); err != nil {
		return nil, err
	}
	client, err := sink.NewHTTPClient(cfg.AttemptTimeout(), pc.TLS)
	if err != nil {
		return nil, fmt.Errorf("pagerduty tls: %w", err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "claudit/"+cfg.ProductVersion())
	return &Sink{name: cfg.Name, url: url, routingKey: pc.RoutingKey, header: h, client: client,
		maxText: cfg.TextLimit(defaultMaxText)}, nil
}

// Name returns the configured name.
func (s *Sink) Name() string { return s.name }

// Send posts one trigger event per alert delivery. Event deliveries (the
// event forwarder) are refused permanently: PagerDuty pages people, and a
// sink only gets them when its filter asks for kind "event".
func (s *Sink) Send(ctx context.Context, batch []sink.Delivery) error {
	var res sink.Results
	for i, d := range batch {
		if ctx.Err() != nil {
			res.FailAll(batch[i:], sink.CanceledErr(ctx))
			break
		}
		if d.Kind != sink.KindAlert || d.Alert == nil {
			res.Fail(d.ID, sink.Permanent(fmt.Errorf("pagerduty %s: delivery %s is an event, not an alert; leave \"event\" out of the sink's filter kinds", s.name, d.ID)))
			continue
		}
		body, err := json.Marshal(s.event(d))
		if err != nil {
			res.Fail(d.ID, sink.Permanent(err))
			continue
		}
		if _, err := sink.Post(ctx, s.client, s.url, s.header, body); err != nil {
			res.Fail(d.ID, fmt.Errorf("pagerduty %s: deliver %s: %w", s.name, d.ID, err))
			continue
		}
		sink.Accepted(ctx, d.ID)
	}
	return res.Err()
}

// event is the Events API v2 document of an alert delivery.
type event struct {
	RoutingKey  string  `json:"routing_key"`
	EventAction string  `json:"event_action"`
	DedupKey    string  `json:"dedup_key"`
	Payload     payload `json:"payload"`
	Client      string  `json:"client"`
	ClientURL   string  `json:"client_url,omitempty"`
	Links       []link  `json:"links,omitempty"`
}

type payload struct {
	Summary       string         `json:"summary"`
	Source        string         `json:"source"`
	Severity      string         `json:"severity"`
	Timestamp     string         `json:"timestamp,omitempty"`
	Component     string         `json:"component,omitempty"`
	Group         string         `json:"group,omitempty"`
	Class         string         `json:"class,omitempty"`
	CustomDetails map[string]any `json:"custom_details"`
}

type link struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

func (s *Sink) event(d sink.Delivery) event {
	a := d.Alert
	who := a.UserEmail
	if who == "" {
		who = a.UserID
	}
	summary := fmt.Sprintf("claudit %s: %s (%s) by %s", a.Severity, a.Policy, a.Detector, who)
	if a.Count > 1 {
		summary += fmt.Sprintf(", %d times", a.Count)
	}
	source := a.Integration
	if source == "" {
		source = "claudit"
	}
	details := map[string]any{
		"alert_id": a.ID, "policy": a.Policy, "detector": a.Detector, "status": a.Status, "action": a.Action,
		"user_id": a.UserID, "user_email": a.UserEmail, "chat_id": a.ChatID, "event_id": a.EventID,
		"count": a.Count, "first_seen": a.FirstSeen.UTC().Format(time.RFC3339), "tags": a.Tags,
		"excerpt": truncate(a.Excerpt, s.maxText),
	}
	ev := event{RoutingKey: s.routingKey, EventAction: "trigger", DedupKey: "claudit-" + a.ID, Client: "claudit", ClientURL: a.URL,
		Payload: payload{Summary: truncate(summary, maxSummary), Source: source, Severity: Severity(a.Severity),
			Component: a.Detector, Group: a.Policy, Class: a.Severity, CustomDetails: details}}
	if !a.LastSeen.IsZero() {
		ev.Payload.Timestamp = a.LastSeen.UTC().Format(time.RFC3339)
	}
	if a.URL != "" {
		ev.Links = []link{{Href: a.URL, Text: "Open in claudit"}}
	}
	return ev
}

// Severity maps a claudit severity to the Events API's four.
func Severity(s string) string {
	switch s {
	case "critical":
		return "critical"
	case "high":
		return "error"
	case "medium":
		return "warning"
	}
	return "info"
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	cut := max(n-len(mark), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}
