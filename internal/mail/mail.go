// Package mail sends one composed message over SMTP with net/smtp: the
// scheduled reports, through the SMTP server of an email sink. Like the
// sink it upgrades with STARTTLS when offered and authenticates with AUTH
// PLAIN when a username is set; headers are built from sanitized, RFC
// 2047-encoded values and bodies are quoted-printable or base64, so no
// report content can add a header.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Server is an SMTP server and the sender's identity on it.
type Server struct {
	Host string
	Port int // default 587
	// Username and Password enable AUTH PLAIN (only over TLS, or to localhost).
	Username, Password string
	// From is the From header and envelope sender.
	From string
	// StartTLS is "auto" (default), "require" or "never".
	StartTLS string
	// TLS configures STARTTLS (default: verify Host).
	TLS *tls.Config
	// Timeout bounds the whole session (default 60s).
	Timeout time.Duration
}

// Message is one e-mail: a plain text body, an optional HTML alternative,
// and attachments.
type Message struct {
	To          []string
	Subject     string
	Text        string
	HTML        string
	Attachments []Attachment
}

// Attachment is a file sent with a message.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// Send composes m and sends it in one SMTP session.
func (s Server) Send(ctx context.Context, m Message, now time.Time) error {
	if len(m.To) == 0 {
		return errors.New("mail: no recipients")
	}
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return fmt.Errorf("mail: from %q: %w", s.From, err)
	}
	var rcpts []string
	for _, to := range m.To {
		a, err := mail.ParseAddress(to)
		if err != nil {
			return fmt.Errorf("mail: recipient %q: %w", to, err)
		}
		rcpts = append(rcpts, a.Address)
	}
	msg, err := Compose(m, from.String(), now)
	if err != nil {
		return err
	}
	c, err := s.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := Deliver(c, from.Address, rcpts, msg); err != nil {
		return err
	}
	return c.Quit()
}

// Deliver sends one message over an open SMTP session: MAIL FROM, a RCPT
// TO per recipient, DATA. The email alert sink uses it too.
func Deliver(c *smtp.Client, from string, to []string, msg []byte) error {
	if err := c.Mail(from); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt); err != nil {
			return fmt.Errorf("RCPT TO %s: %w", rcpt, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		w.Close()
		return fmt.Errorf("write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("end of DATA: %w", err)
	}
	return nil
}

func (s Server) addr() string {
	port := s.Port
	if port == 0 {
		port = 587
	}
	return net.JoinHostPort(s.Host, strconv.Itoa(port))
}

func (s Server) dial(ctx context.Context) (*smtp.Client, error) {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	d := net.Dialer{Deadline: deadline}
	conn, err := d.DialContext(ctx, "tcp", s.addr())
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", s.addr(), err)
	}
	// One deadline bounds the whole session; net/smtp has no per-call timeouts.
	conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("smtp greeting from %s: %w", s.addr(), err)
	}
	if err := s.secure(c); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (s Server) secure(c *smtp.Client) error {
	if s.StartTLS != "never" {
		ok, _ := c.Extension("STARTTLS")
		switch {
		case ok:
			cfg := s.TLS
			if cfg == nil {
				cfg = &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12}
			}
			if err := c.StartTLS(cfg); err != nil {
				return fmt.Errorf("starttls with %s: %w", s.addr(), err)
			}
		case s.StartTLS == "require":
			return fmt.Errorf("%s does not offer STARTTLS and starttls is require", s.addr())
		}
	}
	if s.Username == "" {
		return nil
	}
	if ok, _ := c.Extension("AUTH"); !ok {
		return fmt.Errorf("%s does not offer AUTH (servers usually offer it only after STARTTLS)", s.addr())
	}
	if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, s.Host)); err != nil {
		return fmt.Errorf("auth as %s: %w", s.Username, err)
	}
	return nil
}

// Compose builds the RFC 5322 message: multipart/mixed holding the text
// (and HTML, as multipart/alternative) and the attachments.
func Compose(m Message, from string, now time.Time) ([]byte, error) {
	var buf bytes.Buffer
	boundary := func() string {
		b := make([]byte, 12)
		rand.Read(b)
		return "claudit-" + hex.EncodeToString(b)
	}
	id := make([]byte, 16)
	rand.Read(id)
	host := "claudit.local"
	if a, err := mail.ParseAddress(from); err == nil {
		if at := strings.LastIndexByte(a.Address, '@'); at >= 0 {
			host = a.Address[at+1:]
		}
	}
	mixed := boundary()
	h := []string{
		"From: " + header(from),
		"To: " + header(strings.Join(m.To, ", ")),
		"Subject: " + mime.QEncoding.Encode("utf-8", oneLine(m.Subject, 200)),
		"Date: " + now.Format(time.RFC1123Z),
		"Message-ID: <" + hex.EncodeToString(id) + "@" + header(host) + ">",
		"MIME-Version: 1.0",
		`Content-Type: multipart/mixed; boundary="` + mixed + `"`,
	}
	buf.WriteString(strings.Join(h, "\r\n") + "\r\n\r\n")
	mw := multipart.NewWriter(&buf)
	if err := mw.SetBoundary(mixed); err != nil {
		return nil, err
	}
	if m.HTML == "" {
		if err := qpPart(mw, "text/plain; charset=utf-8", m.Text); err != nil {
			return nil, err
		}
	} else {
		alt := boundary()
		w, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {`multipart/alternative; boundary="` + alt + `"`}})
		if err != nil {
			return nil, err
		}
		aw := multipart.NewWriter(w)
		if err := aw.SetBoundary(alt); err != nil {
			return nil, err
		}
		if err := qpPart(aw, "text/plain; charset=utf-8", m.Text); err != nil {
			return nil, err
		}
		if err := qpPart(aw, "text/html; charset=utf-8", m.HTML); err != nil {
			return nil, err
		}
		if err := aw.Close(); err != nil {
			return nil, err
		}
	}
	for _, a := range m.Attachments {
		name := strings.Map(func(r rune) rune {
			if r < 0x20 || r == '"' || r == '\\' || r == '/' || r == 0x7f {
				return '_'
			}
			return r
		}, a.Name)
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {ct},
			"Content-Transfer-Encoding": {"base64"},
			"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": name})},
		})
		if err != nil {
			return nil, err
		}
		enc := base64.StdEncoding.EncodeToString(a.Data)
		for len(enc) > 76 {
			w.Write([]byte(enc[:76] + "\r\n"))
			enc = enc[76:]
		}
		w.Write([]byte(enc + "\r\n"))
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func qpPart(mw *multipart.Writer, contentType, body string) error {
	w, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {contentType}, "Content-Transfer-Encoding": {"quoted-printable"}})
	if err != nil {
		return err
	}
	qw := quotedprintable.NewWriter(w)
	if _, err := qw.Write([]byte(body)); err != nil {
		return err
	}
	return qw.Close()
}

// header makes an address header value safe: no line breaks.
func header(v string) string { return oneLine(v, 2000) }

// oneLine keeps valid UTF-8 without control characters, at most n runes.
func oneLine(v string, n int) string {
	v = strings.ToValidUTF8(v, "\uFFFD")
	v = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, v)
	if utf8.RuneCountInString(v) > n {
		v = string([]rune(v)[:n])
	}
	return v
}
