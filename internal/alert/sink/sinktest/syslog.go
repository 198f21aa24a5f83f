package sinktest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// waitLimit guards against a hung test; it is not a timing assertion.
const waitLimit = 20 * time.Second

// SyslogListener receives syslog messages on 127.0.0.1 over UDP (one
// datagram per message), TCP or TLS (RFC 6587 octet-counting frames).
type SyslogListener struct {
	// Addr is where the listener listens, host:port.
	Addr string
	msgs chan []byte
	errs chan error

	mu     sync.Mutex
	closed bool
	closer []io.Closer
	wg     sync.WaitGroup
}

// NewSyslogListener listens on network ("udp", "tcp" or "tls"; cert is
// needed for tls) on a free port until the test ends.
func NewSyslogListener(t testing.TB, network string, cert *TLSCert) *SyslogListener {
	return NewSyslogListenerAt(t, network, "127.0.0.1:0", cert)
}

// NewSyslogListenerAt is NewSyslogListener on a given address, to bring a
// "down" collector back on the port a sink was configured with.
func NewSyslogListenerAt(t testing.TB, network, addr string, cert *TLSCert) *SyslogListener {
	t.Helper()
	l := &SyslogListener{msgs: make(chan []byte, 1024), errs: make(chan error, 16)}
	switch network {
	case "udp":
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			t.Fatalf("listen udp: %v", err)
		}
		l.Addr = pc.LocalAddr().String()
		l.closer = append(l.closer, pc)
		l.wg.Add(1)
		go l.readPackets(pc)
	case "tcp", "tls":
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("listen tcp: %v", err)
		}
		if network == "tls" {
			ln = tls.NewListener(ln, cert.Server)
		}
		l.Addr = ln.Addr().String()
		l.closer = append(l.closer, ln)
		l.wg.Add(1)
		go l.accept(ln)
	default:
		t.Fatalf("unknown syslog network %q", network)
	}
	t.Cleanup(l.Close)
	return l
}

// Close stops listening and drops open connections.
func (l *SyslogListener) Close() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	for _, c := range l.closer {
		c.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
}

// Next returns the next message, failing the test if a framing error came
// first or nothing arrives in a long while.
func (l *SyslogListener) Next(t testing.TB) []byte {
	t.Helper()
	select {
	case m := <-l.msgs:
		return m
	case err := <-l.errs:
		t.Fatalf("syslog listener: %v", err)
	case <-time.After(waitLimit):
		t.Fatalf("syslog listener: no message received")
	}
	return nil
}

func (l *SyslogListener) readPackets(pc net.PacketConn) {
	defer l.wg.Done()
	buf := make([]byte, 65536)
	for {
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		l.msgs <- append([]byte(nil), buf[:n]...)
	}
}

func (l *SyslogListener) accept(ln net.Listener) {
	defer l.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			c.Close()
			return
		}
		l.closer = append(l.closer, c)
		l.wg.Add(1)
		l.mu.Unlock()
		go l.readFrames(c)
	}
}

func (l *SyslogListener) readFrames(c net.Conn) {
	defer l.wg.Done()
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		msg, err := ReadFrame(r)
		if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			select {
			case l.errs <- err:
			default:
			}
			return
		}
		l.msgs <- msg
	}
}

// ReadFrame reads one RFC 6587 octet-counting frame: MSG-LEN SP MSG.
func ReadFrame(r *bufio.Reader) ([]byte, error) {
	head, err := r.ReadString(' ')
	if err != nil {
		if head == "" {
			return nil, err
		}
		return nil, fmt.Errorf("read frame length %q: %w", head, err)
	}
	n, err := strconv.Atoi(head[:len(head)-1])
	if err != nil || n <= 0 || n > 16<<20 || head[0] == '0' {
		return nil, fmt.Errorf("bad frame length %q", head)
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(r, msg); err != nil {
		return nil, fmt.Errorf("read %d-byte frame: %w", n, err)
	}
	return msg, nil
}

// SyslogMessage is a parsed RFC 5424 message.
type SyslogMessage struct {
	Priority, Version                           int
	Timestamp, Hostname, AppName, ProcID, MsgID string
	Data                                        []SDElement
	Msg                                         []byte
}

// SDElement is one STRUCTURED-DATA element.
type SDElement struct {
	ID     string
	Params []SDParam
}

// SDParam is one SD-PARAM with its value unescaped.
type SDParam struct{ Name, Value string }

// Param returns the value of the named parameter of element id.
func (m SyslogMessage) Param(id, name string) (string, bool) {
	for _, e := range m.Data {
		if e.ID != id {
			continue
		}
		for _, p := range e.Params {
			if p.Name == name {
				return p.Value, true
			}
		}
	}
	return "", false
}

// ParseSyslog parses an RFC 5424 message strictly: header fields printable
// ASCII within their lengths, SD-PARAM values valid UTF-8 with '"', '\' and
// ']' escaped (a lone '\' or ']' is an error, so an encoder that forgets
// to escape is caught).
func ParseSyslog(b []byte) (SyslogMessage, error) {
	var m SyslogMessage
	p := &parser{b: b}
	if !p.consume('<') {
		return m, p.errorf("missing '<'")
	}
	pri, ok := p.number(3)
	if !ok || pri > 191 || !p.consume('>') {
		return m, p.errorf("bad PRI")
	}
	m.Priority = pri
	if m.Version, ok = p.number(2); !ok || m.Version == 0 || !p.consume(' ') {
		return m, p.errorf("bad VERSION")
	}
	fields := []struct {
		dst *string
		max int
	}{{&m.Timestamp, 48}, {&m.Hostname, 255}, {&m.AppName, 48}, {&m.ProcID, 128}, {&m.MsgID, 32}}
	for _, f := range fields {
		tok, err := p.token(f.max)
		if err != nil {
			return m, err
		}
		*f.dst = tok
	}
	if m.Timestamp != "-" {
		if _, err := time.Parse(time.RFC3339Nano, m.Timestamp); err != nil {
			return m, p.errorf("bad TIMESTAMP %q", m.Timestamp)
		}
	}
	if p.consume('-') {
		// nil structured data
	} else {
		for p.peek() == '[' {
			e, err := p.element()
			if err != nil {
				return m, err
			}
			m.Data = append(m.Data, e)
		}
		if len(m.Data) == 0 {
			return m, p.errorf("bad STRUCTURED-DATA")
		}
	}
	if p.i == len(b) {
		return m, nil
	}
	if !p.consume(' ') {
		return m, p.errorf("no SP before MSG")
	}
	m.Msg = bytes.TrimPrefix(b[p.i:], []byte("\xEF\xBB\xBF"))
	return m, nil
}

type parser struct {
	b []byte
	i int
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("syslog offset %d: %s", p.i, fmt.Sprintf(format, args...))
}

func (p *parser) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

func (p *parser) consume(c byte) bool {
	if p.peek() == c && p.i < len(p.b) {
		p.i++
		return true
	}
	return false
}

func (p *parser) number(maxDigits int) (int, bool) {
	start := p.i
	for p.i < len(p.b) && p.i-start < maxDigits && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	if p.i == start {
		return 0, false
	}
	n, err := strconv.Atoi(string(p.b[start:p.i]))
	return n, err == nil
}

// token reads a header field and the SP after it.
func (p *parser) token(max int) (string, error) {
	start := p.i
	for p.i < len(p.b) && p.b[p.i] != ' ' {
		if c := p.b[p.i]; c < 33 || c > 126 {
			return "", p.errorf("non-printable byte %#x in header", c)
		}
		p.i++
	}
	tok := string(p.b[start:p.i])
	if tok == "" || len(tok) > max {
		return "", p.errorf("header field %q empty or longer than %d", tok, max)
	}
	if !p.consume(' ') {
		return "", p.errorf("header ended early")
	}
	return tok, nil
}

func (p *parser) name(stop byte) (string, error) {
	start := p.i
	for p.i < len(p.b) && p.b[p.i] != stop && p.b[p.i] != ' ' && p.b[p.i] != ']' {
		if c := p.b[p.i]; c < 33 || c > 126 || c == '=' || c == '"' {
			return "", p.errorf("bad byte %#x in SD-NAME", c)
		}
		p.i++
	}
	n := string(p.b[start:p.i])
	if n == "" || len(n) > 32 {
		return "", p.errorf("SD-NAME %q empty or longer than 32", n)
	}
	return n, nil
}

func (p *parser) element() (SDElement, error) {
	var e SDElement
	p.consume('[')
	id, err := p.name(' ')
	if err != nil {
		return e, err
	}
	e.ID = id
	for p.consume(' ') {
		name, err := p.name('=')
		if err != nil {
			return e, err
		}
		if !p.consume('=') || !p.consume('"') {
			return e, p.errorf("SD-PARAM %s: expected =\"", name)
		}
		v, err := p.value()
		if err != nil {
			return e, err
		}
		e.Params = append(e.Params, SDParam{Name: name, Value: v})
	}
	if !p.consume(']') {
		return e, p.errorf("SD-ELEMENT %s: expected ]", id)
	}
	return e, nil
}

func (p *parser) value() (string, error) {
	var v []byte
	for p.i < len(p.b) {
		c := p.b[p.i]
		p.i++
		switch c {
		case '"':
			if !utf8.Valid(v) {
				return "", p.errorf("SD-PARAM value is not UTF-8")
			}
			return string(v), nil
		case ']':
			return "", p.errorf("unescaped ] in SD-PARAM value")
		case '\\':
			n := p.peek()
			if n != '"' && n != '\\' && n != ']' {
				return "", p.errorf("unescaped \\ in SD-PARAM value")
			}
			v = append(v, n)
			p.i++
		default:
			v = append(v, c)
		}
	}
	return "", p.errorf("unterminated SD-PARAM value")
}
