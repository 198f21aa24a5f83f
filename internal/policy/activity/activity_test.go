package activity

import (
	"testing"
	"time"
)

// build builds the registered rule name with params (nil: its defaults).
func build(t *testing.T, name string, params any, lim Limits, org Org) Check {
	t.Helper()
	u, ok := Lookup(name)
	if !ok {
		t.Fatalf("rule %s is not registered", name)
	}
	c, err := u.Build(params, lim, org)
	if err != nil {
		t.Fatalf("build %s: %v", name, err)
	}
	return c
}

// feed runs check over events of one actor in order, as the evaluator
// does, and returns which of them fired.
func feed(check Check, evs []Event) []bool {
	h := &History{}
	fired := make([]bool, len(evs))
	for i := range evs {
		_, fired[i] = check(&evs[i], h)
		h.Saw(evs[i].IP, evs[i].UserAgent)
	}
	return fired
}

// tuesday is a working day; hour h on it, in UTC.
func tuesday(h, m int) time.Time { return time.Date(2026, 3, 3, h, m, 0, 0, time.UTC) }

var workingHours = Org{WorkStart: 7, WorkEnd: 20, Location: time.UTC}

func TestUnitsOrder(t *testing.T) {
	us := Units()
	for i := 1; i < len(us); i++ {
		a, b := us[i-1], us[i]
		if a.PerActor && !b.PerActor || a.PerActor == b.PerActor && a.Name >= b.Name {
			t.Errorf("%s before %s: want event rules first, each by name", a.Name, b.Name)
		}
	}
}

func TestOrgOffHours(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	tests := []struct {
		at   time.Time
		org  Org
		want bool
	}{
		{tuesday(10, 0), workingHours, false},
		{tuesday(6, 59), workingHours, true},
		{tuesday(20, 0), workingHours, true},
		{time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC), workingHours, true},        // Saturday
		{tuesday(6, 30), Org{WorkStart: 7, WorkEnd: 20, Location: berlin}, false}, // 07:30 in Berlin
		{tuesday(10, 0), Org{WorkStart: 7, WorkEnd: 20}, false},                   // no location: UTC
	}
	for _, tt := range tests {
		if got := tt.org.OffHours(tt.at); got != tt.want {
			t.Errorf("OffHours(%s) in %v = %v, want %v", tt.at, tt.org.Location, got, tt.want)
		}
	}
}
