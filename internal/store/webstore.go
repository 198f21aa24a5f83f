package store

import (
	"context"
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

// WebStore is the dashboard's side of the store: accounts, browser sessions,
// the access audit, datasets, encrypted keys of UI-created integrations and
// the aggregate reads of the overview.
type WebStore interface {
	// CreateAccount stores a new account and sets its ID; ErrExists when the email is taken.
	CreateAccount(ctx context.Context, a *Account) error
	AccountByEmail(ctx context.Context, email string) (*Account, error)
	AccountByID(ctx context.Context, id int64) (*Account, error)
	Accounts(ctx context.Context) ([]Account, error)
	CountAccounts(ctx context.Context) (int, error)
	// UpdateAccount saves role, password hash and disabled flag.
	UpdateAccount(ctx context.Context, a *Account) error
	TouchAccountLogin(ctx context.Context, id int64, at time.Time) error

	CreateWebSession(ctx context.Context, s *WebSession) error
	// WebSession reads an unexpired-or-not session by id; callers check ExpiresAt.
	WebSession(ctx context.Context, id string) (*WebSession, error)
	TouchWebSession(ctx context.Context, id string, seen, expires time.Time) error
	DeleteWebSession(ctx context.Context, id string) error
	// DeleteAccountSessions signs an account out everywhere.
	DeleteAccountSessions(ctx context.Context, accountID int64) error
	// PruneWebSessions deletes sessions that expired before t.
	PruneWebSessions(ctx context.Context, t time.Time) (int64, error)

	// AddLoginFailure counts a failed sign-in at time at against key, starting
	// the count again when the previous failure came before since, and
	// returns the key's row. Concurrent calls each count.
	AddLoginFailure(ctx context.Context, key string, at, since time.Time) (LoginThrottle, error)
	// LockLogin refuses sign-ins for key until the given time.
	LockLogin(ctx context.Context, key string, until time.Time) error
	// LoginThrottles reads the rows of those keys that have one.
	LoginThrottles(ctx context.Context, keys []string) ([]LoginThrottle, error)
	// LoginLocks lists the keys locked past t, latest lock first.
	LoginLocks(ctx context.Context, t time.Time) ([]LoginThrottle, error)
	// ClearLoginThrottle forgets key's failures and lock.
	ClearLoginThrottle(ctx context.Context, key string) error
	// PruneLoginThrottles forgets keys whose last failure and lock both
	// ended before t.
	PruneLoginThrottles(ctx context.Context, t time.Time) (int64, error)

	// CreateAPIToken stores a token and sets its ID and CreatedAt.
	CreateAPIToken(ctx context.Context, t *APIToken) error
	// APITokenByHash reads a token, revoked and expired ones too, by the
	// SHA-256 of its text; ErrNotFound when there is none.
	APITokenByHash(ctx context.Context, hash string) (*APIToken, error)
	// APIToken reads a token by id.
	APIToken(ctx context.Context, id int64) (*APIToken, error)
	// APITokens lists the tokens of one account (0: of every account), newest first.
	APITokens(ctx context.Context, accountID int64) ([]APIToken, error)
	// TouchAPIToken records a use of the token at t.
	TouchAPIToken(ctx context.Context, id int64, t time.Time) error
	// RevokeAPIToken revokes a token at t; revoking it again keeps the first time.
	RevokeAPIToken(ctx context.Context, id int64, t time.Time) error

	AppendAudit(ctx context.Context, e *AuditEntry) error
	AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error)

	// CreateDataset stores a dataset and its items in one transaction.
	CreateDataset(ctx context.Context, d *Dataset, items []DatasetItem) error
	Datasets(ctx context.Context) ([]Dataset, error)
	Dataset(ctx context.Context, id int64) (*Dataset, error)
	// DatasetMessages reads up to limit messages of a dataset from position offset, in saved order.
	DatasetMessages(ctx context.Context, id int64, offset, limit int) ([]Message, error)
	DeleteDataset(ctx context.Context, id int64) error

	// SetIntegrationKey stores an integration's sealed (encrypted) API key; IntegrationKey reads it ("" when none).
	SetIntegrationKey(ctx context.Context, integrationID int64, sealed string) error
	IntegrationKey(ctx context.Context, integrationID int64) (string, error)

	// Chats lists sessions, most recently updated first, each with its
	// count of findings at alert level.
	Chats(ctx context.Context, f ChatFilter) ([]Chat, error)
	// CountChats counts the sessions a filter selects, ignoring its paging.
	CountChats(ctx context.Context, f ChatFilter) (int, error)
	// EventFindings reads the findings of many events of one kind in one go.
	EventFindings(ctx context.Context, kind string, refs []EventRef) ([]Finding, error)
	// Overview aggregates volume, violations, users and models over [from, to).
	Overview(ctx context.Context, integrationID int64, from, to time.Time, top int) (*Overview, error)
}
