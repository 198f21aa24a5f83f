package sink_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/claudit/claudit/internal/alert/sink"
	_ "github.com/claudit/claudit/internal/alert/sink/all"
	"github.com/claudit/claudit/internal/alert/sink/sinktest"
)

func TestTypesRegistered(t *testing.T) {
	want := []string{"email", "ocsf", "pagerduty", "slack", "splunk_hec", "syslog", "webhook"}
	if got := sink.Types(); !slices.Equal(got, want) {
		t.Errorf("Types() = %v, want %v", got, want)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		cfg     sink.Config
		wantErr string
	}{
		{"webhook", sink.Config{Type: "webhook", Webhook: &sink.WebhookConfig{URL: "https://x.example/h"}}, ""},
		{"unknown type names the valid ones", sink.Config{Type: "opsgenie", Name: "og"}, `unknown type "opsgenie" (valid types: email, ocsf, pagerduty, slack, splunk_hec, syslog, webhook)`},
		{"settings of another type", sink.Config{Type: "webhook", Webhook: &sink.WebhookConfig{URL: "https://x.example/h"}, Slack: &sink.SlackConfig{}}, "has slack settings"},
		{"missing settings", sink.Config{Type: "slack"}, "needs a slack: block"},
		{"bad filter", sink.Config{Type: "webhook", Webhook: &sink.WebhookConfig{URL: "https://x.example/h"}, Filter: sink.Filter{MinSeverity: "severe"}}, "unknown min_severity"},
		{"negative text limit", sink.Config{Type: "webhook", Webhook: &sink.WebhookConfig{URL: "https://x.example/h"}, MaxTextBytes: -1}, "max_text_bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := sink.New(tt.cfg)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if s.Name() != tt.cfg.Type {
					t.Errorf("Name() = %q, want the type as default", s.Name())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestFilterMatch(t *testing.T) {
	alert := func(sev, policy string) sink.Delivery {
		d := sinktest.Alert("d")
		d.Alert.Severity, d.Alert.Policy = sev, policy
		return d
	}
	event := sinktest.Access("e", "sso_login_failed")
	tests := []struct {
		name string
		f    sink.Filter
		d    sink.Delivery
		want bool
	}{
		{"zero filter passes alerts", sink.Filter{}, alert("info", "p"), true},
		{"zero filter drops events", sink.Filter{}, event, false},
		{"events opted in", sink.Filter{Kinds: []string{"event"}}, event, true},
		{"events only drops alerts", sink.Filter{Kinds: []string{"event"}}, alert("high", "p"), false},
		{"severity at minimum", sink.Filter{MinSeverity: "high"}, alert("high", "p"), true},
		{"severity above minimum", sink.Filter{MinSeverity: "high"}, alert("critical", "p"), true},
		{"severity below minimum", sink.Filter{MinSeverity: "high"}, alert("medium", "p"), false},
		{"severity case-insensitive", sink.Filter{MinSeverity: "High"}, alert("LOW", "p"), false},
		{"unknown severity passes", sink.Filter{MinSeverity: "high"}, alert("weird", "p"), true},
		{"policy allowed", sink.Filter{Policies: []string{"a", "p"}}, alert("low", "p"), true},
		{"policy not allowed", sink.Filter{Policies: []string{"a"}}, alert("critical", "p"), false},
		{"events ignore severity and policy", sink.Filter{Kinds: []string{"alert", "event"}, MinSeverity: "critical", Policies: []string{"a"}}, event, true},
		{"alert kind without alert", sink.Filter{}, sink.Delivery{Kind: "alert"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.Match(tt.d); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFilterValidate(t *testing.T) {
	tests := []struct {
		f    sink.Filter
		ok   bool
		name string
	}{
		{sink.Filter{}, true, "zero"},
		{sink.Filter{MinSeverity: "critical", Kinds: []string{"alert", "event"}}, true, "full"},
		{sink.Filter{MinSeverity: "urgent"}, false, "bad severity"},
		{sink.Filter{Kinds: []string{"alerts"}}, false, "bad kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.f.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	base := errors.New("boom")
	perm := sink.Permanent(base)
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", base, false},
		{"permanent", perm, true},
		{"wrapped permanent", fmt.Errorf("send: %w", perm), true},
		{"partial, all permanent", &sink.PartialError{Failed: map[string]error{"a": perm, "b": perm}}, true},
		{"partial, one retryable", &sink.PartialError{Failed: map[string]error{"a": perm, "b": base}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sink.IsPermanent(tt.err); got != tt.want {
				t.Errorf("IsPermanent = %v, want %v", got, tt.want)
			}
		})
	}
	if sink.Permanent(nil) != nil {
		t.Error("Permanent(nil) != nil")
	}
	if !errors.Is(perm, base) {
		t.Error("Permanent hides the cause from errors.Is")
	}
	pe := &sink.PartialError{Failed: map[string]error{"b": base, "a": perm, "c": base, "d": base}}
	if msg := pe.Error(); !strings.HasPrefix(msg, "4 deliveries failed; a: boom; b: boom; c: boom; and 1 more") {
		t.Errorf("Error() = %q", msg)
	}
	if !errors.Is(pe, base) {
		t.Error("PartialError hides causes from errors.Is")
	}
}

func TestCheckResponse(t *testing.T) {
	tests := []struct {
		status    int
		retryable bool
		permanent bool
	}{
		{200, false, false}, {202, false, false},
		{400, false, true}, {403, false, true}, {413, false, true},
		{408, true, false}, {429, true, false}, {500, true, false}, {502, true, false},
	}
	for _, tt := range tests {
		rcv := sinktest.NewHTTPReceiver(t)
		rcv.Respond(func(sinktest.Request) (int, string) { return tt.status, "reason\xff" })
		resp, err := http.Get(rcv.URL)
		if err != nil {
			t.Fatal(err)
		}
		err = sink.CheckResponse(resp)
		resp.Body.Close()
		if tt.status < 300 {
			if err != nil {
				t.Errorf("%d: %v", tt.status, err)
			}
			continue
		}
		var he *sink.HTTPError
		if !errors.As(err, &he) || he.Retryable() != tt.retryable || sink.IsPermanent(err) != tt.permanent || !utf8.ValidString(err.Error()) {
			t.Errorf("%d: err = %v", tt.status, err)
		}
	}
}

func TestClip(t *testing.T) {
	tests := []struct {
		in      string
		max     int
		want    string
		wantCut bool
	}{
		{"hello", 10, "hello", false},
		{"hello", 0, "hello", false},
		{"hello", 3, "hel", true},
		{"héllo", 2, "h", true}, // never splits é
		{"a\xffb", 10, "a\uFFFDb", false},
		{"日本語", 4, "日", true},
	}
	for _, tt := range tests {
		got, cut := sink.Clip(tt.in, tt.max)
		if got != tt.want || cut != tt.wantCut {
			t.Errorf("Clip(%q, %d) = %q, %v; want %q, %v", tt.in, tt.max, got, cut, tt.want, tt.wantCut)
		}
	}
}

func TestEncodeJSON(t *testing.T) {
	valid := sinktest.Alert("d1")
	hostile := sinktest.HostileEvent("d2", 1<<20)
	hostile.Event.Raw = []byte(`{"ok":"\xff"}`)
	tests := []struct {
		name        string
		d           sink.Delivery
		max         int
		wantRaw     bool
		wantCut     bool
		wantOmitted bool
	}{
		{"plain alert", valid, 1000, false, false, false},
		{"access event with raw", sinktest.Access("d3", "sso_login_failed"), 1000, true, false, false},
		{"hostile", hostile, 1000, false, true, true},
		{"raw too large", sinktest.Access("d4", "sso_login_failed"), 10, false, false, true},
		{"alert leaves out event text", sinktest.Hostile("d5", 100), 1000, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := sink.EncodeJSON(tt.d, tt.max)
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(b) || !utf8.Valid(b) {
				t.Fatalf("invalid JSON or UTF-8: %q", b)
			}
			if strings.Contains(string(b), "<script>") || strings.Contains(string(b), "\n") {
				t.Error("output has raw <script> or a line break")
			}
			var got struct {
				Event struct {
					Text          string          `json:"text"`
					TextTruncated bool            `json:"text_truncated"`
					Raw           json.RawMessage `json:"raw"`
					RawOmitted    string          `json:"raw_omitted"`
				} `json:"event"`
			}
			json.Unmarshal(b, &got)
			if (got.Event.Raw != nil) != tt.wantRaw || got.Event.TextTruncated != tt.wantCut || (got.Event.RawOmitted != "") != tt.wantOmitted {
				t.Errorf("raw=%s truncated=%v omitted=%q", got.Event.Raw, got.Event.TextTruncated, got.Event.RawOmitted)
			}
			if len(got.Event.Text) > tt.max {
				t.Errorf("text of %d bytes over the %d limit", len(got.Event.Text), tt.max)
			}
		})
	}
}

// A sink must be usable through the interface with a canceled context
// without blocking; exercised here for every HTTP-based type.
func TestCanceledContext(t *testing.T) {
	rcv := sinktest.NewHTTPReceiver(t)
	cfgs := []sink.Config{
		{Type: "webhook", Webhook: &sink.WebhookConfig{URL: rcv.URL}},
		{Type: "slack", Slack: &sink.SlackConfig{WebhookURL: rcv.URL}},
		{Type: "splunk_hec", Splunk: &sink.SplunkConfig{URL: rcv.URL, Token: "t"}},
		{Type: "ocsf", OCSF: &sink.OCSFConfig{Output: "http", URL: rcv.URL}},
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, cfg := range cfgs {
		s, err := sink.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Send(ctx, []sink.Delivery{sinktest.Alert("d1")}); err == nil || sink.IsPermanent(err) {
			t.Errorf("%s: err = %v, want retryable", cfg.Type, err)
		}
	}
	if rcv.Count() != 0 {
		t.Errorf("%d requests sent on a canceled context", rcv.Count())
	}
}
