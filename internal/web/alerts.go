package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/claudit/claudit/internal/store"
)

// errNoAlerts is shown while no AlertStore is wired.
var errNoAlerts = badf("alerting is not enabled in this build")

// alertActions maps an action name (URL or form) to the status it sets.
var alertActions = map[string]string{
	"acknowledge":    store.AlertAcknowledged,
	"resolve":        store.AlertResolved,
	"false_positive": store.AlertFalsePositive,
	"false-positive": store.AlertFalsePositive,
	"reopen":         store.AlertOpen,
}

func redactAlerts(as []store.Alert) {
	for i := range as {
		if as[i].Excerpt != "" {
			as[i].Excerpt = RedactedMark
		}
	}
}

func (s *Server) parseAlertFilter(ctx context.Context, q url.Values) (store.AlertFilter, error) {
	f := store.AlertFilter{Status: q.Get("status"), Severity: q.Get("severity"), Policy: q.Get("policy"), User: strings.TrimSpace(q.Get("user")), Limit: 100}
	if v := q.Get("integration"); v != "" {
		iid, err := s.integrationParam(ctx, v)
		if err != nil {
			return f, err
		}
		f.IntegrationID = iid
	}
	var err error
	if f.From, err = parseWhen(q.Get("from"), false); err != nil {
		return f, err
	}
	if f.To, err = parseWhen(q.Get("to"), true); err != nil {
		return f, err
	}
	if v := q.Get("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 || f.Limit > 1000 {
			return f, badf("limit %q: use 1 to 1000", v)
		}
	}
	if v := q.Get("offset"); v != "" {
		if f.Offset, err = strconv.Atoi(v); err != nil || f.Offset < 0 {
			return f, badf("offset %q: use a number", v)
		}
	}
	return f, nil
}

func (s *Server) listAlerts(r *http.Request) ([]store.Alert, store.AlertFilter, error) {
	if s.alerts == nil {
		return nil, store.AlertFilter{}, errNoAlerts
	}
	f, err := s.parseAlertFilter(r.Context(), r.URL.Query())
	if err != nil {
		return nil, f, err
	}
	as, err := s.alerts.Alerts(r.Context(), f)
	if err != nil {
		return nil, f, err
	}
	if identityFrom(r).redacted() {
		redactAlerts(as)
	}
	return as, f, nil
}

func (s *Server) apiAlerts(w http.ResponseWriter, r *http.Request) {
	as, _, err := s.listAlerts(r)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	if as == nil {
		as = []store.Alert{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": as})
}

func (s *Server) loadAlert(r *http.Request) (*store.Alert, error) {
	if s.alerts == nil {
		return nil, errNoAlerts
	}
	aid, err := parseID(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	a, err := s.alerts.AlertByID(r.Context(), aid)
	if err != nil {
		return nil, err
	}
	if identityFrom(r).redacted() {
		as := []store.Alert{*a}
		redactAlerts(as)
		a = &as[0]
	}
	return a, nil
}

func (s *Server) apiAlert(w http.ResponseWriter, r *http.Request) {
	a, err := s.loadAlert(r)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	s.audit(r, "view", "alert", r.PathValue("id"), "")
	writeJSON(w, http.StatusOK, a)
}

// setAlertStatus moves an alert through its lifecycle on behalf of the request's account.
func (s *Server) setAlertStatus(r *http.Request, action, comment string) (*store.Alert, error) {
	if s.alerts == nil {
		return nil, errNoAlerts
	}
	status, ok := alertActions[action]
	if !ok {
		return nil, badf("action %q: use acknowledge, resolve, false_positive or reopen", action)
	}
	aid, err := parseID(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	comment = strings.TrimSpace(comment)
	if len(comment) > 2000 {
		return nil, badf("comment too long: at most 2000 characters")
	}
	id := identityFrom(r)
	if err := s.alerts.SetAlertStatus(r.Context(), aid, status, id.Account.Email, comment); err != nil {
		return nil, err
	}
	s.audit(r, "update", "alert", r.PathValue("id"), status+": "+comment)
	return s.alerts.AlertByID(r.Context(), aid)
}

func (s *Server) apiAlertAction(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Comment string `json:"comment"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &body); err != nil {
			s.apiFail(w, r, err)
			return
		}
	}
	a, err := s.setAlertStatus(r, r.PathValue("action"), body.Comment)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

type alertsData struct {
	Alerts   []store.Alert
	Query    url.Values
	Enabled  bool
	Statuses []string
	Names    map[int64]string
	NextURL  string
	PrevURL  string
}

func (s *Server) alertsPage(w http.ResponseWriter, r *http.Request) {
	names, _ := s.integrationNames(r.Context())
	d := alertsData{Query: r.URL.Query(), Enabled: s.alerts != nil, Names: names,
		Statuses: []string{store.AlertOpen, store.AlertAcknowledged, store.AlertResolved, store.AlertFalsePositive}}
	if s.alerts != nil {
		as, f, err := s.listAlerts(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.Alerts = as
		if len(as) == f.Limit {
			d.NextURL = qset(d.Query, "offset", strconv.Itoa(f.Offset+f.Limit))
		}
		if f.Offset > 0 {
			d.PrevURL = qset(d.Query, "offset", strconv.Itoa(max(0, f.Offset-f.Limit)))
		}
	}
	s.render(w, r, http.StatusOK, "alerts.html", &pageData{Title: "Alerts", Nav: "alerts", Data: d})
}

type alertData struct {
	Alert       *store.Alert
	Integration string
	EventLink   string
	ChatLink    string
}

func (s *Server) alertPage(w http.ResponseWriter, r *http.Request) {
	a, err := s.loadAlert(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := alertData{Alert: a}
	if in, err := s.st.IntegrationByID(r.Context(), a.IntegrationID); err == nil {
		d.Integration = in.Name
	}
	if a.EventID != "" && (a.EventKind == "prompt" || a.EventKind == "access") {
		d.EventLink = "/events/" + a.EventKind + "/" + strconv.FormatInt(a.IntegrationID, 10) + "/" + url.PathEscape(a.EventID)
	}
	if a.ChatID != "" {
		d.ChatLink = "/sessions/" + strconv.FormatInt(a.IntegrationID, 10) + "/" + url.PathEscape(a.ChatID)
	}
	s.audit(r, "view", "alert", r.PathValue("id"), "")
	s.render(w, r, http.StatusOK, "alert.html", &pageData{Title: "Alert " + r.PathValue("id"), Nav: "alerts", Data: d})
}

func (s *Server) alertStatusSubmit(w http.ResponseWriter, r *http.Request) {
	a, err := s.setAlertStatus(r, r.PostFormValue("action"), r.PostFormValue("comment"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "Alert "+r.PathValue("id")+" is now "+strings.ReplaceAll(a.Status, "_", " ")+".")
	next := r.PostFormValue("next")
	if next == "" || !strings.HasPrefix(next, "/alerts") {
		next = "/alerts/" + r.PathValue("id")
	}
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}
