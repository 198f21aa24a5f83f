package store

import "time"

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

// LoginThrottle counts the failed sign-ins against one key: an account
// ("account:<email>") or a client address ("ip:<address>").
type LoginThrottle struct {
	Key         string    `json:"key"`
	Failures    int       `json:"failures"`
	LastFailure time.Time `json:"last_failure_at"`
	// LockedUntil is when sign-ins for the key are accepted again; zero for none.
	LockedUntil time.Time `json:"locked_until"`
}
