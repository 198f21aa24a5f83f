package store

// Names of the store's former per-caller interfaces, while callers move to
// Store (issue 17). Each is Store itself; remove a name once nothing uses it.
type (
	WebStore       = Store
	DirectoryStore = Store
)
