package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/claudit/claudit/internal/alert/sink"
	"github.com/claudit/claudit/internal/alert/sink/sinktest"
	"github.com/claudit/claudit/internal/alert/sink/webhook"
)

const secret = "s3cret"

func newSink(t testing.TB, url string, mut func(*sink.Config)) *webhook.Sink {
	t.Helper()
	cfg := sink.Config{Type: webhook.Type, Name: "hook", Webhook: &sink.WebhookConfig{URL: url, Secret: secret, Headers: map[string]string{"Authorization": "Bearer x"}}}
	if mut != nil {
		mut(&cfg)
	}
	s, err := webhook.New(cfg)
	if err != nil {
		t.Fatalf("new webhook: %v", err)
	}
	return s
}

// payload is the part of the JSON document the tests look at.
type payload struct {
	SchemaVersion int    `json:"schema_version"`
	ID            string `json:"id"`
	Kind          string `json:"kind"`
	Alert         *struct {
		Policy           string `json:"policy"`
		Excerpt          string `json:"excerpt"`
		ExcerptTruncated bool   `json:"excerpt_truncated"`
	} `json:"alert"`
	Event *struct {
		Text          string          `json:"text"`
		TextOmitted   bool            `json:"text_omitted"`
		TextTruncated bool            `json:"text_truncated"`
		TextBytes     int             `json:"text_bytes"`
		Raw           json.RawMessage `json:"raw"`
		RawOmitted    string          `json:"raw_omitted"`
	} `json:"event"`
}

func verified(t *testing.T, r sinktest.Request) payload {
	t.Helper()
	if err := webhook.Verify([]byte(secret), r.Header.Get(webhook.HeaderTimestamp), r.Body, r.Header.Get(webhook.HeaderSignature), time.Minute); err != nil {
		t.Fatalf("verify: %v", err)
	}
	var p payload
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatalf("receiver cannot parse body: %v\n%s", err, r.Body)
	}
	return p
}

func TestSendOnePerDelivery(t *testing.T) {
	rcv := sinktest.NewHTTPReceiver(t)
	s := newSink(t, rcv.URL+"/hook", nil)
	if err := s.Send(context.Background(), []sink.Delivery{sinktest.Alert("d1"), sinktest.Alert("d2")}); err != nil {
		t.Fatalf("send: %v", err)
	}
	reqs := rcv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("got %d requests, want 2", len(reqs))
	}
	for i, r := range reqs {
		want := []string{"d1", "d2"}[i]
		if r.Method != http.MethodPost || r.Path != "/hook" {
			t.Errorf("request %d: %s %s", i, r.Method, r.Path)
		}
		for h, v := range map[string]string{"Idempotency-Key": want, "Content-Type": "application/json", "Authorization": "Bearer x"} {
			if got := r.Header.Get(h); got != v {
				t.Errorf("request %d: %s = %q, want %q", i, h, got, v)
			}
		}
		p := verified(t, r)
		if p.ID != want || p.Kind != sink.KindAlert || p.SchemaVersion != sink.JSONSchemaVersion || p.Alert == nil || p.Alert.Policy != "no-secrets-in-prompts" {
			t.Errorf("request %d: payload %+v", i, p)
		}
	}
}

func TestSendBatchArray(t *testing.T) {
	rcv := sinktest.NewHTTPReceiver(t)
	s := newSink(t, rcv.URL, func(c *sink.Config) { c.Webhook.Batch = true })
	batch := []sink.Delivery{sinktest.Alert("d1"), sinktest.Access("d2", "sso_login_succeeded"), sinktest.Alert("d3")}
	if err := s.Send(context.Background(), batch); err != nil {
		t.Fatalf("send: %v", err)
	}
	reqs := rcv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1", len(reqs))
	}
	if err := webhook.Verify([]byte(secret), reqs[0].Header.Get(webhook.HeaderTimestamp), reqs[0].Body, reqs[0].Header.Get(webhook.HeaderSignature), time.Minute); err != nil {
		t.Fatalf("verify: %v", err)
	}
	var ps []payload
	if err := json.Unmarshal(reqs[0].Body, &ps); err != nil {
		t.Fatalf("parse array: %v", err)
	}
	if len(ps) != 3 || ps[0].ID != "d1" || ps[1].Kind != sink.KindEvent || ps[2].ID != "d3" {
		t.Errorf("payloads %+v", ps)
	}
	if key := reqs[0].Header.Get("Idempotency-Key"); !strings.HasPrefix(key, "batch-") {
		t.Errorf("Idempotency-Key = %q", key)
	}
}

func TestStatusClassification(t *testing.T) {
	tests := []struct {
		status        int
		wantErr       bool
		wantPermanent bool
	}{
		{200, false, false},
		{204, false, false},
		{400, true, true},
		{401, true, true},
		{404, true, true},
		{408, true, false},
		{429, true, false},
		{500, true, false},
		{503, true, false},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			rcv := sinktest.NewHTTPReceiver(t)
			rcv.Respond(func(sinktest.Request) (int, string) { return tt.status, "" })
			err := newSink(t, rcv.URL, nil).Send(context.Background(), []sink.Delivery{sinktest.Alert("d1")})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got := sink.IsPermanent(err); got != tt.wantPermanent {
				t.Errorf("IsPermanent = %v, want %v (%v)", got, tt.wantPermanent, err)
			}
			var he *sink.HTTPError
			if tt.wantErr && (!errors.As(err, &he) || he.StatusCode != tt.status) {
				t.Errorf("error %v does not carry status %d", err, tt.status)
			}
		})
	}
}

func TestFailThenSucceed(t *testing.T) {
	rcv := sinktest.NewHTTPReceiver(t)
	rcv.FailNext(1, http.StatusInternalServerError)
	s := newSink(t, rcv.URL, nil)
	batch := []sink.Delivery{sinktest.Alert("d1")}

	err := s.Send(context.Background(), batch)
	var pe *sink.PartialError
	if !errors.As(err, &pe) || pe.Failed["d1"] == nil || sink.IsPermanent(err) {
		t.Fatalf("first send: err = %v, want retryable failure of d1", err)
	}
	if err := s.Send(context.Background(), batch); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if n := rcv.Count(); n != 2 {
		t.Errorf("receiver got %d requests, want 2 (no retry inside Send)", n)
	}
}

func TestPartialFailure(t *testing.T) {
	rcv := sinktest.NewHTTPReceiver(t)
	rcv.Respond(func(r sinktest.Request) (int, string) {
		if r.Header.Get("Idempotency-Key") == "d2" {
			return http.StatusBadRequest, "bad"
		}
		return http.StatusOK, "ok"
	})
	err := newSink(t, rcv.URL, nil).Send(context.Background(), []sink.Delivery{sinktest.Alert("d1"), sinktest.Alert("d2"), sinktest.Alert("d3")})
	var pe *sink.PartialError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want *PartialError", err)
	}
	if len(pe.Failed) != 1 || !sink.IsPermanent(pe.Failed["d2"]) {
		t.Errorf("failed = %v, want only d2, permanently", pe.Failed)
	}
}

func TestReceiverDown(t *testing.T) {
	s := newSink(t, "http://"+sinktest.ClosedAddr(t), nil)
	err := s.Send(context.Background(), []sink.Delivery{sinktest.Alert("d1")})
	if err == nil || sink.IsPermanent(err) {
		t.Fatalf("err = %v, want retryable error", err)
	}
}

func TestCanceled(t *testing.T) {
	rcv := sinktest.NewHTTPReceiver(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := newSink(t, rcv.URL, nil).Send(ctx, []sink.Delivery{sinktest.Alert("d1"), sinktest.Alert("d2")})
	var pe *sink.PartialError
	if !errors.As(err, &pe) || len(pe.Failed) != 2 || sink.IsPermanent(err) {
		t.Fatalf("err = %v, want both retryable", err)
	}
	if rcv.Count() != 0 {
		t.Errorf("receiver got %d requests after cancel", rcv.Count())
	}
}

func TestHostile(t *testing.T) {
	want := strings.ToValidUTF8(sinktest.HostileText, "\uFFFD")
	tests := []struct {
		name    string
		max     int
		wantLen int
	}{
		{"default limit", 0, sink.DefaultMaxTextBytes},
		{"configured limit", 1000, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := sinktest.NewHTTPReceiver(t)
			s := newSink(t, rcv.URL, func(c *sink.Config) { c.MaxTextBytes = tt.max })
			batch := []sink.Delivery{sinktest.HostileEvent("d1", 1<<20), sinktest.Hostile("d2", 1<<20)}
			if err := s.Send(context.Background(), batch); err != nil {
				t.Fatalf("send: %v", err)
			}
			reqs := rcv.Requests()
			for _, r := range reqs {
				if strings.Contains(string(r.Body), "<script>") {
					t.Error("body contains raw <script>")
				}
			}

			ev := verified(t, reqs[0])
			if !ev.Event.TextTruncated || ev.Event.TextBytes != 1<<20 {
				t.Errorf("truncation not reported: truncated=%v bytes=%d", ev.Event.TextTruncated, ev.Event.TextBytes)
			}
			if n := len(ev.Event.Text); n > tt.wantLen || n < tt.wantLen-3 {
				t.Errorf("text is %d bytes, want about %d", n, tt.wantLen)
			}
			if !strings.HasPrefix(ev.Event.Text, want) || !utf8.ValidString(ev.Event.Text) {
				t.Errorf("text = %q…", ev.Event.Text[:80])
			}
			if ev.Event.Raw != nil || ev.Event.RawOmitted == "" {
				t.Errorf("invalid raw JSON not omitted: raw=%s omitted=%q", ev.Event.Raw, ev.Event.RawOmitted)
			}

			al := verified(t, reqs[1])
			if al.Alert.Excerpt != want {
				t.Errorf("excerpt = %q, want %q", al.Alert.Excerpt, want)
			}
			if al.Event.Text != "" || !al.Event.TextOmitted {
				t.Errorf("alert payload carries the unredacted event text (%d bytes)", len(al.Event.Text))
			}
		})
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"id":"d1"}`)
	good := webhook.Sign([]byte(secret), now.Unix(), body)
	ts := strconv.FormatInt(now.Unix(), 10)
	tests := []struct {
		name    string
		secret  string
		ts      string
		body    string
		sig     string
		now     time.Time
		wantErr error
	}{
		{"valid", secret, ts, string(body), good, now, nil},
		{"valid within tolerance", secret, ts, string(body), good, now.Add(4 * time.Minute), nil},
		{"wrong secret", "other", ts, string(body), good, now, webhook.ErrBadSignature},
		{"tampered body", secret, ts, `{"id":"d2"}`, good, now, webhook.ErrBadSignature},
		{"tampered timestamp", secret, strconv.FormatInt(now.Unix()+1, 10), string(body), good, now, webhook.ErrBadSignature},
		{"stale", secret, ts, string(body), good, now.Add(6 * time.Minute), webhook.ErrStale},
		{"future", secret, ts, string(body), good, now.Add(-6 * time.Minute), webhook.ErrStale},
		{"missing signature", secret, ts, string(body), "", now, webhook.ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhook.VerifyAt([]byte(tt.secret), tt.ts, []byte(tt.body), tt.sig, 5*time.Minute, tt.now)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
	if err := webhook.VerifyAt([]byte(secret), "yesterday", body, good, 0, now); err == nil {
		t.Error("bad timestamp accepted")
	}
}

func TestNoSecretNoSignature(t *testing.T) {
	rcv := sinktest.NewHTTPReceiver(t)
	s := newSink(t, rcv.URL, func(c *sink.Config) { c.Webhook.Secret = "" })
	if err := s.Send(context.Background(), []sink.Delivery{sinktest.Alert("d1")}); err != nil {
		t.Fatal(err)
	}
	if h := rcv.Requests()[0].Header; h.Get(webhook.HeaderSignature) != "" || h.Get(webhook.HeaderTimestamp) != "" {
		t.Errorf("signature headers without a secret: %v", h)
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		cfg  sink.Config
	}{
		{"no settings", sink.Config{Type: webhook.Type}},
		{"relative url", sink.Config{Type: webhook.Type, Webhook: &sink.WebhookConfig{URL: "/hook"}}},
		{"ftp url", sink.Config{Type: webhook.Type, Webhook: &sink.WebhookConfig{URL: "ftp://x/y"}}},
		{"missing ca file", sink.Config{Type: webhook.Type, Webhook: &sink.WebhookConfig{URL: "https://x/y", TLS: sink.TLSConfig{CAFile: "/nonexistent.pem"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := sink.New(tt.cfg); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestHTTPSWithCA(t *testing.T) {
	cert := sinktest.NewTLSCert(t)
	rcv := sinktest.NewHTTPSReceiver(t, cert)
	s, err := sink.New(sink.Config{Type: webhook.Type, Webhook: &sink.WebhookConfig{URL: rcv.URL, TLS: sink.TLSConfig{CAFile: cert.CAFile}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), []sink.Delivery{sinktest.Alert("d1")}); err != nil {
		t.Fatalf("send over TLS: %v", err)
	}
}

// BenchmarkWebhookSend measures deliveries per second to a local receiver
// in batches of 100: one request per delivery (the default) and one JSON
// array per batch.
func BenchmarkWebhookSend(b *testing.B) {
	for _, mode := range []struct {
		name  string
		batch bool
	}{{"per_delivery", false}, {"batch_array", true}} {
		b.Run(mode.name, func(b *testing.B) {
			rcv := sinktest.NewHTTPReceiver(b)
			rcv.Record(false)
			s := newSink(b, rcv.URL, func(c *sink.Config) { c.Webhook.Batch = mode.batch })
			batch := make([]sink.Delivery, 100)
			for i := range batch {
				batch[i] = sinktest.Alert("d" + strconv.Itoa(i))
			}
			for b.Loop() {
				if err := s.Send(context.Background(), batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "deliveries/s")
		})
	}
}
