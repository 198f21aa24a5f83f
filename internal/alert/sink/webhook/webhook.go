// Package webhook is the generic JSON webhook sink (type "webhook"): a POST
// per delivery (or one JSON array per batch) signed with HMAC-SHA256, so any
// receiver can check that claudit sent it. Receivers use Verify or
// VerifyRequest.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/alert/sink"
)

// Type is the sink type name in the configuration.
const Type = "webhook"

// Headers set on every request.
const (
	HeaderSignature   = "X-Claudit-Signature"
	HeaderTimestamp   = "X-Claudit-Timestamp"
	HeaderIdempotency = "Idempotency-Key"
)

// DefaultTolerance is a sensible Verify tolerance for clock skew and queueing.
const DefaultTolerance = 5 * time.Minute

func init() {
	sink.Register(Type, func(c sink.Config) (sink.Sink, error) { return New(c) })
}

// Sink posts deliveries as JSON (see sink.EncodeJSON for the document).
type Sink struct {
	name    string
	url     string
	secret  []byte
	batch   bool
	header  http.Header
	client  *http.Client
	maxText int
	now     func() time.Time
}

// New builds a webhook sink from cfg.Webhook.
func New(cfg sink.Config) (*Sink, error) {
	wc := cfg.Webhook
	if wc == nil {
		return nil, errors.New("missing webhook settings")
	}
	if err := sink.CheckURL("webhook url", wc.URL); err != nil {
		return nil, err
	}
	client, err := sink.NewHTTPClient(cfg.AttemptTimeout(), wc.TLS)
	if err != nil {
		return nil, fmt.Errorf("webhook tls: %w", err)
	}
	h := http.Header{}
	for k, v := range wc.Headers {
		h.Set(k, v)
	}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "claudit/"+cfg.ProductVersion())
	return &Sink{
		name:    cfg.Name,
		url:     wc.URL,
		secret:  []byte(wc.Secret),
		batch:   wc.Batch,
		header:  h,
		client:  client,
		maxText: cfg.TextLimit(sink.DefaultMaxTextBytes),
		now:     time.Now,
	}, nil
}

// Name returns the configured name.
func (s *Sink) Name() string { return s.name }

// Send posts each delivery (or the batch as one array). Encoding failures are
// permanent for that delivery; transport failures, 408, 429 and 5xx are
// retryable; other 4xx are permanent.
func (s *Sink) Send(ctx context.Context, batch []sink.Delivery) error {
	if s.batch {
		return s.sendArray(ctx, batch)
	}
	var res sink.Results
	for i, d := range batch {
		if ctx.Err() != nil {
			res.FailAll(batch[i:], sink.CanceledErr(ctx))
			break
		}
		body, err := sink.EncodeJSON(d, s.maxText)
		if err != nil {
			res.Fail(d.ID, sink.Permanent(err))
			continue
		}
		if err := s.post(ctx, d.ID, body); err != nil {
			res.Fail(d.ID, fmt.Errorf("webhook %s: deliver %s: %w", s.name, d.ID, err))
			continue
		}
		sink.Accepted(ctx, d.ID)
	}
	return res.Err()
}

func (s *Sink) sendArray(ctx context.Context, batch []sink.Delivery) error {
	var res sink.Results
	var b strings.Builder
	ids := make([]string, 0, len(batch))
	b.WriteByte('[')
	for _, d := range batch {
		body, err := sink.EncodeJSON(d, s.maxText)
		if err != nil {
			res.Fail(d.ID, sink.Permanent(err))
			continue
		}
		if len(ids) > 0 {
			b.WriteByte(',')
		}
		b.Write(body)
		ids = append(ids, d.ID)
	}
	b.WriteByte(']')
	if len(ids) == 0 {
		return res.Err()
	}
	err := s.post(ctx, batchKey(ids), []byte(b.String()))
	if err == nil {
		sink.Accepted(ctx, ids...)
		return res.Err()
	}
	err = fmt.Errorf("webhook %s: deliver batch of %d: %w", s.name, len(ids), err)
	if res.Err() == nil {
		return err
	}
	for _, id := range ids {
		res.Fail(id, err)
	}
	return res.Err()
}

// batchKey is a stable idempotency key for a batch: the same deliveries in
// the same order give the same key on retry.
func batchKey(ids []string) string {
	sum := sha256.Sum256([]byte(strings.Join(ids, "\n")))
	return "batch-" + hex.EncodeToString(sum[:16])
}

func (s *Sink) post(ctx context.Context, key string, body []byte) error {
	h := s.header.Clone()
	h.Set(HeaderIdempotency, key)
	if len(s.secret) > 0 {
		ts := s.now().Unix()
		h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
		h.Set(HeaderSignature, Sign(s.secret, ts, body))
	}
	_, err := sink.Post(ctx, s.client, s.url, h, body)
	return err
}

// Sign returns the X-Claudit-Signature value for body sent at unix time ts:
// "sha256=" and the hex HMAC-SHA256 of "<ts>.<body>" keyed with secret.
func Sign(secret []byte, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(strconv.FormatInt(ts, 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Errors Verify returns.
var (
	ErrBadSignature = errors.New("webhook signature does not match")
	ErrStale        = errors.New("webhook timestamp outside tolerance")
)

// Verify checks a request a receiver got: ts and sig are the
// X-Claudit-Timestamp and X-Claudit-Signature headers, body the raw body.
// The timestamp must be within tolerance of now (DefaultTolerance when
// tolerance <= 0), which bounds replays; the comparison is constant-time.
func Verify(secret []byte, ts string, body []byte, sig string, tolerance time.Duration) error {
	return VerifyAt(secret, ts, body, sig, tolerance, time.Now())
}

// VerifyAt is Verify with an explicit current time.
func VerifyAt(secret []byte, ts string, body []byte, sig string, tolerance time.Duration, now time.Time) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook timestamp %q: %w", ts, err)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	if !hmac.Equal([]byte(Sign(secret, sec, body)), []byte(sig)) {
		return ErrBadSignature
	}
	return nil
}

// VerifyRequest reads r's body (at most maxBytes) and verifies it with
// Verify, returning the body when it is authentic.
func VerifyRequest(r *http.Request, secret []byte, tolerance time.Duration, maxBytes int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read webhook body: %w", err)
	}
	if int64(len(body)) > maxBytes {
		return nil, fmt.Errorf("webhook body larger than %d bytes", maxBytes)
	}
	if err := Verify(secret, r.Header.Get(HeaderTimestamp), body, r.Header.Get(HeaderSignature), tolerance); err != nil {
		return nil, err
	}
	return body, nil
}
