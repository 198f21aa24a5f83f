package simulator_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/simulator"
)

// TestAnthropicVersionHeader: the newest reference requires
// anthropic-version on every request; a missing or unknown one is a 400.
func TestAnthropicVersionHeader(t *testing.T) {
	_, ts, _ := start(t, simulator.Config{Seed: 1, Users: 3, Days: 1})
	for _, tc := range []struct {
		name, version string
		status        int
		msg           string
	}{
		{"missing", "", 400, "anthropic-version: header is required"},
		{"unknown", "2099-01-01", 400, "'2099-01-01' is not a supported version"},
		{"documented", "2023-06-01", 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", ts.URL+"/v1/compliance/activities?limit=1", nil)
			req.Header.Set("x-api-key", simulator.DefaultKey)
			if tc.version != "" {
				req.Header.Set("anthropic-version", tc.version)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var env struct {
				Type  string `json:"type"`
				Error struct{ Type, Message string }
			}
			_ = json.NewDecoder(resp.Body).Decode(&env)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (%+v)", resp.StatusCode, tc.status, env)
			}
			if tc.status == 400 && (env.Error.Type != "invalid_request_error" || !strings.Contains(env.Error.Message, tc.msg)) {
				t.Fatalf("error %+v, want invalid_request_error containing %q", env.Error, tc.msg)
			}
		})
	}
}

// TestFilterTimestampPrecision: filters take at most microseconds.
func TestFilterTimestampPrecision(t *testing.T) {
	_, ts, _ := start(t, simulator.Config{Seed: 1, Users: 3, Days: 1})
	for _, tc := range []struct {
		value  string
		status int
	}{
		{"2026-11-19T00:00:00Z", 200},
		{"2026-11-19T00:00:00.123Z", 200},
		{"2026-11-19T00:00:00.123456Z", 200},
		{"2026-11-19T00:00:00.1234567Z", 400},
		{"2026-11-19T00:00:00.123456789%2B00:00", 400},
	} {
		for _, path := range []string{"/v1/compliance/activities?created_at.gte=", "/v1/compliance/apps/sessions/local?updated_at.gte="} {
			status, _, body := get(t, "GET", ts.URL+path+tc.value, simulator.DefaultKey)
			if status != tc.status {
				t.Fatalf("%s%s: status %d, want %d: %s", path, tc.value, status, tc.status, body)
			}
			if status == 400 && !strings.Contains(string(body), "at most 6 digits") {
				t.Fatalf("%s%s: %s", path, tc.value, body)
			}
		}
	}
}
