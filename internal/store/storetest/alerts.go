package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/store"
)

func finding(policy, user, chat string, at time.Time) store.Finding {
	return store.Finding{Policy: policy, Detector: "pii", Entity: "EMAIL", Severity: "high", Action: "alert", EffectiveAction: "alert",
		Score: 0.9, UserID: user, UserEmail: user + "@example.com", ChatID: chat, Excerpt: "jo**@ex****.com", EventTime: at}
}

// raiseAlerts saves evals and, through the plain writes of one
// transaction, gives each alert-level finding an alert per policy, user
// and chat: the data the alert reads and triage work on.
func raiseAlerts(t *testing.T, s store.Store, evals []store.Evaluation) {
	t.Helper()
	ctx := context.Background()
	err := s.WithTx(ctx, func(tx store.Tx) error {
		if err := tx.SaveEvaluations(ctx, evals); err != nil {
			return err
		}
		for _, e := range evals {
			for _, f := range e.Findings {
				if f.EffectiveAction != "alert" {
					continue
				}
				id, err := tx.OpenAlertID(ctx, e.IntegrationID, f.Policy, f.UserID, f.ChatID, time.Time{})
				if errors.Is(err, store.ErrNotFound) {
					a := &store.Alert{IntegrationID: e.IntegrationID, Policy: f.Policy, Detector: f.Detector, Severity: f.Severity,
						Action: f.Action, UserID: f.UserID, UserEmail: f.UserEmail, ChatID: f.ChatID, EventKind: e.Kind, EventID: e.EventID,
						Entity: f.Entity, Excerpt: f.Excerpt, FirstSeen: f.EventTime}
					if err := tx.InsertAlert(ctx, a); err != nil {
						return err
					}
					continue // counted with the alert
				}
				if err != nil {
					return err
				}
				if _, err := tx.AddAlertEvent(ctx, id, e.Kind, e.EventID, f.EventTime, f.Excerpt, f.Entity); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// testAlertTx: the plain reads and writes alerting decides with, inside
// one transaction that commits them all or, on error, none.
func testAlertTx(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	seedMessages(t, s, in, 2)
	if err := s.AddSuppression(ctx, &store.Suppression{User: "user_c", Until: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddSuppression(ctx, &store.Suppression{Policy: "other", Until: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddSuppression(ctx, &store.Suppression{Until: time.Now().Add(time.Hour)}); err == nil {
		t.Fatalf("empty suppression accepted")
	}
	f := finding("pii", "user_b", "claude_chat_000", t0)
	eval := store.Evaluation{IntegrationID: in.ID, Kind: "prompt", EventID: "claude_chat_000_msg_0", Version: "v1", Findings: []store.Finding{f}}
	var id int64
	err := s.WithTx(ctx, func(tx store.Tx) error {
		if now := tx.Now(); now.IsZero() {
			t.Errorf("transaction without a time")
		}
		sups, err := tx.ActiveSuppressions(ctx)
		if err != nil {
			return err
		}
		if len(sups) != 2 {
			t.Errorf("active suppressions: %+v", sups)
		}
		if err := tx.SaveEvaluations(ctx, []store.Evaluation{eval}); err != nil {
			return err
		}
		if _, err := tx.OpenAlertID(ctx, in.ID, "pii", "user_b", "claude_chat_000", t0.Add(-time.Hour)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("open alert before any: %v", err)
		}
		a := &store.Alert{IntegrationID: in.ID, Policy: "pii", Detector: "pii", Severity: "high", Action: "block", UserID: "user_b",
			UserEmail: "user_b@example.com", ChatID: "claude_chat_000", EventKind: "prompt", EventID: eval.EventID, Entity: "EMAIL",
			Excerpt: "first", FirstSeen: t0, Suppressed: true}
		if err := tx.InsertAlert(ctx, a); err != nil {
			return err
		}
		id = a.ID
		if got, err := tx.OpenAlertID(ctx, in.ID, "pii", "user_b", "claude_chat_000", t0.Add(-time.Hour)); err != nil || got != id {
			t.Errorf("open alert: %d %v, want %d", got, err, id)
		}
		if _, err := tx.OpenAlertID(ctx, in.ID, "pii", "user_b", "claude_chat_000", t0.Add(time.Minute)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("alert last seen before since found: %v", err)
		}
		for _, ev := range []struct {
			id   string
			at   time.Time
			want bool
		}{{eval.EventID, t0, false}, {"claude_chat_000_msg_1", t0.Add(-time.Minute), true}, {eval.EventID, t0, false}} {
			if counted, err := tx.AddAlertEvent(ctx, id, "prompt", ev.id, ev.at, "ex "+ev.id, "EMAIL"); err != nil || counted != ev.want {
				t.Errorf("add %s: %v %v, want %v", ev.id, counted, err, ev.want)
			}
		}
		got, err := tx.AlertByID(ctx, id)
		if err != nil {
			return err
		}
		if got.Count != 2 || !got.FirstSeen.Equal(t0.Add(-time.Minute)) || !got.LastSeen.Equal(t0) || got.Status != store.AlertOpen ||
			!got.Suppressed || got.EventID != "claude_chat_000_msg_1" || got.Excerpt != "ex claude_chat_000_msg_1" {
			t.Errorf("alert in the transaction: %+v", got)
		}
		return tx.Enqueue(ctx, []store.OutboxItem{{Sink: "hook", Kind: "alert", Payload: []byte(`{"n":1}`)}})
	})
	if err != nil {
		t.Fatal(err)
	}
	if a, err := s.AlertByID(ctx, id); err != nil || a.Count != 2 {
		t.Fatalf("committed alert: %+v %v", a, err)
	}
	if fs, err := s.Findings(ctx, in.ID, "prompt", eval.EventID, ""); err != nil || len(fs) != 1 {
		t.Fatalf("committed findings: %+v %v", fs, err)
	}
	// An error rolls everything back.
	boom := errors.New("boom")
	err = s.WithTx(ctx, func(tx store.Tx) error {
		if err := tx.Enqueue(ctx, []store.OutboxItem{{Sink: "hook", Kind: "alert", Payload: []byte(`{"n":2}`)}}); err != nil {
			return err
		}
		if err := tx.InsertAlert(ctx, &store.Alert{IntegrationID: in.ID, Policy: "pii", FirstSeen: t0}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("WithTx error: %v", err)
	}
	if n, err := s.CountAlerts(ctx, store.AlertFilter{}); err != nil || n != 1 {
		t.Fatalf("alerts after a rolled-back transaction: %d %v", n, err)
	}
	if c, err := s.OutboxCounts(ctx); err != nil || c[store.OutboxPending] != 1 {
		t.Fatalf("outbox after a rolled-back transaction: %v %v", c, err)
	}
}

func testOutbox(t *testing.T, s store.Store) {
	ctx := context.Background()
	var items []store.OutboxItem
	for i := 0; i < 5; i++ {
		items = append(items, store.OutboxItem{Sink: "hook", Kind: "alert", Payload: []byte(fmt.Sprintf(`{"n":%d}`, i))})
	}
	if err := s.Enqueue(ctx, items); err != nil {
		t.Fatal(err)
	}
	got, err := s.ClaimOutbox(ctx, "w1", 3, time.Minute)
	if err != nil || len(got) != 3 || string(got[0].Payload) != `{"n":0}` {
		t.Fatalf("claim: %+v %v", got, err)
	}
	rest, _ := s.ClaimOutbox(ctx, "w2", 10, time.Minute)
	if len(rest) != 2 {
		t.Fatalf("leased rows handed out twice: %d", len(rest))
	}
	if err := s.CompleteOutbox(ctx, got[0].ID, "w1"); err != nil {
		t.Fatal(err)
	}
	if err := s.FailOutbox(ctx, got[1].ID, "w1", "503", time.Now().Add(-time.Second), false); err != nil {
		t.Fatal(err)
	}
	if err := s.FailOutbox(ctx, got[2].ID, "w1", "400 bad request", time.Now(), true); err != nil {
		t.Fatal(err)
	}
	again, _ := s.ClaimOutbox(ctx, "w3", 10, time.Minute)
	if len(again) != 1 || again[0].ID != got[1].ID || again[0].Attempts != 1 || again[0].LastError != "503" {
		t.Fatalf("retry: %+v", again)
	}
	counts, _ := s.OutboxCounts(ctx)
	if counts["delivered"] != 1 || counts["dead"] != 1 || counts["pending"] != 3 {
		t.Fatalf("counts: %v", counts)
	}
	dead, _ := s.OutboxItems(ctx, store.OutboxDead, 10)
	if len(dead) != 1 {
		t.Fatalf("dead list: %d", len(dead))
	}
	if n, err := s.RetryDead(ctx, 0); err != nil || n != 1 {
		t.Fatalf("retry dead: %d %v", n, err)
	}
}

func testRetention(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	old := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	page := store.ActivityPage{IntegrationID: in.ID, Activities: []store.Activity{act("activity_old", old, "user_logged_out", "u"), act("activity_new", t0, "user_logged_out", "u")}}
	if _, err := s.SaveActivityPage(ctx, page); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DropBefore(ctx, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
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
	a, b := open(t), open(t)
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
	clocked, ok := s.(interface{ SetClock(func() time.Time) })
	if !ok {
		t.Skip("store has no process clock to move")
	}
	if err := s.Enqueue(ctx, []store.OutboxItem{{Sink: "hook", Kind: "alert", Payload: []byte(`{}`)}}); err != nil {
		t.Fatal(err)
	}
	held, err := s.ClaimOutbox(ctx, "w1", 10, time.Minute)
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
	if stolen, err := s.ClaimOutbox(ctx, "w2", 10, time.Minute); err != nil || len(stolen) != 0 {
		t.Fatalf("a process clock an hour ahead took a leased outbox row: %d %v", len(stolen), err)
	}
	if stolen, err := s.ClaimBatches(ctx, b.ID, "w2", 1, time.Minute, 3); err != nil || len(stolen) != 0 {
		t.Fatalf("a process clock an hour ahead took a leased batch: %d %v", len(stolen), err)
	}
	// Renewing is the holder's alone.
	if err := s.ExtendOutbox(ctx, []int64{held[0].ID}, "w1", time.Minute); err != nil {
		t.Fatal(err)
	}
}
