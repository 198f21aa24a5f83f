package store

import "time"

// Evidence counts what claudit holds for a period [From, To): the records
// an auditor asks for under SOC 2, HIPAA, GDPR, ISO/IEC 42001 and the EU AI
// Act (the compliance sections of a report, docs/DASHBOARD.md).
type Evidence struct {
	From, To time.Time
	// The access audit of the dashboard and API.
	AuditEntries int       `json:"audit_entries"`
	AuditViews   int       `json:"audit_views"`    // view, list, export, download
	AuditSignIns int       `json:"audit_sign_ins"` // login, including failed ones
	AuditFailed  int       `json:"audit_failed_sign_ins"`
	AuditChanges int       `json:"audit_changes"` // create, update, delete and the like
	OldestAudit  time.Time `json:"oldest_audit"`  // oldest entry kept, any period
	// Collection from the Compliance API.
	SyncRuns    int       `json:"sync_runs"`
	SyncFailed  int       `json:"sync_runs_failed"`
	LastSync    time.Time `json:"last_sync"`
	OldestEvent time.Time `json:"oldest_event"` // oldest stored activity or message, any period
	// Alerts raised, and triage recorded in their history.
	AlertsRaised   int `json:"alerts_raised"`
	AlertsResolved int `json:"alerts_resolved"` // of those raised, resolved by now
	AlertsOpen     int `json:"alerts_open"`     // open or acknowledged now, any period
	AlertsCritical int `json:"alerts_critical"` // of those raised
	TriageChanges  int `json:"triage_changes"`  // status or assignee changes in the period
	// Deletions through the Compliance API.
	DeletionRequests int `json:"deletion_requests"`
	DeletionReceipts int `json:"deletion_receipts"` // carried out, with the API's answer kept
	// Access control now.
	Accounts      map[string]int `json:"accounts"` // enabled accounts by role
	APITokensLive int            `json:"api_tokens_live"`
}
