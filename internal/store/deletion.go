package store

import (
	"errors"
	"time"
)

// ErrConflict is returned when a record is not in the state a change needs
// (a deletion request decided by someone else in the meantime).
var ErrConflict = errors.New("changed in the meantime")

// Kinds of object a deletion request may name: the objects the Compliance
// API can delete and claudit stores findings for.
const (
	DeleteChat    = "chat"
	DeleteFile    = "file"
	DeleteProject = "project"
)

// Deletion request statuses. A request is pending until an admin other than
// its requester approves (then deleted or failed) or rejects it.
const (
	DeletionPending  = "pending"
	DeletionApproved = "approved" // claimed by the approver, DELETE in flight
	DeletionDeleted  = "deleted"
	DeletionFailed   = "failed"
	DeletionRejected = "rejected"
)

// DeletionRequest asks for one chat, file or project to be deleted through
// the Compliance API. It holds the requester, the reason, the decision and,
// once sent, the API's answer (the receipt).
type DeletionRequest struct {
	ID             int64     `json:"id"`
	IntegrationID  int64     `json:"integration_id"`
	Kind           string    `json:"kind"` // chat, file or project
	ObjectID       string    `json:"object_id"`
	Reason         string    `json:"reason"`
	Findings       int       `json:"findings"` // findings the object held when requested
	Status         string    `json:"status"`
	RequestedBy    int64     `json:"requested_by"`
	RequestedEmail string    `json:"requested_email"`
	RequestedAt    time.Time `json:"requested_at"`
	DecidedBy      int64     `json:"decided_by,omitempty"`
	DecidedEmail   string    `json:"decided_email,omitempty"`
	DecidedAt      time.Time `json:"decided_at,omitzero"`
	Comment        string    `json:"comment,omitempty"`
	// ResultType is the type the DELETE answered with, e.g. claude_chat_deleted.
	ResultType string    `json:"result_type,omitempty"`
	Error      string    `json:"error,omitempty"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
}
