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

func (s *Server) accountsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderAccounts(w, r, "", "")
}

func (s *Server) renderAccounts(w http.ResponseWriter, r *http.Request, email, password string) error {
	as, err := s.ws.Accounts(r.Context())
	if err != nil {
		return err
	}
	ls, err := s.lockouts(r.Context())
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "accounts.html", &pageData{Title: "Accounts", Nav: "accounts",
		Data: accountsData{Accounts: as, Roles: Roles, Password: password, Email: email, Lockouts: ls}})
	return nil
}

func (s *Server) apiAccounts(w http.ResponseWriter, r *http.Request) error {
	as, err := s.ws.Accounts(r.Context())
	if err != nil {
		return err
	}
	if as == nil {
		as = []store.Account{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"accounts": as})
	return nil
}

// accountCreateSubmit adds an account; without a password one is generated and shown once.
func (s *Server) accountCreateSubmit(w http.ResponseWriter, r *http.Request) error {
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	given := r.PostFormValue("password")
	pw, err := AddUser(r.Context(), s.ws, email, r.PostFormValue("role"), given)
	if err != nil {
		return badf("%v", err)
	}
	s.audit(r, "create", "account", email, "role "+r.PostFormValue("role"))
	if given != "" {
		pw = ""
	}
	return s.renderAccounts(w, r, email, pw)
}

// accountEditSubmit changes an account's role, disables or enables it, or resets its password.
func (s *Server) accountEditSubmit(w http.ResponseWriter, r *http.Request) error {
	ctx, me := r.Context(), identityFrom(r)
	aid, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	a, err := s.ws.AccountByID(ctx, aid)
	if err != nil {
		return err
	}
	if a.ID == me.Account.ID {
		return badf("you cannot change your own account here; ask another admin")
	}
	shown := ""
	switch action := r.PostFormValue("action"); action {
	case "role":
		role := r.PostFormValue("role")
		if !slices.Contains(Roles, role) {
			return badf("role %q: use one of %s", role, strings.Join(Roles, ", "))
		}
		a.Role = role
	case "disable", "enable":
		a.Disabled = action == "disable"
	case "reset":
		shown = randomToken(15)
		if a.PasswordHash, err = HashPassword(shown); err != nil {
			return err
		}
	default:
		return badf("action %q: use role, disable, enable or reset", action)
	}
	if err := s.ws.UpdateAccount(ctx, a); err != nil {
		return err
	}
	// Any change to an account signs it out so the new rights apply at once.
	if err := s.ws.DeleteAccountSessions(ctx, a.ID); err != nil {
		return err
	}
	s.audit(r, "update", "account", a.Email, fmt.Sprintf("%s role=%s disabled=%t", r.PostFormValue("action"), a.Role, a.Disabled))
	return s.renderAccounts(w, r, a.Email, shown)
}
