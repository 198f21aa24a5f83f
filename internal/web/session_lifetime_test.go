package web_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/web/webtest"
)

// TestSessionLifetimes: a session ends after its idle time unused, and after
// its absolute lifetime however busy it is.
func TestSessionLifetimes(t *testing.T) {
	var mu sync.Mutex
	now := webtest.Base.Add(24 * time.Hour)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	_, ts := newEnv(t, webtest.Options{Now: clock, SessionIdle: 2 * time.Hour, SessionLifetime: 24 * time.Hour})
	signedIn := func(c *client) bool {
		res, _ := c.api("GET", "/api/v1/me", nil, false)
		return res.StatusCode == http.StatusOK
	}

	idle := login(t, ts, webtest.ViewerEmail)
	advance(time.Hour)
	if !signedIn(idle) {
		t.Fatal("signed out within the idle time")
	}
	advance(2*time.Hour + time.Minute)
	if signedIn(idle) {
		t.Fatal("a session unused for longer than its idle time still works")
	}

	busy := login(t, ts, webtest.ViewerEmail)
	for used := time.Duration(0); used < 23*time.Hour; used += time.Hour {
		advance(time.Hour)
		if !signedIn(busy) {
			t.Fatalf("a busy session ended after %s, before its absolute lifetime", used+time.Hour)
		}
	}
	advance(time.Hour + time.Minute)
	if signedIn(busy) {
		t.Fatal("a session in constant use outlived its absolute lifetime")
	}
}
