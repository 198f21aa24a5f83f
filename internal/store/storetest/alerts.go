package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// full is a backend with alerts and the outbox.
type full interface {
	store.Store
	store.AlertStore
	store.OutboxStore
}

func asFull(t *testing.T, s store.Store) full {
	f, ok := s.(full)
	if !ok {
		t.Fatalf("%s backend lacks AlertStore or OutboxStore", s.Backend())
	}
	return f
}

func finding(policy, user, chat string, at time.Time) store.Finding {
	return store.Finding{Policy: policy, Detector: "pii", Entity: "EMAIL", Severity: "high", Action: "alert", EffectiveAction: "alert",
		Score: 0.9, UserID: user, UserEmail: user + "@example.com", ChatID: chat, Excerpt: "jo**@ex****.com", EventTime: at}
}

func testAlertGrouping(t *testing.T, s store.Store) {
	ctx := context.Background()
	fs := asFull(t, s)
	in := integration(t, s, "acme")
	seedMessages(t, s, in, 4)
	var opened, updated int
	alerting := &store.Alerting{Window: time.Hour, OnAlert: func(a store.Alert, isNew bool) []store.OutboxItem {
		if isNew {
			opened++
		} else {
			updated++
		}
		return []store.OutboxItem{{Sink: "hook", Kind: "alert", Payload: []byte(fmt.Sprintf(`{"alert":%d,"count":%d}`, a.ID, a.Count))}}
	}}
	evals := []store.Evaluation{}
	for i := 0; i < 3; i++ {
		evals = append(evals, store.Evaluation{IntegrationID: in.ID, Kind: "prompt", EventID: fmt.Sprintf("claude_chat_000_msg_%d", i%2), Version: "v1",
			Findings: []store.Finding{finding("pii", "user_b", "claude_chat_000", t0.Add(time.Duration(i)*time.Minute))}})
	}
	// A different chat is a different alert.
	evals = append(evals, store.Evaluation{IntegrationID: in.ID, Kind: "prompt", EventID: "claude_chat_001_msg_0", Version: "v1",
		Findings: []store.Finding{finding("pii", "user_a", "claude_chat_001", t0)}})
	if err := fs.SaveEvaluationsWithAlerts(ctx, evals, alerting); err != nil {
		t.Fatal(err)
	}
	alerts, err := fs.Alerts(ctx, store.AlertFilter{})
	if err != nil || len(alerts) != 2 {
		t.Fatalf("alerts: %d %v", len(alerts), err)
	}
	byChat := map[string]store.Alert{}
	for _, a := range alerts {
		byChat[a.ChatID] = a
	}
	// Two distinct events in chat 000 (msg_0 twice counts once).
	if a := byChat["claude_chat_000"]; a.Count != 2 || a.Status != store.AlertOpen {
		t.Fatalf("grouped alert: %+v", a)
	}
	if opened != 2 || updated != 1 {
		t.Fatalf("callbacks: opened %d updated %d", opened, updated)
	}
	// Re-evaluating the same events does not count them again.
	if err := fs.SaveEvaluationsWithAlerts(ctx, evals, alerting); err != nil {
		t.Fatal(err)
	}
	a, _ := fs.AlertByID(ctx, byChat["claude_chat_000"].ID)
	if a.Count != 2 {
		t.Fatalf("re-evaluation recounted: %d", a.Count)
	}
	if err := fs.SetAlertStatus(ctx, a.ID, store.AlertAcknowledged, "ana@example.com", "looking"); err != nil {
		t.Fatal(err)
	}
	if err := fs.SetAlertStatus(ctx, a.ID, "bogus", "x", ""); err == nil {
		t.Fatalf("bad status accepted")
	}
	a, _ = fs.AlertByID(ctx, a.ID)
	if a.Status != store.AlertAcknowledged || a.UpdatedBy != "ana@example.com" || a.Comment != "looking" {
		t.Fatalf("lifecycle: %+v", a)
	}
	// A suppression silences new alerts for that user.
	if err := fs.AddSuppression(ctx, &store.Suppression{User: "user_c", Until: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	before := opened
	err = fs.SaveEvaluationsWithAlerts(ctx, []store.Evaluation{{IntegrationID: in.ID, Kind: "prompt", EventID: "claude_chat_002_msg_0", Version: "v1",
		Findings: []store.Finding{finding("pii", "user_c", "claude_chat_002", t0)}}}, alerting)
	if err != nil {
		t.Fatal(err)
	}
	if opened != before {
		t.Fatalf("suppressed alert was delivered")
	}
	sup, _ := fs.Alerts(ctx, store.AlertFilter{User: "user_c"})
	if len(sup) != 1 || !sup[0].Suppressed {
		t.Fatalf("suppressed alert not recorded: %+v", sup)
	}
	if err := fs.AddSuppression(ctx, &store.Suppression{Until: time.Now().Add(time.Hour)}); err == nil {
		t.Fatalf("empty suppression accepted")
	}
}

func testOutbox(t *testing.T, s store.Store) {
	ctx := context.Background()
	fs := asFull(t, s)
	var items []store.OutboxItem
	for i := 0; i < 5; i++ {
		items = append(items, store.OutboxItem{Sink: "hook", Kind: "alert", Payload: []byte(fmt.Sprintf(`{"n":%d}`, i))})
	}
	if err := fs.Enqueue(ctx, items); err != nil {
		t.Fatal(err)
	}
	got, err := fs.ClaimOutbox(ctx, "w1", 3, time.Minute)
	if err != nil || len(got) != 3 || string(got[0].Payload) != `{"n":0}` {
		t.Fatalf("claim: %+v %v", got, err)
	}
	rest, _ := fs.ClaimOutbox(ctx, "w2", 10, time.Minute)
	if len(rest) != 2 {
		t.Fatalf("leased rows handed out twice: %d", len(rest))
	}
	if err := fs.CompleteOutbox(ctx, got[0].ID, "w1"); err != nil {
		t.Fatal(err)
	}
	if err := fs.FailOutbox(ctx, got[1].ID, "w1", "503", time.Now().Add(-time.Second), false); err != nil {
		t.Fatal(err)
	}
	if err := fs.FailOutbox(ctx, got[2].ID, "w1", "400 bad request", time.Now(), true); err != nil {
		t.Fatal(err)
	}
	again, _ := fs.ClaimOutbox(ctx, "w3", 10, time.Minute)
	if len(again) != 1 || again[0].ID != got[1].ID || again[0].Attempts != 1 || again[0].LastError != "503" {
		t.Fatalf("retry: %+v", again)
	}
	counts, _ := fs.OutboxCounts(ctx)
	if counts["delivered"] != 1 || counts["dead"] != 1 || counts["pending"] != 3 {
		t.Fatalf("counts: %v", counts)
	}
	dead, _ := fs.OutboxItems(ctx, store.OutboxDead, 10)
	if len(dead) != 1 {
		t.Fatalf("dead list: %d", len(dead))
	}
	if n, err := fs.RetryDead(ctx, 0); err != nil || n != 1 {
		t.Fatalf("retry dead: %d %v", n, err)
	}
}

func testRetention(t *testing.T, s store.Store) {
	ctx := context.Background()
	r, ok := s.(interface {
		DropBefore(ctx context.Context, cutoff time.Time) ([]string, error)
	})
	if !ok {
		t.Fatalf("%s backend has no retention", s.Backend())
	}
	in := integration(t, s, "acme")
	old := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	page := store.ActivityPage{IntegrationID: in.ID, Activities: []store.Activity{act("activity_old", old, "user_logged_out", "u"), act("activity_new", t0, "user_logged_out", "u")}}
	if _, err := s.SaveActivityPage(ctx, page); err != nil {
		t.Fatal(err)
	}
	if _, err := r.DropBefore(ctx, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Activity(ctx, in.ID, "activity_old"); err == nil {
		t.Fatalf("old activity kept")
	}
	if _, err := s.Activity(ctx, in.ID, "activity_new"); err != nil {
		t.Fatalf("recent activity dropped: %v", err)
	}
}

// testInstallID wants every database to carry its own random install id,
// the same on every read: idempotency keys are built from it.
func testInstallID(t *testing.T, open Opener) {
	ctx := context.Background()
	a, b := asFull(t, open(t)), asFull(t, open(t))
	ida, err := a.InstallID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	idb, err := b.InstallID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ida) < 32 || ida == idb {
		t.Fatalf("install ids %q and %q: want two different random ids", ida, idb)
	}
	if again, err := a.InstallID(ctx); err != nil || again != ida {
		t.Fatalf("install id changed: %q then %q (%v)", ida, again, err)
	}
}

// testLeaseClock: a process whose clock runs an hour ahead must not take an
// outbox row or a backfill batch another worker leased a minute ago: leases
// are compared with the database clock.
func testLeaseClock(t *testing.T, s store.Store) {
	ctx := context.Background()
	fs := asFull(t, s)
	clocked, ok := s.(interface{ SetClock(func() time.Time) })
	if !ok {
		t.Skip("store has no process clock to move")
	}
	if err := fs.Enqueue(ctx, []store.OutboxItem{{Sink: "hook", Kind: "alert", Payload: []byte(`{}`)}}); err != nil {
		t.Fatal(err)
	}
	held, err := fs.ClaimOutbox(ctx, "w1", 10, time.Minute)
	if err != nil || len(held) != 1 {
		t.Fatalf("claim: %d %v", len(held), err)
	}
	in := integration(t, s, "acme")
	b := &store.Backfill{IntegrationID: in.ID, From: t0, To: t0.Add(time.Hour)}
	if err := s.CreateBackfill(ctx, b, []store.Batch{{From: t0, To: t0.Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ClaimBatches(ctx, b.ID, "w1", 1, time.Minute, 3); err != nil || len(got) != 1 {
		t.Fatalf("claim batch: %d %v", len(got), err)
	}

	clocked.SetClock(func() time.Time { return time.Now().Add(time.Hour) })
	defer clocked.SetClock(time.Now)
	if stolen, err := fs.ClaimOutbox(ctx, "w2", 10, time.Minute); err != nil || len(stolen) != 0 {
		t.Fatalf("a process clock an hour ahead took a leased outbox row: %d %v", len(stolen), err)
	}
	if stolen, err := s.ClaimBatches(ctx, b.ID, "w2", 1, time.Minute, 3); err != nil || len(stolen) != 0 {
		t.Fatalf("a process clock an hour ahead took a leased batch: %d %v", len(stolen), err)
	}
	// Renewing is the holder's alone.
	if err := fs.ExtendOutbox(ctx, []int64{held[0].ID}, "w1", time.Minute); err != nil {
		t.Fatal(err)
	}
}
