package ingest_test

import (
	"context"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/ingest"
	"github.com/claudit/claudit/internal/simulator"
)

// TestLastSeenIsUserActivity: reading the directory does not move a user's
// last seen to the sync time; it is the user's own last activity, never
// after the end of the simulated history.
func TestLastSeenIsUserActivity(t *testing.T) {
	end := time.Now().UTC().Add(-6 * time.Hour).Truncate(time.Second)
	e := newEnv(t, simulator.Config{Seed: 23, Users: 10, Days: 1, End: end}, "")
	if _, err := e.syncer(t, ingest.Settings{SkipSessions: true}).SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	us, err := e.st.Users(context.Background(), e.in.ID, "", 1000)
	if err != nil || len(us) == 0 {
		t.Fatalf("users: %d %v", len(us), err)
	}
	active := 0
	for _, u := range us {
		if u.LastSeen.After(end) {
			t.Errorf("user %s last seen %s, after the last event (%s): the sync time, not an activity", u.ID, u.LastSeen, end)
		}
		if !u.LastSeen.IsZero() {
			active++
		}
	}
	if active == 0 {
		t.Fatal("no user has a last activity")
	}
}
