package compliance_test

import (
	"testing"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/simulator"
)

// BenchmarkDecodeActivityPage measures client decoding of a full 5000-activity page.
func BenchmarkDecodeActivityPage(b *testing.B) {
	s, err := simulator.New(simulator.Config{Seed: 1, Users: 50, Days: 7, End: simEnd, RateLimit: -1})
	if err != nil {
		b.Fatal(err)
	}
	body := simBody(b, s, "/v1/compliance/activities?limit=5000")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		var p compliance.CursorPage[compliance.Activity]
		if err := compliance.Decode(body, &p); err != nil {
			b.Fatal(err)
		}
		n += len(p.Data)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "activities/s")
}

// BenchmarkDecodeChatMessages measures client decoding of whole chats, the
// messages endpoint a sync calls once per chat.
func BenchmarkDecodeChatMessages(b *testing.B) {
	s, err := simulator.New(simulator.Config{Seed: 1, Users: 50, Days: 7, End: simEnd, RateLimit: -1})
	if err != nil {
		b.Fatal(err)
	}
	var bodies [][]byte
	size := 0
	for _, id := range s.ChatIDs()[:200] {
		body := simBody(b, s, "/v1/compliance/apps/chats/"+id+"/messages")
		bodies = append(bodies, body)
		size += len(body)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		for _, body := range bodies {
			var cm compliance.ChatMessages
			if err := compliance.Decode(body, &cm); err != nil {
				b.Fatal(err)
			}
			n += len(cm.ChatMessages)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "messages/s")
}
