package alert_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/alert"
	"github.com/claudit/claudit/internal/alert/sink"
	"github.com/claudit/claudit/internal/alert/sink/sinktest"
	"github.com/claudit/claudit/internal/alert/sink/webhook"
	"github.com/claudit/claudit/internal/evaluate"
	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/store/sqlite"
)

func openStore(t *testing.T) evaluate.Backend {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// webhookSink sends to url. Its timeout is far above any answer of the local
// receivers: a send that timed out would be retried, and the duplicate would
// break the tests that count them.
func webhookSink(t *testing.T, url string) sink.Sink {
	s, err := webhook.New(sink.Config{Type: "webhook", Name: "soc", Webhook: &sink.WebhookConfig{URL: url, Secret: "s3cret"}, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// queueAlerts evaluates n events of n distinct chats, each opening an alert.
func queueAlerts(t *testing.T, st evaluate.Backend, n int, hostile string) {
	t.Helper()
	r := &alert.Router{Sinks: []alert.RoutedSink{{Name: "soc", Filter: sink.Filter{MinSeverity: "medium"}}}, BaseURL: "http://claudit.local"}
	var evals []store.Evaluation
	for i := 0; i < n; i++ {
		evals = append(evals, store.Evaluation{IntegrationID: 1, Kind: "prompt", EventID: fmt.Sprintf("msg_%d", i), Version: "v1",
			Findings: []store.Finding{{Policy: "secrets", Detector: "secrets", Entity: "aws-access-token", Severity: "high", Action: "block",
				EffectiveAction: "alert", Score: 1, UserID: "user_1", ChatID: fmt.Sprintf("chat_%d", i), Excerpt: hostile, EventTime: time.Now()}}})
	}
	// A low-severity finding does not pass the sink's filter.
	evals = append(evals, store.Evaluation{IntegrationID: 1, Kind: "prompt", EventID: "msg_low", Version: "v1",
		Findings: []store.Finding{{Policy: "language", Severity: "low", Action: "alert", EffectiveAction: "alert", ChatID: "chat_low", EventTime: time.Now()}}})
	if err := r.Save(context.Background(), st, evals); err != nil {
		t.Fatal(err)
	}
}

func deliverer(st evaluate.Backend, s sink.Sink, worker string) *alert.Deliverer {
	return &alert.Deliverer{Store: st, Sinks: map[string]sink.Sink{"soc": s}, Worker: worker, MinBackoff: time.Millisecond,
		MaxBackoff: 5 * time.Millisecond, Lease: 50 * time.Millisecond, MaxAttempts: 50}
}

func drain(t *testing.T, d *alert.Deliverer, st evaluate.Backend) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < 2000; i++ {
		_, _ = d.DeliverOnce(ctx)
		c, _ := st.OutboxCounts(ctx)
		if c[store.OutboxPending] == 0 {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	c, _ := st.OutboxCounts(ctx)
	t.Fatalf("outbox not drained: %v", c)
}

func idempotencyKeys(t *testing.T, rcv *sinktest.HTTPReceiver) map[string]int {
	keys := map[string]int{}
	for _, r := range rcv.Requests() {
		if r.Header.Get("Idempotency-Key") == "" {
			t.Fatalf("request without idempotency key")
		}
		keys[r.Header.Get("Idempotency-Key")]++
	}
	return keys
}

func TestDeliverySurvivesReceiverErrors(t *testing.T) {
	st := openStore(t)
	rcv := sinktest.NewHTTPReceiver(t)
	rcv.FailNext(7, 503)
	queueAlerts(t, st, 5, "AKIA****")
	drain(t, deliverer(st, webhookSink(t, rcv.URL), "w1"), st)
	keys := idempotencyKeys(t, rcv)
	if len(keys) != 5 {
		t.Fatalf("%d distinct deliveries, want 5 (low severity filtered)", len(keys))
	}
	c, _ := st.OutboxCounts(context.Background())
	if c[store.OutboxDelivered] != 5 {
		t.Fatalf("outbox: %v", c)
	}
}

func TestDeliverySurvivesReceiverDown(t *testing.T) {
	st := openStore(t)
	queueAlerts(t, st, 3, "x")
	down := deliverer(st, webhookSink(t, "http://"+sinktest.ClosedAddr(t)), "w1")
	for i := 0; i < 5; i++ {
		_, _ = down.DeliverOnce(context.Background())
		time.Sleep(5 * time.Millisecond)
	}
	c, _ := st.OutboxCounts(context.Background())
	if c[store.OutboxPending] != 3 {
		t.Fatalf("rows lost while the receiver was down: %v", c)
	}
	// The receiver comes back (a new address stands in for the restarted service).
	rcv := sinktest.NewHTTPReceiver(t)
	drain(t, deliverer(st, webhookSink(t, rcv.URL), "w2"), st)
	if keys := idempotencyKeys(t, rcv); len(keys) != 3 {
		t.Fatalf("delivered %d of 3", len(keys))
	}
}

// A worker that claimed rows and died (killed mid-delivery) loses nothing: its
// leases expire and another worker delivers, with the same idempotency keys.
func TestDeliveryAfterWorkerDiesMidway(t *testing.T) {
	st := openStore(t)
	rcv := sinktest.NewHTTPReceiver(t)
	queueAlerts(t, st, 4, "x")
	// The first worker sent two deliveries, then was killed before recording them.
	claimed, err := st.ClaimOutbox(context.Background(), "dead-worker", 4, 30*time.Millisecond)
	if err != nil || len(claimed) != 4 {
		t.Fatalf("claim: %v", err)
	}
	s := webhookSink(t, rcv.URL)
	install, err := st.InstallID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var sent []sink.Delivery
	for _, it := range claimed[:2] {
		var d sink.Delivery
		_ = json.Unmarshal(it.Payload, &d)
		d.ID = alert.DeliveryID(install, it.ID)
		sent = append(sent, d)
	}
	if err := s.Send(context.Background(), sent); err != nil {
		t.Fatal(err)
	}
	time.Sleep(40 * time.Millisecond)
	drain(t, deliverer(st, s, "w2"), st)
	keys := idempotencyKeys(t, rcv)
	if len(keys) != 4 {
		t.Fatalf("%d distinct deliveries, want 4", len(keys))
	}
	dups := 0
	for _, n := range keys {
		dups += n - 1
	}
	if dups != 2 {
		t.Fatalf("duplicates %d, want exactly the 2 sent before the crash", dups)
	}
}

func TestPermanentFailureGoesToDeadLetters(t *testing.T) {
	st := openStore(t)
	rcv := sinktest.NewHTTPReceiver(t)
	rcv.FailNext(1, 400)
	queueAlerts(t, st, 1, "x")
	d := deliverer(st, webhookSink(t, rcv.URL), "w1")
	_, _ = d.DeliverOnce(context.Background())
	dead, _ := st.OutboxItems(context.Background(), store.OutboxDead, 10)
	if len(dead) != 1 || dead[0].LastError == "" {
		t.Fatalf("dead letters: %+v", dead)
	}
	if n, _ := st.RetryDead(context.Background(), dead[0].ID); n != 1 {
		t.Fatalf("retry dead")
	}
	drain(t, d, st)
	if c, _ := st.OutboxCounts(context.Background()); c[store.OutboxDelivered] != 1 {
		t.Fatalf("retried dead letter not delivered: %v", c)
	}
}

func TestHostileExcerptKeepsPayloadValid(t *testing.T) {
	st := openStore(t)
	rcv := sinktest.NewHTTPReceiver(t)
	queueAlerts(t, st, 1, "<script>alert(1)</script>\n\"]|=\\\xff\xfe")
	drain(t, deliverer(st, webhookSink(t, rcv.URL), "w1"), st)
	for _, r := range rcv.Requests() {
		if !json.Valid(r.Body) {
			t.Fatalf("payload is not valid JSON: %q", r.Body)
		}
	}
}

// BenchmarkOutboxToWebhook measures end-to-end outbox throughput (claim,
// send, mark delivered) to a local webhook receiver.
func BenchmarkOutboxToWebhook(b *testing.B) {
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "c.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	rcv := sinktest.NewHTTPReceiver(b)
	rcv.Record(false)
	s, _ := webhook.New(sink.Config{Type: "webhook", Name: "soc", Webhook: &sink.WebhookConfig{URL: rcv.URL, Secret: "k"}})
	d := &alert.Deliverer{Store: st, Sinks: map[string]sink.Sink{"soc": s}, Worker: "bench", Batch: 200}
	payload, _ := json.Marshal(sinktest.Alert("x"))
	items := make([]store.OutboxItem, b.N)
	for i := range items {
		items[i] = store.OutboxItem{Sink: "soc", Kind: "alert", Payload: payload}
	}
	if err := st.Enqueue(context.Background(), items); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	done := 0
	for done < b.N {
		n, err := d.DeliverOnce(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		done += n
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
}

// TestIdempotencyKeysUniqueAcrossInstalls delivers the alerts of two separate
// databases to one receiver: no key may repeat, or the receiver would drop
// real alerts as duplicates. A retried delivery keeps its key.
func TestIdempotencyKeysUniqueAcrossInstalls(t *testing.T) {
	rcv := sinktest.NewHTTPReceiver(t)
	rcv.FailNext(2, 503)
	for range 2 {
		st := openStore(t)
		queueAlerts(t, st, 3, "x")
		drain(t, deliverer(st, webhookSink(t, rcv.URL), "w1"), st)
	}
	keys := idempotencyKeys(t, rcv)
	if len(keys) != 6 {
		t.Fatalf("%d distinct keys for 6 alerts of two installs: %v", len(keys), keys)
	}
	for k := range keys {
		if !strings.HasPrefix(k, "claudit-") || len(k) < len("claudit-")+32 {
			t.Errorf("key %q: want claudit-<install id>-<row id>", k)
		}
	}
}

// crashable is a store that stops answering once its process "dies": no
// row is recorded after the kill, as after kill -9.
type crashable struct {
	alert.Outbox
	dead atomic.Bool
	// renewed, when set, receives a value after each lease renewal; the
	// renewal waits for it to be taken until done is closed.
	renewed chan struct{}
	done    <-chan struct{}
}

var errDead = errors.New("process killed")

func (c *crashable) CompleteOutbox(ctx context.Context, id int64, worker string) error {
	if c.dead.Load() {
		return errDead
	}
	return c.Outbox.CompleteOutbox(ctx, id, worker)
}

func (c *crashable) FailOutbox(ctx context.Context, id int64, worker, errText string, next time.Time, dead bool) error {
	if c.dead.Load() {
		return errDead
	}
	return c.Outbox.FailOutbox(ctx, id, worker, errText, next, dead)
}

func (c *crashable) ExtendOutbox(ctx context.Context, ids []int64, worker string, lease time.Duration) error {
	if c.dead.Load() {
		return errDead
	}
	err := c.Outbox.ExtendOutbox(ctx, ids, worker, lease)
	if c.renewed != nil {
		select {
		case c.renewed <- struct{}{}:
		case <-c.done:
		}
	}
	return err
}

// waitDrained delivers until no row is pending; leases of a dead worker
// expire on their own, so it waits on the outbox, not on a fixed time.
func waitDrained(t *testing.T, d *alert.Deliverer, st evaluate.Backend) {
	t.Helper()
	ctx := context.Background()
	for {
		_, _ = d.DeliverOnce(ctx)
		c, err := st.OutboxCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c[store.OutboxPending] == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestKillDuringDeliveryRepeatsOnlyInFlight kills a worker while it sends a
// batch of 20 alerts: the receiver had accepted 9 and had the 10th in
// flight. After the restart the receiver may see again only what was in
// flight, never the deliveries it had already accepted.
func TestKillDuringDeliveryRepeatsOnlyInFlight(t *testing.T) {
	st := openStore(t)
	queueAlerts(t, st, 20, "x")
	crash := &crashable{Outbox: st}
	ctx, kill := context.WithCancel(context.Background())
	defer kill()
	var mu sync.Mutex
	accepted := map[string]int{}
	const killAt = 10
	seen := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		seen++
		if seen == killAt && !crash.dead.Load() {
			// The process dies with this request in flight.
			crash.dead.Store(true)
			kill()
			http.Error(w, "gone", http.StatusServiceUnavailable)
			return
		}
		accepted[r.Header.Get("Idempotency-Key")]++
	}))
	defer srv.Close()
	s := webhookSink(t, srv.URL)
	first := deliverer(nil, s, "w1")
	first.Store = crash
	first.Lease = 100 * time.Millisecond
	_, _ = first.DeliverOnce(ctx)
	if !crash.dead.Load() {
		t.Fatal("the worker was never killed")
	}

	second := deliverer(st, s, "w2")
	waitDrained(t, second, st)
	mu.Lock()
	defer mu.Unlock()
	if len(accepted) != 20 {
		t.Fatalf("%d of 20 alerts reached the receiver", len(accepted))
	}
	dups := 0
	for _, n := range accepted {
		dups += n - 1
	}
	const inFlight = 1
	if dups > inFlight {
		t.Fatalf("%d duplicates after a kill with %d delivery in flight: rows were recorded per batch, not per delivery", dups, inFlight)
	}
}

// slowSink holds every Send until released.
type slowSink struct {
	started chan struct{}
	release chan struct{}
}

func (s *slowSink) Name() string { return "soc" }

func (s *slowSink) Send(ctx context.Context, batch []sink.Delivery) error {
	s.started <- struct{}{}
	<-s.release
	return nil
}

// TestSlowSinkKeepsItsLease: while a sink takes longer than the lease, the
// worker renews it, so another worker cannot claim and send the same alerts.
// The other worker tries right after a renewal (the renewal waits for the
// test to take its signal), so however slow the machine, the lease it meets
// is a whole lease long; renewals that came late are made good by the next.
func TestSlowSinkKeepsItsLease(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	queueAlerts(t, st, 3, "x")
	slow := &slowSink{started: make(chan struct{}, 1), release: make(chan struct{})}
	crash := &crashable{Outbox: st, renewed: make(chan struct{}), done: slow.release}
	d := deliverer(nil, slow, "w1")
	d.Store = crash
	d.Lease = 3 * time.Second
	done := make(chan error, 1)
	go func() { _, err := d.DeliverOnce(context.Background()); done <- err }()
	<-slow.started
	// Four renewals, a third of a lease apart, take longer than one lease.
	for range 4 {
		<-crash.renewed
	}
	other, err := st.ClaimOutbox(context.Background(), "w2", 10, time.Minute)
	close(slow.release)
	if err != nil {
		t.Fatal(err)
	}
	if len(other) != 0 {
		t.Fatalf("another worker claimed %d rows a slow sink was still sending", len(other))
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if c, _ := st.OutboxCounts(context.Background()); c[store.OutboxDelivered] != 3 {
		t.Fatalf("outbox after the slow send: %v", c)
	}
}
