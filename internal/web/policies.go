package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/policyset"
	"github.com/claudit/claudit/internal/store"
)

var errNoPolicies = badf("the policy engine is not connected in this build")

func (s *Server) apiPolicies(w http.ResponseWriter, r *http.Request) error {
	ps := s.policyList()
	if ps == nil {
		ps = []PolicyInfo{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"policies": ps})
	return nil
}

func (s *Server) setPolicyEnabled(r *http.Request, on bool) error {
	if s.cfg.Policies == nil {
		return errNoPolicies
	}
	name := r.PathValue("name")
	if err := s.cfg.Policies.SetEnabled(name, on); err != nil {
		return badf("policy %s: %v", name, err)
	}
	action := "disable"
	if on {
		action = "enable"
	}
	s.audit(r, action, "policy", name, "")
	return nil
}

func (s *Server) apiPolicyEnable(w http.ResponseWriter, r *http.Request) error {
	if err := s.setPolicyEnabled(r, true); err != nil {
		return err
	}
	return s.apiPolicies(w, r)
}

func (s *Server) apiPolicyDisable(w http.ResponseWriter, r *http.Request) error {
	if err := s.setPolicyEnabled(r, false); err != nil {
		return err
	}
	return s.apiPolicies(w, r)
}

func (s *Server) setPolicyParams(r *http.Request, params map[string]any) error {
	if s.cfg.Policies == nil {
		return errNoPolicies
	}
	name := r.PathValue("name")
	if err := s.cfg.Policies.SetParams(name, params); err != nil {
		// The error names the policy and each bad field, as validation does.
		return badf("%v", err)
	}
	b, _ := json.Marshal(params)
	s.audit(r, "update", "policy", name, string(b))
	return nil
}

func (s *Server) apiPolicyParams(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Params map[string]any `json:"params"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if err := s.setPolicyParams(r, body.Params); err != nil {
		return err
	}
	return s.apiPolicies(w, r)
}

// PolicyTestResult is what testing a text against a policy found.
type PolicyTestResult struct {
	Policy   string          `json:"policy"`
	Findings []store.Finding `json:"findings"`
	Tags     []string        `json:"tags"`
}

func (s *Server) testPolicy(r *http.Request, text string) (*PolicyTestResult, error) {
	if s.cfg.Policies == nil {
		return nil, errNoPolicies
	}
	if len(text) > 1<<20 {
		return nil, badf("text too long: at most 1 MiB")
	}
	name := r.PathValue("name")
	if name == "_" {
		name = r.PostFormValue("policy") // the page's form picks the policy in a select
	}
	fs, tags, err := s.cfg.Policies.Test(r.Context(), name, text)
	if err != nil {
		return nil, badf("policy %s: %v", name, err)
	}
	if fs == nil {
		fs = []store.Finding{}
	}
	if tags == nil {
		tags = []string{}
	}
	s.audit(r, "test", "policy", name, "")
	return &PolicyTestResult{Policy: name, Findings: fs, Tags: tags}, nil
}

func (s *Server) apiPolicyTest(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Text string `json:"text"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	res, err := s.testPolicy(r, body.Text)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// The policies page edits a draft of the policy set: edits, toggles and
// templates change the draft stored in the database (one per deployment),
// the page shows its difference from the installed set, a trial run
// counts what the draft would find in stored events, and install makes it
// the set in effect.

type policiesData struct {
	Connected bool
	Groups    []unitGroup
	Changes   []policyset.Change
	// Draft is the stored draft, nil without pending changes; Installed
	// the last install from the dashboard, nil when there was none.
	Draft, Installed *store.PolicySet
	Source           string
	DraftError       string // the stored draft no longer loads
	// StaleBase is the installed set the draft started from when the set
	// in effect has changed since; InstalledVersion is the one in effect.
	StaleBase        *store.PolicySet
	InstalledVersion string
	Templates        []policyset.Template
	Severities       []string
	Actions          []string
	Roles            []string
	Trial            *policyset.TrialResult
	TrialDays        int
	TrialMax         int
	// The test-a-text panel.
	Policies []PolicyInfo
	Test     *PolicyTestResult
	TestText string
	Segments []segment
}

// unitView is one policy on the page.
type unitView struct {
	policyset.Unit
	Changed bool
	Errors  policyset.FieldErrors
	Open    bool // the form is shown open (after a failed edit)
}

// FieldError returns the messages for one form field, for the template.
func (u unitView) FieldError(key string) string { return strings.Join(u.Errors[key], "; ") }

// HasRole reports whether the unit is scoped to role.
func (u unitView) HasRole(role string) bool { return slices.Contains(u.Roles, role) }

// unitGroup is one table of the page: the units of a kind.
type unitGroup struct {
	Kind, Title string
	Units       []unitView
}

// newUnitGroups are the page's tables, in order.
func newUnitGroups() []unitGroup {
	return []unitGroup{{Kind: policyset.KindText, Title: "Text policies"}, {Kind: policyset.KindSession, Title: "Session policies"},
		{Kind: policyset.KindActivity, Title: "Activity policies"}, {Kind: policyset.KindSettings, Title: "Shared settings"}}
}

// policySets reads the installed set and the draft (the installed set
// when there is no draft).
func (s *Server) policySets(ctx context.Context) (installed, draft *policyset.Set, rec *store.PolicySet, source string, err error) {
	data, source, err := s.cfg.PolicySets.Installed()
	if err != nil {
		return nil, nil, nil, "", err
	}
	if installed, err = policyset.Parse(data, source); err != nil {
		return nil, nil, nil, "", fmt.Errorf("the installed policy set does not load: %w", err)
	}
	rec, err = s.st.PolicySet(ctx, store.PolicyDraft)
	if errors.Is(err, store.ErrNotFound) {
		return installed, installed, nil, source, nil
	}
	if err != nil {
		return nil, nil, nil, "", err
	}
	draft, err = policyset.Parse([]byte(rec.YAML), "draft")
	if err != nil {
		// A detector or rule the draft names may be gone from this build.
		return installed, nil, rec, source, badf("the draft no longer loads (%v): reset it to start again from the installed set", err)
	}
	return installed, draft, rec, source, nil
}

func (s *Server) policiesPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderPolicies(w, r, http.StatusOK, pageState{})
}

// pageState is what a POST adds to the page it answers with.
type pageState struct {
	test     *PolicyTestResult
	text     string
	errKey   string
	errs     policyset.FieldErrors
	form     url.Values
	trial    *policyset.TrialResult
	days     int
	trialErr error
}

func (s *Server) renderPolicies(w http.ResponseWriter, r *http.Request, status int, st pageState) error {
	ctx := r.Context()
	d := policiesData{Connected: s.cfg.Policies != nil, Test: st.test, TestText: st.text, Policies: s.policyList(),
		Templates: policyset.Templates, Severities: policyset.Severities, Actions: policyset.Actions, Roles: policyset.Roles,
		Trial: st.trial, TrialDays: st.days, TrialMax: policyset.DefaultMaxEvents}
	if d.TrialDays == 0 {
		d.TrialDays = 7
	}
	installed, draft, rec, source, err := s.policySets(ctx)
	if err != nil && installed == nil {
		return err
	}
	d.Draft, d.Source = rec, source
	if err != nil {
		d.DraftError = err.Error()
		draft = installed
	}
	if last, err := s.st.PolicySet(ctx, store.PolicyInstalled); err == nil {
		d.Installed = last
	}
	if rec != nil {
		if d.StaleBase, err = s.staleDraft(ctx, installed); err != nil {
			return err
		}
	}
	d.InstalledVersion = installed.Version()
	d.Changes = policyset.Diff(installed, draft)
	changed := map[string]bool{}
	for _, c := range d.Changes {
		changed[c.Key] = true
	}
	d.Groups = newUnitGroups()
	for _, u := range draft.Units() {
		v := unitView{Unit: u, Changed: changed[u.Key]}
		if u.Key == st.errKey {
			v.Unit, v.Errors, v.Open = u.WithForm(st.form), st.errs, true
		}
		for i := range d.Groups {
			if d.Groups[i].Kind == u.Kind {
				d.Groups[i].Units = append(d.Groups[i].Units, v)
			}
		}
	}
	if st.test != nil {
		d.Segments = segmentsOf(st.text, hitsOf(st.text, st.test.Findings, nil), false)
	}
	s.render(w, r, status, "policies.html", &pageData{Title: "Policies", Nav: "policies", Data: d})
	return nil
}

// saveDraft stores next as the draft, or drops the draft when next is the
// installed set again. A fresh draft (there was none, or a template
// replaced it) records the installed set it starts from, so that a change
// to the set in effect made meanwhile is not undone unseen (staleDraft).
func (s *Server) saveDraft(ctx context.Context, r *http.Request, installed, next *policyset.Set, fresh bool) error {
	if len(policyset.Diff(installed, next)) == 0 {
		return s.dropDraft(ctx)
	}
	now, by := s.now(), identityFrom(r).Account.Email
	if fresh {
		base := &store.PolicySet{Name: store.PolicyDraftBase, YAML: string(installed.YAML), Version: installed.Version(), UpdatedBy: by, UpdatedAt: now}
		if err := s.st.SavePolicySet(ctx, base); err != nil {
			return err
		}
	}
	return s.st.SavePolicySet(ctx, &store.PolicySet{Name: store.PolicyDraft, YAML: string(next.YAML), Version: next.Version(),
		UpdatedBy: by, UpdatedAt: now})
}

// dropDraft deletes the draft and the record of the set it started from.
func (s *Server) dropDraft(ctx context.Context) error {
	if err := s.st.DeletePolicySet(ctx, store.PolicyDraft); err != nil {
		return err
	}
	return s.st.DeletePolicySet(ctx, store.PolicyDraftBase)
}

// staleDraft returns the installed set the draft started from when the set
// in effect is no longer that one; nil when it is, or when the draft
// predates the record.
func (s *Server) staleDraft(ctx context.Context, installed *policyset.Set) (*store.PolicySet, error) {
	base, err := s.st.PolicySet(ctx, store.PolicyDraftBase)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil || base.Version == installed.Version() {
		return nil, err
	}
	return base, nil
}

// policyUnitSubmit edits one policy of the draft: "toggle" (enabled=true
// or false) or "edit" (the whole form). A value the policy loader refuses
// shows the page again with its messages beside the fields (422).
func (s *Server) policyUnitSubmit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	key, action := r.PathValue("key"), r.PathValue("action")
	if action != "toggle" && action != "edit" {
		return badf("action %q: use toggle or edit", action)
	}
	if err := r.ParseForm(); err != nil {
		return badf("read the form: %v", err)
	}
	installed, draft, rec, _, err := s.policySets(ctx)
	if err != nil {
		return err
	}
	form := url.Values{}
	for k, v := range r.PostForm {
		if k != "csrf_token" {
			form[k] = v
		}
	}
	if action == "toggle" {
		form = url.Values{"enabled": {r.PostForm.Get("enabled")}}
	}
	next, err := draft.Edit(key, form)
	var fe policyset.FieldErrors
	if errors.As(err, &fe) {
		return s.renderPolicies(w, r, http.StatusUnprocessableEntity, pageState{errKey: key, errs: fe, form: form})
	}
	if err != nil {
		return badf("%v", err)
	}
	if err := s.saveDraft(ctx, r, installed, next, rec == nil); err != nil {
		return err
	}
	s.audit(r, "edit draft", "policy", key, "")
	s.setFlash(w, "Draft: "+key+" changed. Install the draft to apply it.")
	http.Redirect(w, r, "/policies#unit-"+key, http.StatusSeeOther)
	return nil
}

// policyDraftSubmit acts on the whole draft: install, reset and template
// need an admin; trial (which saves nothing) is open to analysts.
func (s *Server) policyDraftSubmit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := identityFrom(r)
	action := r.PathValue("action")
	if action != "trial" && !id.can(store.RoleAdmin) {
		return errPoliciesAdminOnly
	}
	installed, draft, _, _, err := s.policySets(ctx)
	if err != nil && !(action == "reset" && installed != nil) {
		return err
	}
	switch action {
	case "install":
		changes := policyset.Diff(installed, draft)
		if len(changes) == 0 {
			return badf("there are no pending changes to install")
		}
		base, err := s.staleDraft(ctx, installed)
		if err != nil {
			return err
		}
		if base != nil && r.PostFormValue("overwrite") != "1" {
			return errStatus(http.StatusConflict, fmt.Sprintf("The installed policies changed after this draft was started "+
				"(version %s then, %s now), so installing it would also undo that change. Review the pending changes, "+
				"then install with overwrite=1 (the page's Install anyway), or reset the draft and edit again.", base.Version, installed.Version()))
		}
		if err := s.cfg.PolicySets.Install(draft.YAML); err != nil {
			return badf("install: %v", err)
		}
		rec := &store.PolicySet{Name: store.PolicyInstalled, YAML: string(draft.YAML), Version: draft.Version(),
			UpdatedBy: id.Account.Email, UpdatedAt: s.now()}
		if err := s.st.SavePolicySet(ctx, rec); err != nil {
			return err
		}
		if err := s.dropDraft(ctx); err != nil {
			return err
		}
		s.audit(r, "install", "policy set", draft.Version(), "changed: "+strings.Join(policyset.ChangedKeys(changes), ", "))
		s.setFlash(w, fmt.Sprintf("Installed policy version %s (%d changed).", draft.Version(), len(changes)))
	case "reset":
		if err := s.dropDraft(ctx); err != nil {
			return err
		}
		s.audit(r, "reset draft", "policy set", "", "")
		s.setFlash(w, "Draft reset: the page shows the installed policies.")
	case "template":
		tid := r.PostFormValue("template")
		next, err := policyset.LoadTemplate(tid)
		if err != nil {
			return badf("%v", err)
		}
		if err := s.saveDraft(ctx, r, installed, next, true); err != nil {
			return err
		}
		s.audit(r, "load template", "policy set", tid, "")
		s.setFlash(w, "Draft: template "+tid+" loaded. Review the changes, run a trial, then install.")
	case "trial":
		days, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("days")))
		if err != nil || days < 1 || days > 90 {
			return badf("days must be a whole number from 1 to 90")
		}
		t := policyset.Trial{Since: s.now().Add(-time.Duration(days) * 24 * time.Hour), Options: s.cfg.PolicySets.Options()}
		res, err := t.Run(ctx, s.st, installed, draft)
		if err != nil {
			return err
		}
		s.audit(r, "trial", "policy set", draft.Version(), fmt.Sprintf("%d days, %d messages, %d activities", days, res.Messages, res.Activities))
		return s.renderPolicies(w, r, http.StatusOK, pageState{trial: res, days: days})
	default:
		return badf("action %q: use install, reset, template or trial", action)
	}
	http.Redirect(w, r, "/policies", http.StatusSeeOther)
	return nil
}

// policyActionSubmit handles the test form and the older per-policy
// forms: enable and disable change the draft, as the toggles do.
func (s *Server) policyActionSubmit(w http.ResponseWriter, r *http.Request) error {
	id := identityFrom(r)
	action := r.PathValue("action")
	switch action {
	case "test":
		text := r.PostFormValue("text")
		res, err := s.testPolicy(r, text)
		if err != nil {
			return err
		}
		return s.renderPolicies(w, r, http.StatusOK, pageState{test: res, text: text})
	case "enable", "disable":
		if !id.can(store.RoleAdmin) {
			return errPoliciesAdminOnly
		}
		if err := r.ParseForm(); err != nil {
			return badf("read the form: %v", err)
		}
		r.SetPathValue("key", r.PathValue("name"))
		r.SetPathValue("action", "toggle")
		r.PostForm.Set("enabled", strconv.FormatBool(action == "enable"))
		return s.policyUnitSubmit(w, r)
	default:
		return badf("action %q: use test, enable or disable", action)
	}
}

func (s *Server) policyList() []PolicyInfo {
	if s.cfg.Policies == nil {
		return nil
	}
	return s.cfg.Policies.List()
}
