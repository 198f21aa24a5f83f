// Package deletion carries out approved deletions through the Compliance
// API: an analyst requests that a chat, file or project holding a finding be
// deleted, with a reason; an admin other than the requester approves; only
// then is the DELETE sent, its answer checked and a receipt kept in the
// access audit. The API's deletes are immediate and permanent, so every
// refusal happens before anything is sent.
package deletion

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/store"
)

// Refusals, each with a message that says what to do instead.
var (
	ErrSelfApproval = errors.New("the requester cannot approve their own deletion request: another admin must approve it")
	ErrNotAdmin     = errors.New("only an admin can approve or reject a deletion request")
	ErrNotAnalyst   = errors.New("only an analyst or an admin can request a deletion")
	ErrMissingScope = errors.New("the integration's key lacks the " + compliance.ScopeDelete +
		" scope, so nothing was sent: create a Compliance Access Key with that scope, set it on the integration, test the connection, then approve again")
	ErrNoFindings = errors.New("only a chat, file or project that holds a finding can be requested for deletion")
)

// deletedType is the type each DELETE answers with when it did delete.
var deletedType = map[string]string{
	store.DeleteChat:    "claude_chat_deleted",
	store.DeleteFile:    "claude_file_deleted",
	store.DeleteProject: "claude_project_deleted",
}

// Actor is the account acting on a request.
type Actor struct {
	ID    int64
	Email string
	Role  string
	IP    string
}

// Auditor records entries in the access audit.
type Auditor interface {
	AppendAudit(ctx context.Context, e *store.AuditEntry) error
}

// Requests keeps deletion requests and what claudit knows of each
// integration key's scopes (the store's deletion methods).
type Requests interface {
	CreateDeletionRequest(ctx context.Context, d *store.DeletionRequest) error
	DeletionRequest(ctx context.Context, id int64) (*store.DeletionRequest, error)
	DeletionRequests(ctx context.Context, status string, limit int) ([]store.DeletionRequest, error)
	DecideDeletion(ctx context.Context, id int64, status string, by int64, email, comment string, at time.Time) error
	FinishDeletion(ctx context.Context, id int64, status, resultType, errText string, at time.Time) error
	ObjectFindings(ctx context.Context, integrationID int64, kind, id string) (int, error)
	SetIntegrationScopes(ctx context.Context, integrationID int64, scopes []string, at time.Time) error
	IntegrationScopes(ctx context.Context, integrationID int64) (scopes []string, checked time.Time, err error)
}

// Service files, decides and carries out deletion requests.
type Service struct {
	Store     store.Store
	Deletions Requests
	Audit     Auditor
	// Client builds a Compliance API client for an integration.
	Client func(ctx context.Context, in *store.Integration) (*compliance.Client, error)
	Now    func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) audit(ctx context.Context, by Actor, action, object, id, detail string) {
	if s.Audit == nil {
		return
	}
	// A receipt must outlive a cancelled request: the DELETE was sent.
	_ = s.Audit.AppendAudit(context.WithoutCancel(ctx), &store.AuditEntry{At: s.now(), AccountID: by.ID, Actor: by.Email, Role: by.Role,
		Action: action, Object: object, ObjectID: id, Detail: detail, IP: by.IP})
}

// Request files a pending deletion request for an object that holds a finding.
func (s *Service) Request(ctx context.Context, by Actor, integrationID int64, kind, objectID, reason string) (*store.DeletionRequest, error) {
	if by.Role != store.RoleAnalyst && by.Role != store.RoleAdmin {
		return nil, ErrNotAnalyst
	}
	if _, ok := deletedType[kind]; !ok {
		return nil, fmt.Errorf("kind %q: use chat, file or project", kind)
	}
	objectID, reason = strings.TrimSpace(objectID), strings.TrimSpace(reason)
	if objectID == "" || len(objectID) > 300 {
		return nil, fmt.Errorf("object id %q: give the id of the %s to delete", objectID, kind)
	}
	if reason == "" || len(reason) > 2000 {
		return nil, errors.New("a deletion request needs a reason (at most 2000 characters): the approver and the audit read it")
	}
	if _, err := s.Store.IntegrationByID(ctx, integrationID); err != nil {
		return nil, fmt.Errorf("integration %d: %w", integrationID, err)
	}
	n, err := s.Deletions.ObjectFindings(ctx, integrationID, kind, objectID)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("%s %s: %w", kind, objectID, ErrNoFindings)
	}
	d := &store.DeletionRequest{IntegrationID: integrationID, Kind: kind, ObjectID: objectID, Reason: reason, Findings: n,
		RequestedBy: by.ID, RequestedEmail: by.Email, RequestedAt: s.now()}
	if err := s.Deletions.CreateDeletionRequest(ctx, d); err != nil {
		return nil, err
	}
	s.audit(ctx, by, "create", "deletion_request", strconv.FormatInt(d.ID, 10), kind+" "+objectID+": "+reason)
	return d, nil
}

// Reject closes a pending request without sending anything.
func (s *Service) Reject(ctx context.Context, by Actor, id int64, comment string) (*store.DeletionRequest, error) {
	if by.Role != store.RoleAdmin {
		return nil, ErrNotAdmin
	}
	if err := s.Deletions.DecideDeletion(ctx, id, store.DeletionRejected, by.ID, by.Email, strings.TrimSpace(comment), s.now()); err != nil {
		return nil, err
	}
	s.audit(ctx, by, "reject", "deletion_request", strconv.FormatInt(id, 10), comment)
	return s.Deletions.DeletionRequest(ctx, id)
}

// CheckScope asks the API whether the integration's key holds the delete
// scope and records the answer.
func (s *Service) CheckScope(ctx context.Context, in *store.Integration) (bool, error) {
	c, err := s.Client(ctx, in)
	if err != nil {
		return false, err
	}
	ok, err := c.CanDelete(ctx)
	if err != nil {
		return false, err
	}
	return ok, s.recordScope(ctx, in.ID, ok)
}

func (s *Service) recordScope(ctx context.Context, integrationID int64, held bool) error {
	var scopes []string
	if held {
		scopes = []string{compliance.ScopeDelete}
	}
	return s.Deletions.SetIntegrationScopes(context.WithoutCancel(ctx), integrationID, scopes, s.now())
}

// HasDeleteScope reports what was recorded of the integration's delete
// scope; checked is false when it was never checked.
func (s *Service) HasDeleteScope(ctx context.Context, integrationID int64) (held, checked bool, err error) {
	scopes, at, err := s.Deletions.IntegrationScopes(ctx, integrationID)
	if err != nil {
		return false, false, err
	}
	return slices.Contains(scopes, compliance.ScopeDelete), !at.IsZero(), nil
}

// Receipt is what the access audit keeps of a deletion that was sent.
type Receipt struct {
	Request     int64     `json:"request"`
	Integration string    `json:"integration"`
	Kind        string    `json:"kind"`
	ObjectID    string    `json:"object_id"`
	Reason      string    `json:"reason"`
	RequestedBy string    `json:"requested_by"`
	ApprovedBy  string    `json:"approved_by"`
	SentAt      time.Time `json:"sent_at"`
	Status      string    `json:"status"`
	// AnsweredID and AnsweredType are the API's answer; Error when it failed.
	AnsweredID   string `json:"answered_id,omitempty"`
	AnsweredType string `json:"answered_type,omitempty"`
	Error        string `json:"error,omitempty"`
}

// Approve approves a pending request as by, then sends the DELETE. It
// refuses, sending nothing, when by is not an admin, is the requester, or
// the integration's key lacks the delete scope. The returned request holds
// the outcome; the error says why it failed.
func (s *Service) Approve(ctx context.Context, by Actor, id int64, comment string) (*store.DeletionRequest, error) {
	d, err := s.Deletions.DeletionRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	if d.Status != store.DeletionPending {
		return d, fmt.Errorf("deletion request %d is %s, not pending: %w", id, d.Status, store.ErrConflict)
	}
	if by.Role != store.RoleAdmin {
		return d, ErrNotAdmin
	}
	if by.ID == d.RequestedBy || strings.EqualFold(by.Email, d.RequestedEmail) {
		s.audit(ctx, by, "refuse", "deletion_request", strconv.FormatInt(id, 10), "self-approval refused")
		return d, ErrSelfApproval
	}
	in, err := s.Store.IntegrationByID(ctx, d.IntegrationID)
	if err != nil {
		return d, fmt.Errorf("integration %d: %w", d.IntegrationID, err)
	}
	held, checked, err := s.HasDeleteScope(ctx, in.ID)
	if err != nil {
		return d, err
	}
	if !checked {
		// The check sends a DELETE of a chat that cannot exist, never of the object.
		if held, err = s.CheckScope(ctx, in); err != nil {
			return d, fmt.Errorf("integration %s: %w", in.Name, err)
		}
	}
	if !held {
		s.audit(ctx, by, "refuse", "deletion_request", strconv.FormatInt(id, 10), "missing scope "+compliance.ScopeDelete)
		return d, fmt.Errorf("integration %s: %w", in.Name, ErrMissingScope)
	}
	c, err := s.Client(ctx, in)
	if err != nil {
		return d, err
	}
	if err := s.Deletions.DecideDeletion(ctx, id, store.DeletionApproved, by.ID, by.Email, strings.TrimSpace(comment), s.now()); err != nil {
		return d, err
	}
	rc := Receipt{Request: d.ID, Integration: in.Name, Kind: d.Kind, ObjectID: d.ObjectID, Reason: d.Reason,
		RequestedBy: d.RequestedEmail, ApprovedBy: by.Email, SentAt: s.now()}
	ans, sendErr := s.send(ctx, c, d.Kind, d.ObjectID)
	status, errText := store.DeletionDeleted, ""
	if ans != nil {
		rc.AnsweredID, rc.AnsweredType = ans.ID, ans.Type
	}
	switch {
	case sendErr != nil:
		status, errText = store.DeletionFailed, explain(d.Kind, d.ObjectID, sendErr)
		if compliance.IsPermission(sendErr) {
			_ = s.recordScope(ctx, in.ID, false)
		}
	case ans.Type != deletedType[d.Kind] || ans.ID != d.ObjectID:
		// Only the documented answer confirms a delete.
		status, errText = store.DeletionFailed, fmt.Sprintf("the API answered {id: %q, type: %q}, not {id: %q, type: %q}: the deletion is not confirmed; check the object in claude.ai",
			ans.ID, ans.Type, d.ObjectID, deletedType[d.Kind])
	}
	rc.Status, rc.Error = status, errText
	fin := s.now()
	if err := s.Deletions.FinishDeletion(context.WithoutCancel(ctx), id, status, rc.AnsweredType, errText, fin); err != nil {
		return d, err
	}
	if status == store.DeletionDeleted {
		// The receipt below is what counts: a failure to mark is only logged in it.
		if err := s.Store.MarkObjectDeleted(context.WithoutCancel(ctx), in.ID, d.Kind, d.ObjectID, fin); err != nil {
			rc.Error = "deleted, but not marked deleted in claudit: " + err.Error()
		}
	}
	receipt, _ := json.Marshal(rc)
	s.audit(ctx, by, "delete", d.Kind, d.ObjectID, string(receipt))
	out, err := s.Deletions.DeletionRequest(context.WithoutCancel(ctx), id)
	if err != nil {
		return d, err
	}
	if status == store.DeletionFailed {
		return out, errors.New(errText)
	}
	return out, nil
}

func (s *Service) send(ctx context.Context, c *compliance.Client, kind, id string) (*compliance.Deletion, error) {
	switch kind {
	case store.DeleteChat:
		return c.DeleteChat(ctx, id)
	case store.DeleteFile:
		return c.DeleteFile(ctx, id)
	case store.DeleteProject:
		return c.DeleteProject(ctx, id)
	}
	return nil, fmt.Errorf("kind %q cannot be deleted", kind)
}

// explain turns a failed DELETE into what to do next.
func explain(kind, id string, err error) string {
	switch {
	case compliance.IsConflict(err):
		return fmt.Sprintf("project %s still has chats attached (409), so nothing was deleted: request deletion of its chats (or have them moved), then request the project again", id)
	case compliance.IsNotFound(err):
		return fmt.Sprintf("%s %s was not found (404): it was already deleted, expired or never existed; nothing was deleted now", kind, id)
	case compliance.IsPermission(err):
		return fmt.Sprintf("the key was refused the delete (403): it lacks %s; create a key with that scope", compliance.ScopeDelete)
	}
	return err.Error()
}
