package compliance_test

import (
	"encoding/json"
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
		if err := json.Unmarshal(body, &p); err != nil {
			b.Fatal(err)
		}
		n += len(p.Data)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "activities/s")
}
