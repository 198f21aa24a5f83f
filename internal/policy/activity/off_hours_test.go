package activity

import (
	"fmt"
	"testing"
	"time"
)

func TestOffHours(t *testing.T) {
	lim := Limits{Count: 3, Window: 10 * time.Minute}
	at := func(times ...time.Time) []Event {
		evs := make([]Event, len(times))
		for i, t := range times {
			evs[i] = Event{Type: "claude_chat_viewed", ActorUserID: "u1", CreatedAt: t}
		}
		return evs
	}
	tests := []struct {
		name string
		evs  []Event
		want string
	}{
		{"burst at night fires once", at(tuesday(2, 0), tuesday(2, 1), tuesday(2, 2), tuesday(2, 3)), "[false false true false]"},
		{"burst in working hours", at(tuesday(10, 0), tuesday(10, 1), tuesday(10, 2)), "[false false false]"},
		{"spread beyond the window", at(tuesday(2, 0), tuesday(2, 11), tuesday(2, 22)), "[false false false]"},
		{"a second burst after the window", at(tuesday(2, 0), tuesday(2, 1), tuesday(2, 2), tuesday(2, 20), tuesday(2, 21), tuesday(2, 22)),
			"[false false true false false true]"},
		{"no time", at(time.Time{}, time.Time{}, time.Time{}), "[false false false]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fmt.Sprint(feed(build(t, "off_hours", nil, lim, workingHours), tt.evs))
			if got != tt.want {
				t.Fatalf("fired %s, want %s", got, tt.want)
			}
		})
	}
}
