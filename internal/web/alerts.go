package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
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
	f := store.AlertFilter{Status: q.Get("status"), Severity: q.Get("severity"), Policy: q.Get("policy"), User: strings.TrimSpace(q.Get("user")),
		Assignee: strings.TrimSpace(q.Get("assignee")), Sort: q.Get("sort"), Limit: 100}
	if f.Sort != "" && !slices.Contains(store.AlertSorts, f.Sort) {
		return f, badf("sort %q: use one of %s", f.Sort, strings.Join(store.AlertSorts, ", "))
	}
	switch q.Get("order") {
	case "", "desc":
	case "asc":
		f.Asc = true
	default:
		return f, badf("order %q: use asc or desc", q.Get("order"))
	}
	if v := q.Get("integration"); v != "" {
		iid, err := s.integrationParam(ctx, v)
		if err != nil {
			return f, err
		}
		f.IntegrationID = iid
	}
	var err error
	if f.Group, err = s.groupParam(ctx, q.Get("group")); err != nil {
		return f, err
	}
	if f.From, err = parseWhen(locFrom(ctx), q.Get("from"), false); err != nil {
		return f, err
	}
	if f.To, err = parseWhen(locFrom(ctx), q.Get("to"), true); err != nil {
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

// listAlerts reads a page of alerts and the total the filter selects.
func (s *Server) listAlerts(r *http.Request) ([]store.Alert, store.AlertFilter, int, error) {
	if s.alerts == nil {
		return nil, store.AlertFilter{}, 0, errNoAlerts
	}
	f, err := s.parseAlertFilter(r.Context(), r.URL.Query())
	if err != nil {
		return nil, f, 0, err
	}
	as, err := s.alerts.Alerts(r.Context(), f)
	if err != nil {
		return nil, f, 0, err
	}
	total, err := s.alerts.CountAlerts(r.Context(), f)
	if err != nil {
		return nil, f, 0, err
	}
	if identityFrom(r).redacted() {
		redactAlerts(as)
	}
	return as, f, total, nil
}

func (s *Server) apiAlerts(w http.ResponseWriter, r *http.Request) error {
	as, f, total, err := s.listAlerts(r)
	if err != nil {
		return err
	}
	if as == nil {
		as = []store.Alert{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": as, "total": total, "offset": f.Offset, "limit": f.Limit})
	return nil
}

// checkAssignee accepts "" (nobody) or the email of an active analyst or admin.
func (s *Server) checkAssignee(ctx context.Context, email string) (string, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return "", nil
	}
	a, err := s.ws.AccountByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return "", badf("assignee %q: no account has this email; assign to an analyst or admin", email)
	}
	if err != nil {
		return "", err
	}
	if a.Disabled || roleRank(a.Role) < roleRank(store.RoleAnalyst) {
		return "", badf("assignee %s: only an active analyst or admin can own an alert", email)
	}
	return a.Email, nil
}

// assignAlert gives an alert to an analyst on behalf of the request's account.
func (s *Server) assignAlert(r *http.Request, aid int64, assignee string) error {
	if s.alerts == nil {
		return errNoAlerts
	}
	email, err := s.checkAssignee(r.Context(), assignee)
	if err != nil {
		return err
	}
	if err := s.alerts.AssignAlert(r.Context(), aid, email, identityFrom(r).Account.Email); err != nil {
		return err
	}
	s.audit(r, "assign", "alert", strconv.FormatInt(aid, 10), or(email, "nobody"))
	return nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// bulkAlerts applies one action (a status change or assign) to many alerts.
func (s *Server) bulkAlerts(r *http.Request, ids []int64, action, assignee, comment string) (int, error) {
	if s.alerts == nil {
		return 0, errNoAlerts
	}
	if len(ids) == 0 {
		return 0, badf("select at least one alert")
	}
	if len(ids) > 1000 {
		return 0, badf("at most 1000 alerts at once")
	}
	status, isStatus := alertActions[action]
	if !isStatus && action != "assign" {
		return 0, badf("action %q: use acknowledge, resolve, false_positive, reopen or assign", action)
	}
	comment = strings.TrimSpace(comment)
	if len(comment) > 2000 {
		return 0, badf("comment too long: at most 2000 characters")
	}
	if action == "assign" {
		var err error
		if assignee, err = s.checkAssignee(r.Context(), assignee); err != nil {
			return 0, err
		}
	}
	// Every alert must exist before any changes, so a bad id changes nothing.
	for _, id := range ids {
		if _, err := s.alerts.AlertByID(r.Context(), id); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return 0, badf("alert %d not found: nothing was changed", id)
			}
			return 0, err
		}
	}
	by := identityFrom(r).Account.Email
	for i, id := range ids {
		var err error
		if isStatus {
			err = s.alerts.SetAlertStatus(r.Context(), id, status, by, comment)
		} else {
			err = s.alerts.AssignAlert(r.Context(), id, assignee, by)
		}
		if err != nil {
			return i, fmt.Errorf("alert %d (after %d were updated): %w", id, i, err)
		}
		s.audit(r, "update", "alert", strconv.FormatInt(id, 10), "bulk "+action+": "+or(assignee, comment))
	}
	return len(ids), nil
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

func (s *Server) apiAlert(w http.ResponseWriter, r *http.Request) error {
	a, err := s.loadAlert(r)
	if err != nil {
		return err
	}
	s.audit(r, "view", "alert", r.PathValue("id"), "")
	writeJSON(w, http.StatusOK, a)
	return nil
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

func (s *Server) apiAlertAction(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Comment string `json:"comment"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &body); err != nil {
			return err
		}
	}
	a, err := s.setAlertStatus(r, r.PathValue("action"), body.Comment)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

type alertsData struct {
	Alerts   []store.Alert
	Total    int
	First    int
	Last     int
	Sort     string
	Asc      bool
	Sorts    []string
	Analysts []string
	// Groups are the synced directory groups the group filter offers.
	Groups []string
	// SortURL links each sortable column to its sort (again: the other
	// direction); SortMark is the arrow of the current one.
	SortURL  map[string]string
	SortMark map[string]string
	Query    url.Values
	Enabled  bool
	Statuses []string
	Names    map[int64]string
	NextURL  string
	PrevURL  string
}

func (s *Server) alertsPage(w http.ResponseWriter, r *http.Request) error {
	names, _ := s.integrationNames(r.Context())
	d := alertsData{Query: r.URL.Query(), Enabled: s.alerts != nil, Names: names,
		Statuses: []string{store.AlertOpen, store.AlertAcknowledged, store.AlertResolved, store.AlertFalsePositive}}
	if s.alerts != nil {
		as, f, total, err := s.listAlerts(r)
		if err != nil {
			return err
		}
		d.Alerts, d.Total, d.Sort, d.Asc, d.Sorts = as, total, or(f.Sort, "last_seen"), f.Asc, store.AlertSorts
		if len(as) > 0 {
			d.First, d.Last = f.Offset+1, f.Offset+len(as)
		}
		d.Analysts, d.Groups = s.analysts(r.Context()), s.groupChoices(r.Context())
		d.SortURL, d.SortMark = map[string]string{}, map[string]string{}
		for _, col := range store.AlertSorts {
			order := "desc"
			if col == d.Sort && !d.Asc {
				order = "asc"
			}
			d.SortURL[col] = qset(d.Query, "sort", col, "order", order, "offset", "")
		}
		d.SortMark[d.Sort] = map[bool]string{true: " ▲", false: " ▼"}[d.Asc]
		if len(as) == f.Limit {
			d.NextURL = qset(d.Query, "offset", strconv.Itoa(f.Offset+f.Limit))
		}
		if f.Offset > 0 {
			d.PrevURL = qset(d.Query, "offset", strconv.Itoa(max(0, f.Offset-f.Limit)))
		}
	}
	s.render(w, r, http.StatusOK, "alerts.html", &pageData{Title: "Alerts", Nav: "alerts", Data: d})
	return nil
}

type alertData struct {
	Alert       *store.Alert
	History     []store.AlertChange
	Analysts    []string
	Integration string
	EventLink   string
	ChatLink    string
	// Links are where a settings-drift or feed-gap alert points instead of an event.
	Links []alertLink
}

func (s *Server) alertPage(w http.ResponseWriter, r *http.Request) error {
	a, err := s.loadAlert(r)
	if err != nil {
		return err
	}
	d := alertData{Alert: a, Analysts: s.analysts(r.Context())}
	if d.History, err = s.alerts.AlertHistory(r.Context(), a.ID); err != nil {
		return err
	}
	if in, err := s.st.IntegrationByID(r.Context(), a.IntegrationID); err == nil {
		d.Integration = in.Name
	}
	if a.EventID != "" && (a.EventKind == "prompt" || a.EventKind == "access") {
		d.EventLink = "/events/" + a.EventKind + "/" + strconv.FormatInt(a.IntegrationID, 10) + "/" + url.PathEscape(a.EventID)
	}
	d.Links = oversightLinks(a)
	if a.ChatID != "" {
		d.ChatLink = "/sessions/" + strconv.FormatInt(a.IntegrationID, 10) + "/" + url.PathEscape(a.ChatID)
	}
	s.audit(r, "view", "alert", r.PathValue("id"), "")
	s.render(w, r, http.StatusOK, "alert.html", &pageData{Title: "Alert " + r.PathValue("id"), Nav: "alerts", Data: d})
	return nil
}

func (s *Server) alertStatusSubmit(w http.ResponseWriter, r *http.Request) error {
	a, err := s.setAlertStatus(r, r.PostFormValue("action"), r.PostFormValue("comment"))
	if err != nil {
		return err
	}
	s.setFlash(w, "Alert "+r.PathValue("id")+" is now "+strings.ReplaceAll(a.Status, "_", " ")+".")
	next := r.PostFormValue("next")
	if next == "" || !strings.HasPrefix(next, "/alerts") {
		next = "/alerts/" + r.PathValue("id")
	}
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
	return nil
}

// analysts lists the emails an alert can be assigned to.
func (s *Server) analysts(ctx context.Context) []string {
	as, err := s.ws.Accounts(ctx)
	if err != nil {
		s.log.Warn("list accounts", "err", err)
		return nil
	}
	var out []string
	for _, a := range as {
		if !a.Disabled && roleRank(a.Role) >= roleRank(store.RoleAnalyst) {
			out = append(out, a.Email)
		}
	}
	return out
}

func (s *Server) apiAlertHistory(w http.ResponseWriter, r *http.Request) error {
	a, err := s.loadAlert(r)
	if err != nil {
		return err
	}
	h, err := s.alerts.AlertHistory(r.Context(), a.ID)
	if err != nil {
		return err
	}
	if h == nil {
		h = []store.AlertChange{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"history": h})
	return nil
}

func (s *Server) apiAlertAssign(w http.ResponseWriter, r *http.Request) error {
	aid, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	var body struct {
		Assignee string `json:"assignee"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if err := s.assignAlert(r, aid, body.Assignee); err != nil {
		return err
	}
	a, err := s.alerts.AlertByID(r.Context(), aid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) apiAlertsBulk(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		IDs      []int64 `json:"ids"`
		Action   string  `json:"action"`
		Assignee string  `json:"assignee"`
		Comment  string  `json:"comment"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	n, err := s.bulkAlerts(r, body.IDs, body.Action, body.Assignee, body.Comment)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"updated": n})
	return nil
}

func (s *Server) alertAssignSubmit(w http.ResponseWriter, r *http.Request) error {
	aid, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.assignAlert(r, aid, r.PostFormValue("assignee")); err != nil {
		return err
	}
	s.setFlash(w, "Alert "+r.PathValue("id")+" is assigned to "+or(strings.TrimSpace(r.PostFormValue("assignee")), "nobody")+".")
	http.Redirect(w, r, "/alerts/"+r.PathValue("id"), http.StatusSeeOther)
	return nil
}

func (s *Server) alertsBulkSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return badf("cannot read the form: %v", err)
	}
	var ids []int64
	for _, v := range r.PostForm["id"] {
		id, err := parseID(v)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	n, err := s.bulkAlerts(r, ids, r.PostFormValue("action"), r.PostFormValue("assignee"), r.PostFormValue("comment"))
	if err != nil {
		return err
	}
	s.setFlash(w, fmt.Sprintf("%d alert%s updated.", n, map[bool]string{true: "", false: "s"}[n == 1]))
	next := r.PostFormValue("next")
	if next == "" || !strings.HasPrefix(next, "/alerts") {
		next = "/alerts"
	}
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
	return nil
}
