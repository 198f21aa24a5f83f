package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/web/secretbox"
)

var integrationName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// integrationInput is the editable part of an integration (form or JSON).
type integrationInput struct {
	Name      string `json:"name"`
	BaseURL   string `json:"base_url"`
	Project   string `json:"project"`
	APIKey    string `json:"api_key"`
	Interval  string `json:"interval"`
	RateLimit int    `json:"rate_limit"`
}

func formIntegration(r *http.Request) integrationInput {
	rl, _ := strconv.Atoi(r.PostFormValue("rate_limit"))
	return integrationInput{Name: r.PostFormValue("name"), BaseURL: r.PostFormValue("base_url"), Project: r.PostFormValue("project"),
		APIKey: r.PostFormValue("api_key"), Interval: r.PostFormValue("interval"), RateLimit: rl}
}

// checkBaseURL refuses a base URL whose host is, or resolves to, a
// loopback, link-local or metadata address, unless the config allows them.
func (s *Server) checkBaseURL(ctx context.Context, raw string) error {
	if s.cfg.AllowInternalBaseURLs {
		return nil
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil // apply reports the malformed URL
	}
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := compliance.CheckBaseHost(lctx, u.Hostname(), s.cfg.LookupHost); err != nil {
		return badf("base URL %q: %v; integrations may not point at this host (set allow_internal_base_urls: true in the config for a simulator or a test)", raw, err)
	}
	return nil
}

func (in integrationInput) apply(dst *store.Integration, creating bool) error {
	in.Name, in.BaseURL, in.Project = strings.TrimSpace(in.Name), strings.TrimSpace(in.BaseURL), strings.TrimSpace(in.Project)
	if creating {
		if !integrationName.MatchString(in.Name) {
			return badf("name %q: use 1 to 64 letters, digits, dot, dash or underscore", in.Name)
		}
		dst.Name = in.Name
	}
	if in.BaseURL != "" || creating {
		u, err := url.Parse(in.BaseURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return badf("base URL %q: use the Compliance API address, e.g. https://api.anthropic.com", in.BaseURL)
		}
		dst.BaseURL = strings.TrimRight(in.BaseURL, "/")
	}
	if in.Project != "" || creating {
		dst.Project = in.Project
	}
	if in.Interval != "" {
		d, err := time.ParseDuration(in.Interval)
		if err != nil || d < 30*time.Second {
			return badf("interval %q: use a duration of at least 30s, e.g. 5m", in.Interval)
		}
		dst.Interval = d
	} else if creating {
		dst.Interval = 5 * time.Minute
	}
	if in.RateLimit < 0 {
		return badf("rate limit must not be negative")
	}
	if in.RateLimit > 0 || creating {
		dst.RateLimit = in.RateLimit
	}
	return nil
}

// sealKey encrypts an API key, refusing when no secret key is configured.
func (s *Server) sealKey(key string) (string, error) {
	if len(s.cfg.SecretKey) == 0 {
		return "", badf("cannot store the API key: set %s to 32 random bytes (openssl rand -hex 32) and restart claudit; keys are never stored unencrypted", s.cfg.SecretKeyEnv)
	}
	return secretbox.Seal(s.cfg.SecretKey, key)
}

func (s *Server) createIntegration(ctx context.Context, in integrationInput) (*store.Integration, error) {
	it := &store.Integration{Source: "api", Mode: "full"}
	if err := in.apply(it, true); err != nil {
		return nil, err
	}
	if err := s.checkBaseURL(ctx, it.BaseURL); err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.APIKey) == "" {
		return nil, badf("API key is required")
	}
	sealed, err := s.sealKey(strings.TrimSpace(in.APIKey))
	if err != nil {
		return nil, err
	}
	if _, err := s.st.Integration(ctx, it.Name); err == nil {
		return nil, badf("an integration named %q exists: choose another name", it.Name)
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	// A bad key or a dead host is refused here rather than shown later as a
	// failing sync; the base URL guard above runs first.
	mode, err := s.testConnection(ctx, it, strings.TrimSpace(in.APIKey))
	if err != nil {
		return nil, badf("%v; the integration was not added", err)
	}
	if mode != "" {
		it.Mode = mode
	}
	if err := s.st.UpsertIntegration(ctx, it); err != nil {
		return nil, err
	}
	if err := s.ws.SetIntegrationKey(ctx, it.ID, sealed); err != nil {
		return nil, err
	}
	return it, nil
}

func (s *Server) editIntegration(ctx context.Context, iid int64, in integrationInput) (*store.Integration, error) {
	it, err := s.st.IntegrationByID(ctx, iid)
	if err != nil {
		return nil, err
	}
	if it.Source == "config" {
		return nil, badf("integration %s comes from the config file: edit it there", it.Name)
	}
	var sealed string
	if k := strings.TrimSpace(in.APIKey); k != "" {
		if sealed, err = s.sealKey(k); err != nil {
			return nil, err
		}
	}
	oldBase := it.BaseURL
	if err := in.apply(it, false); err != nil {
		return nil, err
	}
	if it.BaseURL != oldBase {
		// The stored key must not follow the integration to a new address.
		if sealed == "" {
			return nil, badf("the base URL changed from %s to %s: enter the API key again, so the stored key is never sent to the new address", oldBase, it.BaseURL)
		}
		if err := s.checkBaseURL(ctx, it.BaseURL); err != nil {
			return nil, err
		}
	}
	mode := ""
	if sealed != "" {
		// A new key (or a new address, which needs one) is tested before it is stored.
		if mode, err = s.testConnection(ctx, it, strings.TrimSpace(in.APIKey)); err != nil {
			return nil, badf("%v; nothing was changed", err)
		}
	}
	if err := s.st.UpsertIntegration(ctx, it); err != nil {
		return nil, err
	}
	if sealed != "" {
		if err := s.ws.SetIntegrationKey(ctx, it.ID, sealed); err != nil {
			return nil, err
		}
		if err := s.st.SetIntegrationFailure(ctx, it.ID, "", ""); err != nil {
			return nil, err
		}
		it.LastError, it.LastFailure = "", ""
		if mode != "" && mode != it.Mode {
			if err := s.st.SetIntegrationState(ctx, it.ID, it.Paused, mode); err != nil {
				return nil, err
			}
			it.Mode = mode
		}
	}
	return it, nil
}

// integrationAction pauses, resumes, tests or deletes an integration and
// returns a message for the user.
func (s *Server) integrationAction(ctx context.Context, iid int64, action string) (string, error) {
	it, err := s.st.IntegrationByID(ctx, iid)
	if err != nil {
		return "", err
	}
	switch action {
	case "pause", "resume":
		if err := s.st.SetIntegrationState(ctx, iid, action == "pause", it.Mode); err != nil {
			return "", err
		}
		if action == "pause" {
			return "Syncing of " + it.Name + " is paused.", nil
		}
		return "Syncing of " + it.Name + " resumed.", nil
	case "test":
		if s.cfg.Control == nil {
			return "", badf("testing connections is not available in this build")
		}
		key := ""
		if it.Source != "config" {
			if key, err = s.integrationKey(ctx, iid); err != nil {
				return "", err
			}
		}
		tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		var msg, mode string
		if mt, ok := s.cfg.Control.(ModeTester); ok {
			msg, mode, err = mt.TestMode(tctx, it, key)
		} else {
			msg, err = s.cfg.Control.TestConnection(tctx, it, key)
		}
		if err == nil && mode != "" && mode != it.Mode {
			if serr := s.st.SetIntegrationState(context.WithoutCancel(ctx), iid, it.Paused, mode); serr != nil {
				return "", serr
			}
		}
		// The outcome is the integration's health until the next sync says otherwise.
		kind, text := compliance.FailureKind(err), ""
		if err != nil {
			text = err.Error()
		}
		if serr := s.st.SetIntegrationFailure(context.WithoutCancel(ctx), iid, kind, text); serr != nil {
			return "", serr
		}
		if err != nil {
			return "", badf("connection test of %s failed: %v", it.Name, err)
		}
		return "Connection to " + it.Name + " works: " + msg, nil
	case "delete":
		if it.Source == "config" {
			return "", badf("integration %s comes from the config file: remove it there", it.Name)
		}
		if err := s.st.DeleteIntegration(ctx, iid); err != nil {
			return "", err
		}
		return "Integration " + it.Name + " and its data were deleted.", nil
	}
	return "", badf("action %q: use pause, resume, test or delete", action)
}

// testConnection checks a key against an integration's address before it
// is stored and returns the mode the key allows ("" when the Control cannot
// tell); builds without a Control skip the check.
func (s *Server) testConnection(ctx context.Context, it *store.Integration, key string) (string, error) {
	if s.cfg.Control == nil {
		return "", nil
	}
	tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var mode string
	var err error
	if mt, ok := s.cfg.Control.(ModeTester); ok {
		_, mode, err = mt.TestMode(tctx, it, key)
	} else {
		_, err = s.cfg.Control.TestConnection(tctx, it, key)
	}
	if err != nil {
		return "", fmt.Errorf("connection test failed: %v", err)
	}
	return mode, nil
}

// integrationKey opens the sealed key of a UI-created integration.
func (s *Server) integrationKey(ctx context.Context, iid int64) (string, error) {
	sealed, err := s.ws.IntegrationKey(ctx, iid)
	if err != nil {
		return "", err
	}
	if sealed == "" {
		return "", badf("no API key is stored for this integration: edit it to set one")
	}
	key, err := secretbox.Open(s.cfg.SecretKey, sealed)
	if err != nil {
		return "", badf("cannot read the stored API key (%v): check %s", err, s.cfg.SecretKeyEnv)
	}
	return key, nil
}

// ---- API ----

func (s *Server) apiIntegrations(w http.ResponseWriter, r *http.Request) error {
	ins, err := s.st.Integrations(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"integrations": viewIntegrations(ins)})
	return nil
}

func (s *Server) apiIntegration(w http.ResponseWriter, r *http.Request) error {
	iid, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	it, err := s.st.IntegrationByID(r.Context(), iid)
	if err != nil {
		return err
	}
	runs, err := s.st.Runs(r.Context(), iid, 10)
	if err != nil {
		return err
	}
	quarantined, err := s.st.QuarantinedItems(r.Context(), iid, 50)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"integration": IntegrationView{Integration: *it, Health: healthOf(it)}, "runs": runs, "quarantined": quarantined})
	return nil
}

func (s *Server) apiIntegrationCreate(w http.ResponseWriter, r *http.Request) error {
	var in integrationInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	it, err := s.createIntegration(r.Context(), in)
	if err != nil {
		return err
	}
	s.audit(r, "create", "integration", strconv.FormatInt(it.ID, 10), it.Name)
	writeJSON(w, http.StatusCreated, it)
	return nil
}

func (s *Server) apiIntegrationEdit(w http.ResponseWriter, r *http.Request) error {
	iid, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	var in integrationInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	it, err := s.editIntegration(r.Context(), iid, in)
	if err != nil {
		return err
	}
	s.audit(r, "update", "integration", r.PathValue("id"), it.Name)
	writeJSON(w, http.StatusOK, it)
	return nil
}

func (s *Server) apiIntegrationDelete(w http.ResponseWriter, r *http.Request) error {
	iid, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	msg, err := s.integrationAction(r.Context(), iid, "delete")
	if err != nil {
		return err
	}
	s.audit(r, "delete", "integration", r.PathValue("id"), msg)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiIntegrationAction(w http.ResponseWriter, r *http.Request) error {
	iid, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	action := r.PathValue("action")
	if action == "delete" {
		return errStatus(http.StatusMethodNotAllowed, "use DELETE /api/v1/integrations/{id}")
	}
	msg, err := s.integrationAction(r.Context(), iid, action)
	if err != nil {
		return err
	}
	s.audit(r, action, "integration", r.PathValue("id"), msg)
	it, err := s.st.IntegrationByID(r.Context(), iid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": msg, "integration": IntegrationView{Integration: *it, Health: healthOf(it)}})
	return nil
}

// ---- pages ----

type integrationsData struct {
	Integrations []IntegrationView
	CanStoreKeys bool
	KeyEnv       string
}

func (s *Server) integrationsPage(w http.ResponseWriter, r *http.Request) error {
	ins, err := s.st.Integrations(r.Context())
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "integrations.html", &pageData{Title: "Integrations", Nav: "integrations",
		Data: integrationsData{Integrations: viewIntegrations(ins), CanStoreKeys: len(s.cfg.SecretKey) > 0, KeyEnv: s.cfg.SecretKeyEnv}})
	return nil
}

type integrationData struct {
	Integration  *store.Integration
	Health       IntegrationHealth
	Tab          string
	HasKey       bool
	CanStoreKeys bool
	KeyEnv       string
	Runs         []store.Run
	Backfills    []BackfillView
	Job          *BackfillView
	Batches      []store.Batch
	Today        string
	MonthAgo     string
	// Quarantined are API items that could not be decoded.
	Quarantined []store.Quarantined
	// Directory is the last directory sync's groups and organization
	// settings (the directory tab); Setting the setting to highlight.
	Directory *store.Directory
	Setting   string
}

func (s *Server) integrationPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	iid, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	it, err := s.st.IntegrationByID(ctx, iid)
	if err != nil {
		return err
	}
	tab := r.URL.Query().Get("tab")
	if tab != "backfill" && tab != "jobs" && tab != "directory" {
		tab = "config"
	}
	// The backfill form's defaults: a month ago at midnight to now, in the account's zone.
	now := s.now().In(locFrom(ctx))
	d := integrationData{Integration: it, Health: healthOf(it), Tab: tab, CanStoreKeys: len(s.cfg.SecretKey) > 0, KeyEnv: s.cfg.SecretKeyEnv,
		Today: now.Format("2006-01-02 15:04"), MonthAgo: now.AddDate(0, -1, 0).Format("2006-01-02") + " 00:00"}
	if k, err := s.ws.IntegrationKey(ctx, iid); err == nil && k != "" {
		d.HasKey = true
	}
	if d.Runs, err = s.st.Runs(ctx, iid, 10); err != nil {
		return err
	}
	if d.Quarantined, err = s.st.QuarantinedItems(ctx, iid, 50); err != nil {
		return err
	}
	if tab == "directory" {
		if d.Directory, err = s.st.Directory(ctx, iid); err != nil {
			return err
		}
		d.Setting = r.URL.Query().Get("setting")
	}
	bs, err := s.st.Backfills(ctx, iid)
	if err != nil {
		return err
	}
	for _, b := range bs {
		d.Backfills = append(d.Backfills, viewBackfill(b))
	}
	if tab == "jobs" && len(d.Backfills) > 0 {
		job := d.Backfills[0]
		if v := r.URL.Query().Get("backfill"); v != "" {
			for _, b := range d.Backfills {
				if strconv.FormatInt(b.ID, 10) == v {
					job = b
				}
			}
		}
		d.Job = &job
		if d.Batches, err = s.st.Batches(ctx, job.ID); err != nil {
			return err
		}
	}
	s.render(w, r, http.StatusOK, "integration.html", &pageData{Title: "Integration " + it.Name, Nav: "integrations", Data: d})
	return nil
}

func (s *Server) integrationCreateSubmit(w http.ResponseWriter, r *http.Request) error {
	it, err := s.createIntegration(r.Context(), formIntegration(r))
	if err != nil {
		return err
	}
	s.audit(r, "create", "integration", strconv.FormatInt(it.ID, 10), it.Name)
	s.setFlash(w, "Integration "+it.Name+" added; its API key is stored encrypted.")
	http.Redirect(w, r, "/integrations/"+strconv.FormatInt(it.ID, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) integrationEditSubmit(w http.ResponseWriter, r *http.Request) error {
	iid, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	it, err := s.editIntegration(r.Context(), iid, formIntegration(r))
	if err != nil {
		return err
	}
	s.audit(r, "update", "integration", r.PathValue("id"), it.Name)
	s.setFlash(w, "Saved "+it.Name+".")
	http.Redirect(w, r, "/integrations/"+r.PathValue("id"), http.StatusSeeOther)
	return nil
}

func (s *Server) integrationActionSubmit(w http.ResponseWriter, r *http.Request) error {
	iid, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	action := r.PathValue("action")
	msg, err := s.integrationAction(r.Context(), iid, action)
	if err != nil {
		return err
	}
	s.audit(r, action, "integration", r.PathValue("id"), msg)
	s.setFlash(w, msg)
	if action == "delete" {
		http.Redirect(w, r, "/integrations", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/integrations/"+r.PathValue("id"), http.StatusSeeOther)
	return nil
}

func (s *Server) integrationNames(ctx context.Context) (map[int64]string, []store.Integration) {
	ins, err := s.st.Integrations(ctx)
	if err != nil {
		s.log.Warn("list integrations", "err", err)
	}
	names := make(map[int64]string, len(ins))
	for _, in := range ins {
		names[in.ID] = in.Name
	}
	return names, ins
}
