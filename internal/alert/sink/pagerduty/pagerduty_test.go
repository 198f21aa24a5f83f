package pagerduty_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/alert/sink"
	"github.com/claudit/claudit/internal/alert/sink/pagerduty"
	"github.com/claudit/claudit/internal/alert/sink/sinktest"
)

func newSink(t testing.TB, url string) *pagerduty.Sink {
	t.Helper()
	s, err := pagerduty.New(sink.Config{Type: pagerduty.Type, Name: "oncall", PagerDuty: &sink.PagerDutyConfig{RoutingKey: "R0UT1NGKEY", URL: url}})
	if err != nil {
		t.Fatalf("new pagerduty: %v", err)
	}
	return s
}

type sent struct {
	RoutingKey  string `json:"routing_key"`
	EventAction string `json:"event_action"`
	DedupKey    string `json:"dedup_key"`
	ClientURL   string `json:"client_url"`
	Payload     struct {
		Summary       string         `json:"summary"`
		Source        string         `json:"source"`
		Severity      string         `json:"severity"`
		Timestamp     string         `json:"timestamp"`
		Component     string         `json:"component"`
		Group         string         `json:"group"`
		CustomDetails map[string]any `json:"custom_details"`
	} `json:"payload"`
	Links []struct{ Href, Text string } `json:"links"`
}

func TestSendTriggersOneEventPerAlert(t *testing.T) {
	rcv := sinktest.NewHTTPReceiver(t)
	rcv.Respond(func(sinktest.Request) (int, string) {
		return http.StatusAccepted, `{"status":"success","message":"Event processed"}`
	})
	s := newSink(t, rcv.URL+"/v2/enqueue")
	if err := s.Send(context.Background(), []sink.Delivery{sinktest.Alert("d1"), sinktest.Alert("d2")}); err != nil {
		t.Fatalf("send: %v", err)
	}
	reqs := rcv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("got %d requests, want 2", len(reqs))
	}
	var ev sent
	if err := json.Unmarshal(reqs[0].Body, &ev); err != nil {
		t.Fatalf("body: %v\n%s", err, reqs[0].Body)
	}
	p := ev.Payload
	switch {
	case reqs[0].Path != "/v2/enqueue" || reqs[0].Header.Get("Content-Type") != "application/json":
		t.Errorf("request %s %v", reqs[0].Path, reqs[0].Header)
	case ev.RoutingKey != "R0UT1NGKEY" || ev.EventAction != "trigger" || ev.DedupKey != "claudit-al_d1":
		t.Errorf("envelope %+v", ev)
	case p.Severity != "error" || p.Source != "claude.ai" || p.Component != "secrets" || p.Group != "no-secrets-in-prompts":
		t.Errorf("payload %+v", p)
	case !strings.Contains(p.Summary, "no-secrets-in-prompts") || !strings.Contains(p.Summary, "ada@example.com") || !strings.Contains(p.Summary, "3 times"):
		t.Errorf("summary %q", p.Summary)
	case p.Timestamp == "" || p.CustomDetails["alert_id"] != "al_d1" || p.CustomDetails["excerpt"] == "":
		t.Errorf("details %+v, timestamp %q", p.CustomDetails, p.Timestamp)
	case len(ev.Links) != 1 || ev.Links[0].Href != "https://claudit.example/events/ev_01" || ev.ClientURL == "":
		t.Errorf("links %+v", ev.Links)
	}
}

func TestSeverityMap(t *testing.T) {
	for in, want := range map[string]string{"critical": "critical", "high": "error", "medium": "warning", "low": "info", "info": "info", "": "info"} {
		if got := pagerduty.Severity(in); got != want {
			t.Errorf("Severity(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestErrorsAndKinds(t *testing.T) {
	rcv := sinktest.NewHTTPReceiver(t)
	s := newSink(t, rcv.URL+"/v2/enqueue")
	// A rate limit is retried by the outbox; a 400 is not.
	rcv.FailNext(1, http.StatusTooManyRequests)
	err := s.Send(context.Background(), []sink.Delivery{sinktest.Alert("d1")})
	if err == nil || sink.IsPermanent(err) {
		t.Fatalf("429: %v, want a retryable error", err)
	}
	rcv.FailNext(1, http.StatusBadRequest)
	if err := s.Send(context.Background(), []sink.Delivery{sinktest.Alert("d1")}); err == nil || !sink.IsPermanent(err) {
		t.Fatalf("400: %v, want a permanent error", err)
	}
	// Forwarded events are refused, alerts beside them still go out.
	rcv.Reset()
	err = s.Send(context.Background(), []sink.Delivery{sinktest.Access("e1", "user_logged_in"), sinktest.Alert("d2")})
	var pe *sink.PartialError
	if !errors.As(err, &pe) || rcv.Count() != 1 {
		t.Fatalf("event delivery: %v with %d requests, want a partial error and one request", err, rcv.Count())
	}
}

func TestHostileAlertStaysWithinLimits(t *testing.T) {
	rcv := sinktest.NewHTTPReceiver(t)
	s := newSink(t, rcv.URL)
	if err := s.Send(context.Background(), []sink.Delivery{sinktest.Hostile("h1", 1<<20)}); err != nil {
		t.Fatalf("send: %v", err)
	}
	var ev sent
	body := rcv.Requests()[0].Body
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatalf("body: %v", err)
	}
	if len(ev.Payload.Summary) > 1024 || len(body) > 64<<10 {
		t.Errorf("summary %d bytes, body %d bytes", len(ev.Payload.Summary), len(body))
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []sink.Config{
		{Type: pagerduty.Type, Name: "a"},
		{Type: pagerduty.Type, Name: "b", PagerDuty: &sink.PagerDutyConfig{}},
		{Type: pagerduty.Type, Name: "c", PagerDuty: &sink.PagerDutyConfig{RoutingKey: "k", URL: "ftp://x"}},
	} {
		if _, err := pagerduty.New(c); err == nil {
			t.Errorf("%s: config accepted", c.Name)
		}
	}
}
