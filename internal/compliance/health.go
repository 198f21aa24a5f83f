package compliance

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
)

// Failure kinds of an integration's last sync or connection test, as stored
// with its last error and shown by the dashboard.
const (
	FailureAuth         = "auth_failed"   // the key was rejected
	FailureScope        = "missing_scope" // the key lacks a scope, or the API is off for the organization
	FailureUnreachable  = "unreachable"   // no answer, a network error or a server error
	FailureRateLimited  = "rate_limited"  // 429 from the shared per-organization limit
	FailureOther        = "error"         // anything else (a storage error, an unexpected answer)
	failureNotAvailable = "Not found"
)

// FailureKind classifies err for an integration's health: one of the
// Failure constants, or "" for a nil error.
func FailureKind(err error) string {
	if err == nil {
		return ""
	}
	var ae *APIError
	if errors.As(err, &ae) {
		switch {
		case ae.Status == http.StatusUnauthorized:
			return FailureAuth
		case ae.Status == http.StatusNotFound && ae.Message == failureNotAvailable:
			return FailureAuth // a key of a type the Compliance API does not accept
		case ae.Status == http.StatusForbidden:
			return FailureScope
		case ae.Status == http.StatusBadRequest && strings.Contains(ae.Message, "not enabled"):
			return FailureScope
		case ae.Status == http.StatusTooManyRequests:
			return FailureRateLimited
		case ae.Status >= 500:
			return FailureUnreachable
		}
		return FailureOther
	}
	var ne net.Error
	var de *net.DNSError
	var oe *net.OpError
	if errors.Is(err, ErrInternalAddress) || errors.Is(err, context.DeadlineExceeded) ||
		errors.As(err, &ne) || errors.As(err, &de) || errors.As(err, &oe) {
		return FailureUnreachable
	}
	return FailureOther
}
