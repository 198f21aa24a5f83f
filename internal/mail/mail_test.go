package mail

import (
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"time"
)

// received is one SMTP transaction the test server accepted.
type received struct {
	from string
	to   []string
	data string
}

// smtpServer is a tiny SMTP receiver on 127.0.0.1: EHLO (without STARTTLS
// or AUTH), MAIL, RCPT, DATA, QUIT. It hands each message to the channel.
func smtpServer(t *testing.T, reject string) (host string, port int, got <-chan received) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan received, 4)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go serveSMTP(conn, reject, ch)
		}
	}()
	a := ln.Addr().(*net.TCPAddr)
	return "127.0.0.1", a.Port, ch
}

func serveSMTP(conn net.Conn, reject string, ch chan<- received) {
	defer conn.Close()
	tp := textproto.NewConn(conn)
	tp.PrintfLine("220 test ESMTP")
	var r received
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb := strings.ToUpper(strings.Fields(line + " x")[0])
		switch verb {
		case "EHLO", "HELO":
			tp.PrintfLine("250-test\r\n250 8BITMIME")
		case "MAIL":
			addr, _, _ := strings.Cut(line[len("MAIL FROM:"):], " ") // drop BODY=8BITMIME
			r.from = strings.TrimSuffix(strings.TrimPrefix(addr, "<"), ">")
			tp.PrintfLine("250 ok")
		case "RCPT":
			to := strings.TrimSuffix(strings.TrimPrefix(line[len("RCPT TO:"):], "<"), ">")
			if to == reject {
				tp.PrintfLine("550 no such user")
				continue
			}
			r.to = append(r.to, to)
			tp.PrintfLine("250 ok")
		case "DATA":
			tp.PrintfLine("354 go ahead")
			b, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			r.data = string(b)
			tp.PrintfLine("250 queued")
			ch <- r
			r = received{}
		case "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("502 not implemented")
		}
	}
}

func TestSendReport(t *testing.T) {
	host, port, got := smtpServer(t, "")
	srv := Server{Host: host, Port: port, From: "claudit <claudit@example.com>", StartTLS: "auto"}
	now := time.Date(2026, 11, 9, 6, 0, 0, 0, time.UTC)
	m := Message{To: []string{"ciso@example.com", "SOC <soc@example.com>"}, Subject: "Weekly report\r\nBcc: evil@example.com",
		Text: "Summary: 3 violations.", HTML: "<h1>Summary</h1><p>3 violations</p>",
		Attachments: []Attachment{{Name: "report\r\n.html", ContentType: "text/html; charset=utf-8", Data: []byte("<h1>Report</h1>")}}}
	if err := srv.Send(context.Background(), m, now); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if r.from != "claudit@example.com" || strings.Join(r.to, ",") != "ciso@example.com,soc@example.com" {
		t.Fatalf("envelope %q -> %q", r.from, r.to)
	}
	msg, err := mail.ReadMessage(strings.NewReader(r.data))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Header.Get("Bcc") != "" {
		t.Fatal("the subject added a header")
	}
	subj, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if subj != "Weekly report  Bcc: evil@example.com" || msg.Header.Get("Date") != now.Format(time.RFC1123Z) {
		t.Fatalf("subject %q, date %q", subj, msg.Header.Get("Date"))
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("content type %q %v", mt, err)
	}
	parts := multipart.NewReader(msg.Body, params["boundary"])
	alt, err := parts.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	_, ap, _ := mime.ParseMediaType(alt.Header.Get("Content-Type"))
	ar := multipart.NewReader(alt, ap["boundary"])
	var bodies []string
	for {
		p, err := ar.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		bodies = append(bodies, p.Header.Get("Content-Type")+": "+string(b))
	}
	if strings.Join(bodies, " | ") != "text/plain; charset=utf-8: Summary: 3 violations. | text/html; charset=utf-8: <h1>Summary</h1><p>3 violations</p>" {
		t.Fatalf("alternatives %q", bodies)
	}
	att, err := parts.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	if att.FileName() != "report__.html" {
		t.Errorf("attachment name %q", att.FileName())
	}
	raw, _ := io.ReadAll(att)
	data, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(raw), "\r\n", ""))
	if err != nil || string(data) != "<h1>Report</h1>" {
		t.Errorf("attachment %q %v", data, err)
	}
}

func TestSendRefusals(t *testing.T) {
	host, port, _ := smtpServer(t, "gone@example.com")
	srv := Server{Host: host, Port: port, From: "claudit@example.com"}
	now := time.Now()
	if err := srv.Send(context.Background(), Message{To: []string{"gone@example.com"}, Text: "x"}, now); err == nil || !strings.Contains(err.Error(), "550") {
		t.Errorf("a rejected recipient: %v", err)
	}
	if err := srv.Send(context.Background(), Message{Text: "x"}, now); err == nil {
		t.Error("no recipients was accepted")
	}
	if err := (Server{Host: host, Port: port, From: "claudit@example.com", StartTLS: "require"}).Send(context.Background(), Message{To: []string{"a@example.com"}}, now); err == nil ||
		!strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("starttls require without STARTTLS: %v", err)
	}
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	p := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	if err := (Server{Host: "127.0.0.1", Port: p, From: "claudit@example.com"}).Send(context.Background(), Message{To: []string{"a@example.com"}}, now); err == nil ||
		!strings.Contains(err.Error(), "dial 127.0.0.1:"+strconv.Itoa(p)) {
		t.Errorf("a closed port: %v", err)
	}
}
