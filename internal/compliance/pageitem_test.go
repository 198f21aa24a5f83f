package compliance_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/claudit/claudit/internal/compliance"
)

// FuzzActivityPageItem: an activity decoded as a page item equals the one
// Decode gives, and an item it cannot decode fails Decode too.
func FuzzActivityPageItem(f *testing.F) {
	s := fuzzSim(f)
	var page struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(simBody(f, s, "/v1/compliance/activities?limit=40"), &page); err != nil {
		f.Fatal(err)
	}
	for _, b := range page.Data {
		f.Add([]byte(b))
	}
	for _, b := range []string{
		`{"id":"activity_01x","created_at":"2025-03-12T18:22:41.123456","organization_id":null,"actor":{"type":"robot"},"type":"new_type","extra":[1,{"a":null}]}`,
		`{"id":"a","created_at":null,"actor":null,"type":"x","organization_uuid":"u"}`,
		`{"id":"a","ID":"b","Actor":{"Type":"user_actor","EMAIL_ADDRESS":"e"}}`,
		`{"created_at":"2025-03-12T18:22:41Z"}`,
		`{"id":7}`,
		`null`,
		`[]`,
	} {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		fast, slow, ferr, serr := compliance.ActivityBothWays(b)
		if (ferr == nil) != (serr == nil) {
			t.Fatalf("%s: as a page item %v, with Decode %v", b, ferr, serr)
		}
		if ferr == nil && !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%s:\nas a page item %+v\nwith Decode %+v", b, fast, slow)
		}
	})
}
