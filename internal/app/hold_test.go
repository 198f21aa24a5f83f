package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/ingest"
	"github.com/claudit/claudit/internal/simulator"
)

// TestActivitiesWaitForARunningBackfill checks that activity evaluation
// holds while a backfill batch is leased (its older history is still
// arriving) and resumes once no batch is being worked on, while prompt
// events are evaluated either way.
func TestActivitiesWaitForARunningBackfill(t *testing.T) {
	_, url := sim(t)
	a, _ := openApp(t, yamlFor(t, url, simulator.DefaultKey, false))
	ctx := context.Background()
	if _, err := a.SyncOnceAndEvaluate(ctx, "acme"); err != nil { // no pipeline yet: stores only
		t.Fatal(err)
	}
	in, err := a.Store.Integration(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	job, _, err := ingest.StartBackfill(ctx, a.Store, in.ID, now.Add(-48*time.Hour), now.Add(-24*time.Hour), 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if claimed, err := a.Store.ClaimBatches(ctx, job.ID, "worker-1", 1, time.Hour, 3); err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	if _, err := a.OpenPipeline(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Evaluate(ctx); err != nil {
		t.Fatal(err)
	}
	if left, _ := a.Store.UnevaluatedMessages(ctx, 1); len(left) != 0 {
		t.Fatalf("prompt events wait too")
	}
	if left, _ := a.Store.UnevaluatedActivities(ctx, 1); len(left) == 0 {
		t.Fatalf("activities were evaluated while a backfill batch was leased")
	}
	if err := a.Store.ReleaseBatches(ctx, job.ID, "worker-1"); err != nil {
		t.Fatal(err)
	}
	if err := a.Evaluate(ctx); err != nil {
		t.Fatal(err)
	}
	if left, _ := a.Store.UnevaluatedActivities(ctx, 1); len(left) != 0 {
		t.Fatalf("activities still wait with no batch leased")
	}
}
