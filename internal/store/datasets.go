package store

import "time"

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
