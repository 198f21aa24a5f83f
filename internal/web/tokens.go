package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// Personal API tokens: bearer credentials for the JSON API, for SIEM and
// SOAR automation. A token is shown once when created; the store keeps only
// its SHA-256. It acts for its owner with at most the role it was given, and
// never more than the owner's role at the time of use, until it expires or
// is revoked. Every request made with one is recorded in the access audit.

const (
	// tokenPrefix starts every token, so secret scanners and people can tell one.
	tokenPrefix = "claudit_"
	// DefaultTokenDays and MaxTokenDays bound a token's lifetime.
	DefaultTokenDays = 90
	MaxTokenDays     = 366
)

// lowerRole is the less powerful of two roles.
func lowerRole(a, b string) string {
	if roleRank(a) <= roleRank(b) {
		return a
	}
	return b
}

// bearerToken reads "Authorization: Bearer <token>"; ok is false for any
// other scheme.
func bearerToken(r *http.Request) (string, bool) {
	scheme, tok, found := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// errTokenRefused answers a token that is unknown, expired, revoked or whose
// account is disabled, without saying which.
var errTokenRefused = errors.New("the API token is unknown, expired or revoked: create a new one on the API tokens page")

// tokenIdentity resolves a bearer token.
func (s *Server) tokenIdentity(ctx context.Context, tok string) (*identity, error) {
	refused := errTokenRefused
	if !strings.HasPrefix(tok, tokenPrefix) {
		return nil, refused
	}
	t, err := s.ws.APITokenByHash(ctx, hashToken(tok))
	if errors.Is(err, store.ErrNotFound) {
		return nil, refused
	}
	if err != nil {
		return nil, fmt.Errorf("read api token: %w", err)
	}
	now := s.now()
	if !t.RevokedAt.IsZero() || (!t.ExpiresAt.IsZero() && !t.ExpiresAt.After(now)) {
		return nil, refused
	}
	acct, err := s.ws.AccountByID(ctx, t.AccountID)
	if err != nil || acct.Disabled {
		return nil, refused
	}
	acct.Role = lowerRole(t.Role, acct.Role)
	// Record the latest use at most once a minute; the audit has every one.
	if now.Sub(t.LastUsedAt) > time.Minute {
		t.LastUsedAt = now
		if err := s.ws.TouchAPIToken(ctx, t.ID, now); err != nil {
			s.log.Warn("record api token use", "token", t.ID, "err", err)
		}
	}
	return &identity{Account: acct, Token: t}, nil
}

// serveWithToken answers an API request that carries an Authorization
// header, and audits it with its outcome.
func (s *Server) serveWithToken(w http.ResponseWriter, r *http.Request, role string, h http.HandlerFunc) {
	tok, ok := bearerToken(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="claudit"`)
		writeError(w, http.StatusUnauthorized, "use Authorization: Bearer <API token>")
		return
	}
	id, err := s.tokenIdentity(r.Context(), tok)
	if err != nil {
		if !errors.Is(err, errTokenRefused) {
			s.apiFail(w, r, err)
			return
		}
		s.log.Info("api token refused", "ip", clientIP(r), "path", r.URL.Path)
		w.Header().Set("WWW-Authenticate", `Bearer realm="claudit", error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, err.Error())
		return
	}
	r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, id))
	sw := &statusWriter{ResponseWriter: w}
	if id.can(role) {
		h(sw, r)
	} else {
		writeError(sw, http.StatusForbidden, fmt.Sprintf("this token's role %s cannot do this; it needs %s", id.Account.Role, role))
	}
	if sw.code == 0 {
		sw.code = http.StatusOK
	}
	s.audit(r, "use", "api_token", strconv.FormatInt(id.Token.ID, 10),
		fmt.Sprintf("%s %s -> %d (token %s)", r.Method, r.URL.RequestURI(), sw.code, id.Token.Name))
}

// tokenRequest is the body of POST /api/v1/tokens and the form of /tokens.
type tokenRequest struct {
	Name string `json:"name"`
	// Role defaults to the owner's; it cannot exceed it.
	Role string `json:"role"`
	// ExpiresInDays defaults to DefaultTokenDays, at most MaxTokenDays.
	ExpiresInDays int `json:"expires_in_days"`
}

// createToken makes a token for the request's account and returns its text.
func (s *Server) createToken(r *http.Request, req tokenRequest) (*store.APIToken, string, error) {
	id := identityFrom(r)
	if id.Token != nil {
		return nil, "", badf("an API token cannot create tokens: sign in to the dashboard to create one")
	}
	name := strings.TrimSpace(req.Name)
	if name == "" || len(name) > 100 {
		return nil, "", badf("name: give the token a name of 1 to 100 characters, such as the system that will use it")
	}
	role := req.Role
	if role == "" {
		role = id.Account.Role
	}
	if !slices.Contains(Roles, role) {
		return nil, "", badf("role %q: use one of %s", role, strings.Join(Roles, ", "))
	}
	if roleRank(role) > roleRank(id.Account.Role) {
		return nil, "", badf("role %s is above your own (%s): a token can have your role or a lower one", role, id.Account.Role)
	}
	days := req.ExpiresInDays
	if days == 0 {
		days = DefaultTokenDays
	}
	if days < 1 || days > MaxTokenDays {
		return nil, "", badf("expires_in_days %d: use 1 to %d", days, MaxTokenDays)
	}
	text := tokenPrefix + randomToken(32)
	now := s.now()
	t := &store.APIToken{AccountID: id.Account.ID, Email: id.Account.Email, Name: name, Prefix: text[:len(tokenPrefix)+6],
		Hash: hashToken(text), Role: role, CreatedAt: now, ExpiresAt: now.Add(time.Duration(days) * 24 * time.Hour)}
	if err := s.ws.CreateAPIToken(r.Context(), t); err != nil {
		return nil, "", err
	}
	s.audit(r, "create", "api_token", strconv.FormatInt(t.ID, 10), fmt.Sprintf("%s role=%s expires=%s", name, role, t.ExpiresAt.UTC().Format(time.RFC3339)))
	return t, text, nil
}

// visibleTokens lists the request account's tokens, or every token for an admin.
func (s *Server) visibleTokens(r *http.Request) ([]store.APIToken, error) {
	id := identityFrom(r)
	owner := id.Account.ID
	if id.can(store.RoleAdmin) {
		owner = 0
	}
	return s.ws.APITokens(r.Context(), owner)
}

// revokeToken revokes one of the account's tokens; an admin may revoke any.
func (s *Server) revokeToken(r *http.Request, raw string) (*store.APIToken, error) {
	tid, err := parseID(raw)
	if err != nil {
		return nil, err
	}
	id := identityFrom(r)
	t, err := s.ws.APIToken(r.Context(), tid)
	if err != nil {
		return nil, err
	}
	if t.AccountID != id.Account.ID && !id.can(store.RoleAdmin) {
		return nil, fmt.Errorf("api token %d: %w", tid, store.ErrNotFound) // not theirs to see
	}
	if err := s.ws.RevokeAPIToken(r.Context(), t.ID, s.now()); err != nil {
		return nil, err
	}
	s.audit(r, "revoke", "api_token", strconv.FormatInt(t.ID, 10), fmt.Sprintf("%s of %s", t.Name, t.Email))
	return t, nil
}

func (s *Server) apiTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.visibleTokens(r)
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []store.APIToken{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": ts})
	return nil
}

func (s *Server) apiTokenCreate(w http.ResponseWriter, r *http.Request) error {
	var req tokenRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil {
		return errStatus(http.StatusBadRequest, "body: send JSON like {\"name\": \"siem\", \"role\": \"viewer\", \"expires_in_days\": 90}")
	}
	t, text, err := s.createToken(r, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": text, "api_token": t,
		"note": "the token is shown once: store it in your secret manager now"})
	return nil
}

func (s *Server) apiTokenRevoke(w http.ResponseWriter, r *http.Request) error {
	t, err := s.revokeToken(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	t.RevokedAt = s.now()
	writeJSON(w, http.StatusOK, map[string]any{"api_token": t})
	return nil
}

type tokensData struct {
	Tokens []store.APIToken
	Roles  []string // the roles a new token may have
	// Created is a token just made, with its text shown once.
	Created     *store.APIToken
	CreatedText string
	DefaultDays int
	MaxDays     int
}

func (s *Server) tokensPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderTokens(w, r, nil, "")
}

func (s *Server) renderTokens(w http.ResponseWriter, r *http.Request, created *store.APIToken, text string) error {
	ts, err := s.visibleTokens(r)
	if err != nil {
		return err
	}
	me := identityFrom(r).Account
	var roles []string
	for _, role := range Roles {
		if roleRank(role) <= roleRank(me.Role) {
			roles = append(roles, role)
		}
	}
	s.render(w, r, http.StatusOK, "tokens.html", &pageData{Title: "API tokens", Nav: "tokens",
		Data: tokensData{Tokens: ts, Roles: roles, Created: created, CreatedText: text, DefaultDays: DefaultTokenDays, MaxDays: MaxTokenDays}})
	return nil
}

func (s *Server) tokenCreateSubmit(w http.ResponseWriter, r *http.Request) error {
	req := tokenRequest{Name: r.PostFormValue("name"), Role: r.PostFormValue("role")}
	if v := r.PostFormValue("expires_in_days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return badf("expires in %q: use a number of days", v)
		}
		req.ExpiresInDays = n
	}
	t, text, err := s.createToken(r, req)
	if err != nil {
		return err
	}
	return s.renderTokens(w, r, t, text)
}

func (s *Server) tokenRevokeSubmit(w http.ResponseWriter, r *http.Request) error {
	t, err := s.revokeToken(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.setFlash(w, fmt.Sprintf("Revoked the API token %q (%s…).", t.Name, t.Prefix))
	http.Redirect(w, r, "/tokens", http.StatusSeeOther)
	return nil
}
