package webtest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// The single sign-on tests sign in through a real OpenID Connect provider:
// zitadel/oidc's OpenID Certified provider library (pkg/op), with the
// in-memory storage of its example server and a username/password login
// page, served over loopback. People of the provider carry a "groups" claim.

// SSOPassword is every provider user's password.
const SSOPassword = "sso-password-1"

// SSOUser is a person of the test provider.
type SSOUser struct {
	Email         string
	Groups        []string
	EmailVerified bool
}

// SSOUsers are the provider's people: their groups map to claudit roles
// in SSOConfig, but for the contractor's.
var SSOUsers = []SSOUser{
	{Email: "sso-admin@example.com", Groups: []string{"staff", "claudit-admins"}, EmailVerified: true},
	{Email: "sso-analyst@example.com", Groups: []string{"soc"}, EmailVerified: true},
	{Email: "sso-viewer@example.com", Groups: []string{"staff"}, EmailVerified: true},
	{Email: "contractor@example.com", Groups: []string{"contractors"}, EmailVerified: true},
}

// SSOGroups maps claudit roles to the provider's groups, as an operator
// would in the oidc section of the config.
var SSOGroups = map[string][]string{"admin": {"claudit-admins"}, "analyst": {"soc"}, "viewer": {"staff"}}

// Provider is a running OpenID Connect provider on 127.0.0.1.
type Provider struct {
	// Issuer is its URL, as in the ID tokens it signs.
	Issuer       string
	ClientID     string
	ClientSecret string
	srv          *httptest.Server
}

// StartProvider serves a provider with one confidential web client that
// may redirect only to redirectURL.
func StartProvider(redirectURL string) (*Provider, error) {
	var h http.Handler
	ready := make(chan struct{}) // closed once h is set
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-ready
		h.ServeHTTP(w, r)
	}))
	p := &Provider{Issuer: srv.URL, ClientID: "claudit", ClientSecret: "claudit-client-secret", srv: srv}
	clients := map[string]*storage.Client{p.ClientID: storage.WebClient(p.ClientID, p.ClientSecret, redirectURL)}
	st := &groupsStorage{Storage: storage.NewStorageWithClients(newSSOUserStore(), clients)}
	provider, err := op.NewProvider(&op.Config{
		CryptoKey:          sha256.Sum256([]byte("claudit test provider")),
		CodeMethodS256:     true,
		SupportedUILocales: []language.Tag{language.English},
	}, st, op.StaticIssuer(p.Issuer), op.WithAllowInsecure(), op.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		srv.Close()
		return nil, fmt.Errorf("start OIDC provider: %w", err)
	}
	callback := op.AuthCallbackURL(provider)
	mux := http.NewServeMux()
	// The login page the example storage's clients send people to.
	mux.HandleFunc("GET /login/username", func(w http.ResponseWriter, r *http.Request) {
		renderProviderLogin(w, r.FormValue("authRequestID"), "")
	})
	mux.Handle("POST /login/username", op.NewIssuerInterceptor(provider.IssuerFromRequest).HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.FormValue("id")
		if err := st.CheckUsernamePassword(r.FormValue("username"), r.FormValue("password"), id); err != nil {
			renderProviderLogin(w, id, err.Error())
			return
		}
		http.Redirect(w, r, callback(r.Context(), id), http.StatusFound)
	}))
	mux.Handle("/", provider)
	h = mux
	close(ready)
	return p, nil
}

var providerLogin = template.Must(template.New("login").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Example identity provider</title></head>
<body><h1>Example identity provider</h1>
<form method="post" action="/login/username">
<input type="hidden" name="id" value="{{.ID}}">
<label>Username <input id="username" name="username" autocomplete="username"></label>
<label>Password <input id="password" name="password" type="password" autocomplete="current-password"></label>
<p id="error">{{.Error}}</p>
<button type="submit" id="submit">Sign in</button>
</form></body></html>`))

func renderProviderLogin(w http.ResponseWriter, id, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = providerLogin.Execute(w, struct{ ID, Error string }{id, msg})
}

// Close stops the provider.
func (p *Provider) Close() { p.srv.Close() }

// groupsStorage adds each person's groups claim to what the example storage
// tells about them, in the ID token and at the userinfo endpoint.
type groupsStorage struct {
	*storage.Storage
}

func (s *groupsStorage) SetUserinfoFromRequest(ctx context.Context, ui *oidc.UserInfo, token op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, ui, token, scopes); err != nil {
		return err
	}
	addGroups(ui, token.GetSubject())
	return nil
}

func (s *groupsStorage) SetUserinfoFromToken(ctx context.Context, ui *oidc.UserInfo, tokenID, subject, origin string) error {
	if err := s.Storage.SetUserinfoFromToken(ctx, ui, tokenID, subject, origin); err != nil {
		return err
	}
	addGroups(ui, subject)
	return nil
}

func addGroups(ui *oidc.UserInfo, subject string) {
	for _, u := range SSOUsers {
		if u.Email == subject {
			ui.AppendClaims("groups", u.Groups)
		}
	}
}

// ssoUserStore is the example storage's user store over SSOUsers; a
// person's id and username are their email.
type ssoUserStore struct{ users map[string]*storage.User }

func newSSOUserStore() ssoUserStore {
	us := ssoUserStore{users: map[string]*storage.User{}}
	for _, u := range SSOUsers {
		us.users[u.Email] = &storage.User{ID: u.Email, Username: u.Email, Password: SSOPassword, FirstName: "Test", LastName: "Person",
			Email: u.Email, EmailVerified: u.EmailVerified, PreferredLanguage: language.English}
	}
	return us
}

func (s ssoUserStore) GetUserByID(id string) *storage.User { return s.users[id] }

func (s ssoUserStore) GetUserByUsername(name string) *storage.User { return s.users[name] }

// ExampleClientID names the example storage's service user, unused here.
func (s ssoUserStore) ExampleClientID() string { return storage.ServiceUserID }
