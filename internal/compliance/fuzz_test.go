package compliance_test

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/simulator"
)

// simBody fetches a response body from a simulator handler in memory.
func simBody(tb testing.TB, s *simulator.Server, path string) []byte {
	tb.Helper()
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("x-api-key", simulator.DefaultKey)
	req.Header.Set("anthropic-version", compliance.APIVersion)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Result().Body)
	if rec.Code != 200 {
		tb.Fatalf("%s: %d %s", path, rec.Code, b)
	}
	return b
}

func fuzzSim(tb testing.TB) *simulator.Server {
	s, err := simulator.New(simulator.Config{Seed: 1, Users: 4, Days: 1, End: simEnd, RateLimit: -1})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func FuzzDecodeActivityPage(f *testing.F) {
	s := fuzzSim(f)
	f.Add(simBody(f, s, "/v1/compliance/activities?limit=3"))
	f.Add(simBody(f, s, "/v1/compliance/activities?limit=2&activity_types[]=claude_organization_settings_updated&activity_types[]=sso_login_initiated"))
	f.Add(simBody(f, s, "/v1/compliance/activities?created_at.gt=2030-01-01T00:00:00Z"))
	samples := simulator.CatalogSamples(3)
	for _, i := range []int{0, 100, 200, 300, 400, 500} {
		b, _ := json.Marshal(compliance.CursorPage[compliance.Activity]{Data: samples[i : i+1]})
		f.Add(b)
	}
	f.Add([]byte(`{"data":[{"id":"activity_01x","created_at":"2025-03-12T18:22:41.123456","organization_id":null,"actor":{"type":"robot"},"type":"new_type","extra":[1,{"a":null}]}],"has_more":false,"first_id":null,"last_id":null}`))
	f.Add([]byte(`{"has_more":true}`))
	f.Add([]byte(`{"data":[{"id":"activity_01y","created_at":"0000-01-01T00:00:00+01:00","type":"x"},{"id":"activity_01z","created_at":"9999-12-31T23:30:00-01:00","type":"x"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p compliance.CursorPage[compliance.Activity]
		if json.Unmarshal(b, &p) != nil {
			return
		}
		// Verbatim pass-through: encoding gives back what came in.
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("encode a decoded page: %v", err)
		}
		var q compliance.CursorPage[compliance.Activity]
		if err := json.Unmarshal(out, &q); err != nil {
			t.Fatalf("decode a re-encoded page: %v\n%s", err, out)
		}
		if len(q.Data) != len(p.Data) || q.HasMore != p.HasMore {
			t.Fatalf("round trip changed the page shape")
		}
		for i, a := range p.Data {
			// Re-encode from the typed fields alone (the path of activities built in code).
			typed := a
			typed.Raw = nil
			js, err := json.Marshal(typed)
			if err != nil {
				t.Fatalf("encode typed activity: %v", err)
			}
			var back compliance.Activity
			if err := json.Unmarshal(js, &back); err != nil {
				t.Fatalf("decode typed re-encoding: %v\n%s", err, js)
			}
			for _, x := range []compliance.Activity{q.Data[i], back} {
				if x.ID != a.ID || x.Type != a.Type || !x.CreatedAt.Equal(a.CreatedAt.Time) || len(x.Fields) != len(a.Fields) {
					t.Fatalf("round trip changed activity %q:\n%s\n%s", a.ID, a.Raw, js)
				}
				if (x.OrganizationID == nil) != (a.OrganizationID == nil) || a.OrganizationID != nil && *x.OrganizationID != *a.OrganizationID {
					t.Fatalf("organization_id changed")
				}
			}
		}
	})
}

func FuzzDecodeChatMessages(f *testing.F) {
	s := fuzzSim(f)
	for _, id := range s.ChatIDs()[:6] {
		f.Add(simBody(f, s, "/v1/compliance/apps/chats/"+id+"/messages"))
	}
	f.Add([]byte(`{"id":"claude_chat_01x","name":"","created_at":"2026-04-10T08:09:10Z","updated_at":"2026-04-10T08:09:10Z","deleted_at":"2026-04-11T00:00:00Z","chat_messages":[{"id":"m","role":"user","created_at":"2026-04-10T08:09:10Z","content":[]},{"id":"n","role":"assistant","created_at":"2026-04-10T08:09:11Z","content":[{"type":"tool_use","id":null,"name":"x","input":{"q":1}},{"type":"image","source":{}}]}],"has_more":false}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p compliance.ChatMessages
		if json.Unmarshal(b, &p) != nil {
			return
		}
		for _, m := range p.ChatMessages {
			_ = m.PlainText()
		}
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("encode decoded messages: %v", err)
		}
		var q compliance.ChatMessages
		if err := json.Unmarshal(out, &q); err != nil {
			t.Fatalf("decode re-encoded messages: %v\n%s", err, out)
		}
		again, err := json.Marshal(q)
		if err != nil {
			t.Fatal(err)
		}
		if canonical(t, out) != canonical(t, again) {
			t.Fatalf("second round trip changed the messages:\n%s\n%s", out, again)
		}
	})
}
