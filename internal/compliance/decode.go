package compliance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// Decode decodes a response body into v as the client does: encoding/json's
// semantics, run by the go-json-experiment engine (the one behind Go's
// encoding/json/v2), which validates and decodes in a single pass instead of
// validating the whole body first.
func Decode(body []byte, v any) error {
	return jsonv1.Unmarshal(body, v)
}

// The activity feed is most of what a sync decodes. Activities and actors
// are read member by member with the jsontext tokenizer straight out of the
// bytes being kept as Raw: one pass, no intermediate map, and every value
// (type-specific fields, the actor's Raw) a subslice of Raw instead of a copy.
// The lenient options keep encoding/json's behaviour: the last of duplicate
// names wins and invalid UTF-8 is accepted (and replaced in strings).
var tokenizerOptions = []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)}

// memberReader walks the members of one JSON object.
type memberReader struct {
	src  []byte
	bb   bytes.Buffer // the decoder reads src through it without copying
	dec  jsontext.Decoder
	name []byte // unquoted name of an escaped member name
}

var memberReaders = sync.Pool{New: func() any { return new(memberReader) }}

// readMembers starts walking the object b; put the reader back with done.
func readMembers(b []byte) (*memberReader, error) {
	r := memberReaders.Get().(*memberReader)
	r.src = b
	r.bb = *bytes.NewBuffer(b)
	r.dec.Reset(&r.bb, tokenizerOptions...)
	tok, err := r.dec.ReadToken()
	if err != nil {
		r.done()
		return nil, err
	}
	if tok.Kind() != '{' {
		r.done()
		return nil, fmt.Errorf("want a JSON object, got %s", tok.Kind())
	}
	return r, nil
}

// next returns the next member's name (valid until the following call) and
// its value as a subslice of the object; ok is false after the last member.
func (r *memberReader) next() (name, value []byte, ok bool, err error) {
	if r.dec.PeekKind() == '}' {
		if _, err := r.dec.ReadToken(); err != nil {
			return nil, nil, false, err
		}
		// Like encoding/json, nothing but whitespace may follow the object.
		if _, err := r.dec.ReadToken(); err != io.EOF {
			return nil, nil, false, errors.New("invalid data after the top-level value")
		}
		return nil, nil, false, nil
	}
	qn, err := r.dec.ReadValue()
	if err != nil {
		return nil, nil, false, err
	}
	if name, err = r.unquoteName(qn); err != nil {
		return nil, nil, false, err
	}
	v, err := r.dec.ReadValue()
	if err != nil {
		return nil, nil, false, err
	}
	end := int(r.dec.InputOffset())
	return name, r.src[end-len(v) : end : end], true, nil
}

func (r *memberReader) unquoteName(q []byte) ([]byte, error) {
	if bytes.IndexByte(q, '\\') < 0 && utf8.Valid(q) {
		return q[1 : len(q)-1], nil
	}
	var err error
	r.name, err = jsontext.AppendUnquote(r.name[:0], q)
	if err != nil && !utf8.Valid(r.name) {
		return nil, err
	}
	return r.name, nil
}

func (r *memberReader) done() {
	r.src, r.bb = nil, bytes.Buffer{}
	memberReaders.Put(r)
}

// jsonString decodes a JSON string value the way encoding/json does; null
// leaves s unchanged.
func jsonString(v []byte, s *string) error {
	if len(v) >= 2 && v[0] == '"' && bytes.IndexByte(v, '\\') < 0 && utf8.Valid(v) {
		*s = string(v[1 : len(v)-1])
		return nil
	}
	return json.Unmarshal(v, s)
}

// jsonStringPtr decodes a string or null (nil).
func jsonStringPtr(v []byte, p **string) error {
	if string(v) == "null" {
		*p = nil
		return nil
	}
	var s string
	if err := jsonString(v, &s); err != nil {
		return err
	}
	*p = &s
	return nil
}

// UnmarshalJSON decodes the common fields and keeps the rest raw.
func (a *Activity) UnmarshalJSON(b []byte) error {
	return a.decodeOwned(append(json.RawMessage(nil), b...))
}

// decodeOwned is UnmarshalJSON for bytes the activity may keep as Raw.
func (a *Activity) decodeOwned(b []byte) error {
	*a = Activity{Raw: b}
	r, err := readMembers(a.Raw)
	if err != nil {
		return fmt.Errorf("decode activity: %w", err)
	}
	defer r.done()
	var actor []byte
	for {
		name, v, ok, err := r.next()
		if err != nil {
			return fmt.Errorf("decode activity: %w", err)
		}
		if !ok {
			break
		}
		switch string(name) {
		case "id":
			err = jsonString(v, &a.ID)
		case "type":
			err = jsonString(v, &a.Type)
		case "created_at":
			err = a.CreatedAt.UnmarshalJSON(v)
		case "organization_id":
			err = jsonStringPtr(v, &a.OrganizationID)
		case "organization_uuid":
			err = jsonStringPtr(v, &a.OrganizationUUID)
		case "actor":
			actor = v
		default:
			if a.Fields == nil {
				a.Fields = make(map[string]json.RawMessage, 4)
			}
			a.Fields[string(name)] = v
		}
		if err != nil {
			return fmt.Errorf("decode activity: field %s: %w", name, err)
		}
	}
	if a.ID == "" {
		return fmt.Errorf("decode activity: missing id")
	}
	if actor != nil && string(actor) != "null" {
		if err := a.Actor.decode(actor); err != nil {
			return fmt.Errorf("activity %s: %w", a.ID, err)
		}
	}
	return nil
}

// UnmarshalJSON decodes any actor object, keeping it raw.
func (a *Actor) UnmarshalJSON(b []byte) error {
	return a.decode(append(json.RawMessage(nil), b...))
}

// decode is UnmarshalJSON for bytes the actor may keep (Raw is b itself).
func (a *Actor) decode(b []byte) error {
	*a = Actor{Raw: b}
	if len(b) > 0 && b[0] != '{' {
		// Not an object: let encoding/json report (or, for null, accept) it.
		var w actorWire
		if err := json.Unmarshal(b, &w); err != nil {
			return fmt.Errorf("decode actor: %w", err)
		}
		*a = actorFromWire(w)
		a.Raw = b
		return nil
	}
	r, err := readMembers(b)
	if err != nil {
		return fmt.Errorf("decode actor: %w", err)
	}
	defer r.done()
	for {
		name, v, ok, err := r.next()
		if err != nil {
			return fmt.Errorf("decode actor: %w", err)
		}
		if !ok {
			return nil
		}
		if err := a.setField(actorFieldName(name), v); err != nil {
			return fmt.Errorf("decode actor: field %s: %w", name, err)
		}
	}
}

// actorFields are the actor's JSON names; encoding/json matches them
// ignoring case when no name matches exactly, and so does actorFieldName.
var actorFields = []string{"type", "email_address", "user_id", "ip_address", "user_agent", "api_key_id", "admin_api_key_id",
	"unauthenticated_email_address", "service", "workos_event_id", "directory_id", "idp_connection_type",
	"service_account_id", "issuer", "subject", "audience", "provider", "external_client_id", "kid_hash"}

func actorFieldName(name []byte) string {
	for _, f := range actorFields {
		if string(name) == f {
			return f
		}
	}
	for _, f := range actorFields {
		if strings.EqualFold(string(name), f) {
			return f
		}
	}
	return ""
}

func (a *Actor) setField(name string, v []byte) error {
	switch name {
	case "type":
		return jsonString(v, &a.Type)
	case "email_address":
		return jsonStringPtr(v, &a.EmailAddress)
	case "user_id":
		return jsonString(v, &a.UserID)
	case "ip_address":
		return jsonStringPtr(v, &a.IPAddress)
	case "user_agent":
		return jsonStringPtr(v, &a.UserAgent)
	case "api_key_id":
		return jsonString(v, &a.APIKeyID)
	case "admin_api_key_id":
		return jsonString(v, &a.AdminAPIKeyID)
	case "unauthenticated_email_address":
		return jsonStringPtr(v, &a.UnauthenticatedEmailAddress)
	case "service":
		return jsonStringPtr(v, &a.Service)
	case "workos_event_id":
		return jsonString(v, &a.WorkOSEventID)
	case "directory_id":
		return jsonString(v, &a.DirectoryID)
	case "idp_connection_type":
		return jsonStringPtr(v, &a.IDPConnectionType)
	case "service_account_id":
		return jsonString(v, &a.ServiceAccountID)
	case "issuer":
		return jsonStringPtr(v, &a.Issuer)
	case "subject":
		return jsonStringPtr(v, &a.Subject)
	case "audience":
		return json.Unmarshal(v, &a.Audience)
	case "provider":
		a.Provider = v
	case "external_client_id":
		return jsonString(v, &a.ExternalClientID)
	case "kid_hash":
		return jsonString(v, &a.KidHash)
	}
	return nil
}
