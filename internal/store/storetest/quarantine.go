package storetest

import (
	"context"
	"testing"

	"github.com/claudit/claudit/internal/store"
)

func testQuarantined(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	other := integration(t, s, "other")
	items := []store.Quarantined{
		{IntegrationID: in.ID, Stream: "activities", ItemID: "activity_1", Raw: []byte(`{"id":"activity_1","actor":"x"}`), Reason: "actor: want a JSON object"},
		{IntegrationID: in.ID, Stream: "local_sessions", Raw: []byte(`{"created_at":5}`), Reason: "no id"},
		{IntegrationID: other.ID, Stream: "activities", ItemID: "activity_2", Raw: []byte(`{}`), Reason: "r"},
	}
	if err := s.SaveQuarantined(ctx, items); err != nil {
		t.Fatal(err)
	}
	// Seeing the same item again updates it instead of adding a row.
	again := items[0]
	again.Reason = "actor: still not an object"
	if err := s.SaveQuarantined(ctx, []store.Quarantined{again, items[1]}); err != nil {
		t.Fatal(err)
	}
	got, err := s.QuarantinedItems(ctx, in.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("want 2 items, got %+v", got)
	}
	byStream := map[string]store.Quarantined{}
	for _, q := range got {
		byStream[q.Stream] = q
	}
	a := byStream["activities"]
	if a.ItemID != "activity_1" || a.Reason != "actor: still not an object" || a.Seen != 2 || string(a.Raw) != string(items[0].Raw) || a.FirstSeen.IsZero() {
		t.Fatalf("activity item: %+v", a)
	}
	if ls := byStream["local_sessions"]; ls.ItemID != "" || ls.Seen != 2 || string(ls.Raw) != `{"created_at":5}` {
		t.Fatalf("item without id: %+v", ls)
	}
	if err := s.DeleteIntegration(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.QuarantinedItems(ctx, in.ID, 10); len(got) != 0 {
		t.Fatalf("items survive their integration: %+v", got)
	}
	if got, _ := s.QuarantinedItems(ctx, other.ID, 10); len(got) != 1 {
		t.Fatalf("other integration's items: %+v", got)
	}
}
