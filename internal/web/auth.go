package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"golang.org/x/crypto/bcrypt"

	"github.com/claudit/claudit/internal/store"
)

const (
	sessionCookie    = "claudit_session"
	loginCSRFCookie  = "claudit_login_csrf"
	flashCookie      = "claudit_flash"
	csrfField        = "csrf_token"
	csrfHeader       = "X-CSRF-Token"
	minPasswordBytes = 12
)

// Roles lists the dashboard roles, most powerful first.
var Roles = []string{store.RoleAdmin, store.RoleAnalyst, store.RoleViewer}

func roleRank(role string) int {
	switch role {
	case store.RoleAdmin:
		return 3
	case store.RoleAnalyst:
		return 2
	case store.RoleViewer:
		return 1
	}
	return 0
}

// identity is the signed-in account of a request: through a browser
// session, or through a personal API token (Session nil, Token set, and
// Account.Role the lower of the token's and the account's).
type identity struct {
	Account *store.Account
	Session *store.WebSession
	Token   *store.APIToken
	// zone is the account's display zone ("" until set) and loc its
	// location (UTC then); pageZone is set on pages, whose dates are read
	// and shown in it (the JSON API keeps UTC).
	zone     string
	loc      *time.Location
	pageZone bool
}

// csrf is the session's CSRF token; a bearer token has none and needs none.
func (id *identity) csrf() string {
	if id == nil || id.Session == nil {
		return ""
	}
	return id.Session.CSRFToken
}

func (id *identity) can(role string) bool {
	return id != nil && roleRank(id.Account.Role) >= roleRank(role)
}

// redacted reports whether PII and secrets must be masked for this account.
func (id *identity) redacted() bool {
	return id == nil || roleRank(id.Account.Role) < roleRank(store.RoleAnalyst)
}

type ctxKey struct{}

func identityFrom(r *http.Request) *identity {
	id, _ := r.Context().Value(ctxKey{}).(*identity)
	return id
}

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// authenticate resolves the session cookie to an identity, sliding its expiry.
func (s *Server) authenticate(r *http.Request) *identity {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil
	}
	ctx := r.Context()
	sess, err := s.ws.WebSession(ctx, hashToken(c.Value))
	if err != nil {
		return nil
	}
	now := s.now()
	// Idle (ExpiresAt slides with use) or past the absolute lifetime.
	if !sess.ExpiresAt.After(now) || !sess.CreatedAt.Add(s.cfg.SessionMaxAge).After(now) {
		_ = s.ws.DeleteWebSession(ctx, sess.ID)
		return nil
	}
	acct, err := s.ws.AccountByID(ctx, sess.AccountID)
	if err != nil || acct.Disabled {
		return nil
	}
	// Touch at most once a minute so reads do not become writes.
	if now.Sub(sess.LastSeenAt) > time.Minute {
		sess.LastSeenAt, sess.ExpiresAt = now, s.sessionExpiry(sess.CreatedAt, now)
		_ = s.ws.TouchWebSession(ctx, sess.ID, sess.LastSeenAt, sess.ExpiresAt)
	}
	return &identity{Account: acct, Session: sess}
}

// sessionExpiry is when a session created at created and used at now ends:
// after SessionTTL idle, and never past SessionMaxAge from its creation.
func (s *Server) sessionExpiry(created, now time.Time) time.Time {
	idle, end := now.Add(s.cfg.SessionTTL), created.Add(s.cfg.SessionMaxAge)
	if idle.After(end) {
		return end
	}
	return idle
}

func isUnsafe(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}

// checkCSRF accepts a state change only with the session's token (form field
// or X-CSRF-Token header) and, when the browser sends one, a same-origin Origin.
func (s *Server) checkCSRF(r *http.Request, id *identity) bool {
	if !s.sameOrigin(r) {
		return false
	}
	tok := r.Header.Get(csrfHeader)
	if tok == "" && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		tok = r.PostFormValue(csrfField)
	}
	return tok != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(id.Session.CSRFToken)) == 1
}

func (s *Server) sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true // not a browser, or a same-origin GET-style request
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	if u.Host == r.Host {
		return true
	}
	if s.cfg.BaseURL != "" {
		if b, err := url.Parse(s.cfg.BaseURL); err == nil && b.Host == u.Host {
			return true
		}
	}
	return false
}

// requirePage guards a page: no session redirects to the login page, a
// role too low answers 403, a state change without the CSRF token 403.
func (s *Server) requirePage(role string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := s.authenticate(r)
		if id == nil {
			if isUnsafe(r.Method) {
				http.Error(w, "sign in first", http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if isUnsafe(r.Method) && !s.checkCSRF(r, id) {
			s.renderStatus(w, r, id, http.StatusForbidden, "The form expired or did not come from this dashboard (CSRF check failed). Reload the page and try again.")
			return
		}
		s.loadZone(r.Context(), id)
		id.pageZone = true
		if !id.can(role) {
			s.renderStatus(w, r, id, http.StatusForbidden, fmt.Sprintf("Your role (%s) cannot do this; it needs %s.", id.Account.Role, role))
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, id)))
	})
}

// requireAPI guards an API endpoint: 401 without a session or a valid
// bearer token, 403 for a role too low or a session's state change without
// the X-CSRF-Token header. A request with a token is audited whatever its
// outcome, and needs no CSRF token: no browser sends it on its own.
func (s *Server) requireAPI(role string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			s.serveWithToken(w, r, role, h)
			return
		}
		id := s.authenticate(r)
		if id == nil {
			writeError(w, http.StatusUnauthorized, "not signed in: send Authorization: Bearer <API token>, or POST /login first and send the claudit_session cookie")
			return
		}
		if isUnsafe(r.Method) && !s.checkCSRF(r, id) {
			writeError(w, http.StatusForbidden, "missing or wrong X-CSRF-Token header (GET /api/v1/me returns the token)")
			return
		}
		if !id.can(role) {
			writeError(w, http.StatusForbidden, fmt.Sprintf("role %s cannot do this; it needs %s", id.Account.Role, role))
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, id)))
	})
}

func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
}

type loginData struct {
	Next  string
	Email string
	CSRF  string
	// SSO labels the single sign-on button; empty when OIDC is off.
	SSO string
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if s.authenticate(r) != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	s.renderLogin(w, r, http.StatusOK, "", "")
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, email, msg string) {
	// Reuse the pending token so a second tab or a reload keeps the first form valid.
	tok := ""
	if c, err := r.Cookie(loginCSRFCookie); err == nil && len(c.Value) == 32 {
		tok = c.Value
	} else {
		tok = randomToken(24)
	}
	s.setCookie(w, loginCSRFCookie, tok, 3600)
	s.render(w, r, status, "login.html", &pageData{Title: "Sign in", Error: msg, Data: loginData{Next: safeNext(r.FormValue("next")), Email: email, CSRF: tok, SSO: s.ssoLabel()}})
}

// safeNext keeps only same-origin paths so the login cannot redirect
// elsewhere; anything else becomes "/".
func safeNext(next string) string {
	if !localPath(next) {
		return "/"
	}
	return next
}

// maxUnescapes bounds how many layers of percent-encoding localPath peels.
const maxUnescapes = 4

// localPath reports whether next is a path on this origin. Browsers drop tabs
// and newlines, read a backslash as a slash and may decode escapes, so a path
// is refused if it or any decoding of its path part holds a control
// character, a backslash or a leading "//".
func localPath(next string) bool {
	if !strings.HasPrefix(next, "/") || unsafePath(next) {
		return false
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return false
	}
	p := u.EscapedPath()
	for range maxUnescapes {
		dec, err := url.PathUnescape(p)
		if err != nil || unsafePath(dec) {
			return false
		}
		if dec == p {
			return true
		}
		p = dec
	}
	return false // more layers of encoding than any real link has
}

// unsafePath reports a leading "//", a backslash or a control character.
func unsafePath(p string) bool {
	if strings.HasPrefix(p, "//") {
		return true
	}
	return strings.ContainsFunc(p, func(r rune) bool { return r == '\\' || unicode.IsControl(r) })
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// dummyHash keeps login timing similar for unknown emails.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("claudit-dummy-password"), bcrypt.DefaultCost)

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(loginCSRFCookie)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue(csrfField))) != 1 || !s.sameOrigin(r) {
		s.renderLogin(w, r, http.StatusForbidden, "", "The sign-in form expired; try again.")
		return
	}
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	password := r.PostFormValue("password")
	ctx, ip, now := r.Context(), clientIP(r), s.now()
	// A locked account or address is refused before the password is looked
	// at, so the answer cannot tell a right password from a wrong one.
	wait, err := s.loginLockedFor(ctx, email, ip, now)
	if err != nil {
		s.log.Error("read sign-in locks", "err", err)
		s.renderLogin(w, r, http.StatusInternalServerError, email, "Could not sign in: the database is unavailable.")
		return
	}
	if wait > 0 {
		s.refuseLocked(w, r, email, wait)
		return
	}
	acct, err := s.ws.AccountByEmail(ctx, email)
	ok := false
	if err != nil || acct.Disabled {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
	} else {
		ok = bcrypt.CompareHashAndPassword([]byte(acct.PasswordHash), []byte(password)) == nil
	}
	if !ok {
		s.auditAs(ctx, nil, ip, "login_failed", "account", email, "")
		wait, err := s.countLoginFailure(ctx, email, ip, now)
		if err != nil {
			s.log.Error("count failed sign-in", "err", err)
		}
		if wait > 0 {
			s.refuseLocked(w, r, email, wait)
			return
		}
		s.renderLogin(w, r, http.StatusUnauthorized, email, "Wrong email or password.")
		return
	}
	if err := s.ws.ClearLoginThrottle(ctx, accountKey(email)); err != nil {
		s.log.Error("clear failed sign-ins", "err", err)
	}
	if err := s.startSession(w, r, acct, ""); err != nil {
		s.log.Error("create session", "err", err)
		s.renderLogin(w, r, http.StatusInternalServerError, email, "Could not sign in: the database is unavailable.")
		return
	}
	_, _ = s.ws.PruneLoginThrottles(ctx, now.Add(-max(s.cfg.AccountLimit.Window, s.cfg.AddressLimit.Window)))
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

// startSession signs acct in: a new session, its cookie, and an audited
// login whose detail says how (empty for a password).
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, acct *store.Account, how string) error {
	ctx, now := r.Context(), s.now()
	tok := randomToken(32)
	sess := &store.WebSession{ID: hashToken(tok), AccountID: acct.ID, CSRFToken: randomToken(32), IP: clientIP(r),
		UserAgent: truncate(r.UserAgent(), 300), CreatedAt: now, LastSeenAt: now, ExpiresAt: s.sessionExpiry(now, now)}
	if err := s.ws.CreateWebSession(ctx, sess); err != nil {
		return err
	}
	_ = s.ws.TouchAccountLogin(ctx, acct.ID, now)
	_, _ = s.ws.PruneWebSessions(ctx, now)
	s.setCookie(w, sessionCookie, tok, 0)
	s.setCookie(w, loginCSRFCookie, "", -1)
	s.auditAs(ctx, &identity{Account: acct, Session: sess}, clientIP(r), "login", "account", acct.Email, how)
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	id := s.authenticate(r)
	if id != nil {
		if !s.checkCSRF(r, id) {
			http.Error(w, "CSRF check failed", http.StatusForbidden)
			return
		}
		_ = s.ws.DeleteWebSession(r.Context(), id.Session.ID)
		s.auditAs(r.Context(), id, clientIP(r), "logout", "account", id.Account.Email, "")
	}
	s.setCookie(w, sessionCookie, "", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// setFlash shows msg once on the next page.
func (s *Server) setFlash(w http.ResponseWriter, msg string) {
	s.setCookie(w, flashCookie, base64.RawURLEncoding.EncodeToString([]byte(truncate(msg, 600))), 60)
}

func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	s.setCookie(w, flashCookie, "", -1)
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return ""
	}
	return string(b)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// HashPassword hashes a password with bcrypt after checking its length.
func HashPassword(password string) (string, error) {
	if len(password) < minPasswordBytes {
		return "", fmt.Errorf("password too short: use at least %d characters", minPasswordBytes)
	}
	if len(password) > 72 {
		return "", errors.New("password too long: bcrypt uses at most 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// AddUser creates a local account (`claudit user add`). An empty password
// generates one, which is returned so the caller can print it once.
func AddUser(ctx context.Context, ws store.Store, email, role, password string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if !strings.Contains(email, "@") {
		return "", fmt.Errorf("email %q: use the person's email address", email)
	}
	if !slices.Contains(Roles, role) {
		return "", fmt.Errorf("role %q: use one of %s", role, strings.Join(Roles, ", "))
	}
	if password == "" {
		password = randomToken(15)
	}
	h, err := HashPassword(password)
	if err != nil {
		return "", err
	}
	if err := ws.CreateAccount(ctx, &store.Account{Email: email, Role: role, PasswordHash: h}); err != nil {
		if errors.Is(err, store.ErrExists) {
			return "", fmt.Errorf("account %s %w", email, store.ErrExists)
		}
		return "", err
	}
	return password, nil
}

// EnsureAdmin creates a first admin with a random password, printed once to
// w, when no account exists yet. It does nothing otherwise, including when
// another process sharing the database creates that admin first.
func EnsureAdmin(ctx context.Context, ws store.Store, email string, w io.Writer) error {
	n, err := ws.CountAccounts(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if email == "" {
		email = "admin@localhost"
	}
	pw, err := AddUser(ctx, ws, email, store.RoleAdmin, "")
	if errors.Is(err, store.ErrExists) {
		return nil // another process starting at the same time created it, and printed its password
	}
	if err != nil {
		return fmt.Errorf("create first admin: %w", err)
	}
	fmt.Fprintf(w, "created the first dashboard account: %s with password %s\n(shown once: sign in and keep it safe, or add accounts with `claudit user add`)\n", email, pw)
	return nil
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) error {
	id := identityFrom(r)
	writeJSON(w, http.StatusOK, map[string]any{"account": id.Account, "csrf_token": id.csrf(), "token": id.Token, "redacted": id.redacted()})
	return nil
}
