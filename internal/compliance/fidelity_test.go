package compliance_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/simulator"
)

func TestFormatFilterTime(t *testing.T) {
	at := time.Date(2026, 11, 19, 8, 0, 0, 123456789, time.FixedZone("x", 3600))
	for _, tc := range []struct {
		up   bool
		want string
	}{
		{false, "2026-11-19T07:00:00.123456Z"},
		{true, "2026-11-19T07:00:00.123457Z"},
	} {
		if got := compliance.FormatFilterTime(at, tc.up); got != tc.want {
			t.Fatalf("up=%v: %s, want %s", tc.up, got, tc.want)
		}
	}
	whole := time.Date(2026, 11, 19, 8, 0, 0, 0, time.UTC)
	if got := compliance.FormatFilterTime(whole, true); got != "2026-11-19T08:00:00Z" {
		t.Fatalf("whole second rounded up: %s", got)
	}
}

// TestClientTruncatesFilterTimes: a nanosecond filter time passes the
// simulator's 6-digit rule because the client truncates it.
func TestClientTruncatesFilterTimes(t *testing.T) {
	_, ts := startSim(t, simulator.Config{Seed: 2, Users: 3, Days: 1})
	c := newClient(t, ts.URL, simulator.DefaultKey, func(o *compliance.Options) { o.MaxRetries = -1 })
	q := compliance.ActivityQuery{Limit: 10}
	q.CreatedAt.GTE = simEnd.Add(-24*time.Hour + 123456789)
	q.CreatedAt.LT = simEnd.Add(-time.Nanosecond)
	if _, err := c.ListActivities(context.Background(), q); err != nil {
		t.Fatal(err)
	}
}

// TestQuarantineUndecodableItem: an item that is valid JSON but does not
// decode is set aside with its raw JSON and the reason; the page's other
// items decode and the page is not retried.
func TestQuarantineUndecodableItem(t *testing.T) {
	sim, ts := startSim(t, simulator.Config{Seed: 2, Users: 3, Days: 1})
	id := sim.AddUndecodableActivity(simEnd.Add(-time.Hour))
	c := newClient(t, ts.URL, simulator.DefaultKey, func(o *compliance.Options) { o.MaxRetries = -1 })
	var good, bad int
	var q compliance.Quarantined
	for page, err := range c.ActivityPages(context.Background(), compliance.ActivityQuery{Limit: 50}) {
		if err != nil {
			t.Fatal(err)
		}
		good += len(page.Data)
		for _, x := range page.Quarantined {
			bad++
			q = x
		}
	}
	if bad != 1 || q.ID != id || !strings.Contains(string(q.Raw), `"actor":"deleted-user"`) || q.Reason == "" {
		t.Fatalf("quarantined %d: %+v", bad, q)
	}
	if want := sim.Summary().Activities - 1; good != want {
		t.Fatalf("decoded %d activities, want %d", good, want)
	}
	if st := c.Stats(); st.Retries != 0 {
		t.Fatalf("a quarantined item caused %d retries", st.Retries)
	}
}
