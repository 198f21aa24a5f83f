// Package email is the SMTP sink (type "email"): alerts batched into
// multipart/alternative messages (plain text and HTML, both quoted-printable)
// sent with net/smtp, upgraded with STARTTLS when the server offers it and
// authenticated with AUTH PLAIN when a username is configured. The HTML part
// comes from html/template, so prompt text is escaped; headers are built
// from sanitized, RFC 2047-encoded values, so no text can add a header.
package email

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/claudit/claudit/internal/alert/sink"
	clmail "github.com/claudit/claudit/internal/mail"
)

// Type is the sink type name in the configuration.
const Type = "email"

// Defaults for the optional settings.
const (
	DefaultPort          = 587
	DefaultMaxPerMessage = 50
	// DefaultMaxTextBytes bounds each excerpt in a message.
	DefaultMaxTextBytes = 8 << 10
)

//go:embed templates
var templates embed.FS

var (
	textTmpl = texttemplate.Must(texttemplate.ParseFS(templates, "templates/alerts.txt"))
	htmlTmpl = htmltemplate.Must(htmltemplate.ParseFS(templates, "templates/alerts.html"))
)

func init() {
	sink.Register(Type, func(c sink.Config) (sink.Sink, error) { return New(c) })
}

// Sink mails deliveries.
type Sink struct {
	name     string
	host     string
	addr     string
	username string
	password string
	from     string   // From header
	to       []string // To header
	envFrom  string   // MAIL FROM
	envTo    []string // RCPT TO
	startTLS string
	tls      *tls.Config
	prefix   string
	maxPer   int
	maxText  int
	timeout  time.Duration
	version  string
}

// New builds an email sink from cfg.Email.
func New(cfg sink.Config) (*Sink, error) {
	ec := cfg.Email
	if ec == nil {
		return nil, errors.New("missing email settings")
	}
	if ec.Host == "" {
		return nil, errors.New("email host is empty")
	}
	from, err := mail.ParseAddress(ec.From)
	if err != nil {
		return nil, fmt.Errorf("email from %q: %w", ec.From, err)
	}
	if len(ec.To) == 0 {
		return nil, errors.New("email to lists no recipients")
	}
	var rcpts []string
	for _, to := range ec.To {
		a, err := mail.ParseAddress(to)
		if err != nil {
			return nil, fmt.Errorf("email to %q: %w", to, err)
		}
		rcpts = append(rcpts, a.Address)
	}
	s := &Sink{
		name: cfg.Name, host: ec.Host, username: ec.Username, password: ec.Password,
		from: ec.From, to: ec.To, envFrom: from.Address, envTo: rcpts, startTLS: ec.StartTLS, prefix: ec.SubjectPrefix, maxPer: ec.MaxPerMessage,
		maxText: cfg.TextLimit(DefaultMaxTextBytes), timeout: cfg.AttemptTimeout(), version: cfg.ProductVersion(),
	}
	port := ec.Port
	if port == 0 {
		port = DefaultPort
	}
	s.addr = net.JoinHostPort(ec.Host, strconv.Itoa(port))
	switch s.startTLS {
	case "":
		s.startTLS = "auto"
	case "auto", "require", "never":
	default:
		return nil, fmt.Errorf("email starttls %q: use auto, require or never", ec.StartTLS)
	}
	if s.prefix == "" {
		s.prefix = "[claudit]"
	}
	if s.maxPer <= 0 {
		s.maxPer = DefaultMaxPerMessage
	}
	if s.tls, err = ec.TLS.Client(ec.Host); err != nil {
		return nil, fmt.Errorf("email tls: %w", err)
	}
	return s, nil
}

// Name returns the configured name.
func (s *Sink) Name() string { return s.name }

// Send mails the batch in messages of at most MaxPerMessage deliveries over
// one SMTP session. A 4xx reply or a connection failure is retryable; a 5xx
// reply to a message fails its deliveries permanently.
func (s *Sink) Send(ctx context.Context, batch []sink.Delivery) error {
	var res sink.Results
	var groups [][]sink.Delivery
	for start := 0; start < len(batch); start += s.maxPer {
		groups = append(groups, batch[start:min(start+s.maxPer, len(batch))])
	}
	if len(groups) == 0 {
		return nil
	}
	c, err := s.dial(ctx)
	if err != nil {
		res.FailAll(batch, fmt.Errorf("email %s: %w", s.name, err))
		return res.Err()
	}
	defer c.Close()
	for i, g := range groups {
		if ctx.Err() != nil {
			for _, rest := range groups[i:] {
				res.FailAll(rest, sink.CanceledErr(ctx))
			}
			break
		}
		msg, err := s.Message(g, time.Now())
		if err != nil {
			res.FailAll(g, sink.Permanent(err))
			continue
		}
		if err := s.deliver(c, msg); err != nil {
			res.FailAll(g, fmt.Errorf("email %s: send message of %d: %w", s.name, len(g), classify(err)))
			var tpErr *textproto.Error
			if !errors.As(err, &tpErr) { // the session is broken: fail the rest
				for _, rest := range groups[i+1:] {
					res.FailAll(rest, fmt.Errorf("email %s: session ended early: %w", s.name, err))
				}
				return res.Err()
			}
			c.Reset()
			continue
		}
		ids := make([]string, len(g))
		for j, d := range g {
			ids[j] = d.ID
		}
		sink.Accepted(ctx, ids...)
	}
	c.Quit()
	return res.Err()
}

// classify marks 5xx SMTP replies permanent; 4xx and I/O errors stay
// retryable.
func classify(err error) error {
	var tpErr *textproto.Error
	if errors.As(err, &tpErr) && tpErr.Code >= 500 {
		return sink.Permanent(err)
	}
	return err
}

func (s *Sink) dial(ctx context.Context) (*smtp.Client, error) {
	deadline := time.Now().Add(s.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	d := net.Dialer{Deadline: deadline}
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", s.addr, err)
	}
	// One deadline bounds the whole session; net/smtp has no per-call timeouts.
	conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("smtp greeting from %s: %w", s.addr, err)
	}
	if err := s.secure(c); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (s *Sink) secure(c *smtp.Client) error {
	if s.startTLS != "never" {
		ok, _ := c.Extension("STARTTLS")
		switch {
		case ok:
			if err := c.StartTLS(s.tls); err != nil {
				return fmt.Errorf("starttls with %s: %w", s.addr, err)
			}
		case s.startTLS == "require":
			return fmt.Errorf("%s does not offer STARTTLS and starttls is require", s.addr)
		}
	}
	if s.username == "" {
		return nil
	}
	if ok, _ := c.Extension("AUTH"); !ok {
		return fmt.Errorf("%s does not offer AUTH (servers usually offer it only after STARTTLS)", s.addr)
	}
	// smtp.PlainAuth refuses to send the password unencrypted except to localhost.
	if err := c.Auth(smtp.PlainAuth("", s.username, s.password, s.host)); err != nil {
		return fmt.Errorf("auth as %s: %w", s.username, err)
	}
	return nil
}

func (s *Sink) deliver(c *smtp.Client, msg []byte) error {
	return clmail.Deliver(c, s.envFrom, s.envTo, msg)
}

// item is one delivery as the templates show it.
type item struct {
	Alert                                  bool
	Severity, Color, Title, Detector, User string
	Chat, Integration, Action, URL, Text   string
	FirstSeen, LastSeen                    string
	Count, TruncatedFrom                   int
}

var severityColors = map[string]string{"critical": "#a40e26", "high": "#cf222e", "medium": "#bc4c00", "low": "#9a6700", "info": "#0969da"}

func (s *Sink) item(d sink.Delivery) item {
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	var it item
	var text string
	switch {
	case d.Alert != nil:
		a := d.Alert
		it = item{
			Alert: true, Severity: strings.ToUpper(a.Severity), Color: severityColors[strings.ToLower(a.Severity)],
			Title: a.Policy, Detector: a.Detector, User: first(a.UserEmail, a.UserID), Chat: a.ChatID,
			Integration: a.Integration, Action: a.Action, URL: a.URL, Count: a.Count,
			FirstSeen: stamp(a.FirstSeen), LastSeen: stamp(a.LastSeen),
		}
		text = a.Excerpt
	case d.Event != nil:
		e := d.Event
		it = item{Title: e.Kind + " " + e.Type, User: first(e.UserEmail, e.UserID), LastSeen: stamp(e.CreatedAt)}
		text = e.Text
	default:
		it = item{Title: "delivery " + d.ID}
	}
	var cut bool
	it.Text, cut = sink.Clip(text, s.maxText)
	if cut {
		it.TruncatedFrom = len(text)
	}
	for _, f := range []*string{&it.Title, &it.Detector, &it.User, &it.Chat, &it.Integration, &it.Action, &it.URL} {
		*f = strings.ToValidUTF8(*f, "\uFFFD")
	}
	if it.Color == "" {
		it.Color = "#656d76"
	}
	return it
}

// summary is the opening line: "claudit raised 2 alerts and forwarded 1 event."
func summary(items []item) string {
	var alerts, events int
	for _, it := range items {
		if it.Alert {
			alerts++
		} else {
			events++
		}
	}
	plural := func(n int, word string) string {
		if n == 1 {
			return "1 " + word
		}
		return strconv.Itoa(n) + " " + word + "s"
	}
	var parts []string
	if alerts > 0 {
		parts = append(parts, "raised "+plural(alerts, "alert"))
	}
	if events > 0 {
		parts = append(parts, "forwarded "+plural(events, "event"))
	}
	return "claudit " + strings.Join(parts, " and ") + "."
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// Subject summarizes a message's deliveries on one line.
func (s *Sink) Subject(batch []sink.Delivery) string {
	var alerts []*sink.Alert
	for _, d := range batch {
		if d.Alert != nil {
			alerts = append(alerts, d.Alert)
		}
	}
	var subj string
	switch {
	case len(alerts) == 0 && len(batch) == 1 && batch[0].Event != nil:
		subj = "event: " + batch[0].Event.Type
	case len(alerts) == 0:
		subj = fmt.Sprintf("%d events", len(batch))
	case len(alerts) == 1:
		subj = strings.ToUpper(alerts[0].Severity) + ": " + alerts[0].Policy
	default:
		top := alerts[0]
		var policies []string
		seen := map[string]bool{}
		for _, a := range alerts {
			if sink.SeverityRank(a.Severity) > sink.SeverityRank(top.Severity) {
				top = a
			}
			if !seen[a.Policy] {
				seen[a.Policy] = true
				policies = append(policies, a.Policy)
			}
		}
		list := strings.Join(policies[:min(3, len(policies))], ", ")
		if len(policies) > 3 {
			list += fmt.Sprintf(", +%d more", len(policies)-3)
		}
		subj = fmt.Sprintf("%d alerts, highest %s: %s", len(alerts), strings.ToUpper(top.Severity), list)
	}
	return oneLine(s.prefix+" "+subj, 200)
}

// oneLine makes a header value: valid UTF-8, control characters (CR and
// LF above all) turned to spaces, at most n characters.
func oneLine(v string, n int) string {
	v = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(v, "\uFFFD"))
	if r := []rune(v); len(r) > n {
		v = string(r[:n])
	}
	return strings.TrimSpace(v)
}

// Message renders the RFC 5322 message for batch.
func (s *Sink) Message(batch []sink.Delivery, now time.Time) ([]byte, error) {
	items := make([]item, 0, len(batch))
	for _, d := range batch {
		items = append(items, s.item(d))
	}
	subject := s.Subject(batch)
	data := struct {
		Subject, Summary string
		Items            []item
		Version          string
	}{subject, summary(items), items, s.version}

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	header := []struct{ k, v string }{
		{"From", s.from},
		{"To", strings.Join(s.to, ", ")},
		{"Subject", mime.QEncoding.Encode("utf-8", subject)},
		{"Date", now.Format(time.RFC1123Z)},
		{"Message-ID", "<" + messageID() + "@claudit>"},
		{"MIME-Version", "1.0"},
		{"Content-Type", `multipart/alternative; boundary="` + mw.Boundary() + `"`},
		{"Auto-Submitted", "auto-generated"},
	}
	var head bytes.Buffer
	for _, h := range header {
		head.WriteString(h.k + ": " + h.v + "\r\n")
	}
	head.WriteString("\r\n")

	parts := []struct {
		ctype  string
		render func(*bytes.Buffer) error
	}{
		{"text/plain; charset=utf-8", func(b *bytes.Buffer) error { return textTmpl.Execute(b, data) }},
		{"text/html; charset=utf-8", func(b *bytes.Buffer) error { return htmlTmpl.Execute(b, data) }},
	}
	for _, p := range parts {
		var body bytes.Buffer
		if err := p.render(&body); err != nil {
			return nil, fmt.Errorf("render %s: %w", p.ctype, err)
		}
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p.ctype},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, fmt.Errorf("write mime part: %w", err)
		}
		qp := quotedprintable.NewWriter(pw)
		if _, err := qp.Write(body.Bytes()); err != nil {
			return nil, fmt.Errorf("encode %s: %w", p.ctype, err)
		}
		if err := qp.Close(); err != nil {
			return nil, fmt.Errorf("encode %s: %w", p.ctype, err)
		}
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("close mime message: %w", err)
	}
	return append(head.Bytes(), buf.Bytes()...), nil
}

func messageID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
