package compliance

import (
	"bytes"
	"fmt"
	"strings"
	"time"
)

// Time is a timestamp from the Compliance API. It parses every spelling the
// API is documented to use (RFC 3339 with or without fractional seconds and
// offset-less ISO 8601 values, which are read as UTC) and writes RFC 3339 in UTC.
type Time struct{ time.Time }

// NewTime wraps t in UTC.
func NewTime(t time.Time) Time { return Time{t.UTC()} }

// timeLayouts are tried in order; offset-less layouts are read as UTC.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
}

// ParseTime parses a Compliance API timestamp.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			// Years outside 0000-9999 in UTC could not be written back as RFC 3339.
			if y := t.UTC().Year(); y < 0 || y > 9999 {
				return time.Time{}, fmt.Errorf("parse timestamp %q: year out of range", s)
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("parse timestamp %q: not RFC 3339 or ISO 8601", s)
}

// UnmarshalJSON accepts a string timestamp or null (zero time).
func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		t.Time = time.Time{}
		return nil
	}
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("timestamp must be a JSON string, got %.40s", b)
	}
	v, err := ParseTime(string(b[1 : len(b)-1]))
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

// MarshalJSON writes RFC 3339 in UTC, or null for the zero time.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + t.UTC().Format(time.RFC3339Nano) + `"`), nil
}
