package email_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/alert/sink"
	"github.com/claudit/claudit/internal/alert/sink/email"
	"github.com/claudit/claudit/internal/alert/sink/sinktest"
)

func newSink(t *testing.T, srv *sinktest.SMTPServer, cert *sinktest.TLSCert, mut func(*sink.EmailConfig)) sink.Sink {
	t.Helper()
	host, port := splitAddr(t, srv.Addr)
	ec := &sink.EmailConfig{Host: host, Port: port, From: "claudit <alerts@example.com>", To: []string{"soc@example.com", "Ops <ops@example.com>"}}
	if cert != nil {
		ec.TLS.CAFile = cert.CAFile
	}
	if mut != nil {
		mut(ec)
	}
	s, err := sink.New(sink.Config{Type: email.Type, Name: "mail", Version: "1.2.3", Email: ec})
	if err != nil {
		t.Fatalf("new email sink: %v", err)
	}
	return s
}

func splitAddr(t *testing.T, addr string) (string, int) {
	t.Helper()
	i := strings.LastIndexByte(addr, ':')
	var port int
	for _, c := range addr[i+1:] {
		port = port*10 + int(c-'0')
	}
	return addr[:i], port
}

// parsed is a received message, decoded.
type parsed struct {
	Subject    string
	Text, HTML string
	Header     mail.Header
}

func parse(t *testing.T, data []byte) parsed {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("read message: %v\n%s", err, data)
	}
	var p parsed
	p.Header = m.Header
	if p.Subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); err != nil {
		t.Fatalf("decode subject: %v", err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q: %v", m.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("next part: %v", err)
		}
		if part.Header.Get("Content-Transfer-Encoding") != "quoted-printable" {
			t.Fatalf("part encoding %q", part.Header.Get("Content-Transfer-Encoding"))
		}
		body, err := io.ReadAll(quotedprintable.NewReader(part))
		if err != nil {
			t.Fatalf("decode part: %v", err)
		}
		switch ct := part.Header.Get("Content-Type"); {
		case strings.HasPrefix(ct, "text/plain"):
			p.Text = string(body)
		case strings.HasPrefix(ct, "text/html"):
			p.HTML = string(body)
		default:
			t.Fatalf("unexpected part %q", ct)
		}
	}
	if p.Text == "" || p.HTML == "" {
		t.Fatalf("missing a part: text %d bytes, html %d bytes", len(p.Text), len(p.HTML))
	}
	return p
}

func TestSendStartTLSAndAuth(t *testing.T) {
	cert := sinktest.NewTLSCert(t)
	srv := sinktest.NewSMTPServer(t, sinktest.SMTPOptions{Cert: cert, Username: "claudit", Password: "pw"})
	s := newSink(t, srv, cert, func(ec *sink.EmailConfig) { ec.Username, ec.Password = "claudit", "pw" })
	crit := sinktest.Alert("d2")
	crit.Alert.Severity, crit.Alert.Policy = "critical", "no-jailbreaks"
	if err := s.Send(context.Background(), []sink.Delivery{sinktest.Alert("d1"), crit}); err != nil {
		t.Fatalf("send: %v", err)
	}
	mails := srv.Mails()
	if len(mails) != 1 {
		t.Fatalf("got %d mails, want 1 for the batch", len(mails))
	}
	m := mails[0]
	if !m.TLS || m.Auth != "claudit" || m.From != "alerts@example.com" || strings.Join(m.To, ",") != "soc@example.com,ops@example.com" {
		t.Errorf("session: tls=%v auth=%q from=%q to=%v", m.TLS, m.Auth, m.From, m.To)
	}
	p := parse(t, m.Data)
	if p.Subject != "[claudit] 2 alerts, highest CRITICAL: no-secrets-in-prompts, no-jailbreaks" {
		t.Errorf("subject %q", p.Subject)
	}
	for _, want := range []string{"HIGH: no-secrets-in-prompts", "CRITICAL: no-jailbreaks", "ada@example.com", "AKIA****", "https://claudit.example/events/ev_01"} {
		if !strings.Contains(p.Text, want) {
			t.Errorf("%q missing from the text part", want)
		}
	}
	for _, want := range []string{">HIGH</span> no-secrets-in-prompts", ">CRITICAL</span> no-jailbreaks", "ada@example.com", "AKIA****", `href="https://claudit.example/events/ev_01"`} {
		if !strings.Contains(p.HTML, want) {
			t.Errorf("%q missing from the HTML part", want)
		}
	}
}

func TestSubject(t *testing.T) {
	ev := sinktest.Access("d1", "sso_login_failed")
	tests := []struct {
		name  string
		batch []sink.Delivery
		want  string
	}{
		{"one alert", []sink.Delivery{sinktest.Alert("a")}, "[claudit] HIGH: no-secrets-in-prompts"},
		{"one event", []sink.Delivery{ev}, "[claudit] event: sso_login_failed"},
		{"events", []sink.Delivery{ev, ev}, "[claudit] 2 events"},
		{"same policy twice", []sink.Delivery{sinktest.Alert("a"), sinktest.Alert("b")}, "[claudit] 2 alerts, highest HIGH: no-secrets-in-prompts"},
		{"hostile policy", []sink.Delivery{sinktest.Hostile("h", 10)}, "[claudit] HIGH: pol|icy=\"]"},
	}
	cert := sinktest.NewTLSCert(t)
	srv := sinktest.NewSMTPServer(t, sinktest.SMTPOptions{Cert: cert})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSink(t, srv, cert, nil)
			if err := s.Send(context.Background(), tt.batch); err != nil {
				t.Fatal(err)
			}
			mails := srv.Mails()
			if got := parse(t, mails[len(mails)-1].Data).Subject; got != tt.want {
				t.Errorf("subject %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBatchesSplit(t *testing.T) {
	srv := sinktest.NewSMTPServer(t, sinktest.SMTPOptions{})
	s := newSink(t, srv, nil, func(ec *sink.EmailConfig) { ec.MaxPerMessage = 2 })
	var batch []sink.Delivery
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		batch = append(batch, sinktest.Alert(id))
	}
	if err := s.Send(context.Background(), batch); err != nil {
		t.Fatalf("send: %v", err)
	}
	if n := len(srv.Mails()); n != 3 {
		t.Errorf("got %d mails, want 3", n)
	}
	if srv.Mails()[0].TLS {
		t.Error("TLS used although the server offers none")
	}
}

func TestHostile(t *testing.T) {
	cert := sinktest.NewTLSCert(t)
	srv := sinktest.NewSMTPServer(t, sinktest.SMTPOptions{Cert: cert})
	s := newSink(t, srv, cert, nil)
	d := sinktest.Hostile("d1", 1<<20)
	d.Alert.Excerpt = d.Event.Text
	d.Alert.URL = "javascript:alert(1)"
	if err := s.Send(context.Background(), []sink.Delivery{d}); err != nil {
		t.Fatalf("send: %v", err)
	}
	m := srv.Mails()[0]
	p := parse(t, m.Data)
	if strings.ContainsAny(p.Subject, "\r\n") {
		t.Errorf("subject has a line break: %q", p.Subject)
	}
	if len(p.Header["Subject"]) != 1 || len(p.Header["To"]) != 1 {
		t.Errorf("headers were injected: %v", p.Header)
	}
	if strings.Contains(p.HTML, "<script>") || !strings.Contains(p.HTML, "&lt;script&gt;") {
		t.Error("HTML part does not escape the excerpt")
	}
	if strings.Contains(p.HTML, "javascript:") {
		t.Error("HTML part links to a javascript: URL")
	}
	if !strings.Contains(p.Text, "<script>alert(1)</script>") || !strings.Contains(p.Text, "[truncated from 1048576 bytes]") {
		t.Error("text part lost the excerpt or the truncation note")
	}
	if len(m.Data) > 200<<10 {
		t.Errorf("message is %d bytes; the excerpt was not truncated", len(m.Data))
	}
}

func TestTransientThenSuccess(t *testing.T) {
	srv := sinktest.NewSMTPServer(t, sinktest.SMTPOptions{})
	srv.FailNext(1, 451)
	s := newSink(t, srv, nil, nil)
	batch := []sink.Delivery{sinktest.Alert("d1")}
	err := s.Send(context.Background(), batch)
	var pe *sink.PartialError
	if !errors.As(err, &pe) || sink.IsPermanent(err) {
		t.Fatalf("first send: err = %v, want retryable", err)
	}
	if err := s.Send(context.Background(), batch); err != nil {
		t.Fatalf("second send: %v", err)
	}
	if len(srv.Mails()) != 1 {
		t.Errorf("got %d mails", len(srv.Mails()))
	}
}

func TestPermanentRejection(t *testing.T) {
	srv := sinktest.NewSMTPServer(t, sinktest.SMTPOptions{})
	srv.FailNext(1, 554)
	s := newSink(t, srv, nil, func(ec *sink.EmailConfig) { ec.MaxPerMessage = 1 })
	err := s.Send(context.Background(), []sink.Delivery{sinktest.Alert("d1"), sinktest.Alert("d2")})
	var pe *sink.PartialError
	if !errors.As(err, &pe) || len(pe.Failed) != 1 || !sink.IsPermanent(pe.Failed["d1"]) {
		t.Fatalf("err = %v, want d1 failed permanently and d2 sent", err)
	}
	if len(srv.Mails()) != 1 {
		t.Errorf("got %d mails, want 1", len(srv.Mails()))
	}
}

func TestSessionFailures(t *testing.T) {
	cert := sinktest.NewTLSCert(t)
	plain := sinktest.NewSMTPServer(t, sinktest.SMTPOptions{})
	authed := sinktest.NewSMTPServer(t, sinktest.SMTPOptions{Cert: cert, Username: "u", Password: "right"})
	tests := []struct {
		name string
		srv  *sinktest.SMTPServer
		mut  func(*sink.EmailConfig)
	}{
		{"starttls required but not offered", plain, func(ec *sink.EmailConfig) { ec.StartTLS = "require" }},
		{"auth without tls", authed, func(ec *sink.EmailConfig) { ec.StartTLS = "never"; ec.Username, ec.Password = "u", "right" }},
		{"wrong password", authed, func(ec *sink.EmailConfig) { ec.Username, ec.Password = "u", "wrong" }},
		{"untrusted certificate", authed, func(ec *sink.EmailConfig) { ec.TLS.CAFile = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSink(t, tt.srv, cert, tt.mut)
			if err := s.Send(context.Background(), []sink.Delivery{sinktest.Alert("d1")}); err == nil {
				t.Fatal("sent")
			}
		})
	}
	if len(plain.Mails())+len(authed.Mails()) != 0 {
		t.Error("a message got through")
	}
}

func TestServerDown(t *testing.T) {
	host, port := splitAddr(t, sinktest.ClosedAddr(t))
	s, err := sink.New(sink.Config{Type: email.Type, Email: &sink.EmailConfig{Host: host, Port: port, From: "a@example.com", To: []string{"b@example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), []sink.Delivery{sinktest.Alert("d1")}); err == nil || sink.IsPermanent(err) {
		t.Fatalf("err = %v, want retryable", err)
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		ec   sink.EmailConfig
	}{
		{"no host", sink.EmailConfig{From: "a@example.com", To: []string{"b@example.com"}}},
		{"bad from", sink.EmailConfig{Host: "h", From: "not an address", To: []string{"b@example.com"}}},
		{"no recipients", sink.EmailConfig{Host: "h", From: "a@example.com"}},
		{"bad recipient", sink.EmailConfig{Host: "h", From: "a@example.com", To: []string{"b@example.com\r\nBcc: x@y"}}},
		{"bad starttls", sink.EmailConfig{Host: "h", From: "a@example.com", To: []string{"b@example.com"}, StartTLS: "maybe"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := sink.New(sink.Config{Type: email.Type, Email: &tt.ec}); err == nil {
				t.Error("accepted")
			}
		})
	}
}
