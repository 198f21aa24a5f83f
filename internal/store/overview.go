package store

import "time"

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
