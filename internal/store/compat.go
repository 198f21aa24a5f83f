package store

// Names of the store's former per-caller interfaces, while callers move to
// Store (issue 17). Each is Store itself; remove a name once nothing uses it.
type (
	WebStore       = Store
	Reporter       = Store
	RiskStore      = Store
	ReportRunStore = Store
	InventoryStore = Store
	DirectoryStore = Store
	OutboxStore    = Store
)
