package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/web/webtest"
)

// clock is a settable server clock for tests that cross lock expiries.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// signIn posts the login form once and returns the status, Retry-After and body.
func signIn(t *testing.T, c *client, email, password string) (int, string, string) {
	t.Helper()
	_, body := c.get("/login")
	m := csrfInput.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("login form has no csrf token")
	}
	res, body := c.postForm("/login", url.Values{"csrf_token": {m[1]}, "email": {email}, "password": {password}})
	for _, ck := range res.Cookies() {
		if ck.Name == "claudit_session" && ck.Value != "" && res.StatusCode != http.StatusSeeOther {
			t.Fatalf("status %d set a session cookie", res.StatusCode)
		}
	}
	return res.StatusCode, res.Header.Get("Retry-After"), body
}

// TestLoginLockout fails sign-ins for one account until it locks, and wants
// 429 with Retry-After, the same answer for the right password while locked,
// the lock shown to admins and audited, and a longer lock for each failure
// after one ends.
func TestLoginLockout(t *testing.T) {
	clk := &clock{t: webtest.Base.Add(24 * time.Hour)}
	_, ts := newEnv(t, webtest.Options{Now: clk.now})
	admin := login(t, ts, webtest.AdminEmail)
	c := newClient(t, ts)
	for i := 1; i <= 4; i++ {
		if code, _, _ := signIn(t, c, webtest.AnalystEmail, "wrong-password-1"); code != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d, want 401", i, code)
		}
	}
	code, retry, _ := signIn(t, c, webtest.AnalystEmail, "wrong-password-1")
	if code != http.StatusTooManyRequests || retry != "60" {
		t.Fatalf("fifth failure: status %d Retry-After %q, want 429 and 60", code, retry)
	}
	// While locked, the right password gets exactly the wrong one's answer.
	codeRight, retryRight, bodyRight := signIn(t, c, webtest.AnalystEmail, webtest.Password)
	codeWrong, retryWrong, bodyWrong := signIn(t, c, webtest.AnalystEmail, "wrong-password-1")
	if codeRight != http.StatusTooManyRequests || codeRight != codeWrong || retryRight != retryWrong || bodyRight != bodyWrong {
		t.Fatalf("locked: right password %d %q, wrong %d %q; bodies equal %v", codeRight, retryRight, codeWrong, retryWrong, bodyRight == bodyWrong)
	}
	if !strings.Contains(bodyRight, "Too many failed sign-ins") {
		t.Fatalf("locked page does not say why: %s", bodyRight)
	}
	// Admins see the lock, on the API and the accounts page.
	var locks struct {
		Lockouts []store.LoginThrottle `json:"lockouts"`
	}
	if res := admin.getJSON("/api/v1/lockouts", &locks); res.StatusCode != http.StatusOK || len(locks.Lockouts) != 1 ||
		locks.Lockouts[0].Key != "account:"+webtest.AnalystEmail || locks.Lockouts[0].Failures != 5 {
		t.Fatalf("lockouts: %d %+v", res.StatusCode, locks)
	}
	if _, body := admin.get("/accounts"); !strings.Contains(body, "account:"+webtest.AnalystEmail) {
		t.Fatal("the accounts page does not show the lock")
	}
	var audit struct {
		Entries []store.AuditEntry `json:"entries"`
	}
	admin.getJSON("/api/v1/audit?action=lockout", &audit)
	if len(audit.Entries) != 1 || audit.Entries[0].ObjectID != "account:"+webtest.AnalystEmail {
		t.Fatalf("lockout audit: %+v", audit.Entries)
	}
	// After the lock, one more failure locks again, twice as long.
	clk.add(61 * time.Second)
	if code, retry, _ := signIn(t, c, webtest.AnalystEmail, "wrong-password-1"); code != http.StatusTooManyRequests || retry != "120" {
		t.Fatalf("sixth failure: %d %q, want 429 and 120", code, retry)
	}
	clk.add(121 * time.Second)
	if code, _, _ := signIn(t, c, webtest.AnalystEmail, webtest.Password); code != http.StatusSeeOther {
		t.Fatalf("after the lock: status %d", code)
	}
	// A success starts the account's count again.
	if code, _, _ := signIn(t, newClient(t, ts), webtest.AnalystEmail, "wrong-password-1"); code != http.StatusUnauthorized {
		t.Fatalf("after a success: status %d, want 401", code)
	}
	// Another account is not affected by the analyst's failures.
	if code, _, _ := signIn(t, newClient(t, ts), webtest.ViewerEmail, webtest.Password); code != http.StatusSeeOther {
		t.Fatalf("viewer: status %d", code)
	}
}

// TestLoginLockoutPerAddress fails sign-ins for many accounts from one
// address and wants the address locked; an admin can lift it (audited).
func TestLoginLockoutPerAddress(t *testing.T) {
	clk := &clock{t: webtest.Base.Add(24 * time.Hour)}
	_, ts := newEnv(t, webtest.Options{Now: clk.now})
	admin := login(t, ts, webtest.AdminEmail)
	c := newClient(t, ts)
	for i := range 19 {
		if code, _, _ := signIn(t, c, "guess"+itoa(int64(i))+"@example.com", "wrong-password-1"); code != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d, want 401", i+1, code)
		}
	}
	if code, retry, _ := signIn(t, c, "guess19@example.com", "wrong-password-1"); code != http.StatusTooManyRequests || retry == "" {
		t.Fatalf("20th failure: %d %q, want 429 with Retry-After", code, retry)
	}
	if code, _, _ := signIn(t, c, webtest.ViewerEmail, webtest.Password); code != http.StatusTooManyRequests {
		t.Fatalf("another account from a locked address: %d, want 429", code)
	}
	res, _ := admin.api(http.MethodDelete, "/api/v1/lockouts/"+url.PathEscape("ip:127.0.0.1"), nil, true)
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("unlock: %d", res.StatusCode)
	}
	if code, _, _ := signIn(t, c, webtest.ViewerEmail, webtest.Password); code != http.StatusSeeOther {
		t.Fatalf("after unlock: %d", code)
	}
	var audit struct {
		Entries []store.AuditEntry `json:"entries"`
	}
	admin.getJSON("/api/v1/audit?action=unlock", &audit)
	if len(audit.Entries) != 1 || audit.Entries[0].Actor != webtest.AdminEmail || audit.Entries[0].ObjectID != "ip:127.0.0.1" {
		t.Fatalf("unlock audit: %+v", audit.Entries)
	}
}
