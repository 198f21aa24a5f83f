package compliance_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/simulator"
)

// simEnd fixes the end of generated history so runs are reproducible.
var simEnd = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// startSim runs a simulator over loopback; rate limiting is off unless cfg sets it.
func startSim(t testing.TB, cfg simulator.Config) (*simulator.Server, *httptest.Server) {
	t.Helper()
	if cfg.End.IsZero() {
		cfg.End = simEnd
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = -1
	}
	s, err := simulator.New(cfg)
	if err != nil {
		t.Fatalf("start simulator: %v", err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts
}

// newClient builds a fast client: no client-side limiter, short backoff, few surprises.
func newClient(t testing.TB, baseURL, key string, tweak ...func(*compliance.Options)) *compliance.Client {
	t.Helper()
	o := compliance.Options{BaseURL: baseURL, APIKey: key, RequestsPerMinute: -1,
		MinBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond, RequestTimeout: 30 * time.Second}
	for _, f := range tweak {
		f(&o)
	}
	c, err := compliance.New(o)
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	return c
}

func ids(as []compliance.Activity) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

// sameIDs fails with the first difference between two id sequences.
func sameIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	seen := make(map[string]bool, len(got))
	for _, id := range got {
		if seen[id] {
			t.Fatalf("%s: duplicate %s", what, id)
		}
		seen[id] = true
	}
	if len(got) != len(want) {
		t.Fatalf("%s: got %d ids, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: position %d: got %s, want %s", what, i, got[i], want[i])
		}
	}
}
