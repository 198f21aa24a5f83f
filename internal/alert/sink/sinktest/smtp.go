package sinktest

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mail is one message an SMTPServer accepted.
type Mail struct {
	From string
	To   []string
	Data []byte
	// TLS and Auth report whether the session used STARTTLS and AUTH.
	TLS  bool
	Auth string // username, empty without AUTH
}

// SMTPServer is an SMTP server on 127.0.0.1 that keeps what it accepts.
type SMTPServer struct {
	// Addr is host:port.
	Addr string
	srv  *smtp.Server

	mu       sync.Mutex
	mails    []Mail
	user     string
	password string
	failN    int
	failCode int
}

// SMTPOptions configure NewSMTPServer.
type SMTPOptions struct {
	// Cert enables STARTTLS.
	Cert *TLSCert
	// Username and Password, when set, enable AUTH PLAIN and require it.
	Username, Password string
}

// NewSMTPServer starts a server that stops when the test ends.
func NewSMTPServer(t testing.TB, opts SMTPOptions) *SMTPServer {
	t.Helper()
	s := &SMTPServer{user: opts.Username, password: opts.Password}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{srv: s, conn: c}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.MaxMessageBytes = 32 << 20
	if opts.Cert != nil {
		s.srv.TLSConfig = opts.Cert.Server
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen smtp: %v", err)
	}
	s.Addr = ln.Addr().String()
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.srv.Serve(ln)
	}()
	t.Cleanup(func() {
		s.srv.Close()
		<-done
	})
	return s
}

// FailNext makes the next n DATA commands fail with the SMTP code (4xx is
// transient, 5xx permanent).
func (s *SMTPServer) FailNext(n, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failCode = n, code
}

// Mails returns the accepted messages.
func (s *SMTPServer) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

type smtpSession struct {
	srv  *SMTPServer
	conn *smtp.Conn
	mail Mail
}

func (ss *smtpSession) AuthMechanisms() []string {
	if ss.srv.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != ss.srv.user || password != ss.srv.password {
			return smtp.ErrAuthFailed
		}
		ss.mail.Auth = username
		return nil
	}), nil
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if ss.srv.user != "" && ss.mail.Auth == "" {
		return smtp.ErrAuthRequired
	}
	ss.mail.From = from
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.mail.To = append(ss.mail.To, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		return err
	}
	s := ss.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failN > 0 {
		s.failN--
		return &smtp.SMTPError{Code: s.failCode, Message: "failing on purpose"}
	}
	m := ss.mail
	m.Data = buf.Bytes()
	_, m.TLS = ss.conn.TLSConnectionState()
	s.mails = append(s.mails, m)
	return nil
}

func (ss *smtpSession) Reset() {
	ss.mail = Mail{Auth: ss.mail.Auth}
}

func (ss *smtpSession) Logout() error { return nil }

var _ smtp.AuthSession = (*smtpSession)(nil)
