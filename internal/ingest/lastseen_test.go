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
// later than the end of the simulated history and the chats still running
// at its end.
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
	// A chat begun just before the history's end runs on past it by a few
	// turns (minutes); the sync runs six hours after the end.
	latest := end.Add(30 * time.Minute)
	for _, u := range us {
		if u.LastSeen.After(latest) {
			t.Errorf("user %s last seen %s, after the history's end (%s) and its last chats: the sync time, not an activity", u.ID, u.LastSeen, end)
		}
		if !u.LastSeen.IsZero() {
			active++
		}
	}
	if active == 0 {
		t.Fatal("no user has a last activity")
	}
}
