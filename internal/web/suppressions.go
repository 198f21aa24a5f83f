package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// apiSuppressions lists the rules that silence matching alerts.
func (s *Server) apiSuppressions(w http.ResponseWriter, r *http.Request) {
	if s.alerts == nil {
		s.apiFail(w, r, errNoAlerts)
		return
	}
	sups, err := s.alerts.Suppressions(r.Context())
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	if sups == nil {
		sups = []store.Suppression{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"suppressions": sups})
}

// apiAddSuppression adds a rule: policy, user (id or email) and/or a pattern
// of the excerpt or entity, until a date.
func (s *Server) apiAddSuppression(w http.ResponseWriter, r *http.Request) {
	if s.alerts == nil {
		s.apiFail(w, r, errNoAlerts)
		return
	}
	var body struct {
		Policy  string    `json:"policy"`
		User    string    `json:"user"`
		Pattern string    `json:"pattern"`
		Until   time.Time `json:"until"`
		Reason  string    `json:"reason"`
	}
	if err := decodeJSON(r, &body); err != nil {
		s.apiFail(w, r, err)
		return
	}
	if len(body.Reason) > 2000 || len(body.Pattern) > 500 {
		s.apiFail(w, r, badf("reason (2000) or pattern (500 characters) too long"))
		return
	}
	if strings.TrimSpace(body.Policy+body.User+body.Pattern) == "" {
		s.apiFail(w, r, badf("a suppression needs a policy, a user or a pattern"))
		return
	}
	if !body.Until.After(time.Now()) {
		s.apiFail(w, r, badf("until must be a future RFC 3339 time, e.g. %s", time.Now().Add(7*24*time.Hour).UTC().Format(time.RFC3339)))
		return
	}
	sp := &store.Suppression{Policy: strings.TrimSpace(body.Policy), User: strings.TrimSpace(body.User), Pattern: body.Pattern,
		Until: body.Until, Reason: strings.TrimSpace(body.Reason), CreatedBy: identityFrom(r).Account.Email}
	if err := s.alerts.AddSuppression(r.Context(), sp); err != nil {
		s.apiFail(w, r, badf("%v", err))
		return
	}
	s.audit(r, "create", "suppression", "", sp.Policy+" "+sp.User+" "+sp.Pattern)
	writeJSON(w, http.StatusCreated, sp)
}

// apiDeleteSuppression removes a rule.
func (s *Server) apiDeleteSuppression(w http.ResponseWriter, r *http.Request) {
	if s.alerts == nil {
		s.apiFail(w, r, errNoAlerts)
		return
	}
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	if err := s.alerts.DeleteSuppression(r.Context(), id); err != nil {
		s.apiFail(w, r, err)
		return
	}
	s.audit(r, "delete", "suppression", r.PathValue("id"), "")
	w.WriteHeader(http.StatusNoContent)
}
