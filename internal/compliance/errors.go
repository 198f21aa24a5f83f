package compliance

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error types documented in SPEC §7.
const (
	ErrInvalidRequest = "invalid_request_error"
	ErrAuthentication = "authentication_error"
	ErrPermission     = "permission_error"
	ErrNotFound       = "not_found_error"
	ErrConflict       = "conflict_error"
	ErrRateLimit      = "rate_limit_error"
	ErrAPI            = "api_error"
	ErrOverloaded     = "overloaded_error"
)

// APIError is a non-2xx answer from the Compliance API.
type APIError struct {
	Status    int
	Type      string
	Message   string
	RequestID string
	// RetryAfter is the server's retry-after, zero when absent.
	RetryAfter time.Duration
	// NoRetry is set when the server sent x-should-retry: false.
	NoRetry bool
	Method  string
	Path    string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "compliance api: %s %s: %d", e.Method, e.Path, e.Status)
	if e.Type != "" {
		fmt.Fprintf(&b, " %s", e.Type)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request-id %s)", e.RequestID)
	}
	return b.String()
}

// Retryable reports whether the request may succeed if sent again.
func (e *APIError) Retryable() bool {
	switch e.Status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable,
		http.StatusGatewayTimeout, 529:
		return true
	case http.StatusInternalServerError:
		return !e.NoRetry
	}
	return false
}

// Hint says what the user should do about the error, for CLI and UI messages.
func (e *APIError) Hint() string {
	switch {
	case e.Status == http.StatusUnauthorized:
		return "the API key was rejected: check the key (a Compliance Access Key starts with sk-ant-api01-, an Admin key with sk-ant-admin01-) and that it is not deactivated or expired"
	case e.Status == http.StatusNotFound && e.Message == "Not found":
		return "no such endpoint, or the key is missing or of a type the Compliance API does not accept (a Claude API key sk-ant-api03- cannot be used); check the key and the base URL"
	case e.Status == http.StatusForbidden:
		return "the key lacks a scope for this endpoint; an Admin API key reaches only the Activity Feed"
	case e.Status == http.StatusBadRequest && strings.Contains(e.Message, "not enabled"):
		return "the Compliance API is not enabled for this organization: the primary owner enables it in claude.ai organization settings"
	case e.Status == http.StatusTooManyRequests:
		return "rate limited (600 requests/minute per parent organization, shared by every key): lower rate_limit or pause other consumers"
	}
	return ""
}

// errorEnvelope is the standard Anthropic error body; Compliance pages print
// only the inner error object, so both shapes decode.
type errorEnvelope struct {
	Type      string `json:"type"`
	RequestID string `json:"request_id"`
	Error     struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
}

func parseAPIError(resp *http.Response, body []byte, method, path string) *APIError {
	e := &APIError{Status: resp.StatusCode, Method: method, Path: path,
		RequestID: resp.Header.Get("request-id")}
	var env errorEnvelope
	if json.Unmarshal(body, &env) == nil {
		e.Type, e.Message = env.Error.Type, env.Error.Message
		if e.RequestID == "" {
			e.RequestID = env.RequestID
		}
	}
	if e.Message == "" && len(body) > 0 {
		// Not an Anthropic error: the body is not shown, since a base URL
		// pointed elsewhere (a metadata service, an internal page) would
		// otherwise have its answer echoed into logs and the dashboard.
		e.Message = fmt.Sprintf("the answer is not a Compliance API error (%d bytes of %s, not shown)", len(body), contentType(resp))
	}
	e.RetryAfter = parseRetryAfter(resp.Header.Get("retry-after"), time.Now())
	e.NoRetry = strings.EqualFold(resp.Header.Get("x-should-retry"), "false")
	return e
}

// parseRetryAfter reads seconds (possibly fractional) or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 {
		return time.Duration(f * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func contentType(resp *http.Response) string {
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		return truncate(ct, 60)
	}
	return "unknown type"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// IsStatus reports whether err is an APIError with that HTTP status.
func IsStatus(err error, status int) bool {
	var e *APIError
	return errors.As(err, &e) && e.Status == status
}

// IsNotFound reports a 404 for an object (not the "Not found" of a bad key or path).
func IsNotFound(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Status == http.StatusNotFound && e.Message != "Not found"
}

// IsExpiredPageToken reports the 400 a session transcript walk gets once
// its page token is older than 24 h: restart the walk without a page. The
// docs tell this case apart only by its message.
func IsExpiredPageToken(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Status == http.StatusBadRequest && strings.Contains(e.Message, "page cursor has expired")
}

// IsSessionsUnavailable reports the 404 every local-session call gets while
// the feature is off for the parent organization: keep state, retry later.
func IsSessionsUnavailable(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Status == http.StatusNotFound && strings.Contains(e.Message, "Local sessions are not available")
}

// IsPermission reports a 403 scope failure.
func IsPermission(err error) bool { return IsStatus(err, http.StatusForbidden) }

// ErrTooLarge marks a response over Options.MaxBodyBytes; it is not retried.
var ErrTooLarge = errors.New("response too large")

// IsTooLarge reports a response over Options.MaxBodyBytes.
func IsTooLarge(err error) bool { return errors.Is(err, ErrTooLarge) }

// IsCutShort reports a body that ended early on every attempt: for a code
// artifact version, the only signal the API gives for content over its
// size limit (§4.12).
func IsCutShort(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) }

// DecodeError is a 2xx response whose body could not be decoded (malformed or truncated page).
type DecodeError struct {
	Method, Path string
	Err          error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("compliance api: %s %s: malformed response body: %v", e.Method, e.Path, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }
