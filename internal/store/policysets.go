package store

import "time"

// Names of the stored policy sets.
const (
	// PolicyDraft is the dashboard's pending changes.
	PolicyDraft = "draft"
	// PolicyInstalled is the set last installed from the dashboard.
	PolicyInstalled = "installed"
	// PolicyDraftBase is the installed set the draft was started from: when
	// the set in effect has changed since (the policies file edited and
	// reloaded), installing the draft would undo that change.
	PolicyDraftBase = "draft_base"
)

// PolicySet is a policy file kept by the dashboard: the draft of pending
// changes or the set it last installed.
type PolicySet struct {
	Name string `json:"name"`
	YAML string `json:"yaml"`
	// Version is the policy version the YAML loads as.
	Version   string    `json:"version"`
	UpdatedBy string    `json:"updated_by"`
	UpdatedAt time.Time `json:"updated_at"`
}
