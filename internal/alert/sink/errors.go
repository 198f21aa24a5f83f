package sink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// PartialError reports the deliveries of a batch that failed; deliveries not
// in Failed were delivered. The outbox retries only the failed ones (except
// those whose error IsPermanent).
type PartialError struct {
	// Failed maps a Delivery.ID to why it failed.
	Failed map[string]error
}

// Error summarizes the failures in a stable order.
func (e *PartialError) Error() string {
	ids := make([]string, 0, len(e.Failed))
	for id := range e.Failed {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var b strings.Builder
	fmt.Fprintf(&b, "%d deliveries failed", len(ids))
	for i, id := range ids {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(ids)-i)
			break
		}
		fmt.Fprintf(&b, "; %s: %v", id, e.Failed[id])
	}
	return b.String()
}

// Unwrap exposes the per-delivery errors to errors.Is and errors.As.
func (e *PartialError) Unwrap() []error {
	errs := make([]error, 0, len(e.Failed))
	for _, err := range e.Failed {
		errs = append(errs, err)
	}
	return errs
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying (for example HTTP 400: the same
// payload will be rejected again). Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or an error it wraps, was marked with
// Permanent. For a *PartialError it is true only when every failure is.
func IsPermanent(err error) bool {
	var pe *PartialError
	if errors.As(err, &pe) && len(pe.Failed) > 0 {
		for _, e := range pe.Failed {
			if !IsPermanent(e) {
				return false
			}
		}
		return true
	}
	var p *permanentError
	return errors.As(err, &p)
}

// Results collects per-delivery outcomes of a batch into the error Send
// returns. The zero value is ready to use.
type Results struct {
	failed map[string]error
}

// Fail records that the delivery with id failed with err.
func (r *Results) Fail(id string, err error) {
	if r.failed == nil {
		r.failed = make(map[string]error)
	}
	r.failed[id] = err
}

// FailAll records err for every delivery in batch.
func (r *Results) FailAll(batch []Delivery, err error) {
	for _, d := range batch {
		r.Fail(d.ID, err)
	}
}

// Err returns nil when nothing failed, else a *PartialError.
func (r *Results) Err() error {
	if len(r.failed) == 0 {
		return nil
	}
	return &PartialError{Failed: r.failed}
}

// HTTPError is a non-2xx answer from an HTTP receiver.
type HTTPError struct {
	StatusCode int
	// Body is the start of the response body, for the log.
	Body string
	// RetryAfter is the receiver's Retry-After hint, zero when absent.
	RetryAfter time.Duration
}

// Error says which status the receiver answered, with the start of its body.
func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("receiver answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Retryable reports whether the status is worth retrying: 408, 429 and 5xx.
func (e *HTTPError) Retryable() bool {
	return e.StatusCode == http.StatusRequestTimeout ||
		e.StatusCode == http.StatusTooManyRequests ||
		e.StatusCode >= 500
}

// CheckResponse turns an HTTP response into nil (2xx), a retryable
// *HTTPError (408, 429, 5xx) or a Permanent *HTTPError (other statuses).
// It reads at most a small part of the body and leaves closing to the caller.
func CheckResponse(resp *http.Response) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	e := &HTTPError{
		StatusCode: resp.StatusCode,
		Body:       strings.TrimSpace(strings.ToValidUTF8(string(body), "\uFFFD")),
	}
	if s := resp.Header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= 0 {
			e.RetryAfter = time.Duration(n) * time.Second
		}
	}
	if e.Retryable() {
		return e
	}
	return Permanent(e)
}

// CanceledErr wraps a context error so a canceled Send reads as such in logs;
// it stays retryable because the deliveries were never attempted.
func CanceledErr(ctx context.Context) error {
	return fmt.Errorf("send canceled before delivery: %w", context.Cause(ctx))
}
