package compliance_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/simulator"
)

// walk collects every activity of a query by following after_id.
func walk(t *testing.T, c *compliance.Client, q compliance.ActivityQuery) []compliance.Activity {
	t.Helper()
	var out []compliance.Activity
	for p, err := range c.ActivityPages(context.Background(), q) {
		if err != nil {
			t.Fatalf("walk %+v: %v", q, err)
		}
		out = append(out, p.Data...)
	}
	return out
}

// TestFeedPaginationLarge walks a feed of more than 50,000 activities in both
// orders and catches up with before_id, comparing with the ground truth.
func TestFeedPaginationLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: one goroutine walking 50,000 activities; the run without -short covers it")
	}
	s, ts := startSim(t, simulator.Config{Seed: 7, Users: 180, Days: 14})
	truth := ids(s.Activities())
	if len(truth) < 50000 {
		t.Fatalf("want at least 50,000 activities, the simulator made %d", len(truth))
	}
	c := newClient(t, ts.URL, simulator.DefaultKey)

	desc := walk(t, c, compliance.ActivityQuery{Limit: 5000})
	sameIDs(t, "desc walk", ids(desc), truth)

	asc := walk(t, c, compliance.ActivityQuery{Limit: 5000, Order: "asc"})
	rev := slices.Clone(truth)
	slices.Reverse(rev)
	sameIDs(t, "asc walk", ids(asc), rev)

	// Catch up from an old cursor: everything newer, page by page, newest page last.
	ctx := context.Background()
	from := 31337
	var caught []string
	var pages [][]string
	for p, err := range c.CatchUpPages(ctx, compliance.ActivityQuery{Limit: 4000}, truth[from]) {
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, ids(p.Data))
	}
	for i := len(pages) - 1; i >= 0; i-- {
		caught = append(caught, pages[i]...)
	}
	sameIDs(t, "catch-up", caught, truth[:from])

	// New arrivals after the newest cursor are exactly what the next catch-up returns.
	var added []string
	for i := range 3 {
		a, err := s.AddActivity(compliance.Activity{Type: "user_logged_out", CreatedAt: compliance.NewTime(simEnd.Add(time.Duration(i+1) * time.Minute)),
			Actor: compliance.Actor{Type: compliance.ActorUser, UserID: s.UserIDs()[0]}})
		if err != nil {
			t.Fatal(err)
		}
		added = append([]string{a.ID}, added...)
	}
	var next []string
	for p, err := range c.CatchUpPages(ctx, compliance.ActivityQuery{Limit: 5000}, truth[0]) {
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range p.Data {
			next = append(next, a.ID)
		}
	}
	sameIDs(t, "catch-up after new arrivals", next, added)
}
