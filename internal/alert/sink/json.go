package sink

import (
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"
)

// JSONSchemaVersion is the version of the delivery JSON document
// (EncodeJSON); receivers can switch on it when the shape changes.
const JSONSchemaVersion = 1

// jsonDelivery is the wire form of a Delivery shared by the JSON sinks.
type jsonDelivery struct {
	SchemaVersion int        `json:"schema_version"`
	ID            string     `json:"id"`
	Kind          string     `json:"kind"`
	CreatedAt     time.Time  `json:"created_at"`
	Alert         *jsonAlert `json:"alert,omitempty"`
	Event         *jsonEvent `json:"event,omitempty"`
}

type jsonAlert struct {
	Alert
	ExcerptTruncated bool `json:"excerpt_truncated,omitempty"`
	// ExcerptBytes is the excerpt's size before truncation.
	ExcerptBytes int `json:"excerpt_bytes,omitempty"`
}

type jsonEvent struct {
	Event
	TextTruncated bool `json:"text_truncated,omitempty"`
	// TextBytes is the text's size before truncation.
	TextBytes int `json:"text_bytes,omitempty"`
	// RawOmitted says why Raw was left out.
	RawOmitted string `json:"raw_omitted,omitempty"`
	// TextOmitted marks an alert's event, whose text and raw form are left
	// out: the alert's redacted excerpt is what may leave claudit.
	TextOmitted bool `json:"text_omitted,omitempty"`
}

// EncodeJSON encodes d as one JSON object (no trailing newline) for webhook,
// Splunk and syslog bodies. Event.Text and Alert.Excerpt are made valid UTF-8
// and cut to maxText bytes, with text_truncated/excerpt_truncated and the
// original size added when cut; Event.Raw is left out (raw_omitted says why)
// when it is not valid JSON or larger than maxText. In an alert delivery the
// event's Text and Raw are left out (text_omitted): they are unredacted, and
// the alert's Excerpt is the redacted view. The output is always valid JSON
// whatever the input bytes.
func EncodeJSON(d Delivery, maxText int) ([]byte, error) {
	jd := jsonDelivery{SchemaVersion: JSONSchemaVersion, ID: d.ID, Kind: d.Kind, CreatedAt: d.CreatedAt}
	if d.Alert != nil {
		a := jsonAlert{Alert: *d.Alert}
		a.Excerpt, a.ExcerptTruncated = Clip(d.Alert.Excerpt, maxText)
		if a.ExcerptTruncated {
			a.ExcerptBytes = len(d.Alert.Excerpt)
		}
		jd.Alert = &a
	}
	if d.Event != nil {
		e := jsonEvent{Event: *d.Event}
		if d.Alert != nil {
			e.Text, e.Raw, e.TextOmitted = "", nil, d.Event.Text != "" || len(d.Event.Raw) > 0
		}
		e.Text, e.TextTruncated = Clip(e.Text, maxText)
		if e.TextTruncated {
			e.TextBytes = len(d.Event.Text)
		}
		switch {
		case len(e.Raw) == 0:
		case maxText > 0 && len(e.Raw) > maxText:
			e.Raw, e.RawOmitted = nil, fmt.Sprintf("raw is %d bytes, over max_text_bytes", len(e.Raw))
		case !json.Valid(e.Raw) || !utf8.Valid(e.Raw):
			e.Raw, e.RawOmitted = nil, "raw is not valid UTF-8 JSON"
		}
		jd.Event = &e
	}
	b, err := json.Marshal(jd)
	if err != nil {
		return nil, fmt.Errorf("encode delivery %s as JSON: %w", d.ID, err)
	}
	return b, nil
}
