package store

import "time"

// AccountSettings are an account's display preferences.
type AccountSettings struct {
	AccountID int64 `json:"account_id"`
	// TimeZone is an IANA zone name ("Europe/Paris"); "" until chosen or
	// detected from the browser, shown as UTC.
	TimeZone  string    `json:"time_zone"`
	UpdatedAt time.Time `json:"updated_at"`
}
