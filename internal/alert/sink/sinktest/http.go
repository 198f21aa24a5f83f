package sinktest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Request is one request an HTTPReceiver got.
type Request struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
}

// Responder answers a request the receiver did not fail on purpose.
type Responder func(r Request) (status int, body string)

// HTTPReceiver is an HTTP server on 127.0.0.1 that records requests, can be
// told to fail the next N, and answers the rest with its Responder (200 "ok"
// by default).
type HTTPReceiver struct {
	// URL is the base URL, e.g. http://127.0.0.1:34567.
	URL string
	srv *httptest.Server

	mu         sync.Mutex
	reqs       []Request
	count      int
	record     bool
	failN      int
	failStatus int
	respond    Responder
}

// NewHTTPReceiver starts a receiver that is closed when the test ends.
func NewHTTPReceiver(t testing.TB) *HTTPReceiver {
	r := &HTTPReceiver{record: true}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	r.URL = r.srv.URL
	t.Cleanup(r.srv.Close)
	return r
}

// NewHTTPSReceiver is NewHTTPReceiver over TLS with cert.
func NewHTTPSReceiver(t testing.TB, cert *TLSCert) *HTTPReceiver {
	r := &HTTPReceiver{record: true}
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(r.serve))
	r.srv.TLS = cert.Server
	r.srv.StartTLS()
	r.URL = r.srv.URL
	t.Cleanup(r.srv.Close)
	return r
}

func (r *HTTPReceiver) serve(w http.ResponseWriter, hr *http.Request) {
	body, err := io.ReadAll(hr.Body)
	if err != nil {
		http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
		return
	}
	req := Request{Method: hr.Method, Path: hr.URL.Path, RawQuery: hr.URL.RawQuery, Header: hr.Header.Clone(), Body: body}
	r.mu.Lock()
	r.count++
	if r.record {
		r.reqs = append(r.reqs, req)
	}
	fail, status, respond := r.failN > 0, r.failStatus, r.respond
	if fail {
		r.failN--
	}
	r.mu.Unlock()
	if fail {
		http.Error(w, "failing on purpose", status)
		return
	}
	code, text := http.StatusOK, "ok"
	if respond != nil {
		code, text = respond(req)
	}
	w.WriteHeader(code)
	io.WriteString(w, text)
}

// FailNext makes the next n requests fail with status.
func (r *HTTPReceiver) FailNext(n, status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failN, r.failStatus = n, status
}

// Respond sets how requests that are not failed on purpose are answered.
func (r *HTTPReceiver) Respond(f Responder) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.respond = f
}

// Record turns keeping requests on or off (benchmarks only count them).
func (r *HTTPReceiver) Record(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.record = on
}

// Requests returns the recorded requests in arrival order.
func (r *HTTPReceiver) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.reqs...)
}

// Count returns how many requests arrived, failed ones included.
func (r *HTTPReceiver) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count
}

// Reset forgets the recorded requests.
func (r *HTTPReceiver) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs, r.count = nil, 0
}
