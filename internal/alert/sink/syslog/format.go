package syslog

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/claudit/claudit/internal/alert/sink"
)

// Message renders d as one RFC 5424 message without framing; now is used
// when d has no CreatedAt.
func (s *Sink) Message(d sink.Delivery, now time.Time) ([]byte, error) {
	ts := d.CreatedAt
	if ts.IsZero() {
		ts = now
	}
	sev := 6
	if d.Alert != nil {
		if c, ok := severityCodes[strings.ToLower(d.Alert.Severity)]; ok {
			sev = c
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<%d>1 %s %s %s - %s ", s.facility*8+sev,
		ts.UTC().Format("2006-01-02T15:04:05.000Z07:00"), s.hostname, s.appName, headerField(d.Kind, 32))
	writeSD(&b, d, s.maxText)
	b.WriteByte(' ')
	if s.cef {
		b.WriteString(CEF(d, s.version, s.maxText))
		return []byte(b.String()), nil
	}
	body, err := sink.EncodeJSON(d, s.maxText)
	if err != nil {
		return nil, err
	}
	b.Write(body)
	return []byte(b.String()), nil
}

// headerField reduces v to an RFC 5424 header field: printable ASCII, at
// most max bytes, "-" when empty.
func headerField(v string, max int) string {
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v) && len(out) < max; i++ {
		if c := v[i]; c >= 33 && c <= 126 {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return "-"
	}
	return string(out)
}

type param struct{ name, value string }

func writeSD(b *strings.Builder, d sink.Delivery, maxText int) {
	ps := []param{{"id", d.ID}, {"kind", d.Kind}}
	if a := d.Alert; a != nil {
		ps = append(ps,
			param{"alert_id", a.ID}, param{"policy", a.Policy}, param{"detector", a.Detector},
			param{"severity", a.Severity}, param{"action", a.Action}, param{"status", a.Status},
			param{"user_id", a.UserID}, param{"user_email", a.UserEmail}, param{"chat_id", a.ChatID},
			param{"event_id", a.EventID}, param{"integration", a.Integration},
			param{"count", strconv.Itoa(a.Count)}, param{"url", a.URL})
	}
	if e := d.Event; e != nil && d.Alert == nil {
		ps = append(ps,
			param{"event_id", e.ID}, param{"event_kind", e.Kind}, param{"type", e.Type},
			param{"user_id", e.UserID}, param{"user_email", e.UserEmail}, param{"chat_id", e.ChatID},
			param{"integration", e.Integration}, param{"ip", e.IP})
	}
	// The body carries the excerpt for an alert, the text for an event.
	text := ""
	if d.Alert != nil {
		text = d.Alert.Excerpt
	} else if d.Event != nil {
		text = d.Event.Text
	}
	if maxText > 0 && len(text) > maxText {
		ps = append(ps, param{"text_truncated_from", strconv.Itoa(len(text))})
	}
	b.WriteString("[" + SDID)
	for _, p := range ps {
		if p.value == "" {
			continue
		}
		b.WriteString(" " + p.name + `="`)
		b.WriteString(sdValue(p.value))
		b.WriteByte('"')
	}
	b.WriteByte(']')
}

// sdValue escapes an SD-PARAM value: valid UTF-8, control characters
// replaced (the RFC allows them, but line-based tools downstream do not),
// '"', '\' and ']' escaped, at most 1 KiB.
func sdValue(v string) string {
	v, _ = sink.Clip(v, 1024)
	var b strings.Builder
	for _, r := range v {
		switch {
		case r == '"' || r == '\\' || r == ']':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// cefSeverity maps alert severities to CEF's 0-10 scale.
var cefSeverity = map[string]int{"info": 1, "low": 3, "medium": 5, "high": 8, "critical": 10}

// CEF renders d as an ArcSight CEF:0 record on one line:
// CEF:0|Claudit|claudit|<version>|<signature id>|<name>|<severity>|<extension>.
// For an alert the signature id is the policy and the message the redacted
// excerpt; for a forwarded event it is "event:<type>" and the event text.
func CEF(d sink.Delivery, version string, maxText int) string {
	sigID, name, sev := "event:unknown", "claudit event", 1
	var ext []param
	add := func(k, v string) {
		if v != "" {
			ext = append(ext, param{k, v})
		}
	}
	addTime := func(k string, t time.Time) {
		if !t.IsZero() {
			add(k, strconv.FormatInt(t.UnixMilli(), 10))
		}
	}
	addTime("rt", d.CreatedAt)
	add("externalId", d.ID)
	var text string
	if a := d.Alert; a != nil {
		sigID, name = a.Policy, a.Policy+" ("+a.Detector+")"
		if v, ok := cefSeverity[strings.ToLower(a.Severity)]; ok {
			sev = v
		} else {
			sev = 5
		}
		add("cat", a.Detector)
		add("act", a.Action)
		add("suid", a.UserID)
		add("suser", a.UserEmail)
		add("cnt", strconv.Itoa(a.Count))
		addTime("start", a.FirstSeen)
		addTime("end", a.LastSeen)
		add("cs1Label", "policy")
		add("cs1", a.Policy)
		add("cs2Label", "alertId")
		add("cs2", a.ID)
		add("cs3Label", "chatId")
		add("cs3", a.ChatID)
		add("cs4Label", "integration")
		add("cs4", a.Integration)
		add("cs5Label", "tags")
		add("cs5", strings.Join(a.Tags, ","))
		add("cs6Label", "status")
		add("cs6", a.Status)
		add("request", a.URL)
		text = a.Excerpt
		if e := d.Event; e != nil {
			addIP(add, e.IP)
			add("requestClientApplication", e.UserAgent)
		}
	} else if e := d.Event; e != nil {
		sigID, name = "event:"+e.Type, e.Kind+" "+e.Type
		add("cat", e.Kind)
		add("suid", e.UserID)
		add("suser", e.UserEmail)
		addIP(add, e.IP)
		add("requestClientApplication", e.UserAgent)
		add("cs3Label", "chatId")
		add("cs3", e.ChatID)
		add("cs4Label", "integration")
		add("cs4", e.Integration)
		add("cs5Label", "tags")
		add("cs5", strings.Join(e.Tags, ","))
		text = e.Text
	}
	// Replace control characters first so the limit holds for what is sent.
	msg, cut := sink.Clip(strings.Map(cefControl, strings.ToValidUTF8(text, "\uFFFD")), maxText)
	add("msg", msg)
	if cut {
		add("cn1Label", "msgTruncatedFromBytes")
		add("cn1", strconv.Itoa(len(text)))
	}

	var b strings.Builder
	b.WriteString("CEF:0|Claudit|claudit|")
	for _, h := range []string{version, sigID, name} {
		b.WriteString(cefHeader(h))
		b.WriteByte('|')
	}
	b.WriteString(strconv.Itoa(sev))
	b.WriteByte('|')
	for i, p := range ext {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p.name + "=" + cefValue(p.value))
	}
	return b.String()
}

func addIP(add func(k, v string), ip string) {
	if addr := net.ParseIP(ip); addr != nil {
		add("src", addr.String())
	}
}

// cefHeader escapes a CEF header field: '\' and '|' escaped, line breaks
// and other control characters become spaces (CEF has no escape for them
// in the header), at most 512 bytes.
func cefHeader(v string) string {
	v, _ = sink.Clip(v, 512)
	var b strings.Builder
	for _, r := range v {
		switch {
		case r == '\\' || r == '|':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// cefControl replaces control characters other than CR and LF, which CEF
// cannot escape.
func cefControl(r rune) rune {
	if r < 0x20 && r != '\n' && r != '\r' || r == 0x7f {
		return utf8.RuneError
	}
	return r
}

// cefValue escapes a CEF extension value: '\' and '=' escaped, CR and LF
// written as \r and \n, other control characters replaced.
func cefValue(v string) string {
	v = strings.ToValidUTF8(v, "\uFFFD")
	var b strings.Builder
	for _, r := range v {
		switch {
		case r == '\\' || r == '=':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
