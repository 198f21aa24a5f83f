package app_test

import (
	"context"
	"fmt"
	"net"
	"net/textproto"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/app"
	"github.com/claudit/claudit/internal/config"
)

// smtpInbox accepts messages on 127.0.0.1 and hands over their DATA.
func smtpInbox(t *testing.T) (int, <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan string, 4)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				tp := textproto.NewConn(conn)
				tp.PrintfLine("220 inbox")
				for {
					line, err := tp.ReadLine()
					if err != nil {
						return
					}
					switch strings.ToUpper(strings.Fields(line + " x")[0]) {
					case "EHLO", "HELO":
						tp.PrintfLine("250 inbox")
					case "DATA":
						tp.PrintfLine("354 go")
						b, _ := tp.ReadDotBytes()
						tp.PrintfLine("250 ok")
						ch <- string(b)
					case "QUIT":
						tp.PrintfLine("221 bye")
						return
					default:
						tp.PrintfLine("250 ok")
					}
				}
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port, ch
}

// TestScheduledReportThroughEmailSink: serve's report scheduler sends the
// week's report through the SMTP server of the email sink it names.
func TestScheduledReportThroughEmailSink(t *testing.T) {
	port, inbox := smtpInbox(t)
	a, _ := openApp(t, fmt.Sprintf(`database: sqlite://%s
base_url: https://claudit.example.com
sinks:
  - type: email
    name: mail
    email: {host: 127.0.0.1, port: %d, from: claudit@example.com, to: [soc@example.com], starttls: never}
reports:
  - name: weekly
    every: weekly
    sink: mail
`, filepath.Join(t.TempDir(), "c.db"), port))
	sc, err := a.ReportScheduler(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	sc.Now = func() time.Time { return time.Date(2026, 11, 9, 8, 0, 0, 0, time.UTC) }
	if n := sc.RunOnce(context.Background()); n != 1 {
		t.Fatalf("sent %d reports", n)
	}
	msg := <-inbox
	for _, want := range []string{"To: soc@example.com", "Subject: [claudit] Claude activity report: 2026-11-02 to 2026-11-08",
		`filename=claudit-report-2026-11-02-to-2026-11-08.html`, "https://claudit.example.com/audit"} {
		if !strings.Contains(strings.ReplaceAll(msg, "=\r\n", ""), want) {
			t.Errorf("message lacks %q", want)
		}
	}
}

func TestScheduledReportNeedsAnEmailSink(t *testing.T) {
	cfg, err := config.Parse("c.yaml", []byte(fmt.Sprintf(`database: sqlite://%s
sinks:
  - type: webhook
    name: soc
    webhook: {url: "https://soc.example.com/hook"}
reports:
  - name: weekly
    every: weekly
    sink: soc
`, filepath.Join(t.TempDir(), "c.db"))))
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	_, err = a.ReportScheduler(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), `c.yaml:9: reports[0].sink: "soc" is not the name of an email sink`) {
		t.Fatalf("err = %v", err)
	}
}
