// Package compliance is a client for Anthropic's Compliance API: typed models,
// cursor and page-token pagination, typed errors, retries with backoff that
// honour retry-after, and a client-side rate limiter. It imports nothing internal.
package compliance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultBaseURL is the public Compliance API host.
const DefaultBaseURL = "https://api.anthropic.com"

// APIVersion is sent as anthropic-version on every request.
const APIVersion = "2023-06-01"

// Options configure a Client. Zero values take the documented defaults.
type Options struct {
	BaseURL string
	APIKey  string
	// HTTPClient defaults to a client with sane transport settings.
	HTTPClient *http.Client
	// RequestTimeout bounds one HTTP attempt (default 60s).
	RequestTimeout time.Duration
	// MaxRetries is how many times a retryable failure is retried (default 8).
	MaxRetries int
	// MinBackoff and MaxBackoff bound the exponential backoff (default 1s, 60s).
	MinBackoff, MaxBackoff time.Duration
	// RequestsPerMinute is the client-side rate limit (default 600, the API's
	// budget per parent organization); negative disables the limiter.
	RequestsPerMinute int
	UserAgent         string
	Logger            *slog.Logger
	// MaxBodyBytes caps a response body (default 256 MiB).
	MaxBodyBytes int64
	// RefuseInternal refuses connections to loopback, link-local and
	// metadata addresses (checked on the resolved address of every
	// connection); set for integrations entered in the dashboard unless the
	// configuration allows internal base URLs. Ignored with HTTPClient.
	RefuseInternal bool
}

// Client calls the Compliance API. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	key     string
	http    *http.Client
	opts    Options
	limiter *rate.Limiter
	log     *slog.Logger
	stats   *Stats
}

// Stats counts what the client did, for run records and benchmarks.
type Stats struct {
	Requests, Retries, RateLimited int64
}

// New builds a client; it fails only on an unusable base URL.
func New(o Options) (*Client, error) {
	if o.BaseURL == "" {
		o.BaseURL = DefaultBaseURL
	}
	u, err := url.Parse(strings.TrimRight(o.BaseURL, "/"))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("compliance client: base URL %q must be absolute, like https://api.anthropic.com", o.BaseURL)
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 60 * time.Second
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 8
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 60 * time.Second
	}
	if o.RequestsPerMinute == 0 {
		o.RequestsPerMinute = 600
	}
	if o.UserAgent == "" {
		o.UserAgent = "claudit"
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 256 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	hc := o.HTTPClient
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 32
		if o.RefuseInternal {
			d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: refuseInternal}
			tr.DialContext = d.DialContext
			tr.Proxy = nil // a proxy would make the connection on our behalf, unchecked
		}
		// The key travels in x-api-key, which net/http would copy to
		// another host on a redirect: follow redirects only within the host.
		hc = &http.Client{Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			if req.URL.Host != via[0].URL.Host {
				return fmt.Errorf("refusing a redirect to another host (%s): the API key would follow it", req.URL.Host)
			}
			return nil
		}}
	}
	c := &Client{base: u, key: o.APIKey, http: hc, opts: o, log: o.Logger, stats: &Stats{}}
	if o.RequestsPerMinute > 0 {
		burst := max(1, o.RequestsPerMinute/60)
		c.limiter = rate.NewLimiter(rate.Limit(float64(o.RequestsPerMinute)/60), burst)
	}
	return c, nil
}

// withRetries returns a client sharing this one's transport, limiter and
// counters, with another retry budget.
func (c *Client) withRetries(n int) *Client {
	cc := *c
	cc.opts.MaxRetries = n
	return &cc
}

// BaseURL returns the configured base URL.
func (c *Client) BaseURL() string { return c.base.String() }

// Stats returns a snapshot of the request counters.
func (c *Client) Stats() Stats {
	return Stats{Requests: atomicLoad(&c.stats.Requests), Retries: atomicLoad(&c.stats.Retries),
		RateLimited: atomicLoad(&c.stats.RateLimited)}
}

// get performs a GET with retries and decodes the JSON body into out.
func (c *Client) get(ctx context.Context, path string, q url.Values, out any) error {
	return c.do(ctx, http.MethodGet, path, q, out)
}

// cutShortRetries bounds the retries of a body that ended early.
const cutShortRetries = 2

func (c *Client) do(ctx context.Context, method, path string, q url.Values, out any) error {
	var lastErr error
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if c.limiter != nil {
			if err := c.limiter.Wait(ctx); err != nil {
				return fmt.Errorf("%s %s: wait for rate limiter: %w", method, path, err)
			}
		}
		wait, err := c.attempt(ctx, method, path, q, out)
		if err == nil {
			return nil
		}
		lastErr = err
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// A download cut short again is how the API answers content over
		// its size limit (§4.12), not a passing fault: give up sooner.
		if !retryable(err) || attempt >= c.opts.MaxRetries || (IsCutShort(err) && attempt >= cutShortRetries) {
			if attempt > 0 && retryable(err) {
				return fmt.Errorf("gave up after %d attempts: %w", attempt+1, lastErr)
			}
			return err
		}
		if wait <= 0 {
			wait = c.backoff(attempt)
		}
		n := atomicAdd(&c.stats.Retries, 1)
		// WARN: retries are the first sign of a struggling API or network.
		c.log.Warn("compliance request retry", "method", method, "path", path, "attempt", attempt+1,
			"max_retries", c.opts.MaxRetries, "retries", n, "wait", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// backoff is exponential with full jitter between MinBackoff/2 and the cap.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.opts.MinBackoff << min(attempt, 20)
	if d > c.opts.MaxBackoff || d <= 0 {
		d = c.opts.MaxBackoff
	}
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

func retryable(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Retryable()
	}
	var de *DecodeError
	if errors.As(err, &de) {
		return true
	}
	var ne *netError
	return errors.As(err, &ne)
}

// netError marks transport failures (refused, reset, timeout) as retryable.
type netError struct{ err error }

func (e *netError) Error() string { return e.err.Error() }
func (e *netError) Unwrap() error { return e.err }

// attempt sends one request. It returns how long to wait before a retry when
// the server said so (retry-after or an exhausted rate-limit window).
func (c *Client) attempt(ctx context.Context, method, path string, q url.Values, out any) (time.Duration, error) {
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + path
	u.RawQuery = encodeQuery(q)
	actx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, method, u.String(), nil)
	if err != nil {
		return 0, fmt.Errorf("build request %s %s: %w", method, path, err)
	}
	req.Header.Set("x-api-key", c.key)
	req.Header.Set("anthropic-version", APIVersion)
	req.Header.Set("accept", "application/json")
	req.Header.Set("user-agent", c.opts.UserAgent)
	atomicAdd(&c.stats.Requests, 1)
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, &netError{fmt.Errorf("%s %s: %w", method, path, err)}
	}
	defer resp.Body.Close()
	body, err := readBody(resp.Body, resp.ContentLength, c.opts.MaxBodyBytes+1)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, &netError{fmt.Errorf("%s %s: read body: %w", method, path, err)}
	}
	if int64(len(body)) > c.opts.MaxBodyBytes {
		return 0, fmt.Errorf("%s %s: %w: larger than %d bytes", method, path, ErrTooLarge, c.opts.MaxBodyBytes)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		ae := parseAPIError(resp, body, method, path)
		if ae.Status == http.StatusTooManyRequests {
			atomicAdd(&c.stats.RateLimited, 1)
		}
		return ae.RetryAfter, ae
	}
	wait := exhaustedWindow(resp.Header, time.Now())
	if out == nil {
		return 0, nil
	}
	if raw, ok := out.(*[]byte); ok {
		*raw = body // file content: bytes as served
	} else if err := Decode(body, out); err != nil {
		return 0, &DecodeError{Method: method, Path: path, Err: err}
	}
	if wait > 0 {
		// The budget is spent: pause before the caller's next request.
		c.log.Debug("rate-limit budget exhausted; pausing", "wait", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
	}
	return 0, nil
}

// readBody reads up to limit bytes of r. io.ReadAll grows one buffer from
// 512 bytes, copying and zeroing it again at each step (five times a
// 5 000-activity page, and a sixth of the fetching CPU); here the body
// goes into the size the server announced, or else into chunks of growing
// size copied once into a buffer of the exact length. The body is kept:
// decoded activities point into it.
func readBody(r io.Reader, size, limit int64) ([]byte, error) {
	if size >= 0 && size < limit {
		// One byte more than announced tells a longer body (then read on).
		buf := make([]byte, size+1)
		n, eof, err := fill(r, buf)
		if err != nil {
			return nil, err
		}
		if eof {
			return buf[:n:n], nil
		}
		rest, err := readChunks(r, limit-int64(n))
		if err != nil {
			return nil, err
		}
		return append(buf, rest...), nil
	}
	return readChunks(r, limit)
}

// fill reads r into buf until buf is full or r ends (eof); a read error,
// such as a body cut short of its announced length, is an error.
func fill(r io.Reader, buf []byte) (n int, eof bool, err error) {
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err == io.EOF {
			return n, true, nil
		}
		if err != nil {
			return n, false, err
		}
	}
	return n, false, nil
}

// readChunks reads up to limit bytes of r into chunks of 32 KiB, doubling
// up to 4 MiB, and joins them. The first chunk is a pooled scratch buffer:
// most bodies without an announced length (a chat's messages, a file) are
// a few KiB, and a fresh 32 KiB chunk for each, zeroed and then copied
// from, was a third of the bytes a sync allocated.
func readChunks(r io.Reader, limit int64) ([]byte, error) {
	scratch := firstChunks.Get().(*[]byte)
	defer firstChunks.Put(scratch)
	var chunks [][]byte
	total := int64(0)
	size := firstChunkSize
	for total < limit {
		var buf []byte
		if chunks == nil {
			buf = (*scratch)[:min(int64(size), limit)]
		} else {
			buf = make([]byte, min(int64(size), limit-total))
		}
		n, eof, err := fill(r, buf)
		if err != nil {
			return nil, err
		}
		if n > 0 || chunks == nil {
			chunks = append(chunks, buf[:n])
			total += int64(n)
		}
		if eof {
			break
		}
		size = min(size*2, 4<<20)
	}
	// Exact length: a decoded page keeps its body alive.
	out := make([]byte, 0, total)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return out, nil
}

const firstChunkSize = 32 << 10

var firstChunks = sync.Pool{New: func() any { b := make([]byte, firstChunkSize); return &b }}

// exhaustedWindow returns the time until reset when remaining is 0.
func exhaustedWindow(h http.Header, now time.Time) time.Duration {
	if strings.TrimSpace(h.Get("anthropic-ratelimit-requests-remaining")) != "0" {
		return 0
	}
	reset, err := time.Parse(time.RFC3339, h.Get("anthropic-ratelimit-requests-reset"))
	if err != nil || !reset.After(now) {
		return 0
	}
	return min(reset.Sub(now), 60*time.Second)
}

// encodeQuery keeps bracket keys readable (activity_types[]=a) as the docs show.
func encodeQuery(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	s := q.Encode()
	s = strings.ReplaceAll(s, "%5B%5D=", "[]=")
	return s
}

// Raw performs a GET and returns the undecoded body, for diagnostics.
func (c *Client) Raw(ctx context.Context, path string, q url.Values) (json.RawMessage, error) {
	var out json.RawMessage
	err := c.get(ctx, path, q, &out)
	return out, err
}
