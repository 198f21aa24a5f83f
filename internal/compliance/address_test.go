package compliance_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/claudit/claudit/internal/compliance"
)

// TestRefuseInternalAddresses: a client for a dashboard integration never
// connects to loopback (where httptest listens), so the key is never sent.
func TestRefuseInternalAddresses(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	c, err := compliance.New(compliance.Options{BaseURL: srv.URL, APIKey: "sk-ant-api01-secret", RefuseInternal: true, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Probe(context.Background())
	if !errors.Is(err, compliance.ErrInternalAddress) {
		t.Fatalf("probe of a loopback base URL: %v", err)
	}
	if hits.Load() != 0 {
		t.Fatalf("the listener got %d requests", hits.Load())
	}
}

// TestErrorsDoNotEchoTheBody: an answer that is not a Compliance API error
// (a metadata service, an internal page) is not repeated in the error.
func TestErrorsDoNotEchoTheBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte("AccessKeyId=ASIAEXAMPLE SecretAccessKey=hunter2"))
	}))
	defer srv.Close()
	c, err := compliance.New(compliance.Options{BaseURL: srv.URL, APIKey: "k", MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Probe(context.Background())
	if err == nil {
		t.Fatal("probe passed")
	}
	if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "ASIAEXAMPLE") {
		t.Fatalf("error echoes the remote body: %v", err)
	}
	if !strings.Contains(err.Error(), "not shown") {
		t.Fatalf("error does not say the body was withheld: %v", err)
	}
}

func TestInternalAddress(t *testing.T) {
	for _, tc := range []struct {
		host string
		bad  bool
	}{
		{"127.0.0.1", true}, {"127.255.0.1", true}, {"::1", true}, {"169.254.169.254", true}, {"169.254.0.9", true},
		{"fe80::1", true}, {"::ffff:127.0.0.1", true}, {"::ffff:169.254.169.254", true}, {"0.0.0.0", true}, {"::", true},
		{"fd00:ec2::254", true}, {"203.0.113.5", false}, {"10.0.0.1", false}, {"2001:db8::1", false}, {"api.anthropic.com", false},
	} {
		err := compliance.CheckBaseHost(context.Background(), tc.host, func(context.Context, string) ([]netip.Addr, error) { return nil, errors.New("offline") })
		if (err != nil) != tc.bad {
			t.Errorf("%s: %v, want refused=%v", tc.host, err, tc.bad)
		}
	}
}
