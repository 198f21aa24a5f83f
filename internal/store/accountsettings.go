package store

import (
	"context"
	"time"
)

// AccountSettings are an account's display preferences.
type AccountSettings struct {
	AccountID int64 `json:"account_id"`
	// TimeZone is an IANA zone name ("Europe/Paris"); "" until chosen or
	// detected from the browser, shown as UTC.
	TimeZone  string    `json:"time_zone"`
	UpdatedAt time.Time `json:"updated_at"`
}

// AccountSettingsStore keeps accounts' display preferences; both SQL
// backends implement it.
type AccountSettingsStore interface {
	// AccountSettings reads an account's settings; the zero settings (with
	// AccountID set) when none were saved.
	AccountSettings(ctx context.Context, accountID int64) (AccountSettings, error)
	// SetAccountTimeZone saves an account's time zone.
	SetAccountTimeZone(ctx context.Context, accountID int64, zone string, at time.Time) error
}
