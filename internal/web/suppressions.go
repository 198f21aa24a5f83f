package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// apiSuppressions lists the rules that silence matching alerts.
func (s *Server) apiSuppressions(w http.ResponseWriter, r *http.Request) error {
	if s.alerts == nil {
		return errNoAlerts
	}
	sups, err := s.alerts.Suppressions(r.Context())
	if err != nil {
		return err
	}
	if sups == nil {
		sups = []store.Suppression{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"suppressions": sups})
	return nil
}

// apiAddSuppression adds a rule: policy, user (id or email) and/or a pattern
// of the excerpt or entity, until a date.
func (s *Server) apiAddSuppression(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Policy  string    `json:"policy"`
		User    string    `json:"user"`
		Pattern string    `json:"pattern"`
		Until   time.Time `json:"until"`
		Reason  string    `json:"reason"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	sp, err := s.addSuppression(r, store.Suppression{Policy: body.Policy, User: body.User, Pattern: body.Pattern, Until: body.Until, Reason: body.Reason})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, sp)
	return nil
}

// addSuppression validates and stores a rule for the API and the page, and
// records it in the access audit.
func (s *Server) addSuppression(r *http.Request, in store.Suppression) (*store.Suppression, error) {
	if s.alerts == nil {
		return nil, errNoAlerts
	}
	if len(in.Reason) > 2000 || len(in.Pattern) > 500 {
		return nil, badf("reason (2000) or pattern (500 characters) too long")
	}
	if strings.TrimSpace(in.Policy+in.User+in.Pattern) == "" {
		return nil, badf("a suppression needs a policy, a user or a pattern")
	}
	if !in.Until.After(time.Now()) {
		return nil, badf("until must be a future RFC 3339 time, e.g. %s", time.Now().Add(7*24*time.Hour).UTC().Format(time.RFC3339))
	}
	sp := &store.Suppression{Policy: strings.TrimSpace(in.Policy), User: strings.TrimSpace(in.User), Pattern: in.Pattern,
		Until: in.Until, Reason: strings.TrimSpace(in.Reason), CreatedBy: identityFrom(r).Account.Email}
	if err := s.alerts.AddSuppression(r.Context(), sp); err != nil {
		return nil, badf("%v", err)
	}
	s.audit(r, "create", "suppression", "", sp.Policy+" "+sp.User+" "+sp.Pattern)
	return sp, nil
}

type suppressionsData struct {
	Enabled      bool
	Suppressions []store.Suppression
	Policies     []string
	// DefaultUntil fills the form's date: a week from today.
	DefaultUntil string
}

// suppressionsPage lists the rules that silence matching alerts, with a
// form to add one and a button to remove each (analysts and admins).
func (s *Server) suppressionsPage(w http.ResponseWriter, r *http.Request) error {
	d := suppressionsData{Enabled: s.alerts != nil, DefaultUntil: s.now().In(locFrom(r.Context())).AddDate(0, 0, 7).Format(time.DateOnly)}
	if s.alerts != nil {
		sups, err := s.alerts.Suppressions(r.Context())
		if err != nil {
			return err
		}
		d.Suppressions = sups
	}
	if s.cfg.Policies != nil {
		for _, p := range s.cfg.Policies.List() {
			d.Policies = append(d.Policies, p.Name)
		}
	}
	s.render(w, r, http.StatusOK, "suppressions.html", &pageData{Title: "Suppressions", Nav: "suppressions", Data: d})
	return nil
}

// suppressionCreateSubmit adds a rule from the page's form; until is a
// date, and the rule lasts to the end of that day in the account's zone.
func (s *Server) suppressionCreateSubmit(w http.ResponseWriter, r *http.Request) error {
	loc := locFrom(r.Context())
	until, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(r.PostFormValue("until")), loc)
	if err != nil {
		return badf("until %q: use a date like %s", r.PostFormValue("until"), s.now().In(loc).Format(time.DateOnly))
	}
	sp, err := s.addSuppression(r, store.Suppression{Policy: r.PostFormValue("policy"), User: r.PostFormValue("user"),
		Pattern: r.PostFormValue("pattern"), Until: until.AddDate(0, 0, 1).Add(-time.Second).UTC(), Reason: r.PostFormValue("reason")})
	if err != nil {
		return err
	}
	s.setFlash(w, "Suppression "+strconv.FormatInt(sp.ID, 10)+" added.")
	http.Redirect(w, r, "/suppressions", http.StatusSeeOther)
	return nil
}

// suppressionDeleteSubmit removes a rule from the page.
func (s *Server) suppressionDeleteSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := s.deleteSuppression(r); err != nil {
		return err
	}
	s.setFlash(w, "Suppression "+r.PathValue("id")+" removed.")
	http.Redirect(w, r, "/suppressions", http.StatusSeeOther)
	return nil
}

// deleteSuppression removes the rule named by the path's id and records it
// in the access audit.
func (s *Server) deleteSuppression(r *http.Request) error {
	if s.alerts == nil {
		return errNoAlerts
	}
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.alerts.DeleteSuppression(r.Context(), id); err != nil {
		return err
	}
	s.audit(r, "delete", "suppression", r.PathValue("id"), "")
	return nil
}

// apiDeleteSuppression removes a rule.
func (s *Server) apiDeleteSuppression(w http.ResponseWriter, r *http.Request) error {
	if err := s.deleteSuppression(r); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
