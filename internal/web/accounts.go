package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/claudit/claudit/internal/store"
)

type accountsData struct {
	Accounts []store.Account
	Roles    []string
	Password string // a generated password, shown once
	Email    string
	// Lockouts are the sign-in locks in force.
	Lockouts []store.LoginThrottle
}

func (s *Server) accountsPage(w http.ResponseWriter, r *http.Request) {
	s.renderAccounts(w, r, "", "")
}

func (s *Server) renderAccounts(w http.ResponseWriter, r *http.Request, email, password string) {
	as, err := s.ws.Accounts(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ls, err := s.lockouts(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "accounts.html", &pageData{Title: "Accounts", Nav: "accounts",
		Data: accountsData{Accounts: as, Roles: Roles, Password: password, Email: email, Lockouts: ls}})
}

func (s *Server) apiAccounts(w http.ResponseWriter, r *http.Request) {
	as, err := s.ws.Accounts(r.Context())
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	if as == nil {
		as = []store.Account{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"accounts": as})
}

// accountCreateSubmit adds an account; without a password one is generated and shown once.
func (s *Server) accountCreateSubmit(w http.ResponseWriter, r *http.Request) {
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	given := r.PostFormValue("password")
	pw, err := AddUser(r.Context(), s.ws, email, r.PostFormValue("role"), given)
	if err != nil {
		s.fail(w, r, badf("%v", err))
		return
	}
	s.audit(r, "create", "account", email, "role "+r.PostFormValue("role"))
	if given != "" {
		pw = ""
	}
	s.renderAccounts(w, r, email, pw)
}

// accountEditSubmit changes an account's role, disables or enables it, or resets its password.
func (s *Server) accountEditSubmit(w http.ResponseWriter, r *http.Request) {
	ctx, me := r.Context(), identityFrom(r)
	aid, err := parseID(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	a, err := s.ws.AccountByID(ctx, aid)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if a.ID == me.Account.ID {
		s.fail(w, r, badf("you cannot change your own account here; ask another admin"))
		return
	}
	shown := ""
	switch action := r.PostFormValue("action"); action {
	case "role":
		role := r.PostFormValue("role")
		if !slices.Contains(Roles, role) {
			s.fail(w, r, badf("role %q: use one of %s", role, strings.Join(Roles, ", ")))
			return
		}
		a.Role = role
	case "disable", "enable":
		a.Disabled = action == "disable"
	case "reset":
		shown = randomToken(15)
		if a.PasswordHash, err = HashPassword(shown); err != nil {
			s.fail(w, r, err)
			return
		}
	default:
		s.fail(w, r, badf("action %q: use role, disable, enable or reset", action))
		return
	}
	if err := s.ws.UpdateAccount(ctx, a); err != nil {
		s.fail(w, r, err)
		return
	}
	// Any change to an account signs it out so the new rights apply at once.
	if err := s.ws.DeleteAccountSessions(ctx, a.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, "update", "account", a.Email, fmt.Sprintf("%s role=%s disabled=%t", r.PostFormValue("action"), a.Role, a.Disabled))
	s.renderAccounts(w, r, a.Email, shown)
}
