package simulator_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/claudit/claudit/internal/simulator"
)

// BenchmarkSimulatorServe measures serving 5000-activity pages over loopback,
// cycling through every page of a ~45,000-activity feed.
func BenchmarkSimulatorServe(b *testing.B) {
	_, ts, _ := start(b, simulator.Config{Seed: 2, Users: 150, Days: 14})
	var urls []string
	u := ts.URL + "/v1/compliance/activities?limit=5000"
	for {
		urls = append(urls, u)
		_, _, body := get(b, "GET", u, simulator.DefaultKey)
		var p struct {
			HasMore bool   `json:"has_more"`
			LastID  string `json:"last_id"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			b.Fatal(err)
		}
		if !p.HasMore {
			break
		}
		u = ts.URL + "/v1/compliance/activities?limit=5000&after_id=" + p.LastID
	}
	hc := &http.Client{}
	b.ReportAllocs()
	b.ResetTimer()
	n, bytes := 0, int64(0)
	for i := 0; b.Loop(); i++ {
		req, _ := http.NewRequest("GET", urls[i%len(urls)], nil)
		req.Header.Set("x-api-key", simulator.DefaultKey)
		req.Header.Set("anthropic-version", "2023-06-01")
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		m, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		bytes += m
		n += 5000
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "activities/s")
	b.ReportMetric(float64(bytes)/b.Elapsed().Seconds()/1e6, "MB/s")
}
