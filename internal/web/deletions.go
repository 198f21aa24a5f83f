package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/claudit/claudit/internal/deletion"
	"github.com/claudit/claudit/internal/store"
)

var errNoDeletions = badf("deletion requests are not available in this build: the store or the Compliance API wiring is missing")

// deletionError turns the service's refusals into messages the user can act on.
func deletionError(err error) error {
	for _, e := range []error{deletion.ErrSelfApproval, deletion.ErrNotAdmin, deletion.ErrNotAnalyst, deletion.ErrMissingScope, deletion.ErrNoFindings, store.ErrConflict} {
		if errors.Is(err, e) {
			return badf("%v", err)
		}
	}
	return err
}

func actorOf(r *http.Request) deletion.Actor {
	id := identityFrom(r)
	return deletion.Actor{ID: id.Account.ID, Email: id.Account.Email, Role: id.Account.Role, IP: clientIP(r)}
}

type deletionForm struct {
	Integration string `json:"integration"` // name or id
	Kind        string `json:"kind"`
	ObjectID    string `json:"object_id"`
	Reason      string `json:"reason"`
}

func (s *Server) requestDeletion(r *http.Request, f deletionForm) (*store.DeletionRequest, error) {
	if s.cfg.Deletions == nil {
		return nil, errNoDeletions
	}
	iid, err := s.integrationParam(r.Context(), f.Integration)
	if err != nil {
		return nil, err
	}
	d, err := s.cfg.Deletions.Request(r.Context(), actorOf(r), iid, f.Kind, f.ObjectID, f.Reason)
	if err != nil {
		var be badRequest
		if errors.As(deletionError(err), &be) || errors.Is(err, store.ErrNotFound) {
			return nil, deletionError(err)
		}
		return nil, badf("%v", err) // validation: kind, id, reason
	}
	return d, nil
}

// decideDeletion approves or rejects the request named by the path; the
// request is returned with the error when the DELETE was sent and failed.
func (s *Server) decideDeletion(r *http.Request, action, comment string) (*store.DeletionRequest, error) {
	if s.cfg.Deletions == nil {
		return nil, errNoDeletions
	}
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	switch action {
	case "approve":
		return s.cfg.Deletions.Approve(r.Context(), actorOf(r), id, comment)
	case "reject":
		return s.cfg.Deletions.Reject(r.Context(), actorOf(r), id, comment)
	}
	return nil, badf("action %q: use approve or reject", action)
}

type deletionsData struct {
	Enabled      bool
	Requests     []store.DeletionRequest
	Integrations []store.Integration
	Status       string
	// Statuses and Kinds fill the filter and the form's choices.
	Statuses, Kinds []string
	// Prefill fills the request form from a link (a session's "request deletion").
	Prefill deletionForm
}

// deletionsPage lists deletion requests, with approve and reject for
// admins and a form to file one for analysts.
func (s *Server) deletionsPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	d := deletionsData{Enabled: s.cfg.Deletions != nil, Status: q.Get("status"),
		Statuses: []string{"", store.DeletionPending, store.DeletionDeleted, store.DeletionFailed, store.DeletionRejected},
		Kinds:    []string{store.DeleteChat, store.DeleteFile, store.DeleteProject},
		Prefill:  deletionForm{Integration: q.Get("integration"), Kind: q.Get("kind"), ObjectID: q.Get("object_id")}}
	if d.Enabled {
		var err error
		if d.Requests, err = s.cfg.Deletions.Deletions.DeletionRequests(r.Context(), d.Status, 200); err != nil {
			return err
		}
		if d.Integrations, err = s.st.Integrations(r.Context()); err != nil {
			return err
		}
	}
	s.audit(r, "view", "deletion_request", "", r.URL.RawQuery)
	s.render(w, r, http.StatusOK, "deletions.html", &pageData{Title: "Deletion requests", Nav: "deletions", Data: d})
	return nil
}

func (s *Server) deletionCreateSubmit(w http.ResponseWriter, r *http.Request) error {
	d, err := s.requestDeletion(r, deletionForm{Integration: r.PostFormValue("integration"), Kind: r.PostFormValue("kind"),
		ObjectID: r.PostFormValue("object_id"), Reason: r.PostFormValue("reason")})
	if err != nil {
		return err
	}
	s.setFlash(w, "Deletion request "+strconv.FormatInt(d.ID, 10)+" filed: another admin must approve it.")
	http.Redirect(w, r, "/deletions?status=pending", http.StatusSeeOther)
	return nil
}

func (s *Server) deletionActionSubmit(w http.ResponseWriter, r *http.Request) error {
	action := r.PathValue("action")
	d, err := s.decideDeletion(r, action, r.PostFormValue("comment"))
	if err != nil && d != nil && d.Status == store.DeletionFailed {
		err = badf("deletion request %d failed: %v", d.ID, err)
	}
	if err != nil {
		return deletionError(err)
	}
	msg := "Deletion request " + strconv.FormatInt(d.ID, 10) + " " + d.Status + "."
	if d.Status == store.DeletionDeleted {
		msg = "Deleted " + d.Kind + " " + d.ObjectID + " (" + d.ResultType + "); the receipt is in the access audit."
	}
	s.setFlash(w, msg)
	http.Redirect(w, r, "/deletions", http.StatusSeeOther)
	return nil
}

func (s *Server) apiDeletions(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Deletions == nil {
		return errNoDeletions
	}
	ds, err := s.cfg.Deletions.Deletions.DeletionRequests(r.Context(), r.URL.Query().Get("status"), 500)
	if err != nil {
		return err
	}
	if ds == nil {
		ds = []store.DeletionRequest{}
	}
	s.audit(r, "view", "deletion_request", "", r.URL.RawQuery)
	writeJSON(w, http.StatusOK, map[string]any{"deletion_requests": ds})
	return nil
}

func (s *Server) apiDeletionCreate(w http.ResponseWriter, r *http.Request) error {
	var f deletionForm
	if err := decodeJSON(r, &f); err != nil {
		return err
	}
	d, err := s.requestDeletion(r, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}

func (s *Server) apiDeletionAction(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Comment string `json:"comment"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &body); err != nil {
			return err
		}
	}
	d, err := s.decideDeletion(r, r.PathValue("action"), body.Comment)
	switch {
	case err == nil:
	case errors.Is(err, deletion.ErrSelfApproval), errors.Is(err, deletion.ErrNotAdmin):
		return errStatus(http.StatusForbidden, err.Error())
	case errors.Is(err, deletion.ErrMissingScope), errors.Is(err, store.ErrConflict), d != nil && d.Status == store.DeletionFailed:
		// Refused before sending, decided already, or sent and failed: the request says which.
		writeJSON(w, http.StatusConflict, map[string]any{"error": err.Error(), "deletion_request": d})
		return nil
	default:
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}
