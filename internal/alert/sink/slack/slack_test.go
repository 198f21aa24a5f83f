package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/claudit/claudit/internal/alert/sink"
	"github.com/claudit/claudit/internal/alert/sink/sinktest"
	"github.com/claudit/claudit/internal/alert/sink/slack"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func newSink(t *testing.T, url string) sink.Sink {
	t.Helper()
	s, err := sink.New(sink.Config{Type: slack.Type, Slack: &sink.SlackConfig{WebhookURL: url}})
	if err != nil {
		t.Fatalf("new slack sink: %v", err)
	}
	return s
}

func parse(t *testing.T, body []byte) slack.Message {
	t.Helper()
	var m slack.Message
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("parse slack payload: %v\n%s", err, body)
	}
	return m
}

// texts returns every text a block shows, with its object type.
func texts(m slack.Message) map[string][]string {
	out := map[string][]string{"fallback": {m.Text}}
	for _, b := range m.Blocks {
		if b.Text != nil {
			out[b.Text.Type] = append(out[b.Text.Type], b.Text.Text)
		}
		for _, f := range b.Fields {
			out[f.Type] = append(out[f.Type], f.Text)
		}
		for _, e := range b.Elements {
			if s, ok := e.Text.(string); ok {
				out[e.Type] = append(out[e.Type], s)
			}
		}
	}
	return out
}

func TestGolden(t *testing.T) {
	hostile := sinktest.Hostile("d3", 3000)
	tests := []struct {
		name string
		d    sink.Delivery
	}{
		{"alert", sinktest.Alert("d1")},
		{"event", sinktest.Access("d2", "sso_login_failed")},
		{"hostile", hostile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := slack.Encode(tt.d, slack.DefaultMaxTextBytes)
			if err != nil {
				t.Fatal(err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, b, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			golden := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden (run with -update to create): %v", err)
			}
			if !bytes.Equal(pretty.Bytes(), want) {
				t.Errorf("payload differs from %s (run with -update if intended):\n%s", golden, pretty.Bytes())
			}
		})
	}
}

func TestSend(t *testing.T) {
	rcv := sinktest.NewHTTPReceiver(t)
	if err := newSink(t, rcv.URL+"/services/T0/B0/x").Send(context.Background(), []sink.Delivery{sinktest.Alert("d1")}); err != nil {
		t.Fatalf("send: %v", err)
	}
	reqs := rcv.Requests()
	if len(reqs) != 1 || reqs[0].Path != "/services/T0/B0/x" {
		t.Fatalf("requests %+v", reqs)
	}
	m := parse(t, reqs[0].Body)
	if m.Blocks[0].Type != "header" || m.Blocks[0].Text.Text != ":red_circle: HIGH: no-secrets-in-prompts" {
		t.Errorf("header %+v", m.Blocks[0].Text)
	}
	last := m.Blocks[len(m.Blocks)-1]
	if last.Type != "actions" || last.Elements[0].URL != "https://claudit.example/events/ev_01" {
		t.Errorf("no button to the event: %+v", last)
	}
	if got := strings.Join(texts(m)["mrkdwn"], "\n"); !strings.Contains(got, "*User*\nada@example.com") || !strings.Contains(got, "*Count*\n3") {
		t.Errorf("fields missing in %q", got)
	}
}

func TestHostileCannotInject(t *testing.T) {
	rcv := sinktest.NewHTTPReceiver(t)
	d := sinktest.Hostile("d1", 1<<20)
	d.Alert.URL = "javascript:alert(1)"
	d.Alert.Excerpt = d.Event.Text // 1 MiB
	if err := newSink(t, rcv.URL).Send(context.Background(), []sink.Delivery{d}); err != nil {
		t.Fatalf("send: %v", err)
	}
	m := parse(t, rcv.Requests()[0].Body)
	all := texts(m)
	for _, s := range append(all["mrkdwn"], all["fallback"]...) {
		if strings.ContainsAny(s, "<>") {
			t.Errorf("unescaped < or > in mrkdwn %q", s)
		}
		if strings.Contains(strings.ReplaceAll(s, "&amp;", ""), "&") && !strings.Contains(s, "&lt;") && !strings.Contains(s, "&gt;") {
			t.Errorf("unescaped & in %q", s)
		}
		if n := utf8.RuneCountInString(s); n > 3000 {
			t.Errorf("text of %d characters exceeds Slack's limit", n)
		}
		if !utf8.ValidString(s) {
			t.Errorf("invalid UTF-8 in %q", s)
		}
	}
	var code string
	for _, s := range all["mrkdwn"] {
		if strings.HasPrefix(s, "```") {
			code = s
		}
	}
	inner := strings.TrimSuffix(strings.TrimPrefix(code, "```"), "```")
	if code == "" || strings.Contains(inner, "``") {
		t.Errorf("code block missing or its fence can be closed early: %q", code)
	}
	if !strings.Contains(code, "&lt;!channel&gt;") || !strings.Contains(code, "&lt;script&gt;") {
		t.Errorf("hostile text not shown escaped: %q", code)
	}
	if !strings.Contains(strings.Join(all["mrkdwn"], " "), "truncated from 1048576 bytes") {
		t.Error("truncation not reported")
	}
	for _, b := range m.Blocks {
		if b.Type == "actions" {
			t.Errorf("button to a non-http URL: %+v", b)
		}
		if b.Type == "header" && (strings.ContainsAny(b.Text.Text, "\n\r") || utf8.RuneCountInString(b.Text.Text) > 150) {
			t.Errorf("bad header %q", b.Text.Text)
		}
	}
}

func TestFailThenSucceed(t *testing.T) {
	rcv := sinktest.NewHTTPReceiver(t)
	rcv.FailNext(1, http.StatusInternalServerError)
	s := newSink(t, rcv.URL)
	batch := []sink.Delivery{sinktest.Alert("d1")}
	err := s.Send(context.Background(), batch)
	var pe *sink.PartialError
	if !errors.As(err, &pe) || sink.IsPermanent(err) {
		t.Fatalf("first send: err = %v, want retryable", err)
	}
	if err := s.Send(context.Background(), batch); err != nil {
		t.Fatalf("second send: %v", err)
	}
}

func TestArchivedChannelIsPermanent(t *testing.T) {
	rcv := sinktest.NewHTTPReceiver(t)
	rcv.Respond(func(sinktest.Request) (int, string) { return http.StatusGone, "channel_is_archived" })
	err := newSink(t, rcv.URL).Send(context.Background(), []sink.Delivery{sinktest.Alert("d1")})
	if !sink.IsPermanent(err) || !strings.Contains(err.Error(), "channel_is_archived") {
		t.Fatalf("err = %v, want permanent with Slack's reason", err)
	}
}

func TestReceiverDown(t *testing.T) {
	err := newSink(t, "http://"+sinktest.ClosedAddr(t)+"/hook").Send(context.Background(), []sink.Delivery{sinktest.Alert("d1")})
	if err == nil || sink.IsPermanent(err) {
		t.Fatalf("err = %v, want retryable", err)
	}
	if strings.Contains(err.Error(), "/hook") {
		t.Errorf("error leaks the webhook URL: %v", err)
	}
}
