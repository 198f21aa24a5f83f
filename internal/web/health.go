package web

import (
	"context"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/store"
)

// Health statuses of an integration, as the dashboard and the API show them.
const (
	HealthOK           = "ok"
	HealthAuthFailed   = "auth failed"
	HealthMissingScope = "missing scope"
	HealthUnreachable  = "unreachable"
	HealthPaused       = "paused"
	HealthFeedOnly     = "feed-only"
	HealthRateLimited  = "rate-limited"
	HealthSyncError    = "sync error"
)

// IntegrationHealth is an integration's state told honestly: what is wrong
// (Status), the last error, and what to do about it.
type IntegrationHealth struct {
	Status    string `json:"status"`
	LastError string `json:"last_error,omitempty"`
	Action    string `json:"action,omitempty"`
	// Class is the CSS class of the status badge.
	Class string `json:"-"`
}

// feedOnlyExplained is shown wherever an integration runs in feed-only mode.
const feedOnlyExplained = "The key reaches only the Activity Feed (an Admin API key, or a Compliance Access Key without read:compliance_user_data). " +
	"Sign-ins, sharing and admin changes are synced and checked by the activity policies; chats, messages and files are not, so prompt policies see nothing. " +
	"For full coverage, edit the integration and enter a Compliance Access Key with the read:compliance_user_data scope."

// healthOf derives the status: a pause is the admin's choice and shows
// first, then the kind of the last failure, then feed-only mode.
func healthOf(in *store.Integration) IntegrationHealth {
	h := IntegrationHealth{LastError: in.LastError}
	switch {
	case in.Paused:
		h.Status, h.Class, h.Action = HealthPaused, "status-paused", "Syncing is paused by an admin: resume it to collect new events."
	case in.LastFailure == compliance.FailureAuth:
		h.Status, h.Class, h.Action = HealthAuthFailed, "status-failed",
			"The API key was rejected: edit the integration and enter a valid Compliance Access Key (sk-ant-api01-…) that is not deactivated or expired."
	case in.LastFailure == compliance.FailureScope:
		h.Status, h.Class, h.Action = HealthMissingScope, "status-failed",
			"The key lacks a scope the Compliance API needs, or the API is not enabled for the organization: give the key read:compliance_activities and read:compliance_user_data, or ask the primary owner to enable the Compliance API."
	case in.LastFailure == compliance.FailureUnreachable:
		h.Status, h.Class, h.Action = HealthUnreachable, "status-failed",
			"The Compliance API did not answer or answered with a server error: check the base URL, DNS and the network; claudit retries every interval."
	case in.LastFailure == compliance.FailureRateLimited:
		h.Status, h.Class, h.Action = HealthRateLimited, "status-paused",
			"The shared limit of 600 requests a minute per parent organization was hit: lower rate_limit or pause other consumers of the same organization; claudit retries."
	case in.LastFailure != "" || in.LastError != "":
		h.Status, h.Class, h.Action = HealthSyncError, "status-failed", "The last sync failed: read the error; claudit retries every interval."
	case in.Mode == "feed_only":
		h.Status, h.Class, h.Action = HealthFeedOnly, "status-pending", feedOnlyExplained
	default:
		h.Status, h.Class = HealthOK, "status-done"
		if in.LastSyncedAt.IsZero() {
			h.Action = "The connection test passed; the first sync has not finished yet."
		}
	}
	return h
}

// IntegrationView is an integration with its health, as the API returns it.
type IntegrationView struct {
	store.Integration
	Health IntegrationHealth `json:"health"`
}

func viewIntegrations(ins []store.Integration) []IntegrationView {
	out := make([]IntegrationView, 0, len(ins))
	for i := range ins {
		out = append(out, IntegrationView{Integration: ins[i], Health: healthOf(&ins[i])})
	}
	return out
}

// ModeTester is optionally implemented by a Control whose connection test
// also tells the mode a key allows: "feed_only" for a key that reaches only
// the Activity Feed, else "full". The dashboard then shows an integration
// added with such a key as feed-only before its first sync.
type ModeTester interface {
	TestMode(ctx context.Context, in *store.Integration, apiKey string) (msg, mode string, err error)
}
