package web

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/claudit/claudit/internal/store"
)

var errNoPolicies = badf("the policy engine is not connected in this build")

func (s *Server) apiPolicies(w http.ResponseWriter, r *http.Request) {
	ps := s.policyList()
	if ps == nil {
		ps = []PolicyInfo{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"policies": ps})
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

func (s *Server) apiPolicyEnable(w http.ResponseWriter, r *http.Request) {
	if err := s.setPolicyEnabled(r, true); err != nil {
		s.apiFail(w, r, err)
		return
	}
	s.apiPolicies(w, r)
}

func (s *Server) apiPolicyDisable(w http.ResponseWriter, r *http.Request) {
	if err := s.setPolicyEnabled(r, false); err != nil {
		s.apiFail(w, r, err)
		return
	}
	s.apiPolicies(w, r)
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

func (s *Server) apiPolicyParams(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Params map[string]any `json:"params"`
	}
	if err := decodeJSON(r, &body); err != nil {
		s.apiFail(w, r, err)
		return
	}
	if err := s.setPolicyParams(r, body.Params); err != nil {
		s.apiFail(w, r, err)
		return
	}
	s.apiPolicies(w, r)
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

func (s *Server) apiPolicyTest(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Text string `json:"text"`
	}
	if err := decodeJSON(r, &body); err != nil {
		s.apiFail(w, r, err)
		return
	}
	res, err := s.testPolicy(r, body.Text)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

type policiesData struct {
	Policies  []policyRow
	Connected bool
	Test      *PolicyTestResult
	TestText  string
	Segments  []segment
}

type policyRow struct {
	PolicyInfo
	ParamsJSON string
}

func (s *Server) policiesPage(w http.ResponseWriter, r *http.Request) {
	s.renderPolicies(w, r, http.StatusOK, nil, "")
}

func (s *Server) renderPolicies(w http.ResponseWriter, r *http.Request, status int, res *PolicyTestResult, text string) {
	d := policiesData{Connected: s.cfg.Policies != nil, Test: res, TestText: text}
	for _, p := range s.policyList() {
		b, _ := json.MarshalIndent(p.Params, "", "  ")
		if p.Params == nil {
			b = []byte("{}")
		}
		d.Policies = append(d.Policies, policyRow{PolicyInfo: p, ParamsJSON: string(b)})
	}
	if res != nil {
		d.Segments = segmentsOf(text, hitsOf(text, res.Findings, nil), false)
	}
	s.render(w, r, status, "policies.html", &pageData{Title: "Policies", Nav: "policies", Data: d})
}

// policyActionSubmit handles the policies page forms: enable, disable and
// params need an admin; test is open to analysts.
func (s *Server) policyActionSubmit(w http.ResponseWriter, r *http.Request) {
	id := identityFrom(r)
	action := r.PathValue("action")
	if action != "test" && !id.can(store.RoleAdmin) {
		s.renderStatus(w, r, id, http.StatusForbidden, "Only admins change policies.")
		return
	}
	var err error
	switch action {
	case "enable", "disable":
		err = s.setPolicyEnabled(r, action == "enable")
	case "params":
		var params map[string]any
		if jerr := json.Unmarshal([]byte(strings.TrimSpace(r.PostFormValue("params"))), &params); jerr != nil {
			err = badf("params must be a JSON object: %v", jerr)
		} else {
			err = s.setPolicyParams(r, params)
		}
	case "test":
		text := r.PostFormValue("text")
		res, terr := s.testPolicy(r, text)
		if terr != nil {
			s.fail(w, r, terr)
			return
		}
		s.renderPolicies(w, r, http.StatusOK, res, text)
		return
	default:
		err = badf("action %q: use enable, disable, params or test", action)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "Policy "+r.PathValue("name")+" updated.")
	http.Redirect(w, r, "/policies", http.StatusSeeOther)
}
