// Package splunk is the Splunk HTTP Event Collector sink (type
// "splunk_hec"). A batch goes out as concatenated JSON event envelopes in as
// few requests as MaxRequestBytes allows. With ack enabled every request
// carries a channel id and Send waits until Splunk reports the events
// indexed, so a delivery is marked done only once it is searchable.
package splunk

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/alert/sink"
)

// Type is the sink type name in the configuration.
const Type = "splunk_hec"

// Defaults for the optional settings.
const (
	DefaultAckTimeout      = 30 * time.Second
	DefaultAckInterval     = time.Second
	DefaultMaxRequestBytes = 1 << 20
)

const (
	eventPath = "/services/collector/event"
	ackPath   = "/services/collector/ack"
)

func init() {
	sink.Register(Type, func(c sink.Config) (sink.Sink, error) { return New(c) })
}

// Sink posts deliveries to a HEC.
type Sink struct {
	name       string
	eventURL   string
	ackURL     string
	auth       string
	index      string
	source     string
	sourceType string
	host       string
	ack        bool
	ackTimeout time.Duration
	ackEvery   time.Duration
	maxReq     int
	maxText    int
	client     *http.Client
	channel    string
}

// New builds a HEC sink from cfg.Splunk.
func New(cfg sink.Config) (*Sink, error) {
	sc := cfg.Splunk
	if sc == nil {
		return nil, errors.New("missing splunk_hec settings")
	}
	if err := sink.CheckURL("splunk_hec url", sc.URL); err != nil {
		return nil, err
	}
	if sc.Token == "" {
		return nil, errors.New("splunk_hec token is empty; create a HEC token in Splunk and set token")
	}
	client, err := sink.NewHTTPClient(cfg.AttemptTimeout(), sc.TLS)
	if err != nil {
		return nil, fmt.Errorf("splunk_hec tls: %w", err)
	}
	base := strings.TrimSuffix(strings.TrimSuffix(sc.URL, "/"), eventPath)
	s := &Sink{
		name:       cfg.Name,
		eventURL:   base + eventPath,
		ackURL:     base + ackPath,
		auth:       "Splunk " + sc.Token,
		index:      sc.Index,
		source:     orDefault(sc.Source, "claudit"),
		sourceType: sc.SourceType,
		host:       sc.Host,
		ack:        sc.Ack,
		ackTimeout: orDefaultDur(sc.AckTimeout, DefaultAckTimeout),
		ackEvery:   orDefaultDur(sc.AckInterval, DefaultAckInterval),
		maxReq:     sc.MaxRequestBytes,
		maxText:    cfg.TextLimit(sink.DefaultMaxTextBytes),
		client:     client,
	}
	if s.maxReq <= 0 {
		s.maxReq = DefaultMaxRequestBytes
	}
	if s.host == "" {
		s.host, _ = os.Hostname()
	}
	if s.ack {
		s.channel = newUUID()
	}
	return s, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func orDefaultDur(v, def time.Duration) time.Duration {
	if v <= 0 {
		return def
	}
	return v
}

// newUUID returns a random (version 4) UUID, the channel id format HEC wants.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Name returns the configured name.
func (s *Sink) Name() string { return s.name }

// envelope is HEC's event format.
type envelope struct {
	Time       json.Number     `json:"time"`
	Host       string          `json:"host,omitempty"`
	Source     string          `json:"source,omitempty"`
	SourceType string          `json:"sourcetype"`
	Index      string          `json:"index,omitempty"`
	Event      json.RawMessage `json:"event"`
}

// request is one HEC request: the deliveries it carries and its body.
type request struct {
	ids  []string
	body []byte
}

// Send posts the batch in one or more requests; with ack on, it then waits
// for the indexers. Failures are reported per request's deliveries.
func (s *Sink) Send(ctx context.Context, batch []sink.Delivery) error {
	var res sink.Results
	reqs := s.split(batch, &res)
	pending := map[int64][]string{} // ackId -> deliveries waiting for it
	for i, r := range reqs {
		if ctx.Err() != nil {
			for _, rest := range reqs[i:] {
				failIDs(&res, rest.ids, sink.CanceledErr(ctx))
			}
			break
		}
		ackID, err := s.post(ctx, r.body)
		if err != nil {
			failIDs(&res, r.ids, fmt.Errorf("splunk_hec %s: post %d events: %w", s.name, len(r.ids), err))
			continue
		}
		if s.ack && ackID >= 0 {
			pending[ackID] = r.ids
			continue
		}
		sink.Accepted(ctx, r.ids...)
	}
	if len(pending) > 0 {
		s.waitAcks(ctx, pending, &res)
	}
	return res.Err()
}

func failIDs(res *sink.Results, ids []string, err error) {
	for _, id := range ids {
		res.Fail(id, err)
	}
}

// split encodes the batch into requests of at most maxReq bytes (a single
// larger event gets a request of its own).
func (s *Sink) split(batch []sink.Delivery, res *sink.Results) []request {
	var reqs []request
	var cur request
	for _, d := range batch {
		line, err := s.encode(d)
		if err != nil {
			res.Fail(d.ID, sink.Permanent(err))
			continue
		}
		if len(cur.ids) > 0 && len(cur.body)+len(line) > s.maxReq {
			reqs = append(reqs, cur)
			cur = request{}
		}
		cur.ids = append(cur.ids, d.ID)
		cur.body = append(cur.body, line...)
	}
	if len(cur.ids) > 0 {
		reqs = append(reqs, cur)
	}
	return reqs
}

func (s *Sink) encode(d sink.Delivery) ([]byte, error) {
	body, err := sink.EncodeJSON(d, s.maxText)
	if err != nil {
		return nil, err
	}
	t := d.CreatedAt
	if t.IsZero() {
		t = time.Now()
	}
	ms := t.UnixMilli()
	st := s.sourceType
	if st == "" {
		st = "claudit:" + d.Kind
	}
	env := envelope{
		Time:       json.Number(fmt.Sprintf("%d.%03d", ms/1000, ms%1000)),
		Host:       s.host,
		Source:     s.source,
		SourceType: st,
		Index:      s.index,
		Event:      body,
	}
	b, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("encode HEC envelope for %s: %w", d.ID, err)
	}
	return append(b, '\n'), nil
}

// hecReply is HEC's answer to an event request.
type hecReply struct {
	Text  string `json:"text"`
	Code  int    `json:"code"`
	AckID *int64 `json:"ackId"`
}

func (s *Sink) header() http.Header {
	h := http.Header{}
	h.Set("Authorization", s.auth)
	h.Set("Content-Type", "application/json")
	if s.ack {
		h.Set("X-Splunk-Request-Channel", s.channel)
	}
	return h
}

func (s *Sink) post(ctx context.Context, body []byte) (int64, error) {
	resp, err := sink.Post(ctx, s.client, s.eventURL, s.header(), body)
	if err != nil {
		return 0, err
	}
	if !s.ack {
		return 0, nil
	}
	var r hecReply
	if err := json.Unmarshal(resp, &r); err != nil || r.AckID == nil {
		// Indexer acknowledgement is off on this token: the events were
		// accepted, and failing them would only duplicate them on retry.
		return -1, nil
	}
	return *r.AckID, nil
}

// waitAcks polls the ack endpoint until every pending ackId is acknowledged
// or the ack timeout passes; deliveries still unacknowledged then fail
// (retryable: Splunk may have lost them).
func (s *Sink) waitAcks(ctx context.Context, pending map[int64][]string, res *sink.Results) {
	ctx, cancel := context.WithTimeoutCause(ctx, s.ackTimeout,
		fmt.Errorf("events not acknowledged within ack_timeout %s", s.ackTimeout))
	defer cancel()
	tick := time.NewTicker(s.ackEvery)
	defer tick.Stop()
	var lastErr error
	for {
		if err := s.pollAcks(ctx, pending); err != nil {
			lastErr = err
		}
		if len(pending) == 0 {
			return
		}
		select {
		case <-tick.C:
			continue
		case <-ctx.Done():
		}
		err := fmt.Errorf("splunk_hec %s: %w", s.name, context.Cause(ctx))
		if lastErr != nil {
			err = fmt.Errorf("%w (last poll: %v)", err, lastErr)
		}
		for _, ids := range pending {
			failIDs(res, ids, err)
		}
		return
	}
}

func (s *Sink) pollAcks(ctx context.Context, pending map[int64][]string) error {
	req := struct {
		Acks []int64 `json:"acks"`
	}{}
	for id := range pending {
		req.Acks = append(req.Acks, id)
	}
	body, _ := json.Marshal(req)
	resp, err := sink.Post(ctx, s.client, s.ackURL+"?channel="+s.channel, s.header(), body)
	if err != nil {
		return fmt.Errorf("poll acks: %w", err)
	}
	var r struct {
		Acks map[string]bool `json:"acks"`
	}
	if err := json.Unmarshal(resp, &r); err != nil {
		return fmt.Errorf("decode ack reply %q: %w", resp, err)
	}
	for id, done := range r.Acks {
		n, err := strconv.ParseInt(id, 10, 64)
		if err == nil && done {
			sink.Accepted(ctx, pending[n]...)
			delete(pending, n)
		}
	}
	return nil
}
