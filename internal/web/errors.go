package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/claudit/claudit/internal/store"
)

// Handlers return their errors; the wrapper a route is registered with
// answers them once, as the HTML error page or as the JSON error
// {"error": "..."}. What the user reads comes from the error: a
// store.ErrNotFound is a 404, a badRequest (badf) a 400 with its message,
// a statusError its own status and message; anything else is a 500 whose
// cause is logged, not shown.

// statusError is an error answered with its status and its message, on
// a page and in the API alike. The message says what to do next.
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string { return e.msg }

// errStatus returns the error answered with status and msg.
func errStatus(status int, msg string) error { return &statusError{status: status, msg: msg} }

// Errors answered the same way in several places.
var (
	errFormat            = errStatus(http.StatusBadRequest, "format: use csv, json or jsonl")
	errPoliciesAdminOnly = errStatus(http.StatusForbidden, "Only admins change policies.")
)

// handler is a page or API handler. It writes the response, or returns
// the error for the wrapper its route was registered with to answer:
// pageErrors for pages, apiErrors for the JSON API. A handler never
// answers its own errors, so each is answered (and logged) once.
type handler func(w http.ResponseWriter, r *http.Request) error

// pageErrors answers h's error with the HTML error page (s.fail).
func (s *Server) pageErrors(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	}
}

// apiErrors answers h's error with the JSON error (s.apiFail).
func (s *Server) apiErrors(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.apiFail(w, r, err)
		}
	}
}

// jsonErrors makes a download served under a page route answer errors in
// JSON, as it does under /api/v1: the page wrapper then sees none.
func (s *Server) jsonErrors(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		s.apiErrors(h)(w, r)
		return nil
	}
}

// fail answers a page handler's error with the HTML error page: 404 for
// what is not found, 400 with the message of a badRequest, a statusError's
// status and message, else 500 (logged).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrNotFound) {
		s.renderStatus(w, r, identityFrom(r), http.StatusNotFound, "Not found: it may have been deleted.")
		return
	}
	var be badRequest
	if errors.As(err, &be) {
		s.renderStatus(w, r, identityFrom(r), http.StatusBadRequest, be.Error())
		return
	}
	var se *statusError
	if errors.As(err, &se) {
		s.renderStatus(w, r, identityFrom(r), se.status, se.msg)
		return
	}
	s.log.Error("request failed", "path", r.URL.Path, "err", err)
	s.renderStatus(w, r, identityFrom(r), http.StatusInternalServerError, "Something went wrong; the error was logged.")
}

// badRequest is an error the user can fix; its message is shown as is.
type badRequest struct{ msg string }

func (e badRequest) Error() string { return e.msg }

func badf(format string, args ...any) error { return badRequest{fmt.Sprintf(format, args...)} }

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// apiFail maps an error to a JSON error response.
func (s *Server) apiFail(w http.ResponseWriter, r *http.Request, err error) {
	var be badRequest
	var se *statusError
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not found")
	case errors.Is(err, store.ErrExists):
		writeError(w, http.StatusConflict, err.Error())
	case errors.As(err, &be):
		writeError(w, http.StatusBadRequest, be.Error())
	case errors.As(err, &se):
		writeError(w, se.status, se.msg)
	default:
		s.log.Error("api request failed", "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "internal error; it was logged")
	}
}
