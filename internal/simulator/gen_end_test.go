package simulator

import (
	"testing"
	"time"
)

// TestHistoryEndsAtEnd checks that no chat is updated at or after the end
// of the generated history, whatever the hour it ends at: a chat updated
// later would sit past a client's updated_at cursor, hiding a deletion
// made after the sync (it did when the history ended after midnight UTC,
// while users east of UTC were at work).
func TestHistoryEndsAtEnd(t *testing.T) {
	corp, err := loadCorpus()
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)
	for i := range 48 {
		end := day.Add(time.Duration(i)*30*time.Minute + 57*time.Minute)
		st := generate(Config{Seed: int64(9 + i%3), Users: 5, Days: 2, End: end}, corp)
		for _, c := range st.chatList {
			if !c.updatedAt.Before(end) {
				t.Fatalf("end %v: chat %s updated at %v", end, c.id, c.updatedAt)
			}
			for _, m := range c.msgs {
				if !m.at.Before(end) {
					t.Fatalf("end %v: chat %s has a message at %v", end, c.id, m.at)
				}
			}
		}
	}
}
