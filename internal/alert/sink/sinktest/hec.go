package sinktest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
)

// HECEvent is one event envelope a HECReceiver got.
type HECEvent struct {
	Time       json.Number     `json:"time"`
	Host       string          `json:"host"`
	Source     string          `json:"source"`
	SourceType string          `json:"sourcetype"`
	Index      string          `json:"index"`
	Event      json.RawMessage `json:"event"`
}

// HECReceiver imitates a Splunk HTTP Event Collector: the event endpoint
// (token check, concatenated JSON objects, ackId when a channel is given)
// and the ack endpoint, which acknowledges an ackId from its AckAfter-th poll
// on.
type HECReceiver struct {
	*HTTPReceiver
	token string

	mu       sync.Mutex
	events   []HECEvent
	nextAck  int
	polls    map[int]int // ackId -> polls seen
	ackAfter int
}

// NewHECReceiver starts a HEC that accepts token.
func NewHECReceiver(t testing.TB, token string) *HECReceiver {
	h := &HECReceiver{HTTPReceiver: NewHTTPReceiver(t), token: token, polls: map[int]int{}, ackAfter: 1}
	h.Respond(h.respond)
	return h
}

// AckAfter makes the ack endpoint report an ackId indexed only from its
// n-th poll on (n <= 0: never).
func (h *HECReceiver) AckAfter(n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ackAfter = n
}

// Events returns the events received so far.
func (h *HECReceiver) Events() []HECEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]HECEvent(nil), h.events...)
}

func hecAnswer(status int, text string, code int) (int, string) {
	return status, fmt.Sprintf(`{"text":%q,"code":%d}`, text, code)
}

func (h *HECReceiver) respond(r Request) (int, string) {
	if r.Method != http.MethodPost {
		return hecAnswer(http.StatusMethodNotAllowed, "Method not allowed", 0)
	}
	if r.Header.Get("Authorization") != "Splunk "+h.token {
		return hecAnswer(http.StatusUnauthorized, "Invalid token", 4)
	}
	switch r.Path {
	case "/services/collector/event":
		return h.event(r)
	case "/services/collector/ack":
		return h.ack(r)
	}
	return hecAnswer(http.StatusNotFound, "Not found", 404)
}

func (h *HECReceiver) event(r Request) (int, string) {
	var got []HECEvent
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	for {
		var e HECEvent
		err := dec.Decode(&e)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil || len(e.Event) == 0 {
			return hecAnswer(http.StatusBadRequest, "Invalid data format", 6)
		}
		got = append(got, e)
	}
	if len(got) == 0 {
		return hecAnswer(http.StatusBadRequest, "No data", 5)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, got...)
	if r.Header.Get("X-Splunk-Request-Channel") == "" {
		return hecAnswer(http.StatusOK, "Success", 0)
	}
	id := h.nextAck
	h.nextAck++
	h.polls[id] = 0
	return http.StatusOK, fmt.Sprintf(`{"text":"Success","code":0,"ackId":%d}`, id)
}

func (h *HECReceiver) ack(r Request) (int, string) {
	if r.Header.Get("X-Splunk-Request-Channel") == "" && r.RawQuery == "" {
		return hecAnswer(http.StatusBadRequest, "Data channel is missing", 10)
	}
	var req struct{ Acks []int }
	if err := json.Unmarshal(r.Body, &req); err != nil {
		return hecAnswer(http.StatusBadRequest, "Invalid data format", 6)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	acks := map[string]bool{}
	for _, id := range req.Acks {
		n, ok := h.polls[id]
		if !ok {
			acks[strconv.Itoa(id)] = false
			continue
		}
		h.polls[id] = n + 1
		acks[strconv.Itoa(id)] = h.ackAfter > 0 && n+1 >= h.ackAfter
	}
	b, _ := json.Marshal(map[string]any{"acks": acks})
	return http.StatusOK, string(b)
}
