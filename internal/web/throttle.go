package web

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// LoginLimit is when failed sign-ins against one key (an account or a
// client address) lock it: the Threshold-th failure within Window locks it
// for Base, and each further failure after a lock ends doubles that, up to Max.
type LoginLimit struct {
	Threshold         int
	Base, Max, Window time.Duration
}

// Default sign-in limits: five wrong passwords lock an account for a
// minute; an address trying many accounts gets twenty.
var (
	DefaultAccountLimit = LoginLimit{Threshold: 5, Base: time.Minute, Max: time.Hour, Window: time.Hour}
	DefaultAddressLimit = LoginLimit{Threshold: 20, Base: time.Minute, Max: time.Hour, Window: time.Hour}
)

func (l LoginLimit) orDefault(def LoginLimit) LoginLimit {
	if l.Threshold <= 0 {
		return def
	}
	return l
}

// lockFor is how long the failures-th failure locks the key; 0 for not yet.
func (l LoginLimit) lockFor(failures int) time.Duration {
	if failures < l.Threshold {
		return 0
	}
	d := l.Base
	for i := l.Threshold; i < failures && d < l.Max; i++ {
		d *= 2
	}
	return min(d, l.Max)
}

func accountKey(email string) string { return "account:" + email }
func addressKey(ip string) string    { return "ip:" + ip }

// loginLockedFor reports how long sign-ins for this email from this address
// stay refused; 0 when they are accepted.
func (s *Server) loginLockedFor(ctx context.Context, email, ip string, now time.Time) (time.Duration, error) {
	ts, err := s.ws.LoginThrottles(ctx, []string{accountKey(email), addressKey(ip)})
	if err != nil {
		return 0, err
	}
	var wait time.Duration
	for _, t := range ts {
		wait = max(wait, t.LockedUntil.Sub(now))
	}
	return wait, nil
}

// countLoginFailure counts a failed sign-in against the account and the
// address, locks either that reached its limit (audited and logged), and
// returns how long the longer new lock lasts; 0 when none was set.
func (s *Server) countLoginFailure(ctx context.Context, email, ip string, now time.Time) (time.Duration, error) {
	var wait time.Duration
	for _, k := range []struct {
		key, object string
		limit       LoginLimit
	}{
		{accountKey(email), "account", s.cfg.AccountLimit},
		{addressKey(ip), "address", s.cfg.AddressLimit},
	} {
		t, err := s.ws.AddLoginFailure(ctx, k.key, now, now.Add(-k.limit.Window))
		if err != nil {
			return 0, err
		}
		d := k.limit.lockFor(t.Failures)
		if d == 0 {
			continue
		}
		until := now.Add(d)
		if err := s.ws.LockLogin(ctx, k.key, until); err != nil {
			return 0, err
		}
		wait = max(wait, d)
		detail := fmt.Sprintf("%d failed sign-ins; locked for %s, until %s", t.Failures, d, until.UTC().Format(time.RFC3339))
		s.log.Warn("sign-in locked", "key", k.key, "failures", t.Failures, "for", d)
		s.auditAs(ctx, nil, ip, "lockout", k.object, k.key, detail)
	}
	return wait, nil
}

// refuseLocked answers a sign-in while locked: 429 with Retry-After, the
// same whatever the password, which is not even checked.
func (s *Server) refuseLocked(w http.ResponseWriter, r *http.Request, email string, wait time.Duration) {
	secs := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.renderLogin(w, r, http.StatusTooManyRequests, email,
		fmt.Sprintf("Too many failed sign-ins: try again in %s, or ask an admin to lift the lock.", (time.Duration(secs)*time.Second).String()))
}

type lockoutsData struct {
	Lockouts []store.LoginThrottle
}

// lockouts lists the sign-in locks in force.
func (s *Server) lockouts(ctx context.Context) ([]store.LoginThrottle, error) {
	ls, err := s.ws.LoginLocks(ctx, s.now())
	if ls == nil {
		ls = []store.LoginThrottle{}
	}
	return ls, err
}

func (s *Server) apiLockouts(w http.ResponseWriter, r *http.Request) error {
	ls, err := s.lockouts(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"lockouts": ls})
	return nil
}

// apiUnlock lifts a sign-in lock (an account or an address) and forgets its failures.
func (s *Server) apiUnlock(w http.ResponseWriter, r *http.Request) error {
	key := r.PathValue("key")
	if err := s.ws.ClearLoginThrottle(r.Context(), key); err != nil {
		return err
	}
	s.audit(r, "unlock", "login", key, "")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// unlockSubmit is the accounts page's "Lift" button.
func (s *Server) unlockSubmit(w http.ResponseWriter, r *http.Request) error {
	key := r.PostFormValue("key")
	if err := s.ws.ClearLoginThrottle(r.Context(), key); err != nil {
		return err
	}
	s.audit(r, "unlock", "login", key, "")
	s.setFlash(w, "Lifted the sign-in lock on "+key+".")
	http.Redirect(w, r, "/accounts", http.StatusSeeOther)
	return nil
}
