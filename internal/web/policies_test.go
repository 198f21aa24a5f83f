package web_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/policy"
	"github.com/claudit/claudit/internal/policyset"
	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/web/webtest"
)

// policyForm is a POST form of the policies page.
func policyForm(c *client, kv ...string) url.Values {
	f := url.Values{"csrf_token": {c.csrf}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Add(kv[i], kv[i+1])
	}
	return f
}

func mustPost(t *testing.T, c *client, path string, want int, form url.Values) string {
	t.Helper()
	res, body := c.postForm(path, form)
	if res.StatusCode != want {
		t.Fatalf("POST %s: %d, want %d: %.400s", path, res.StatusCode, want, body)
	}
	return body
}

func policiesPage(t *testing.T, c *client) string {
	t.Helper()
	res, body := c.get("/policies")
	if res.StatusCode != 200 {
		t.Fatalf("policies page: %d", res.StatusCode)
	}
	return body
}

// TestPoliciesPageUnits: text, session and activity policies are all on
// the page, each with a toggle and a form built from its typed params.
func TestPoliciesPageUnits(t *testing.T) {
	_, ts := newEnv(t, webtest.Options{})
	admin := login(t, ts, webtest.AdminEmail)
	page := policiesPage(t, admin)
	for _, want := range []string{
		`id="unit-pii-financial"`, `name="p.entities"`, `name="p.context_window" step="1"`, // a text policy and its params
		`id="unit-session.repeated_attempts"`, `name="window" value="30m"`, // a session rule
		`id="unit-activity.off_hours_admin_change"`, `name="p.kinds"`, // an activity rule with params
		`id="unit-activity"`, `name="p.timezone" value="UTC"`, // the shared settings
		`action="/policies/units/activity.new_ip/toggle"`, `<span class="tag">assistant</span>`, // toggles, roles as tags
		`id="no-pending"`, `data-template="hipaa"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(page, `name="params"`) {
		t.Error("the page still edits params as JSON")
	}
}

// TestPoliciesDraft: edits make a draft (a bad value is refused with the
// loader's message beside its field), the draft shows its difference from
// the installed set, reset drops it, install applies and audits it.
func TestPoliciesDraft(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	admin, analyst := login(t, ts, webtest.AdminEmail), login(t, ts, webtest.AnalystEmail)

	body := mustPost(t, admin, "/policies/units/session.repeated_attempts/edit", http.StatusUnprocessableEntity,
		policyForm(admin, "form", "1", "severity", "high", "action", "alert", "count", "3", "window", "soon"))
	if !strings.Contains(body, `window: &#34;soon&#34; is not a positive duration like 10m or 1h`) || !strings.Contains(body, `value="soon"`) {
		t.Fatalf("the refused edit does not show the loader's message beside the field:\n%s", excerpt(body, "repeated_attempts/edit"))
	}
	body = mustPost(t, admin, "/policies/units/pii/edit", http.StatusUnprocessableEntity, policyForm(admin, "p.context_window", "wide"))
	if !strings.Contains(body, `data-field="p.context_window">p.context_window: must be a whole number`) {
		t.Fatalf("param error:\n%s", excerpt(body, "pii/edit"))
	}
	if page := policiesPage(t, admin); !strings.Contains(page, `id="no-pending"`) {
		t.Fatal("a refused edit was saved")
	}

	mustPost(t, admin, "/policies/units/session.repeated_attempts/edit", http.StatusSeeOther,
		policyForm(admin, "form", "1", "severity", "critical", "action", "alert", "count", "4", "window", "1h"))
	mustPost(t, admin, "/policies/units/pii/toggle", http.StatusSeeOther, policyForm(admin, "enabled", "false"))
	page := policiesPage(t, admin)
	for _, want := range []string{`id="pending-changes"`, `<td>count</td><td>3</td><td>4</td>`, `<td>window</td><td>30m</td><td>1h</td>`,
		`<td>enabled</td><td>on</td><td>off</td>`, `draft edited by admin@example.com`, `id="policy-install"`} {
		if !strings.Contains(page, want) {
			t.Errorf("pending changes lack %s", want)
		}
	}
	if _, body := analyst.get("/policies"); strings.Contains(body, `id="policy-install"`) {
		t.Error("an analyst is offered install")
	}
	mustPost(t, analyst, "/policies/draft/install", http.StatusForbidden, policyForm(analyst))

	mustPost(t, admin, "/policies/draft/reset", http.StatusSeeOther, policyForm(admin))
	if page := policiesPage(t, admin); !strings.Contains(page, `id="no-pending"`) {
		t.Fatal("reset kept the draft")
	}

	mustPost(t, admin, "/policies/units/activity.new_ip/edit", http.StatusSeeOther, policyForm(admin, "severity", "medium"))
	mustPost(t, admin, "/policies/draft/install", http.StatusSeeOther, policyForm(admin))
	page = policiesPage(t, admin)
	if !strings.Contains(page, `id="no-pending"`) || !strings.Contains(page, "by admin@example.com (version") {
		t.Fatalf("after install:\n%s", excerpt(page, "policy-installed"))
	}
	if !strings.Contains(excerpt(page, `id="unit-activity.new_ip"`), `sev-medium`) {
		t.Fatal("the installed set is not the one shown")
	}
	entries, err := e.Store.AuditLog(context.Background(), store.AuditFilter{Action: "install"})
	if err != nil || len(entries) != 1 || entries[0].Actor != webtest.AdminEmail || !strings.Contains(entries[0].Detail, "activity.new_ip") {
		t.Fatalf("install audit %+v, %v", entries, err)
	}
	mustPost(t, admin, "/policies/draft/install", http.StatusBadRequest, policyForm(admin))
}

// TestPoliciesTemplateAndTrial: a template replaces the draft; a trial
// counts the events whose findings the draft adds or removes.
func TestPoliciesTemplateAndTrial(t *testing.T) {
	_, ts := newEnv(t, webtest.Options{})
	admin, analyst := login(t, ts, webtest.AdminEmail), login(t, ts, webtest.AnalystEmail)

	mustPost(t, admin, "/policies/draft/template", http.StatusSeeOther, policyForm(admin, "template", "pci"))
	page := policiesPage(t, admin)
	if !strings.Contains(page, `<tr data-policy="pci-cardholder-data"><td><a href="#unit-pci-cardholder-data">pci-cardholder-data</a></td><td>added</td>`) ||
		!strings.Contains(page, `<td>removed</td>`) {
		t.Fatalf("template diff:\n%s", excerpt(page, `id="pending"`))
	}
	mustPost(t, admin, "/policies/draft/template", http.StatusBadRequest, policyForm(admin, "template", "sox"))
	mustPost(t, admin, "/policies/draft/reset", http.StatusSeeOther, policyForm(admin))

	// banned-substrings is off in the installed set; the draft turns it on
	// for two words, each in one stored message.
	mustPost(t, admin, "/policies/units/banned-substrings/edit", http.StatusSeeOther,
		policyForm(admin, "enabled", "true", "p.substrings", "quarterly\nrotate"))
	body := mustPost(t, analyst, "/policies/draft/trial", http.StatusOK, policyForm(analyst, "days", "30"))
	row := excerpt(body, `<tr data-policy="banned-substrings"><td>banned-substrings</td>`)
	if !strings.Contains(row, `<td>0</td><td>2</td>`) || !strings.Contains(row, `+2`) || !strings.Contains(row, `href="/events/prompt/`) {
		t.Fatalf("trial row:\n%s", row)
	}
	if !strings.Contains(body, `6 messages and 0 access events`) {
		t.Fatalf("trial summary:\n%s", excerpt(body, "trial-summary"))
	}
	mustPost(t, analyst, "/policies/draft/trial", http.StatusBadRequest, policyForm(analyst, "days", "0"))
	if page := policiesPage(t, admin); !strings.Contains(page, `id="pending-changes"`) {
		t.Fatal("the trial changed the draft")
	}
}

// excerpt is the part of s from the first want, for failure messages.
func excerpt(s, want string) string {
	i := strings.Index(s, want)
	if i < 0 {
		return "(" + want + " not found)"
	}
	return s[i:min(len(s), i+1200)]
}

// TestPoliciesBrokenDraft: a stored draft that no longer loads is named
// on the page, refuses install with what to do, and can be reset.
func TestPoliciesBrokenDraft(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	admin := login(t, ts, webtest.AdminEmail)
	if err := e.Store.SavePolicySet(context.Background(), &store.PolicySet{Name: store.PolicyDraft,
		YAML: "version: 1\npolicies:\n  - {name: gone, detector: no_such_detector}\n", UpdatedBy: webtest.AdminEmail}); err != nil {
		t.Fatal(err)
	}
	if page := policiesPage(t, admin); !strings.Contains(page, "the draft no longer loads") || !strings.Contains(page, "no_such_detector") {
		t.Fatalf("page:\n%s", excerpt(page, "<main"))
	}
	body := mustPost(t, admin, "/policies/draft/install", http.StatusBadRequest, policyForm(admin))
	if !strings.Contains(body, "reset it") {
		t.Fatalf("install of a broken draft:\n%s", excerpt(body, "<main"))
	}
	mustPost(t, admin, "/policies/draft/reset", http.StatusSeeOther, policyForm(admin))
	if page := policiesPage(t, admin); !strings.Contains(page, `id="no-pending"`) {
		t.Fatal("reset kept the broken draft")
	}
}

// TestPoliciesStaleDraft: when the policies file changes after a draft was
// started, the page says so and install refuses (409) until the admin
// confirms that the draft replaces the edited file; a draft started after
// the change is not stale.
func TestPoliciesStaleDraft(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policies.yaml")
	if err := os.WriteFile(path, policy.DefaultPoliciesYAML(), 0o600); err != nil {
		t.Fatal(err)
	}
	_, ts := newEnv(t, webtest.Options{PolicySets: &policyset.Installer{Path: path}})
	admin := login(t, ts, webtest.AdminEmail)
	mustPost(t, admin, "/policies/units/pii/toggle", http.StatusSeeOther, policyForm(admin, "enabled", "false"))
	if page := policiesPage(t, admin); strings.Contains(page, `id="draft-stale"`) {
		t.Fatal("a fresh draft is called stale")
	}

	// The operator edits the file meanwhile.
	set, err := policyset.Parse(policy.DefaultPoliciesYAML(), "test")
	if err != nil {
		t.Fatal(err)
	}
	edited, err := set.Edit("activity.new_ip", url.Values{"severity": {"critical"}})
	if err != nil || edited.Version() == set.Version() {
		t.Fatalf("edit the file: %v (version %s)", err, edited.Version())
	}
	if err := os.WriteFile(path, edited.YAML, 0o600); err != nil {
		t.Fatal(err)
	}
	page := policiesPage(t, admin)
	if !strings.Contains(page, `id="draft-stale"`) || !strings.Contains(page, `name="overwrite" value="1"`) || !strings.Contains(page, "Install anyway") {
		t.Fatalf("the page does not say the draft is stale:\n%s", excerpt(page, `id="pending"`))
	}
	body := mustPost(t, admin, "/policies/draft/install", http.StatusConflict, policyForm(admin))
	if !strings.Contains(body, "would also undo that change") {
		t.Fatalf("stale install:\n%s", excerpt(body, "<main"))
	}
	if data, _ := os.ReadFile(path); string(data) != string(edited.YAML) {
		t.Fatal("a refused install changed the policies file")
	}
	mustPost(t, admin, "/policies/draft/install", http.StatusSeeOther, policyForm(admin, "overwrite", "1"))
	if page := policiesPage(t, admin); !strings.Contains(page, `id="no-pending"`) {
		t.Fatal("install anyway kept the draft")
	}

	// A draft started from the set now in effect is not stale.
	mustPost(t, admin, "/policies/units/activity.new_ip/edit", http.StatusSeeOther, policyForm(admin, "severity", "high"))
	if page := policiesPage(t, admin); strings.Contains(page, `id="draft-stale"`) {
		t.Fatal("a draft started after the change is called stale")
	}
	mustPost(t, admin, "/policies/draft/install", http.StatusSeeOther, policyForm(admin))
}
