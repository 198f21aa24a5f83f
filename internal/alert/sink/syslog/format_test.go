package syslog

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/alert/sink"
	"github.com/claudit/claudit/internal/alert/sink/sinktest"
)

// FuzzMessage checks that no text or policy name breaks the RFC 5424
// structure, the CEF record or the JSON body, and that values survive.
func FuzzMessage(f *testing.F) {
	f.Add(sinktest.HostileText, "policy", true)
	f.Add("a=b\\c|d]e\"f\ng", "p|o=l\\i]c\"y", false)
	f.Add("\xff\xfe\x00", "\r\n", true)
	sinks := map[bool]*Sink{}
	for _, format := range []string{"json", "cef"} {
		s, err := New(sink.Config{Type: Type, Syslog: &sink.SyslogConfig{Network: "tcp", Address: "127.0.0.1:1", Format: format}})
		if err != nil {
			f.Fatal(err)
		}
		sinks[format == "cef"] = s
	}
	f.Fuzz(func(t *testing.T, text, policy string, cef bool) {
		s := sinks[cef]
		d := sinktest.Alert("d1")
		d.Alert.Excerpt, d.Alert.Policy = text, policy
		raw, err := s.Message(d, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		m, err := sinktest.ParseSyslog(raw)
		if err != nil {
			t.Fatalf("%v\n%q", err, raw)
		}
		if got, _ := m.Param(SDID, "id"); got != "d1" {
			t.Fatalf("id = %q", got)
		}
		wantText, _ := sink.Clip(text, s.maxText)
		if s.cef {
			c, err := sinktest.ParseCEF(string(m.Msg))
			if err != nil {
				t.Fatalf("%v\n%q", err, m.Msg)
			}
			// Control characters other than CR and LF are replaced.
			if strings.ContainsFunc(wantText, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\r' || r == 0x7f }) {
				return
			}
			if wantText != "" && c.Ext["msg"] != wantText {
				t.Fatalf("msg = %q, want %q", c.Ext["msg"], wantText)
			}
			return
		}
		var p struct{ Alert struct{ Excerpt string } }
		if err := json.Unmarshal(m.Msg, &p); err != nil {
			t.Fatalf("%v\n%q", err, m.Msg)
		}
		if p.Alert.Excerpt != wantText {
			t.Fatalf("excerpt = %q, want %q", p.Alert.Excerpt, wantText)
		}
	})
}
