package store

import "time"

// AuditEntry records who did or viewed what in the dashboard or API.
type AuditEntry struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	AccountID int64     `json:"account_id"`
	Actor     string    `json:"actor"` // account email
	Role      string    `json:"role"`
	Action    string    `json:"action"` // view, export, download, login, login_failed, logout, update, create, delete
	Object    string    `json:"object"` // event, session, user, export, alert, integration, backfill, policy, dataset, account, audit
	ObjectID  string    `json:"object_id,omitempty"`
	Detail    string    `json:"detail,omitempty"`
	IP        string    `json:"ip,omitempty"`
}

// AuditFilter selects audit entries, newest first.
type AuditFilter struct {
	Actor    string // exact account email
	Action   string
	Object   string
	ObjectID string
	Query    string // substring of actor, object id or detail
	From, To time.Time
	// BeforeID pages backwards: only entries with a smaller id.
	BeforeID int64
	Limit    int
}
