package compliance_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/simulator"
)

func TestFeedFilters(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: one goroutine walking the feed once per filter; the run without -short covers it")
	}
	s, ts := startSim(t, simulator.Config{Seed: 11, Users: 40, Days: 5})
	c := newClient(t, ts.URL, simulator.DefaultKey)
	all := s.Activities()
	if len(s.OrganizationUUIDs()) < 2 {
		t.Log("seed 11 made a single organization; organization filters still run")
	}
	users := s.UserIDs()
	var orgTag, orgUUID string
	for _, a := range all {
		if a.OrganizationID != nil {
			orgTag, orgUUID = *a.OrganizationID, *a.OrganizationUUID
			break
		}
	}
	mid := all[len(all)/2].CreatedAt.Time
	where := func(keep func(a compliance.Activity) bool) []string {
		var out []string
		for _, a := range all {
			if keep(a) {
				out = append(out, a.ID)
			}
		}
		return out
	}
	typeIn := func(ts ...string) func(a compliance.Activity) bool {
		return func(a compliance.Activity) bool { return slices.Contains(ts, a.Type) }
	}
	tests := []struct {
		name string
		q    compliance.ActivityQuery
		want []string
	}{
		{"types", compliance.ActivityQuery{Types: []string{"claude_chat_created", "sso_login_succeeded"}}, where(typeIn("claude_chat_created", "sso_login_succeeded"))},
		{"exclude types", compliance.ActivityQuery{ExcludeTypes: []string{"claude_chat_viewed", "claude_chat_updated"}},
			where(func(a compliance.Activity) bool { return !typeIn("claude_chat_viewed", "claude_chat_updated")(a) })},
		{"actor_ids", compliance.ActivityQuery{ActorIDs: users[3:4]}, where(func(a compliance.Activity) bool { return a.Actor.UserID == users[3] })},
		{"user_ids alias merged with actor_ids", compliance.ActivityQuery{ActorIDs: users[3:4], UserIDs: users[5:6]},
			where(func(a compliance.Activity) bool { return a.Actor.UserID == users[3] || a.Actor.UserID == users[5] })},
		{"organization_ids tag", compliance.ActivityQuery{OrganizationIDs: []string{orgTag}},
			where(func(a compliance.Activity) bool { return a.OrganizationID != nil && *a.OrganizationID == orgTag })},
		{"organization_ids uuid", compliance.ActivityQuery{OrganizationIDs: []string{orgUUID}},
			where(func(a compliance.Activity) bool { return a.OrganizationUUID != nil && *a.OrganizationUUID == orgUUID })},
		{"created_at.gte", compliance.ActivityQuery{CreatedAt: compliance.TimeRange{GTE: mid}}, where(func(a compliance.Activity) bool { return !a.CreatedAt.Before(mid) })},
		{"created_at.gt", compliance.ActivityQuery{CreatedAt: compliance.TimeRange{GT: mid}}, where(func(a compliance.Activity) bool { return a.CreatedAt.After(mid) })},
		{"created_at.lte", compliance.ActivityQuery{CreatedAt: compliance.TimeRange{LTE: mid}}, where(func(a compliance.Activity) bool { return !a.CreatedAt.After(mid) })},
		{"created_at.lt", compliance.ActivityQuery{CreatedAt: compliance.TimeRange{LT: mid}}, where(func(a compliance.Activity) bool { return a.CreatedAt.Before(mid) })},
		{"window and type", compliance.ActivityQuery{Types: []string{"claude_chat_created"}, CreatedAt: compliance.TimeRange{GTE: mid.Add(-24 * time.Hour), LT: mid}},
			where(func(a compliance.Activity) bool {
				return a.Type == "claude_chat_created" && !a.CreatedAt.Before(mid.Add(-24*time.Hour)) && a.CreatedAt.Before(mid)
			})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.want) == 0 {
				t.Fatal("the filter matches nothing in the ground truth; pick another value")
			}
			tc.q.Limit = 777
			sameIDs(t, "desc", ids(walk(t, c, tc.q)), tc.want)
			tc.q.Order = "asc"
			rev := slices.Clone(tc.want)
			slices.Reverse(rev)
			sameIDs(t, "asc", ids(walk(t, c, tc.q)), rev)
		})
	}

	t.Run("limit", func(t *testing.T) {
		p, err := c.ListActivities(context.Background(), compliance.ActivityQuery{Limit: 7})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Data) != 7 || !p.HasMore || *p.FirstID != all[0].ID || *p.LastID != all[6].ID {
			t.Fatalf("limit=7 page: %d items, has_more %v", len(p.Data), p.HasMore)
		}
		p, err = c.ListActivities(context.Background(), compliance.ActivityQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Data) != 100 {
			t.Fatalf("default limit: got %d, want 100", len(p.Data))
		}
	})
	t.Run("empty page has null ids", func(t *testing.T) {
		p, err := c.ListActivities(context.Background(), compliance.ActivityQuery{CreatedAt: compliance.TimeRange{GTE: simEnd.Add(time.Hour)}})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Data) != 0 || p.HasMore || p.FirstID != nil || p.LastID != nil {
			t.Fatalf("empty page: %+v", p)
		}
	})
	t.Run("before_id is the adjacent newer page", func(t *testing.T) {
		p, err := c.ListActivities(context.Background(), compliance.ActivityQuery{BeforeID: all[500].ID, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		sameIDs(t, "before_id page", ids(p.Data), ids(all[490:500]))
		if !p.HasMore {
			t.Fatal("has_more should be true: 490 newer activities remain")
		}
		p, err = c.ListActivities(context.Background(), compliance.ActivityQuery{BeforeID: all[5].ID, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		sameIDs(t, "last catch-up page", ids(p.Data), ids(all[0:5]))
		if p.HasMore {
			t.Fatal("has_more should be false at the newest activity")
		}
	})
}
