package web

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/claudit/claudit/internal/store"
)

// OIDCConfig turns on single sign-on through an OpenID Connect provider
// (Okta, Entra ID, Google, Keycloak, ...). A person signs in with the
// provider; claudit verifies the ID token, reads the provider's userinfo,
// maps a claim to a role and signs the matching account in, creating it on
// first sign-in. The provider's claims decide the role at every sign-in.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL; its discovery document is read
	// on the first sign-in (and again after a failure).
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is this dashboard's /login/oidc/callback as the provider
	// knows it.
	RedirectURL string
	// Scopes are asked for besides openid (default email and profile).
	Scopes []string
	// RoleClaim names the claim holding a person's groups or roles, a
	// string or a list of strings (default "groups").
	RoleClaim string
	// Roles maps a role (admin, analyst, viewer) to the claim values that
	// grant it; the most powerful match wins.
	Roles map[string][]string
	// DefaultRole is the role of a person whose claim matches none; empty
	// refuses them.
	DefaultRole string
	// Label is the sign-in button's text.
	Label string
	// HTTPClient reaches the provider (default: one with a 15s timeout).
	HTTPClient *http.Client
}

const (
	oidcCookie     = "claudit_oidc"
	oidcCookiePath = "/login/oidc"
)

// sso is the OIDC relying party of a server.
type sso struct {
	cfg OIDCConfig

	mu       sync.Mutex
	provider *oidc.Provider
}

func newSSO(cfg OIDCConfig) (*sso, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, errors.New("web: OIDC needs an issuer, a client id and a redirect URL")
	}
	if cfg.DefaultRole != "" && !slices.Contains(Roles, cfg.DefaultRole) {
		return nil, fmt.Errorf("web: OIDC default role %q: use one of %s", cfg.DefaultRole, strings.Join(Roles, ", "))
	}
	for role := range cfg.Roles {
		if !slices.Contains(Roles, role) {
			return nil, fmt.Errorf("web: OIDC role %q: use one of %s", role, strings.Join(Roles, ", "))
		}
	}
	if cfg.RoleClaim == "" {
		cfg.RoleClaim = "groups"
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{"email", "profile"}
	}
	if cfg.Label == "" {
		cfg.Label = "Sign in with single sign-on"
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	return &sso{cfg: cfg}, nil
}

func (s *Server) ssoLabel() string {
	if s.sso == nil {
		return ""
	}
	return s.sso.cfg.Label
}

// ctx carries the provider HTTP client for go-oidc and oauth2.
func (o *sso) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, o.cfg.HTTPClient)
}

// discover reads the provider's discovery document once; a failure is
// retried on the next sign-in, so claudit starts while the provider is down.
func (o *sso) discover(ctx context.Context) (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	p, err := oidc.NewProvider(o.ctx(ctx), o.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discover OIDC provider %s: %w", o.cfg.Issuer, err)
	}
	o.provider = p
	return p, nil
}

func (o *sso) oauth(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, RedirectURL: o.cfg.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: append([]string{oidc.ScopeOpenID}, o.cfg.Scopes...)}
}

// oidcState is what the browser keeps, in a short-lived cookie, between
// leaving for the provider and coming back: it ties the callback to the
// browser that started it (state), the ID token to this sign-in (nonce) and
// the code to this client (PKCE verifier).
type oidcState struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"x"`
}

// oidcStart sends the browser to the provider.
func (s *Server) oidcStart(w http.ResponseWriter, r *http.Request) {
	p, err := s.sso.discover(r.Context())
	if err != nil {
		s.log.Error("single sign-on unavailable", "err", err)
		s.renderLogin(w, r, http.StatusBadGateway, "", "Single sign-on is unavailable: the identity provider did not answer. Try again, or sign in with a password.")
		return
	}
	st := oidcState{State: randomToken(24), Nonce: randomToken(24), Verifier: oauth2.GenerateVerifier(), Next: safeNext(r.FormValue("next"))}
	b, _ := json.Marshal(st)
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: oidcCookiePath,
		MaxAge: 600, HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	u := s.sso.oauth(p).AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier))
	http.Redirect(w, r, u, http.StatusFound)
}

// oidcCallback finishes a sign-in the provider sent back.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: oidcCookiePath, MaxAge: -1, HttpOnly: true,
		Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	st, ok := readOIDCState(r)
	if !ok || subtle.ConstantTimeCompare([]byte(st.State), []byte(r.FormValue("state"))) != 1 {
		s.renderLogin(w, r, http.StatusBadRequest, "", "The single sign-on attempt expired or did not start here; try again.")
		return
	}
	if e := r.FormValue("error"); e != "" {
		s.auditAs(r.Context(), nil, clientIP(r), "login_failed", "account", "", "oidc: provider answered "+truncate(e, 100))
		s.renderLogin(w, r, http.StatusUnauthorized, "", "The identity provider refused the sign-in ("+truncate(e, 100)+").")
		return
	}
	who, err := s.sso.identify(r.Context(), r.FormValue("code"), st)
	if err != nil {
		s.log.Warn("single sign-on failed", "err", err)
		s.auditAs(r.Context(), nil, clientIP(r), "login_failed", "account", who.Email, "oidc: "+truncate(err.Error(), 300))
		s.renderLogin(w, r, http.StatusUnauthorized, "", "Single sign-on failed: "+userMessage(err))
		return
	}
	acct, err := s.ssoAccount(r.Context(), who)
	if err != nil {
		s.log.Warn("single sign-on refused", "email", who.Email, "err", err)
		s.auditAs(r.Context(), nil, clientIP(r), "login_failed", "account", who.Email, "oidc: "+truncate(err.Error(), 300))
		s.renderLogin(w, r, http.StatusForbidden, "", "Single sign-on failed: "+userMessage(err))
		return
	}
	if err := s.startSession(w, r, acct, fmt.Sprintf("oidc %s sub=%s", s.sso.cfg.Issuer, truncate(who.Subject, 200))); err != nil {
		s.log.Error("create session", "err", err)
		s.renderLogin(w, r, http.StatusInternalServerError, "", "Could not sign in: the database is unavailable.")
		return
	}
	http.Redirect(w, r, safeNext(st.Next), http.StatusSeeOther)
}

func readOIDCState(r *http.Request) (oidcState, bool) {
	var st oidcState
	c, err := r.Cookie(oidcCookie)
	if err != nil {
		return st, false
	}
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || json.Unmarshal(b, &st) != nil || st.State == "" || st.Nonce == "" || st.Verifier == "" {
		return st, false
	}
	return st, true
}

// ssoError is a refusal whose message a person can act on.
type ssoError struct{ msg string }

func (e ssoError) Error() string { return e.msg }

// userMessage shows a refusal as is and anything else generically (the
// details are in the log and the audit).
func userMessage(err error) string {
	var se ssoError
	if errors.As(err, &se) {
		return se.msg
	}
	return "the identity provider's answer could not be verified; the error was logged."
}

// ssoPerson is who the provider says signed in, and with which role.
type ssoPerson struct {
	Subject string
	Email   string
	Role    string
}

// identify exchanges the code, verifies the ID token and its nonce, reads
// userinfo, and maps the claims to a role.
func (o *sso) identify(ctx context.Context, code string, st oidcState) (ssoPerson, error) {
	var who ssoPerson
	p, err := o.discover(ctx)
	if err != nil {
		return who, err
	}
	ctx = o.ctx(ctx)
	tok, err := o.oauth(p).Exchange(ctx, code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return who, fmt.Errorf("exchange code: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return who, errors.New("the token response has no id_token")
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: o.cfg.ClientID}).Verify(ctx, raw)
	if err != nil {
		return who, fmt.Errorf("verify id token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(st.Nonce)) != 1 {
		return who, errors.New("id token nonce does not match this sign-in")
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return who, fmt.Errorf("read id token claims: %w", err)
	}
	if p.UserInfoEndpoint() != "" {
		ui, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return who, fmt.Errorf("read userinfo: %w", err)
		}
		if ui.Subject != idt.Subject {
			return who, errors.New("userinfo is about another subject than the id token")
		}
		more := map[string]any{}
		if err := ui.Claims(&more); err != nil {
			return who, fmt.Errorf("read userinfo claims: %w", err)
		}
		for k, v := range more {
			claims[k] = v
		}
	}
	who.Subject = idt.Subject
	who.Email, _ = claims["email"].(string)
	who.Email = strings.ToLower(strings.TrimSpace(who.Email))
	if !strings.Contains(who.Email, "@") {
		return who, ssoError{"the identity provider sent no email address: ask for the email scope and claim."}
	}
	if v, ok := claims["email_verified"].(bool); ok && !v {
		return who, ssoError{"the identity provider has not verified your email address."}
	}
	who.Role = o.role(claims[o.cfg.RoleClaim])
	if who.Role == "" {
		return who, ssoError{fmt.Sprintf("your %s grant no claudit role: ask an admin to add you to a group that maps to admin, analyst or viewer.", o.cfg.RoleClaim)}
	}
	return who, nil
}

// role maps a claim value (a string or a list) to the most powerful role it
// grants, or DefaultRole.
func (o *sso) role(claim any) string {
	var values []string
	switch v := claim.(type) {
	case string:
		values = []string{v}
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				values = append(values, s)
			}
		}
	}
	for _, role := range Roles { // most powerful first
		for _, want := range o.cfg.Roles[role] {
			if slices.Contains(values, want) {
				return role
			}
		}
	}
	return o.cfg.DefaultRole
}

// ssoAccount finds or creates the account of who, with the role the
// provider's claims give; a disabled account stays refused.
func (s *Server) ssoAccount(ctx context.Context, who ssoPerson) (*store.Account, error) {
	acct, err := s.ws.AccountByEmail(ctx, who.Email)
	if errors.Is(err, store.ErrNotFound) {
		// No password: such an account signs in only through the provider
		// (until an admin resets its password).
		acct = &store.Account{Email: who.Email, Role: who.Role}
		if err := s.ws.CreateAccount(ctx, acct); err != nil && !errors.Is(err, store.ErrExists) {
			return nil, err
		} else if err == nil {
			s.auditAs(ctx, nil, "", "create", "account", acct.Email, "role "+acct.Role+" (single sign-on)")
			return acct, nil
		}
		// Created at the same moment by another replica: read it.
		acct, err = s.ws.AccountByEmail(ctx, who.Email)
	}
	if err != nil {
		return nil, err
	}
	if acct.Disabled {
		return nil, ssoError{"your claudit account is disabled: ask an admin."}
	}
	if acct.Role != who.Role {
		old := acct.Role
		acct.Role = who.Role
		if err := s.ws.UpdateAccount(ctx, acct); err != nil {
			return nil, err
		}
		// Sessions with the old role end, as when an admin changes it.
		if err := s.ws.DeleteAccountSessions(ctx, acct.ID); err != nil {
			return nil, err
		}
		s.auditAs(ctx, nil, "", "update", "account", acct.Email, fmt.Sprintf("role %s -> %s (single sign-on claims)", old, acct.Role))
	}
	return acct, nil
}
