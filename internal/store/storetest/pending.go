package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// testPendingAndPlaces checks what evaluation reads: pending activities
// oldest first whatever order they were stored in, evaluated ones gone
// from the list, and a user's places before a time, least recent first.
func testPendingAndPlaces(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	mk := func(i int, user, ip, ua string) store.Activity {
		a := act(fmt.Sprintf("activity_%02d", i), at(i), "claude_chat_viewed", user)
		a.IP, a.UserAgent = ip, ua
		return a
	}
	// Stored newest first, as a backfill of an older range would.
	later := []store.Activity{mk(5, "user_a", "198.51.100.9", "ua-2"), mk(6, "user_a", "192.0.2.1", "ua-1"), mk(7, "user_b", "203.0.113.1", "ua-9")}
	earlier := []store.Activity{mk(1, "user_a", "192.0.2.1", "ua-1"), mk(2, "user_a", "192.0.2.2", "ua-1"), mk(3, "user_a", "192.0.2.1", ""), mk(4, "user_b", "", "ua-8")}
	for _, page := range [][]store.Activity{later, earlier} {
		if _, err := s.SaveActivityPage(ctx, store.ActivityPage{IntegrationID: in.ID, Activities: page}); err != nil {
			t.Fatal(err)
		}
	}
	pending, err := s.UnevaluatedActivities(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if ids := activityIDs(pending); !slices.Equal(ids, []string{"activity_01", "activity_02", "activity_03"}) {
		t.Fatalf("pending activities %v, want the three oldest in order", ids)
	}
	next, err := s.UnevaluatedActivitiesAfter(ctx, pending[1].CreatedAt, pending[1].ID, 3)
	if ids := activityIDs(next); err != nil || !slices.Equal(ids, []string{"activity_03", "activity_04", "activity_05"}) {
		t.Fatalf("pending after the second: %v %v", ids, err)
	}
	var evals []store.Evaluation
	for i := range pending {
		evals = append(evals, store.Evaluation{IntegrationID: in.ID, Kind: "access", EventID: pending[i].ID, Version: "v1", Activity: &pending[i]})
	}
	if err := s.SaveEvaluations(ctx, evals); err != nil {
		t.Fatal(err)
	}
	pending, err = s.UnevaluatedActivities(ctx, 10)
	if ids := activityIDs(pending); err != nil || !slices.Equal(ids, []string{"activity_04", "activity_05", "activity_06", "activity_07"}) {
		t.Fatalf("pending after evaluating three: %v %v", ids, err)
	}
	next, err = s.UnevaluatedActivitiesAfter(ctx, at(5), "", 10)
	if ids := activityIDs(next); err != nil || !slices.Equal(ids, []string{"activity_05", "activity_06", "activity_07"}) {
		t.Fatalf("pending after a time: %v %v", ids, err)
	}
	// An event whose row moved since it was read (SQLite marks events by
	// the rowid read with them; VACUUM may renumber rows, a deleted row's
	// rowid may go to a new event) is marked all the same, and the row
	// that now has its old rowid is not.
	moved := []store.Activity{pending[0], pending[2]}
	moved[0].RowID = pending[1].RowID
	moved[1].RowID = pending[3].RowID + 1000
	evals = nil
	for i := range moved {
		evals = append(evals, store.Evaluation{IntegrationID: in.ID, Kind: "access", EventID: moved[i].ID, Version: "v1", Activity: &moved[i]})
	}
	if err := s.SaveEvaluations(ctx, evals); err != nil {
		t.Fatal(err)
	}
	pending, err = s.UnevaluatedActivities(ctx, 10)
	if ids := activityIDs(pending); err != nil || !slices.Equal(ids, []string{"activity_05", "activity_07"}) {
		t.Fatalf("pending after evaluating two read before their rows moved: %v %v", ids, err)
	}

	tests := []struct {
		name       string
		user       string
		before     time.Time
		ips, known []string
	}{
		{"nothing before the first", "user_a", at(1), nil, nil},
		{"least recent first", "user_a", at(5), []string{"192.0.2.2", "192.0.2.1"}, []string{"ua-1"}},
		{"evaluated or not", "user_a", at(8), []string{"192.0.2.2", "198.51.100.9", "192.0.2.1"}, []string{"ua-2", "ua-1"}},
		{"empty values are no place", "user_b", at(5), nil, []string{"ua-8"}},
		{"another user", "user_c", at(8), nil, nil},
	}
	for _, tc := range tests {
		ips, agents, err := s.UserPlaces(ctx, in.ID, tc.user, tc.before, 10)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ips, tc.ips) || !slices.Equal(agents, tc.known) {
			t.Errorf("%s: ips %v agents %v, want %v %v", tc.name, ips, agents, tc.ips, tc.known)
		}
	}
	if ips, _, _ := s.UserPlaces(ctx, in.ID, "user_a", at(8), 1); !slices.Equal(ips, []string{"192.0.2.1"}) {
		t.Errorf("limited to one: %v, want the most recent", ips)
	}
}

func activityIDs(as []store.Activity) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.ID)
	}
	return out
}
