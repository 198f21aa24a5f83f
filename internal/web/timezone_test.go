package web

import (
	"testing"
	"time"
)

func TestParseWhen(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in   string
		end  bool
		loc  *time.Location
		want string // RFC 3339 in UTC, "" for an error
	}{
		{"2025-03-10", false, time.UTC, "2025-03-10T00:00:00Z"},
		{"2025-03-10", true, time.UTC, "2025-03-11T00:00:00Z"},
		{"2025-03-10", false, paris, "2025-03-09T23:00:00Z"},
		{"2025-03-10", true, paris, "2025-03-10T23:00:00Z"},
		{"2025-03-30", true, paris, "2025-03-30T22:00:00Z"}, // the day summer time starts has 23 hours
		{"2025-03-10 14:30", false, paris, "2025-03-10T13:30:00Z"},
		{"2025-03-10T14:30", true, paris, "2025-03-10T13:30:00Z"}, // a time of day is exact, even as an end
		{"2025-03-10 14:30:15", false, time.UTC, "2025-03-10T14:30:15Z"},
		{"2025-03-10T14:30:00+05:00", false, paris, "2025-03-10T09:30:00Z"},
		{" 2025-03-10 ", false, time.UTC, "2025-03-10T00:00:00Z"},
		{"03/10/2025", false, time.UTC, ""},
		{"2025-03-10 25:00", false, time.UTC, ""},
		{"2025-02-30", false, time.UTC, ""},
	}
	for _, tc := range tests {
		got, err := parseWhen(tc.loc, tc.in, tc.end)
		if tc.want == "" {
			if err == nil {
				t.Errorf("parseWhen(%q) = %v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got.Format(time.RFC3339) != tc.want {
			t.Errorf("parseWhen(%q, end=%v, %s) = %v, %v; want %s", tc.in, tc.end, tc.loc, got, err, tc.want)
		}
	}
}

func TestParseZone(t *testing.T) {
	for _, ok := range []string{"UTC", "Europe/Paris", "America/Argentina/Buenos_Aires"} {
		if _, err := parseZone(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Local", "Mars/Olympus", "../../etc/passwd", "Europe/Paris " + "x"} {
		if _, err := parseZone(bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}
