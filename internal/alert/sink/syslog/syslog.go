// Package syslog is the syslog sink (type "syslog"): RFC 5424 messages over
// UDP (RFC 5426, one datagram each), TCP (RFC 6587 octet counting) or TLS
// (RFC 5425), with claudit's fields as structured data and a JSON or CEF
// body. Nothing user-controlled reaches the wire unescaped: header fields
// are reduced to printable ASCII, SD-PARAM values escape '"', '\' and ']'
// and lose control characters, and both bodies escape line breaks, so a
// hostile prompt cannot forge a second message or break the framing.
package syslog

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/claudit/claudit/internal/alert/sink"
)

// Type is the sink type name in the configuration.
const Type = "syslog"

// DefaultUDPMaxTextBytes is the text limit over UDP, where a message must
// fit one datagram.
const DefaultUDPMaxTextBytes = 2048

// maxDatagram is the largest message sent over UDP (IPv4 payload limit,
// rounded down).
const maxDatagram = 65000

// SDID is the structured-data element ID. 32473 is the private enterprise
// number reserved for documentation (RFC 5612); claudit has none of its own.
const SDID = "claudit@32473"

var facilities = map[string]int{
	"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6,
	"news": 7, "uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11,
	"local0": 16, "local1": 17, "local2": 18, "local3": 19,
	"local4": 20, "local5": 21, "local6": 22, "local7": 23,
}

// severityCodes maps alert severities to syslog severities (crit … info).
var severityCodes = map[string]int{"critical": 2, "high": 3, "medium": 4, "low": 5, "info": 6}

func init() {
	sink.Register(Type, func(c sink.Config) (sink.Sink, error) { return New(c) })
}

// Sink writes deliveries to a syslog collector. A TCP or TLS connection is
// kept open across Sends and redialed after an error.
type Sink struct {
	name     string
	network  string
	addr     string
	cef      bool
	facility int
	appName  string
	hostname string
	version  string
	tls      *tls.Config
	timeout  time.Duration
	maxText  int

	mu   sync.Mutex // serializes Sends: one connection, ordered frames
	conn net.Conn   // nil until dialed
	raw  net.Conn   // the TCP connection under conn, for liveness checks
}

// New builds a syslog sink from cfg.Syslog.
func New(cfg sink.Config) (*Sink, error) {
	sc := cfg.Syslog
	if sc == nil {
		return nil, errors.New("missing syslog settings")
	}
	s := &Sink{
		name:     cfg.Name,
		network:  sc.Network,
		addr:     sc.Address,
		appName:  headerField(sc.AppName, 48),
		hostname: headerField(sc.Hostname, 255),
		version:  cfg.ProductVersion(),
		timeout:  cfg.AttemptTimeout(),
	}
	switch s.network {
	case "udp":
		s.maxText = cfg.TextLimit(DefaultUDPMaxTextBytes)
	case "tcp", "tls":
		s.maxText = cfg.TextLimit(sink.DefaultMaxTextBytes)
	default:
		return nil, fmt.Errorf("syslog network %q: use udp, tcp or tls", sc.Network)
	}
	host, _, err := net.SplitHostPort(sc.Address)
	if err != nil {
		return nil, fmt.Errorf("syslog address %q: want host:port: %w", sc.Address, err)
	}
	if s.network == "tls" {
		if s.tls, err = sc.TLS.Client(host); err != nil {
			return nil, fmt.Errorf("syslog tls: %w", err)
		}
	}
	switch sc.Format {
	case "", "json":
	case "cef":
		s.cef = true
	default:
		return nil, fmt.Errorf("syslog format %q: use json or cef", sc.Format)
	}
	fac := sc.Facility
	if fac == "" {
		fac = "local0"
	}
	var ok bool
	if s.facility, ok = facilities[fac]; !ok {
		return nil, fmt.Errorf("syslog facility %q: use a name such as local0 or authpriv", sc.Facility)
	}
	if sc.AppName == "" {
		s.appName = "claudit"
	}
	if sc.Hostname == "" {
		h, _ := os.Hostname()
		s.hostname = headerField(h, 255)
	}
	return s, nil
}

// Name returns the configured name.
func (s *Sink) Name() string { return s.name }

// Send writes one message per delivery. After a write error the connection
// is dropped and the rest of the batch reported failed (retryable); a
// delivery too large for a UDP datagram fails permanently.
func (s *Sink) Send(ctx context.Context, batch []sink.Delivery) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var res sink.Results
	for i, d := range batch {
		if ctx.Err() != nil {
			res.FailAll(batch[i:], sink.CanceledErr(ctx))
			break
		}
		msg, err := s.Message(d, time.Now())
		if err != nil {
			res.Fail(d.ID, sink.Permanent(err))
			continue
		}
		if s.network == "udp" && len(msg) > maxDatagram {
			res.Fail(d.ID, sink.Permanent(fmt.Errorf("syslog message of %d bytes does not fit a UDP datagram; lower max_text_bytes", len(msg))))
			continue
		}
		if err := s.write(ctx, msg); err != nil {
			s.drop()
			res.FailAll(batch[i:], fmt.Errorf("syslog %s: write to %s: %w", s.name, s.addr, err))
			break
		}
		sink.Accepted(ctx, d.ID)
	}
	return res.Err()
}

// Close closes the connection, if any.
func (s *Sink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drop()
	return nil
}

func (s *Sink) drop() {
	if s.conn != nil {
		s.conn.Close()
	}
	s.conn, s.raw = nil, nil
}

func (s *Sink) write(ctx context.Context, msg []byte) error {
	if s.conn != nil && s.raw != nil && !alive(s.raw) {
		s.drop()
	}
	if s.conn == nil {
		if err := s.dial(ctx); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(s.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	s.conn.SetWriteDeadline(deadline)
	if s.network != "udp" {
		// RFC 6587 octet counting: MSG-LEN SP SYSLOG-MSG.
		msg = append([]byte(strconv.Itoa(len(msg))+" "), msg...)
	}
	_, err := s.conn.Write(msg)
	return err
}

func (s *Sink) dial(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var d net.Dialer
	if s.network == "udp" {
		c, err := d.DialContext(ctx, "udp", s.addr)
		if err != nil {
			return fmt.Errorf("dial: %w", err)
		}
		s.conn = c
		return nil
	}
	raw, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	conn := raw
	if s.network == "tls" {
		tc := tls.Client(raw, s.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return fmt.Errorf("tls handshake: %w", err)
		}
		conn = tc
	}
	s.conn, s.raw = conn, raw
	return nil
}

// alive reports whether the collector still holds the connection open. A
// syslog collector never writes, so data or EOF on read means it is gone;
// checking before a write keeps a message from vanishing into a socket the
// peer already closed.
func alive(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(time.Millisecond))
	defer c.SetReadDeadline(time.Time{})
	var b [1]byte
	_, err := c.Read(b[:])
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
