package simulator_test

import (
	"encoding/json"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/simulator"
)

// activityPage is the activity feed's page envelope, ids only.
type activityPage struct {
	Data []struct {
		ID string `json:"id"`
	} `json:"data"`
	HasMore bool    `json:"has_more"`
	FirstID *string `json:"first_id"`
	LastID  *string `json:"last_id"`
}

func (p activityPage) ids() []string {
	out := make([]string, len(p.Data))
	for i, d := range p.Data {
		out[i] = d.ID
	}
	return out
}

// feedPage fetches one page of the activity feed and checks its envelope.
func feedPage(t *testing.T, base string, q url.Values) activityPage {
	t.Helper()
	status, _, body := get(t, "GET", base+"/v1/compliance/activities?"+q.Encode(), simulator.DefaultKey)
	if status != 200 {
		t.Fatalf("%s: status %d: %s", q.Encode(), status, body)
	}
	var p activityPage
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("%s: %v: %s", q.Encode(), err, body)
	}
	if len(p.Data) == 0 {
		if p.FirstID != nil || p.LastID != nil {
			t.Fatalf("%s: empty page with first_id/last_id set: %s", q.Encode(), body)
		}
	} else if p.FirstID == nil || *p.FirstID != p.Data[0].ID || p.LastID == nil || *p.LastID != p.Data[len(p.Data)-1].ID {
		t.Fatalf("%s: first_id/last_id do not name the page's ends: %s", q.Encode(), body)
	}
	return p
}

// TestActivityPaging walks the feed in small pages, forward with after_id
// and back with before_id, in both orders: the pages must add up to the
// whole feed with no gap or repeat, and has_more must be false only at the
// end.
func TestActivityPaging(t *testing.T) {
	_, ts, _ := start(t, simulator.Config{Seed: 7, Users: 6, Days: 2})
	for _, order := range []string{"desc", "asc"} {
		t.Run(order, func(t *testing.T) {
			all := feedPage(t, ts.URL, url.Values{"limit": {"5000"}, "order": {order}})
			if all.HasMore || len(all.Data) < 20 {
				t.Fatalf("whole feed: %d activities, has_more %v", len(all.Data), all.HasMore)
			}
			want := all.ids()
			if len(slices.Compact(slices.Sorted(slices.Values(want)))) != len(want) {
				t.Fatal("whole feed repeats an id")
			}
			for _, limit := range []int{1, 7, len(want) - 1, len(want)} {
				// Forward: each page after the last id of the one before.
				var got []string
				q := url.Values{"limit": {strconv.Itoa(limit)}, "order": {order}}
				for pages := 0; ; pages++ {
					if pages > len(want)+1 {
						t.Fatalf("limit %d: paging does not end", limit)
					}
					p := feedPage(t, ts.URL, q)
					if len(p.Data) > limit {
						t.Fatalf("limit %d: page of %d", limit, len(p.Data))
					}
					got = append(got, p.ids()...)
					if !p.HasMore {
						break
					}
					if len(p.Data) != limit {
						t.Fatalf("limit %d: short page of %d with has_more", limit, len(p.Data))
					}
					q.Set("after_id", *p.LastID)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("limit %d after_id: %d ids, want the %d of the whole feed in order", limit, len(got), len(want))
				}

				// Back: before_id of the last id gives the ids before it,
				// in result order, ending with the first.
				q = url.Values{"limit": {strconv.Itoa(limit)}, "order": {order}, "before_id": {want[len(want)-1]}}
				var back []string
				for pages := 0; ; pages++ {
					if pages > len(want)+1 {
						t.Fatalf("limit %d: paging back does not end", limit)
					}
					p := feedPage(t, ts.URL, q)
					back = append(p.ids(), back...)
					if !p.HasMore {
						break
					}
					q.Set("before_id", *p.FirstID)
				}
				if !slices.Equal(back, want[:len(want)-1]) {
					t.Fatalf("limit %d before_id: %d ids, want the %d before the last", limit, len(back), len(want)-1)
				}
			}
			// After the last id: an empty page without ids.
			if p := feedPage(t, ts.URL, url.Values{"order": {order}, "after_id": {want[len(want)-1]}}); len(p.Data) != 0 || p.HasMore {
				t.Fatalf("after the last id: %+v", p)
			}
		})
	}
}

// TestActivityPagingErrors checks the 400s of bad paging parameters, each
// with a message that names what is wrong.
func TestActivityPagingErrors(t *testing.T) {
	_, ts, _ := start(t, simulator.Config{Seed: 7, Users: 3, Days: 1})
	first := feedPage(t, ts.URL, url.Values{"limit": {"1"}}).Data[0].ID
	tests := []struct {
		name, query, msg string
	}{
		{"limit zero", "limit=0", "greater than or equal to 1"},
		{"limit over max", "limit=5001", "less than or equal to 5000"},
		{"limit not a number", "limit=ten", "valid integer"},
		{"both cursors", "after_id=" + first + "&before_id=" + first, "Only one of after_id and before_id"},
		{"cursor of another kind", "after_id=chat_0123456789", "Invalid activity_id format"},
		{"unknown cursor", "before_id=activity_00000000000000000000", "No activity found"},
		{"bad order", "order=sideways", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := get(t, "GET", ts.URL+"/v1/compliance/activities?"+tt.query, simulator.DefaultKey)
			if status != 400 || !strings.Contains(string(body), tt.msg) || !strings.Contains(string(body), "invalid_request_error") {
				t.Errorf("%s: status %d body %s, want 400 naming %q", tt.query, status, body, tt.msg)
			}
		})
	}
}

// faultStatuses are the statuses an injected fault may answer with; 200 is
// the truncated JSON body or the slow response served normally.
var faultStatuses = []int{200, 429, 500, 502, 503, 504, 529}

// TestFaults checks injected faults with every request hit: each kind
// shows up, each answers as the service does, the sequence follows the
// seed, and faults come after authentication.
func TestFaults(t *testing.T) {
	run := func(seed int64) (statuses []int) {
		_, ts, _ := start(t, simulator.Config{Seed: seed, Users: 3, Days: 1, Faults: 1,
			FaultRetryAfter: 3 * time.Second, FaultDelay: time.Millisecond})
		for range 120 {
			status, h, body := get(t, "GET", ts.URL+"/v1/compliance/activities?limit=3", simulator.DefaultKey)
			statuses = append(statuses, status)
			if !slices.Contains(faultStatuses, status) {
				t.Fatalf("status %d is not a fault's: %s", status, body)
			}
			if status == 429 && h.Get("retry-after") != "3" {
				t.Errorf("injected 429: retry-after %q, want 3", h.Get("retry-after"))
			}
			if status != 200 {
				var env struct {
					Type  string `json:"type"`
					Error struct{ Type, Message string }
					ReqID string `json:"request_id"`
				}
				if err := json.Unmarshal(body, &env); err != nil || env.Type != "error" || env.Error.Type == "" || env.ReqID != h.Get("request-id") {
					t.Errorf("status %d: envelope %s", status, body)
				}
			}
		}
		return statuses
	}
	a := run(3)
	for _, want := range faultStatuses {
		if !slices.Contains(a, want) {
			t.Errorf("120 faulty requests never answered %d: %v", want, a)
		}
	}
	if b := run(3); !slices.Equal(a, b) {
		t.Errorf("same seed, different fault sequence:\n%v\n%v", a, b)
	}

	// A 200 under faults is either a whole page or the truncated body.
	_, ts, _ := start(t, simulator.Config{Seed: 3, Users: 3, Days: 1, Faults: 1, FaultDelay: time.Millisecond})
	var truncated, whole int
	for range 120 {
		status, _, body := get(t, "GET", ts.URL+"/v1/compliance/activities?limit=3", simulator.DefaultKey)
		if status != 200 {
			continue
		}
		var p activityPage
		if json.Unmarshal(body, &p) != nil {
			truncated++
		} else if len(p.Data) == 3 {
			whole++
		}
	}
	if truncated == 0 || whole == 0 {
		t.Errorf("200s under faults: %d truncated, %d whole pages; want both", truncated, whole)
	}

	// Authentication comes first: a wrong key is never a fault.
	for range 20 {
		if status, _, _ := get(t, "GET", ts.URL+"/v1/compliance/activities", "sk-ant-api01-wrong"); status != 401 {
			t.Fatalf("wrong key under faults: status %d, want 401", status)
		}
	}
}

func TestFaultsOff(t *testing.T) {
	_, ts, _ := start(t, simulator.Config{Seed: 3, Users: 3, Days: 1})
	for range 50 {
		if status, _, body := get(t, "GET", ts.URL+"/v1/compliance/activities?limit=2", simulator.DefaultKey); status != 200 {
			t.Fatalf("no faults configured: status %d: %s", status, body)
		}
	}
}

func TestFaultsConfig(t *testing.T) {
	for _, share := range []float64{-0.1, 1.5} {
		if _, err := simulator.New(simulator.Config{Seed: 1, End: end, Faults: share}); err == nil {
			t.Errorf("faults %v: want an error", share)
		}
	}
}

// TestFaultedDeleteChangesNothing checks that a delete answered with an
// injected fault leaves the organization as it was, so a client may retry
// it; the slow fault is served, and then the chat is gone.
func TestFaultedDeleteChangesNothing(t *testing.T) {
	s, ts, _ := start(t, simulator.Config{Seed: 5, Users: 12, Days: 3, Faults: 1, FaultDelay: time.Millisecond})
	id := s.ChatIDs()[0]
	failed := 0
	for range 60 {
		before := s.Summary()
		status, _, body := get(t, "DELETE", ts.URL+"/v1/compliance/apps/chats/"+id, simulator.DefaultKey)
		if status == 200 {
			if _, ok := s.ChatMessages(id); ok {
				t.Fatalf("delete answered 200 but the chat is still there: %s", body)
			}
			if failed == 0 {
				t.Fatal("no delete failed before one was served; the seed no longer tests anything")
			}
			return
		}
		failed++
		if !slices.Contains(faultStatuses, status) {
			t.Fatalf("delete under faults: status %d: %s", status, body)
		}
		if after := s.Summary(); !reflect.DeepEqual(before, after) {
			t.Fatalf("delete failed with %d but changed the organization:\n%+v\n%+v", status, before, after)
		}
		if _, ok := s.ChatMessages(id); !ok {
			t.Fatalf("delete failed with %d but the chat is gone", status)
		}
	}
	t.Fatal("60 deletes under faults: none served")
}

// TestChatPaging walks the chat list in small pages, forward with after_id
// by both orders without a filter and by created_at for some users, and
// back with before_id (user mode only): forward pages must add up to every matching
// chat in order, and each before_id page must be the chats just before its
// cursor.
func TestChatPaging(t *testing.T) {
	s, _, c := start(t, simulator.Config{Seed: 7, Users: 8, Days: 3})
	ctx := t.Context()
	users := s.UserIDs()[:3]
	for _, orderBy := range []string{"created_at", "updated_at"} {
		for _, filter := range [][]string{nil, users} {
			if filter != nil && orderBy == "updated_at" {
				continue // user mode lists by created_at only
			}
			var all []string
			one, err := c.ListChats(ctx, compliance.ChatQuery{OrderBy: orderBy, UserIDs: filter, Limit: 1000})
			if err != nil || one.HasMore {
				t.Fatalf("%s %v: %v, has_more %v", orderBy, filter, err, one != nil && one.HasMore)
			}
			for _, ch := range one.Data {
				all = append(all, ch.ID)
			}
			if len(all) < 10 {
				t.Fatalf("%s %v: only %d chats", orderBy, filter, len(all))
			}
			for _, limit := range []int{1, 3, 7} {
				var fwd []string
				var pages []*compliance.CursorPage[compliance.Chat]
				for p, err := range c.ChatPages(ctx, compliance.ChatQuery{OrderBy: orderBy, UserIDs: filter, Limit: limit}) {
					if err != nil {
						t.Fatal(err)
					}
					pages = append(pages, p)
					for _, ch := range p.Data {
						fwd = append(fwd, ch.ID)
					}
				}
				if !slices.Equal(fwd, all) {
					t.Fatalf("%s %v limit %d: forward pages differ from the whole list", orderBy, filter, limit)
				}
				if filter == nil {
					continue // before_id is for user-mode listings only
				}
				at := 0
				for _, p := range pages {
					if len(p.Data) == 0 {
						continue
					}
					back, err := c.ListChats(ctx, compliance.ChatQuery{OrderBy: orderBy, UserIDs: filter, Limit: limit, BeforeID: *p.FirstID})
					if err != nil {
						t.Fatal(err)
					}
					want := all[max(0, at-limit):at]
					var got []string
					for _, ch := range back.Data {
						got = append(got, ch.ID)
					}
					if !slices.Equal(got, want) || back.HasMore != (at-limit > 0) {
						t.Fatalf("%s %v limit %d: before_id at %d gave %v (has_more %v), want %v", orderBy, filter, limit, at, got, back.HasMore, want)
					}
					at += len(p.Data)
				}
			}
		}
	}
}
