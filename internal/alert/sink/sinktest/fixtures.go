// Package sinktest holds what the sink tests share: sample deliveries, hostile
// text, and real receivers on 127.0.0.1 (HTTP, Splunk HEC, syslog over
// UDP/TCP/TLS, SMTP) that record what they got so tests can parse it.
package sinktest

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/alert/sink"
)

// T0 is the fixed time of the sample deliveries, so golden files are stable.
var T0 = time.Date(2026, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

// Alert returns a sample alert delivery with its event.
func Alert(id string) sink.Delivery {
	return sink.Delivery{
		ID:        id,
		Kind:      sink.KindAlert,
		CreatedAt: T0,
		Alert: &sink.Alert{
			ID: "al_" + id, Policy: "no-secrets-in-prompts", Detector: "secrets", Severity: "high",
			Action: "alert", OriginalAction: "alert", Status: "open",
			UserID: "user_01", UserEmail: "ada@example.com", ChatID: "chat_01", EventID: "ev_01",
			Integration: "claude.ai", Count: 3,
			FirstSeen: T0.Add(-time.Hour), LastSeen: T0,
			Tags:    []string{"aws", "credentials"},
			Excerpt: "here is my key AKIA****************",
			URL:     "https://claudit.example/events/ev_01",
		},
		Event: Prompt("ev_01", "here is my key AKIA****************"),
	}
}

// Prompt returns a sample prompt event with the given text.
func Prompt(id, text string) *sink.Event {
	return &sink.Event{
		ID: id, Kind: "prompt", Type: "message", Role: "user", Text: text,
		Model: "claude-opus-4", UserID: "user_01", UserEmail: "ada@example.com",
		ChatID: "chat_01", Integration: "claude.ai", IP: "203.0.113.7",
		UserAgent: "Mozilla/5.0", CreatedAt: T0.Add(-time.Minute), Tags: []string{"prompt"},
	}
}

// Access returns a sample access event of the given activity type.
func Access(id, typ string) sink.Delivery {
	return sink.Delivery{
		ID: id, Kind: sink.KindEvent, CreatedAt: T0,
		Event: &sink.Event{
			ID: "ev_" + id, Kind: "access", Type: typ, UserID: "user_01", UserEmail: "ada@example.com",
			IP: "203.0.113.7", UserAgent: "Mozilla/5.0", CreatedAt: T0.Add(-time.Second),
			Raw: []byte(`{"id":"act_1","type":"` + typ + `"}`),
		},
	}
}

// HostileText is short text with every metacharacter the encoders must
// neutralize: newlines and CR, markup, CEF and syslog metacharacters, Slack
// control sequences, a NUL and invalid UTF-8.
const HostileText = "line1\nline2\r\n<script>alert(1)</script> <!channel> <@U123> & a|b=c\\d ] \"q\" ``` \x00 bad:\xff\xfe end"

// Hostile returns an alert delivery whose excerpt is HostileText, with
// hostile policy and email, and whose event text is HostileText padded to
// size bytes (sinks must not send that text for an alert).
func Hostile(id string, size int) sink.Delivery {
	d := Alert(id)
	d.Alert.Excerpt = HostileText
	d.Alert.Policy = "pol|icy=\"]\n"
	d.Alert.UserEmail = "eve\"]@example.com\n<b>"
	text := HostileText
	if size > len(text) {
		text += strings.Repeat("A", size-len(text))
	}
	d.Event = Prompt("ev_hostile", text)
	d.Event.Raw = []byte("{not json")
	return d
}

// HostileEvent returns a forwarded prompt event whose text is HostileText
// padded to size bytes, with invalid raw JSON.
func HostileEvent(id string, size int) sink.Delivery {
	d := Hostile(id, size)
	d.Kind, d.Alert = sink.KindEvent, nil
	return d
}

// ClosedAddr returns a 127.0.0.1 address nothing listens on, for the
// "receiver down" tests (connection refused).
func ClosedAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
