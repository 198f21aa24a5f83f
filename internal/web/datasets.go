package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/claudit/claudit/internal/store"
)

// maxDatasetItems caps a dataset so one click cannot snapshot a whole archive.
const maxDatasetItems = 50000

// createDataset freezes the prompt events matching q under a name.
func (s *Server) createDataset(ctx context.Context, id *identity, name, description string, q url.Values) (*store.Dataset, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return nil, badf("name the dataset (1 to 200 characters)")
	}
	fq := filterQuery(q)
	fq.Set("kind", "prompt")
	f, err := s.parseFilter(ctx, fq)
	if err != nil {
		return nil, err
	}
	f.Ascending, f.Limit = true, 1000
	var items []store.DatasetItem
	for {
		page, next, err := s.st.PromptEvents(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, m := range page {
			items = append(items, store.DatasetItem{IntegrationID: m.IntegrationID, MessageID: m.ID})
		}
		if next == "" || len(items) >= maxDatasetItems {
			break
		}
		f.Cursor = next
	}
	if len(items) > maxDatasetItems {
		items = items[:maxDatasetItems]
	}
	if len(items) == 0 {
		return nil, badf("no prompt events match these filters: nothing to save")
	}
	d := &store.Dataset{Name: name, Description: strings.TrimSpace(description), Filter: fq.Encode(), CreatedBy: id.Account.Email}
	if err := s.ws.CreateDataset(ctx, d, items); err != nil {
		if errors.Is(err, store.ErrExists) {
			return nil, badf("a dataset named %q exists: choose another name", name)
		}
		return nil, err
	}
	return d, nil
}

// DatasetRecord is one line of a dataset download: a prompt for evaluations or red teaming.
type DatasetRecord struct {
	ID            string   `json:"id"`
	IntegrationID int64    `json:"integration_id"`
	ChatID        string   `json:"chat_id"`
	Role          string   `json:"role"`
	Model         string   `json:"model,omitempty"`
	UserEmail     string   `json:"user_email,omitempty"`
	Time          string   `json:"time"`
	Text          string   `json:"text"`
	Tags          []string `json:"tags,omitempty"`
	Policies      []string `json:"policies,omitempty"`
}

// datasetDownload streams a dataset as JSON Lines.
func (s *Server) datasetDownload(w http.ResponseWriter, r *http.Request) error {
	dsID, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	ctx := r.Context()
	d, err := s.ws.Dataset(ctx, dsID)
	if err != nil {
		return err
	}
	s.audit(r, "download", "dataset", r.PathValue("id"), d.Name)
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="claudit-dataset-%d.jsonl"`, d.ID))
	enc := json.NewEncoder(w)
	const page = 500
	for off := 0; off < d.Items; off += page {
		ms, err := s.ws.DatasetMessages(ctx, d.ID, off, page)
		if err != nil {
			s.log.Error("download dataset", "dataset", d.ID, "err", err)
			return nil
		}
		refs := make([]store.EventRef, len(ms))
		for i, m := range ms {
			refs[i] = store.EventRef{IntegrationID: m.IntegrationID, ID: m.ID}
		}
		fs, err := s.ws.EventFindings(ctx, "prompt", refs)
		if err != nil {
			s.log.Error("download dataset", "dataset", d.ID, "err", err)
			return nil
		}
		by := findingsByEvent(fs)
		for _, m := range ms {
			if err := enc.Encode(DatasetRecord{ID: m.ID, IntegrationID: m.IntegrationID, ChatID: m.ChatID, Role: m.Role, Model: m.Model,
				UserEmail: m.UserEmail, Time: m.CreatedAt.UTC().Format("2006-01-02T15:04:05.999999Z07:00"), Text: m.Text, Tags: m.Tags,
				Policies: policyNames(by[m.ID])}); err != nil {
				return nil
			}
		}
	}
	return nil
}

func (s *Server) apiDatasets(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.ws.Datasets(r.Context())
	if err != nil {
		return err
	}
	if ds == nil {
		ds = []store.Dataset{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"datasets": ds})
	return nil
}

func (s *Server) apiDataset(w http.ResponseWriter, r *http.Request) error {
	dsID, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	d, err := s.ws.Dataset(r.Context(), dsID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) apiDatasetCreate(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Name        string            `json:"name"`
		Description string            `json:"description"`
		Filter      map[string]string `json:"filter"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	q := url.Values{}
	for k, v := range body.Filter {
		q.Set(k, v)
	}
	d, err := s.createDataset(r.Context(), identityFrom(r), body.Name, body.Description, q)
	if err != nil {
		return err
	}
	s.audit(r, "create", "dataset", fmt.Sprint(d.ID), d.Name)
	writeJSON(w, http.StatusCreated, d)
	return nil
}

func (s *Server) apiDatasetDelete(w http.ResponseWriter, r *http.Request) error {
	if err := s.deleteDatasetAt(r); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) datasetsPage(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.ws.Datasets(r.Context())
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "datasets.html", &pageData{Title: "Datasets", Nav: "datasets", Data: ds})
	return nil
}

func (s *Server) datasetCreateSubmit(w http.ResponseWriter, r *http.Request) error {
	d, err := s.createDataset(r.Context(), identityFrom(r), r.PostFormValue("name"), r.PostFormValue("description"), r.PostForm)
	if err != nil {
		return err
	}
	s.audit(r, "create", "dataset", fmt.Sprint(d.ID), d.Name)
	s.setFlash(w, fmt.Sprintf("Saved dataset %q with %d prompts.", d.Name, d.Items))
	http.Redirect(w, r, "/datasets", http.StatusSeeOther)
	return nil
}

// deleteDatasetAt deletes the dataset the request's path names and audits
// it, for the API and the form alike.
func (s *Server) deleteDatasetAt(r *http.Request) error {
	dsID, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.ws.DeleteDataset(r.Context(), dsID); err != nil {
		return err
	}
	s.audit(r, "delete", "dataset", r.PathValue("id"), "")
	return nil
}

func (s *Server) datasetDeleteSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := s.deleteDatasetAt(r); err != nil {
		return err
	}
	s.setFlash(w, "Dataset deleted.")
	http.Redirect(w, r, "/datasets", http.StatusSeeOther)
	return nil
}
