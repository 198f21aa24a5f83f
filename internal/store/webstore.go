package store

import (
	"errors"
	"time"
)

// ErrExists is returned when a record with the same unique key already exists.
var ErrExists = errors.New("already exists")

// Dashboard roles, most powerful first.
const (
	RoleAdmin   = "admin"   // everything, including integrations, policies and accounts
	RoleAnalyst = "analyst" // investigate, manage alerts, save datasets
	RoleViewer  = "viewer"  // dashboards and events with PII and secrets redacted
)

// Account is a local dashboard login.
type Account struct {
	ID           int64     `json:"id"`
	Email        string    `json:"email"`
	Role         string    `json:"role"`
	PasswordHash string    `json:"-"`
	Disabled     bool      `json:"disabled"`
	CreatedAt    time.Time `json:"created_at"`
	LastLoginAt  time.Time `json:"last_login_at"`
}

// WebSession is a signed-in browser. ID is the SHA-256 of the cookie token,
// so a copy of the database does not hand out live sessions.
type WebSession struct {
	ID         string
	AccountID  int64
	CSRFToken  string
	IP         string
	UserAgent  string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// APIToken is a personal API token: a bearer credential for the JSON API
// that acts for its account with at most Role. Hash is the SHA-256 of the
// token, which is shown once when created and never stored.
type APIToken struct {
	ID        int64  `json:"id"`
	AccountID int64  `json:"account_id"`
	Email     string `json:"email"` // the owner's, when read back
	Name      string `json:"name"`
	// Prefix is the token's first characters, to tell tokens apart.
	Prefix     string    `json:"prefix"`
	Hash       string    `json:"-"`
	Role       string    `json:"role"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	// RevokedAt is when the token was revoked; zero while it is not.
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

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

// LoginThrottle counts the failed sign-ins against one key: an account
// ("account:<email>") or a client address ("ip:<address>").
type LoginThrottle struct {
	Key         string    `json:"key"`
	Failures    int       `json:"failures"`
	LastFailure time.Time `json:"last_failure_at"`
	// LockedUntil is when sign-ins for the key are accepted again; zero for none.
	LockedUntil time.Time `json:"locked_until"`
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

// Dataset is a named, frozen set of prompt events for evaluations or red teaming.
type Dataset struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Filter      string    `json:"filter"` // the query string the set was selected with
	Items       int       `json:"items"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
}

// DatasetItem references one message of a dataset.
type DatasetItem struct {
	IntegrationID int64
	MessageID     string
}

// ChatFilter selects sessions, newest activity first.
type ChatFilter struct {
	IntegrationID int64
	User          string // user id or email
	Query         string // substring of the chat name
	// From and To select sessions active in [From, To): created before To
	// and updated at or after From. Zero means open-ended.
	From, To time.Time
	// Sort is "updated" (default, newest first) or "violations" (most first).
	Sort   string
	Limit  int
	Offset int
}

// Overview is the dashboard's summary of a time range.
type Overview struct {
	From       time.Time    `json:"from"`
	To         time.Time    `json:"to"`
	Prompts    int          `json:"prompts"`
	Access     int          `json:"access"`
	Violations int          `json:"violations"`
	Days       []DayCount   `json:"days"`
	ByPolicy   []NamedCount `json:"by_policy"`
	TopUsers   []NamedCount `json:"top_users"`
	Models     []NamedCount `json:"models"`
}

// DayCount is one UTC day of volume.
type DayCount struct {
	Day        time.Time `json:"day"`
	Prompts    int       `json:"prompts"`
	Access     int       `json:"access"`
	Violations int       `json:"violations"`
}

// NamedCount is a label and how often it occurred.
type NamedCount struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// EventRef names one stored event.
type EventRef struct {
	IntegrationID int64
	ID            string
}
