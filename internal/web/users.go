package web

import (
	"net/http"
	"net/url"

	"github.com/claudit/claudit/internal/store"
)

type usersData struct {
	Users        []userRow
	Names        map[int64]string
	Integrations []store.Integration
	Query        url.Values
}

// userRow is a user with their risk score (0 without violations in the
// risk window).
type userRow struct {
	store.User
	Risk       float64 `json:"risk"`
	Violations int     `json:"violations"`
}

// listUsers lists users by email, or with sort=risk the users with
// violations by risk score, highest first.
func (s *Server) listUsers(r *http.Request) ([]userRow, error) {
	ctx, q := r.Context(), r.URL.Query()
	text, err := searchText(q)
	if err != nil {
		return nil, err
	}
	var iid int64
	if v := q.Get("integration"); v != "" {
		if iid, err = s.integrationParam(ctx, v); err != nil {
			return nil, err
		}
	}
	out := []userRow{}
	switch sort := q.Get("sort"); sort {
	case "risk":
		rs := s.riskStore()
		if rs == nil {
			return nil, badf("risk scores are not available with this store")
		}
		risks, err := rs.UserRisks(ctx, store.RiskFilter{IntegrationID: iid, Query: text, Limit: 200, RiskParams: s.riskParams()})
		if err != nil {
			return nil, err
		}
		for _, u := range risks {
			out = append(out, userRow{User: u.User, Risk: u.Score, Violations: u.Violations})
		}
		return out, nil
	case "", "email":
	default:
		return nil, badf("sort %q: use email or risk", sort)
	}
	us, err := s.st.Users(ctx, iid, text, 200)
	if err != nil {
		return nil, err
	}
	risks, err := s.userRisks(ctx, us)
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		r := risks[riskKey(u.IntegrationID, u.ID)]
		out = append(out, userRow{User: u, Risk: r.Score, Violations: r.Violations})
	}
	return out, nil
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request) error {
	us, err := s.listUsers(r)
	if err != nil {
		return err
	}
	names, ins := s.integrationNames(r.Context())
	s.render(w, r, http.StatusOK, "users.html", &pageData{Title: "Users", Nav: "users", Data: usersData{Users: us, Names: names, Integrations: ins, Query: r.URL.Query()}})
	return nil
}

func (s *Server) apiUsers(w http.ResponseWriter, r *http.Request) error {
	us, err := s.listUsers(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": us})
	return nil
}

type userData struct {
	User        store.User       `json:"user"`
	Integration string           `json:"integration"`
	Prompts     []store.Message  `json:"recent_prompts"`
	Access      []store.Activity `json:"recent_access"`
	Chats       []store.Chat     `json:"sessions"`
	Alerts      []store.Alert    `json:"alerts"`
	Findings    map[string][]store.Finding
	// Groups are the directory groups the user is a member of.
	Groups []store.Group `json:"groups"`
	// Risk is the user's risk score and the violations behind it.
	Risk store.UserRisk `json:"risk"`
}

func (s *Server) loadUser(r *http.Request) (*userData, error) {
	ctx, id := r.Context(), identityFrom(r)
	iid, err := parseID(r.PathValue("iid"))
	if err != nil {
		return nil, err
	}
	uid := r.PathValue("id")
	us, err := s.st.Users(ctx, iid, uid, 50)
	if err != nil {
		return nil, err
	}
	d := &userData{}
	found := false
	for _, u := range us {
		if u.ID == uid {
			d.User, found = u, true
		}
	}
	if !found {
		d.User = store.User{IntegrationID: iid, ID: uid}
	}
	if in, err := s.st.IntegrationByID(ctx, iid); err == nil {
		d.Integration = in.Name
	}
	d.Groups = []store.Group{}
	gs, err := s.st.UserGroups(ctx, iid, uid)
	if err != nil {
		return nil, err
	}
	d.Groups = append(d.Groups, gs...)
	f := store.EventFilter{IntegrationID: iid, User: uid, Limit: 20}
	pl, err := s.listEvents(ctx, id, withKind(f, "prompt"))
	if err != nil {
		return nil, err
	}
	al, err := s.listEvents(ctx, id, withKind(f, "access"))
	if err != nil {
		return nil, err
	}
	d.Prompts, d.Access, d.Findings = pl.Prompts, al.Access, pl.Findings
	if d.Chats, err = s.ws.Chats(ctx, store.ChatFilter{IntegrationID: iid, User: uid, Limit: 20}); err != nil {
		return nil, err
	}
	if !found && len(d.Prompts) == 0 && len(d.Access) == 0 && len(d.Chats) == 0 {
		return nil, store.ErrNotFound
	}
	d.Risk = store.UserRisk{User: d.User}
	if rs := s.riskStore(); rs != nil {
		risks, err := rs.UserRisks(ctx, store.RiskFilter{IntegrationID: iid, UserID: uid, RiskParams: s.riskParams()})
		if err != nil {
			return nil, err
		}
		if len(risks) > 0 {
			d.Risk = risks[0]
		}
	}
	if s.alerts != nil {
		if d.Alerts, err = s.alerts.Alerts(ctx, store.AlertFilter{IntegrationID: iid, User: uid, Limit: 20}); err != nil {
			return nil, err
		}
		if id.redacted() {
			redactAlerts(d.Alerts)
		}
	}
	return d, nil
}

func withKind(f store.EventFilter, kind string) store.EventFilter {
	f.Kind = kind
	return f
}

func (s *Server) userPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.loadUser(r)
	if err != nil {
		return err
	}
	s.audit(r, "view", "user", r.PathValue("iid")+"/"+r.PathValue("id"), "")
	s.render(w, r, http.StatusOK, "user.html", &pageData{Title: "User " + firstNonEmpty(d.User.Email, d.User.ID), Nav: "users", Data: d})
	return nil
}

func (s *Server) apiUser(w http.ResponseWriter, r *http.Request) error {
	d, err := s.loadUser(r)
	if err != nil {
		return err
	}
	s.audit(r, "view", "user", r.PathValue("iid")+"/"+r.PathValue("id"), "")
	writeJSON(w, http.StatusOK, d)
	return nil
}
