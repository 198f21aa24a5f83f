package web

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/oversight"
	"github.com/claudit/claudit/internal/store"
)

// alertLink is a place an alert points to, shown on its page.
type alertLink struct {
	ID, Term, Label, Href string
}

// oversightLinks are where a settings-drift or feed-gap alert points: its
// "event" is no stored message or activity, so the event page would 404.
// A drift alert goes to the setting in the integration's organization
// settings; a gap alert to the integration's sync state and to the access
// events of the silent hour (empty, which is the point).
func oversightLinks(a *store.Alert) []alertLink {
	in := "/integrations/" + strconv.FormatInt(a.IntegrationID, 10)
	switch a.EventKind {
	case oversight.KindSetting:
		org, _, _ := strings.Cut(a.EventID, "/")
		q := url.Values{"tab": {"directory"}, "setting": {a.Entity}}
		return []alertLink{{ID: "alert-setting", Term: "Setting", Label: a.Entity + " in the organization settings",
			Href: in + "?" + q.Encode() + "#" + settingAnchor(org, a.Entity)}}
	case oversight.KindFeed:
		q := url.Values{"kind": {"access"}, "integration": {strconv.FormatInt(a.IntegrationID, 10)},
			"from": {a.FirstSeen.Add(-time.Hour).UTC().Format(time.RFC3339)}, "to": {a.LastSeen.UTC().Format(time.RFC3339)}}
		return []alertLink{{ID: "alert-feed", Term: "Feed", Label: "sync state and recent runs", Href: in},
			{ID: "alert-feed-events", Term: "Silent hours", Label: "access events stored then", Href: "/events?" + q.Encode()}}
	}
	return nil
}

// settingAnchor is the id of a setting's row on the integration's directory tab.
func settingAnchor(org, name string) string { return "setting-" + org + "-" + name }
