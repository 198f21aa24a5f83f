package syslog_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/alert/sink"
	"github.com/claudit/claudit/internal/alert/sink/sinktest"
	"github.com/claudit/claudit/internal/alert/sink/syslog"
)

var networks = []string{"udp", "tcp", "tls"}

func newSink(t *testing.T, network, addr, format string, cert *sinktest.TLSCert) *syslog.Sink {
	t.Helper()
	sc := &sink.SyslogConfig{Network: network, Address: addr, Format: format, Hostname: "claudit-host"}
	if cert != nil {
		sc.TLS.CAFile = cert.CAFile
	}
	s, err := syslog.New(sink.Config{Type: syslog.Type, Name: "siem", Version: "1.2.3", Syslog: sc})
	if err != nil {
		t.Fatalf("new syslog sink: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func listen(t *testing.T, network string) (*sinktest.SyslogListener, *sinktest.TLSCert) {
	var cert *sinktest.TLSCert
	if network == "tls" {
		cert = sinktest.NewTLSCert(t)
	}
	return sinktest.NewSyslogListener(t, network, cert), cert
}

func receive(t *testing.T, l *sinktest.SyslogListener) sinktest.SyslogMessage {
	t.Helper()
	raw := l.Next(t)
	m, err := sinktest.ParseSyslog(raw)
	if err != nil {
		t.Fatalf("parse received message: %v\n%q", err, raw)
	}
	return m
}

func param(t *testing.T, m sinktest.SyslogMessage, name string) string {
	t.Helper()
	v, ok := m.Param(syslog.SDID, name)
	if !ok {
		t.Errorf("no SD-PARAM %s in %+v", name, m.Data)
	}
	return v
}

func TestSend(t *testing.T) {
	for _, network := range networks {
		for _, format := range []string{"json", "cef"} {
			t.Run(network+"/"+format, func(t *testing.T) {
				l, cert := listen(t, network)
				s := newSink(t, network, l.Addr, format, cert)
				batch := []sink.Delivery{sinktest.Alert("d1"), sinktest.Access("d2", "sso_login_failed")}
				if err := s.Send(context.Background(), batch); err != nil {
					t.Fatalf("send: %v", err)
				}
				m := receive(t, l)
				if m.Priority != 16*8+3 || m.Version != 1 || m.Hostname != "claudit-host" || m.AppName != "claudit" || m.MsgID != "alert" {
					t.Errorf("header %+v", m)
				}
				if got := param(t, m, "policy"); got != "no-secrets-in-prompts" {
					t.Errorf("policy = %q", got)
				}
				if got := param(t, m, "id"); got != "d1" {
					t.Errorf("id = %q", got)
				}
				checkBody(t, m, format, "d1", sinktest.Alert("d1").Alert.Excerpt)

				ev := receive(t, l)
				if ev.Priority != 16*8+6 || ev.MsgID != "event" || param(t, ev, "type") != "sso_login_failed" {
					t.Errorf("event message %+v", ev)
				}
			})
		}
	}
}

// checkBody parses the message body and checks its id and text survived.
func checkBody(t *testing.T, m sinktest.SyslogMessage, format, id, text string) {
	t.Helper()
	if format == "cef" {
		c, err := sinktest.ParseCEF(string(m.Msg))
		if err != nil {
			t.Fatalf("parse CEF: %v\n%q", err, m.Msg)
		}
		if c.Header[1] != "Claudit" || c.Header[2] != "claudit" || c.Header[3] != "1.2.3" {
			t.Errorf("CEF header %q", c.Header)
		}
		text = strings.Map(func(r rune) rune {
			if r < 0x20 && r != '\n' && r != '\r' || r == 0x7f {
				return '\uFFFD' // CEF has no escape for other control characters
			}
			return r
		}, text)
		if c.Ext["externalId"] != id || c.Ext["msg"] != text {
			t.Errorf("CEF extension externalId=%q msg=%q, want %q %q", c.Ext["externalId"], c.Ext["msg"], id, text)
		}
		return
	}
	var p struct {
		ID    string `json:"id"`
		Alert struct {
			Excerpt string `json:"excerpt"`
		} `json:"alert"`
	}
	if err := json.Unmarshal(m.Msg, &p); err != nil {
		t.Fatalf("parse JSON body: %v\n%q", err, m.Msg)
	}
	if p.ID != id || p.Alert.Excerpt != text {
		t.Errorf("JSON body id=%q excerpt=%q, want %q %q", p.ID, p.Alert.Excerpt, id, text)
	}
}

func TestHostile(t *testing.T) {
	want := strings.ToValidUTF8(sinktest.HostileText, "\uFFFD")
	for _, network := range networks {
		for _, format := range []string{"json", "cef"} {
			t.Run(network+"/"+format, func(t *testing.T) {
				l, cert := listen(t, network)
				s := newSink(t, network, l.Addr, format, cert)
				d := sinktest.Hostile("d1", 1<<20)
				if err := s.Send(context.Background(), []sink.Delivery{d, sinktest.Alert("after")}); err != nil {
					t.Fatalf("send: %v", err)
				}
				m := receive(t, l)
				if got, wantPol := param(t, m, "policy"), "pol|icy=\"]\uFFFD"; got != wantPol {
					t.Errorf("policy = %q, want %q", got, wantPol)
				}
				if got, ok := m.Param(syslog.SDID, "text_truncated_from"); ok {
					t.Errorf("text_truncated_from = %q for an alert with a short excerpt", got)
				}
				checkBody(t, m, format, "d1", want)
				if format == "cef" {
					c, _ := sinktest.ParseCEF(string(m.Msg))
					if c.Header[4] != d.Alert.Policy[:len(d.Alert.Policy)-1]+" " {
						t.Errorf("CEF signature id %q", c.Header[4])
					}
				}
				// The next message must still be framed and parse cleanly.
				next := receive(t, l)
				if param(t, next, "id") != "after" {
					t.Errorf("message after the hostile one: %+v", next)
				}
			})
		}
	}
}

func TestHostileEventTruncated(t *testing.T) {
	for _, network := range networks {
		for _, format := range []string{"json", "cef"} {
			t.Run(network+"/"+format, func(t *testing.T) {
				l, cert := listen(t, network)
				s := newSink(t, network, l.Addr, format, cert)
				if err := s.Send(context.Background(), []sink.Delivery{sinktest.HostileEvent("d1", 1<<20)}); err != nil {
					t.Fatalf("send: %v", err)
				}
				m := receive(t, l)
				if got := param(t, m, "text_truncated_from"); got != "1048576" {
					t.Errorf("text_truncated_from = %q", got)
				}
				limit := sink.DefaultMaxTextBytes
				if network == "udp" {
					limit = syslog.DefaultUDPMaxTextBytes
				}
				var text string
				if format == "cef" {
					c, err := sinktest.ParseCEF(string(m.Msg))
					if err != nil {
						t.Fatalf("parse CEF: %v", err)
					}
					text = c.Ext["msg"]
					if c.Ext["cn1"] != "1048576" {
						t.Errorf("cn1 = %q, want the original size", c.Ext["cn1"])
					}
				} else {
					var p struct{ Event struct{ Text string } }
					if err := json.Unmarshal(m.Msg, &p); err != nil {
						t.Fatalf("parse JSON: %v", err)
					}
					text = p.Event.Text
				}
				if !strings.HasPrefix(text, "line1\nline2") || len(text) > limit || len(text) < limit/2 {
					t.Errorf("text of %d bytes, limit %d", len(text), limit)
				}
			})
		}
	}
}

func TestCollectorDown(t *testing.T) {
	for _, network := range []string{"tcp", "tls"} {
		t.Run(network, func(t *testing.T) {
			var cert *sinktest.TLSCert
			if network == "tls" {
				cert = sinktest.NewTLSCert(t)
			}
			addr := sinktest.ClosedAddr(t)
			s := newSink(t, network, addr, "json", cert)
			err := s.Send(context.Background(), []sink.Delivery{sinktest.Alert("d1")})
			if err == nil || sink.IsPermanent(err) {
				t.Fatalf("err = %v, want retryable", err)
			}
			l := sinktest.NewSyslogListenerAt(t, network, addr, cert)
			if err := s.Send(context.Background(), []sink.Delivery{sinktest.Alert("d1")}); err != nil {
				t.Fatalf("send after collector came up: %v", err)
			}
			if got := param(t, receive(t, l), "id"); got != "d1" {
				t.Errorf("id = %q", got)
			}
		})
	}
}

func TestCollectorRestart(t *testing.T) {
	for _, network := range []string{"tcp", "tls"} {
		t.Run(network, func(t *testing.T) {
			l, cert := listen(t, network)
			s := newSink(t, network, l.Addr, "json", cert)
			if err := s.Send(context.Background(), []sink.Delivery{sinktest.Alert("d1")}); err != nil {
				t.Fatal(err)
			}
			receive(t, l)
			l.Close()
			l2 := sinktest.NewSyslogListenerAt(t, network, l.Addr, cert)
			if err := s.Send(context.Background(), []sink.Delivery{sinktest.Alert("d2")}); err != nil {
				t.Fatalf("send after restart: %v", err)
			}
			if got := param(t, receive(t, l2), "id"); got != "d2" {
				t.Errorf("id = %q", got)
			}
		})
	}
}

func TestTLSUntrusted(t *testing.T) {
	l, _ := listen(t, "tls")
	s := newSink(t, "tls", l.Addr, "json", nil) // system roots do not trust the test cert
	if err := s.Send(context.Background(), []sink.Delivery{sinktest.Alert("d1")}); err == nil {
		t.Fatal("sent to an untrusted certificate")
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		sc   sink.SyslogConfig
	}{
		{"bad network", sink.SyslogConfig{Network: "sctp", Address: "127.0.0.1:514"}},
		{"no port", sink.SyslogConfig{Network: "udp", Address: "127.0.0.1"}},
		{"bad format", sink.SyslogConfig{Network: "udp", Address: "127.0.0.1:514", Format: "leef"}},
		{"bad facility", sink.SyslogConfig{Network: "udp", Address: "127.0.0.1:514", Facility: "local9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := sink.New(sink.Config{Type: syslog.Type, Syslog: &tt.sc}); err == nil {
				t.Error("accepted")
			}
		})
	}
}
