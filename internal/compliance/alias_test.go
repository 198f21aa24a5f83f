package compliance_test

import (
	"bytes"
	"testing"

	"github.com/claudit/claudit/internal/compliance"
)

// TestActivityPageOwnsItems: a decoded page's activities keep their raw
// JSON after the response body is reused.
func TestActivityPageOwnsItems(t *testing.T) {
	body := []byte(`{"data":[{"id":"activity_01a","created_at":"2026-01-02T03:04:05Z","actor":{"type":"user_actor","user_id":"u1"},"type":"x","f":1}],"has_more":false}`)
	var p compliance.CursorPage[compliance.Activity]
	if err := compliance.Decode(body, &p); err != nil {
		t.Fatal(err)
	}
	want := string(p.Data[0].Raw)
	copy(body, bytes.Repeat([]byte{'x'}, len(body)))
	if got := string(p.Data[0].Raw); got != want || p.Data[0].ID != "activity_01a" || string(p.Data[0].Fields["f"]) != "1" {
		t.Fatalf("the activity changed with the body: %s", got)
	}
}
