package compliance_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/simulator"
)

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// canonical re-encodes JSON through a generic value so key order and spacing do not matter.
func canonical(t testing.TB, b []byte) string {
	t.Helper()
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("canonical: %v in %s", err, b)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

// TestCatalogueDecoding decodes one activity of every documented type,
// re-encodes it from the typed fields alone and expects the same JSON.
func TestCatalogueDecoding(t *testing.T) {
	samples := simulator.CatalogSamples(1)
	types := compliance.ActivityTypes()
	if len(samples) != len(types) || len(types) < 500 {
		t.Fatalf("%d samples for %d catalogue types", len(samples), len(types))
	}
	for i, a := range samples {
		info := types[i]
		if a.Type != info.Type {
			t.Fatalf("sample %d is %s, want %s", i, a.Type, info.Type)
		}
		if len(info.ActorTypes) > 0 && !slices.Contains(info.ActorTypes, a.Actor.Type) {
			t.Errorf("%s: actor %s not among %v", a.Type, a.Actor.Type, info.ActorTypes)
		}
		for name, f := range info.Fields {
			if _, ok := a.Fields[name]; !ok && !strings.HasPrefix(f.Type, "optional ") {
				t.Errorf("%s: required field %s missing", a.Type, name)
			}
		}
		switch a.Actor.Type {
		case compliance.ActorUser:
			if a.Actor.UserID == "" || a.Actor.Email() == "" || a.Actor.IP() == "" {
				t.Errorf("%s: user actor not decoded: %+v", a.Type, a.Actor)
			}
		case compliance.ActorAPI:
			if a.Actor.APIKeyID == "" {
				t.Errorf("%s: api actor without key id", a.Type)
			}
		case compliance.ActorSCIM:
			if a.Actor.DirectoryID == "" || a.Actor.WorkOSEventID == "" {
				t.Errorf("%s: scim actor not decoded", a.Type)
			}
		}
		typed := a
		typed.Raw, typed.Actor.Raw = nil, nil
		js, err := json.Marshal(typed)
		if err != nil {
			t.Fatalf("%s: encode: %v", a.Type, err)
		}
		if got, want := canonical(t, js), canonical(t, a.Raw); got != want {
			t.Errorf("%s: re-encoded from typed fields:\n got  %s\n want %s", a.Type, got, want)
		}
		var back compliance.Activity
		if err := json.Unmarshal(js, &back); err != nil {
			t.Fatalf("%s: decode re-encoded: %v", a.Type, err)
		}
		if back.ID != a.ID || back.Type != a.Type || !back.CreatedAt.Equal(a.CreatedAt.Time) || len(back.Fields) != len(a.Fields) {
			t.Errorf("%s: round trip changed common fields", a.Type)
		}
		for k, v := range a.Fields {
			if canonical(t, back.Fields[k]) != canonical(t, v) {
				t.Errorf("%s: field %s: %s != %s", a.Type, k, back.Fields[k], v)
			}
		}
	}

	// The same activities served by the feed arrive byte for byte.
	s, ts := startSim(t, simulator.Config{Seed: 1, Users: 3, Days: 1})
	for _, a := range samples {
		if _, err := s.AddActivity(a); err != nil {
			t.Fatal(err)
		}
	}
	served := map[string][]byte{}
	for _, a := range walk(t, newClient(t, ts.URL, simulator.DefaultKey), compliance.ActivityQuery{Limit: 5000}) {
		served[a.ID] = a.Raw
	}
	for _, a := range samples {
		if !bytes.Equal(served[a.ID], a.Raw) {
			t.Fatalf("%s served as %s, want %s", a.Type, served[a.ID], a.Raw)
		}
	}
}

// TestGeneratedOrgCoversCatalogue checks that a default organization holds at
// least one activity of every documented type, so a sync exercises them all.
func TestGeneratedOrgCoversCatalogue(t *testing.T) {
	s, err := simulator.New(simulator.Config{Seed: 2, Users: 10, Days: 2, End: simEnd})
	if err != nil {
		t.Fatal(err)
	}
	byType := s.Summary().ActivitiesByType
	for _, ti := range compliance.ActivityTypes() {
		if byType[ti.Type] == 0 {
			t.Errorf("no %s activity generated", ti.Type)
		}
	}
}

// TestUnknownPassThrough serves an unknown activity type with unknown fields
// and an unknown actor type; the client keeps them verbatim.
func TestUnknownPassThrough(t *testing.T) {
	s, ts := startSim(t, simulator.Config{Seed: 1, Users: 3, Days: 1})
	c := newClient(t, ts.URL, simulator.DefaultKey)
	raws := []string{
		`{"id":"activity_01PassThroughUnknownType001","created_at":"2026-11-20T11:00:00.5Z","organization_id":null,"organization_uuid":null,"actor":{"type":"robot_actor","robot_id":"r2d2","extra":{"a":[1,2]}},"type":"brand_new_activity","x_new_field":{"nested":[true,null,1.5e3]},"claude_chat_id":"claude_chat_01x"}`,
		`{"id":"activity_01PassThroughKnownType0001","created_at":"2026-11-20T11:00:01Z","organization_id":"org_01x","organization_uuid":"91012d09-e48b-438e-a489-1bebfd8fa6f9","actor":{"type":"user_actor","email_address":"a@b.example","user_id":"user_01x","ip_address":"192.0.2.1","user_agent":"x","new_actor_field":"kept"},"type":"claude_chat_created","claude_chat_id":"claude_chat_01x","claude_project_id":null,"brand_new_field":[{"k":"v"}]}`,
	}
	for _, raw := range raws {
		var a compliance.Activity
		if err := json.Unmarshal([]byte(raw), &a); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddActivity(a); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]compliance.Activity{}
	for _, a := range walk(t, c, compliance.ActivityQuery{Limit: 5000, CreatedAt: compliance.TimeRange{GTE: simEnd.Add(-3600e9)}}) {
		got[a.ID] = a
	}
	for _, raw := range raws {
		var want compliance.Activity
		_ = json.Unmarshal([]byte(raw), &want)
		a, ok := got[want.ID]
		if !ok {
			t.Fatalf("%s not served", want.ID)
		}
		if string(a.Raw) != raw {
			t.Fatalf("raw changed:\n got  %s\n want %s", a.Raw, raw)
		}
		if out, _ := json.Marshal(a); string(out) != raw {
			t.Fatalf("re-encoding lost data:\n got  %s\n want %s", out, raw)
		}
		if canonical(t, a.Actor.Raw) != canonical(t, want.Actor.Raw) {
			t.Fatalf("actor raw changed: %s", a.Actor.Raw)
		}
	}
	u := got["activity_01PassThroughUnknownType001"]
	if u.Type != "brand_new_activity" || u.Actor.Type != "robot_actor" || canonical(t, u.Fields["x_new_field"]) != `{"nested":[true,null,1.5e3]}` {
		t.Fatalf("unknown type decoded as %+v", u)
	}
	k := got["activity_01PassThroughKnownType0001"]
	if k.String("claude_chat_id") != "claude_chat_01x" || k.Fields["brand_new_field"] == nil || k.Actor.UserID != "user_01x" {
		t.Fatalf("known type with new fields decoded as %+v", k)
	}
}
