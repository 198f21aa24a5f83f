package compliance_test

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/simulator"
)

// TestFailureKind: the kinds an integration's health shows, from real
// answers of the simulator and a closed port, and from typed errors.
func TestFailureKind(t *testing.T) {
	_, ts := startSim(t, simulator.Config{Seed: 5, Users: 5, Days: 1})
	ctx := context.Background()

	_, err := newClient(t, ts.URL, "sk-ant-api01-wrong").Probe(ctx)
	if got := compliance.FailureKind(err); got != compliance.FailureAuth {
		t.Fatalf("rejected key: %q (%v)", got, err)
	}
	reach, err := newClient(t, ts.URL, simulator.DefaultAdminKey).Probe(ctx)
	if err != nil || !reach.FeedOnly() {
		t.Fatalf("admin key: %+v %v", reach, err)
	}

	// A port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	_ = l.Close()
	_, err = newClient(t, closed, simulator.DefaultKey, func(o *compliance.Options) { o.MaxRetries = -1 }).Probe(ctx)
	if got := compliance.FailureKind(err); got != compliance.FailureUnreachable {
		t.Fatalf("closed port: %q (%v)", got, err)
	}

	for _, c := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{&compliance.APIError{Status: 401}, compliance.FailureAuth},
		{&compliance.APIError{Status: 404, Message: "Not found"}, compliance.FailureAuth},
		{&compliance.APIError{Status: 404, Message: "chat not found"}, compliance.FailureOther},
		{&compliance.APIError{Status: 403}, compliance.FailureScope},
		{&compliance.APIError{Status: 400, Message: "Compliance API is not enabled for this organization"}, compliance.FailureScope},
		{&compliance.APIError{Status: 429}, compliance.FailureRateLimited},
		{&compliance.APIError{Status: 529}, compliance.FailureUnreachable},
		{context.DeadlineExceeded, compliance.FailureUnreachable},
		{compliance.ErrInternalAddress, compliance.FailureUnreachable},
		{errors.New("disk full"), compliance.FailureOther},
	} {
		if got := compliance.FailureKind(c.err); got != c.want {
			t.Errorf("FailureKind(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
