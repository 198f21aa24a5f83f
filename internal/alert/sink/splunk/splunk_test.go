package splunk_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/alert/sink"
	"github.com/claudit/claudit/internal/alert/sink/sinktest"
	"github.com/claudit/claudit/internal/alert/sink/splunk"
)

const token = "hec-token"

func newSink(t *testing.T, url string, mut func(*sink.SplunkConfig)) sink.Sink {
	t.Helper()
	sc := &sink.SplunkConfig{URL: url, Token: token, Index: "claudit", Host: "claudit-1", AckInterval: time.Millisecond}
	if mut != nil {
		mut(sc)
	}
	s, err := sink.New(sink.Config{Type: splunk.Type, Name: "splunk", Splunk: sc})
	if err != nil {
		t.Fatalf("new splunk sink: %v", err)
	}
	return s
}

type delivery struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"`
	Event *struct {
		Text          string `json:"text"`
		TextTruncated bool   `json:"text_truncated"`
	} `json:"event"`
}

func decode(t *testing.T, e sinktest.HECEvent) delivery {
	t.Helper()
	var d delivery
	if err := json.Unmarshal(e.Event, &d); err != nil {
		t.Fatalf("parse event: %v\n%s", err, e.Event)
	}
	return d
}

func TestSend(t *testing.T) {
	hec := sinktest.NewHECReceiver(t, token)
	s := newSink(t, hec.URL, nil)
	batch := []sink.Delivery{sinktest.Alert("d1"), sinktest.Access("d2", "sso_login_succeeded"), sinktest.Alert("d3")}
	if err := s.Send(context.Background(), batch); err != nil {
		t.Fatalf("send: %v", err)
	}
	if n := hec.Count(); n != 1 {
		t.Errorf("%d requests, want 1 for the whole batch", n)
	}
	evs := hec.Events()
	if len(evs) != 3 {
		t.Fatalf("got %d events, want 3", len(evs))
	}
	wantType := []string{"claudit:alert", "claudit:event", "claudit:alert"}
	for i, e := range evs {
		if e.Time != "1773500966.535" || e.Index != "claudit" || e.Host != "claudit-1" || e.Source != "claudit" || e.SourceType != wantType[i] {
			t.Errorf("event %d envelope %+v", i, e)
		}
		if d := decode(t, e); d.ID != batch[i].ID {
			t.Errorf("event %d id %q", i, d.ID)
		}
	}
	if h := hec.Requests()[0].Header; h.Get("X-Splunk-Request-Channel") != "" {
		t.Error("channel header sent without ack")
	}
}

func TestSplitsLargeBatches(t *testing.T) {
	hec := sinktest.NewHECReceiver(t, token)
	s := newSink(t, hec.URL, func(c *sink.SplunkConfig) { c.MaxRequestBytes = 1500; c.SourceType = "custom" })
	var batch []sink.Delivery
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		batch = append(batch, sinktest.Alert(id))
	}
	if err := s.Send(context.Background(), batch); err != nil {
		t.Fatalf("send: %v", err)
	}
	if n := hec.Count(); n < 2 {
		t.Errorf("%d requests, want the batch split", n)
	}
	evs := hec.Events()
	if len(evs) != 5 || evs[4].SourceType != "custom" {
		t.Errorf("got %d events (%+v)", len(evs), evs)
	}
}

func TestPartialFailureAcrossRequests(t *testing.T) {
	hec := sinktest.NewHECReceiver(t, token)
	hec.FailNext(1, http.StatusServiceUnavailable)
	s := newSink(t, hec.URL, func(c *sink.SplunkConfig) { c.MaxRequestBytes = 1 }) // one event per request
	err := s.Send(context.Background(), []sink.Delivery{sinktest.Alert("d1"), sinktest.Alert("d2")})
	var pe *sink.PartialError
	if !errors.As(err, &pe) || len(pe.Failed) != 1 || pe.Failed["d1"] == nil || sink.IsPermanent(err) {
		t.Fatalf("err = %v, want d1 failed retryably", err)
	}
}

func TestAck(t *testing.T) {
	hec := sinktest.NewHECReceiver(t, token)
	hec.AckAfter(3)
	s := newSink(t, hec.URL, func(c *sink.SplunkConfig) { c.Ack = true })
	if err := s.Send(context.Background(), []sink.Delivery{sinktest.Alert("d1"), sinktest.Alert("d2")}); err != nil {
		t.Fatalf("send: %v", err)
	}
	reqs := hec.Requests()
	if len(reqs) < 4 || reqs[0].Path != "/services/collector/event" || reqs[len(reqs)-1].Path != "/services/collector/ack" {
		t.Fatalf("requests: %d, want event then 3 ack polls", len(reqs))
	}
	ch := reqs[0].Header.Get("X-Splunk-Request-Channel")
	if len(ch) != 36 {
		t.Errorf("channel %q is not a UUID", ch)
	}
	for _, r := range reqs[1:] {
		if r.Header.Get("X-Splunk-Request-Channel") != ch || r.RawQuery != "channel="+ch || !strings.Contains(string(r.Body), `"acks":[0]`) {
			t.Errorf("ack poll %+v", r)
		}
	}
}

func TestAckTimeout(t *testing.T) {
	hec := sinktest.NewHECReceiver(t, token)
	hec.AckAfter(0) // never
	s := newSink(t, hec.URL, func(c *sink.SplunkConfig) { c.Ack = true; c.AckTimeout = 20 * time.Millisecond })
	err := s.Send(context.Background(), []sink.Delivery{sinktest.Alert("d1"), sinktest.Alert("d2")})
	var pe *sink.PartialError
	if !errors.As(err, &pe) || len(pe.Failed) != 2 || sink.IsPermanent(err) {
		t.Fatalf("err = %v, want both retryable", err)
	}
	if !strings.Contains(err.Error(), "not acknowledged") {
		t.Errorf("err = %v, want it to say why", err)
	}
}

func TestFailThenSucceed(t *testing.T) {
	hec := sinktest.NewHECReceiver(t, token)
	hec.FailNext(1, http.StatusInternalServerError)
	s := newSink(t, hec.URL, nil)
	batch := []sink.Delivery{sinktest.Alert("d1")}
	if err := s.Send(context.Background(), batch); err == nil || sink.IsPermanent(err) {
		t.Fatalf("first send: err = %v, want retryable", err)
	}
	if err := s.Send(context.Background(), batch); err != nil {
		t.Fatalf("second send: %v", err)
	}
	if len(hec.Events()) != 1 {
		t.Errorf("got %d events, want 1", len(hec.Events()))
	}
}

func TestBadTokenIsPermanent(t *testing.T) {
	hec := sinktest.NewHECReceiver(t, "other-token")
	err := newSink(t, hec.URL, nil).Send(context.Background(), []sink.Delivery{sinktest.Alert("d1")})
	if !sink.IsPermanent(err) {
		t.Fatalf("err = %v, want permanent", err)
	}
}

func TestReceiverDown(t *testing.T) {
	err := newSink(t, "http://"+sinktest.ClosedAddr(t), nil).Send(context.Background(), []sink.Delivery{sinktest.Alert("d1")})
	if err == nil || sink.IsPermanent(err) {
		t.Fatalf("err = %v, want retryable", err)
	}
}

func TestHostile(t *testing.T) {
	hec := sinktest.NewHECReceiver(t, token)
	s := newSink(t, hec.URL+"/services/collector/event", nil) // full endpoint URL works too
	if err := s.Send(context.Background(), []sink.Delivery{sinktest.HostileEvent("d1", 1<<20), sinktest.Alert("d2")}); err != nil {
		t.Fatalf("send: %v", err)
	}
	evs := hec.Events()
	if len(evs) != 2 {
		t.Fatalf("got %d events, want 2", len(evs))
	}
	d := decode(t, evs[0])
	if !d.Event.TextTruncated || len(d.Event.Text) > sink.DefaultMaxTextBytes {
		t.Errorf("text not truncated: %d bytes", len(d.Event.Text))
	}
	if !strings.HasPrefix(d.Event.Text, strings.ToValidUTF8(sinktest.HostileText, "\uFFFD")) {
		t.Errorf("text = %q…", d.Event.Text[:80])
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		sc   sink.SplunkConfig
	}{
		{"no url", sink.SplunkConfig{Token: "t"}},
		{"no token", sink.SplunkConfig{URL: "https://splunk:8088"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := sink.New(sink.Config{Type: splunk.Type, Splunk: &tt.sc}); err == nil {
				t.Error("accepted")
			}
		})
	}
}
