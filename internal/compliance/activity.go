package compliance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// Activity is one entry of the Activity Feed. The common fields are typed;
// everything type-specific stays in Fields, and the verbatim JSON in Raw, so
// unknown activity types and fields pass through untouched.
type Activity struct {
	ID               string
	CreatedAt        Time
	OrganizationID   *string
	OrganizationUUID *string
	Actor            Actor
	Type             string
	// Fields holds the type-specific fields (everything but the common six).
	Fields map[string]json.RawMessage
	// Raw is the activity exactly as received; empty for activities built in code.
	Raw json.RawMessage
}

var commonActivityKeys = map[string]bool{
	"id": true, "created_at": true, "organization_id": true,
	"organization_uuid": true, "actor": true, "type": true,
}

// MarshalJSON writes Raw when present, else the typed fields with Fields merged
// in deterministic key order.
func (a Activity) MarshalJSON() ([]byte, error) {
	if len(a.Raw) > 0 {
		return a.Raw, nil
	}
	var buf bytes.Buffer
	buf.WriteString(`{"id":`)
	writeJSON(&buf, a.ID)
	buf.WriteString(`,"created_at":`)
	writeJSON(&buf, a.CreatedAt)
	buf.WriteString(`,"organization_id":`)
	writeJSON(&buf, a.OrganizationID)
	buf.WriteString(`,"organization_uuid":`)
	writeJSON(&buf, a.OrganizationUUID)
	buf.WriteString(`,"actor":`)
	writeJSON(&buf, a.Actor)
	buf.WriteString(`,"type":`)
	writeJSON(&buf, a.Type)
	keys := make([]string, 0, len(a.Fields))
	for k := range a.Fields {
		if !commonActivityKeys[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		buf.WriteByte(',')
		writeJSON(&buf, k)
		buf.WriteByte(':')
		buf.Write(a.Fields[k])
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// String returns a type-specific string field, or "" when absent, null or not a string.
func (a *Activity) String(field string) string {
	var s string
	if raw, ok := a.Fields[field]; ok {
		_ = json.Unmarshal(raw, &s)
	}
	return s
}

// SetField sets a type-specific field; used by the simulator and tests.
func (a *Activity) SetField(field string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("activity field %s: %v", field, err))
	}
	if a.Fields == nil {
		a.Fields = map[string]json.RawMessage{}
	}
	a.Fields[field] = b
	a.Raw = nil
}

func writeJSON(buf *bytes.Buffer, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte("null")
	}
	buf.Write(b)
}

// Actor types documented in SPEC §5. Unknown types pass through.
const (
	ActorUser            = "user_actor"
	ActorAPI             = "api_actor"
	ActorAdminAPIKey     = "admin_api_key_actor"
	ActorUnauthenticated = "unauthenticated_user_actor"
	ActorAnthropic       = "anthropic_actor"
	ActorSystem          = "system_actor"
	ActorSCIM            = "scim_directory_sync_actor"
	ActorServiceAccount  = "service_account_actor"
	ActorFederatedID     = "federated_identity_actor"
	ActorFederated       = "federated_actor"
	ActorAttestedDevice  = "attested_device_actor"
)

// ActorTypes lists the eleven documented actor types.
var ActorTypes = []string{ActorUser, ActorAPI, ActorAdminAPIKey, ActorUnauthenticated,
	ActorAnthropic, ActorSystem, ActorSCIM, ActorServiceAccount, ActorFederatedID,
	ActorFederated, ActorAttestedDevice}

// Actor is the discriminated union on Type. Fields not used by a type are
// empty; Raw keeps the verbatim object so unknown actor types survive.
type Actor struct {
	Type                        string
	EmailAddress                *string
	UserID                      string
	IPAddress                   *string
	UserAgent                   *string
	APIKeyID                    string
	AdminAPIKeyID               string
	UnauthenticatedEmailAddress *string
	Service                     *string
	WorkOSEventID               string
	DirectoryID                 string
	IDPConnectionType           *string
	ServiceAccountID            string
	Issuer                      *string
	Subject                     *string
	Audience                    []string
	Provider                    json.RawMessage
	ExternalClientID            string
	KidHash                     string
	Raw                         json.RawMessage
}

type actorWire struct {
	Type                        string          `json:"type"`
	EmailAddress                *string         `json:"email_address"`
	UserID                      string          `json:"user_id"`
	IPAddress                   *string         `json:"ip_address"`
	UserAgent                   *string         `json:"user_agent"`
	APIKeyID                    string          `json:"api_key_id"`
	AdminAPIKeyID               string          `json:"admin_api_key_id"`
	UnauthenticatedEmailAddress *string         `json:"unauthenticated_email_address"`
	Service                     *string         `json:"service"`
	WorkOSEventID               string          `json:"workos_event_id"`
	DirectoryID                 string          `json:"directory_id"`
	IDPConnectionType           *string         `json:"idp_connection_type"`
	ServiceAccountID            string          `json:"service_account_id"`
	Issuer                      *string         `json:"issuer"`
	Subject                     *string         `json:"subject"`
	Audience                    []string        `json:"audience"`
	Provider                    json.RawMessage `json:"provider"`
	ExternalClientID            string          `json:"external_client_id"`
	KidHash                     string          `json:"kid_hash"`
}

func actorFromWire(w actorWire) Actor {
	return Actor{Type: w.Type, EmailAddress: w.EmailAddress, UserID: w.UserID, IPAddress: w.IPAddress,
		UserAgent: w.UserAgent, APIKeyID: w.APIKeyID, AdminAPIKeyID: w.AdminAPIKeyID,
		UnauthenticatedEmailAddress: w.UnauthenticatedEmailAddress, Service: w.Service,
		WorkOSEventID: w.WorkOSEventID, DirectoryID: w.DirectoryID, IDPConnectionType: w.IDPConnectionType,
		ServiceAccountID: w.ServiceAccountID, Issuer: w.Issuer, Subject: w.Subject, Audience: w.Audience,
		Provider: w.Provider, ExternalClientID: w.ExternalClientID, KidHash: w.KidHash}
}

// MarshalJSON writes Raw when present, else exactly the fields SPEC §5 lists for the type.
func (a Actor) MarshalJSON() ([]byte, error) {
	if len(a.Raw) > 0 {
		return a.Raw, nil
	}
	m := map[string]any{"type": a.Type}
	net := func() { m["ip_address"] = a.IPAddress; m["user_agent"] = a.UserAgent }
	switch a.Type {
	case ActorUser:
		m["email_address"], m["user_id"] = a.EmailAddress, a.UserID
		net()
	case ActorAPI:
		m["api_key_id"] = a.APIKeyID
		net()
	case ActorAdminAPIKey:
		m["admin_api_key_id"] = a.AdminAPIKeyID
		net()
	case ActorUnauthenticated:
		m["unauthenticated_email_address"] = a.UnauthenticatedEmailAddress
		net()
	case ActorAnthropic:
		m["email_address"] = nil
	case ActorSystem:
		m["service"] = a.Service
	case ActorSCIM:
		m["workos_event_id"], m["directory_id"], m["idp_connection_type"] = a.WorkOSEventID, a.DirectoryID, a.IDPConnectionType
	case ActorServiceAccount:
		m["service_account_id"] = a.ServiceAccountID
		net()
	case ActorFederatedID:
		m["issuer"], m["subject"] = a.Issuer, a.Subject
		if a.Audience != nil {
			m["audience"] = a.Audience
		}
		net()
	case ActorFederated:
		m["provider"], m["subject"] = a.Provider, a.Subject
		if a.Provider == nil {
			m["provider"] = nil
		}
		net()
	case ActorAttestedDevice:
		m["external_client_id"], m["kid_hash"] = a.ExternalClientID, a.KidHash
		net()
	}
	return json.Marshal(m)
}

// Email returns the actor's best email: the signed-in address or the unauthenticated one.
func (a Actor) Email() string {
	if a.EmailAddress != nil {
		return *a.EmailAddress
	}
	if a.UnauthenticatedEmailAddress != nil {
		return *a.UnauthenticatedEmailAddress
	}
	return ""
}

// IP returns the actor's IP address or "".
func (a Actor) IP() string {
	if a.IPAddress != nil {
		return *a.IPAddress
	}
	return ""
}

// Agent returns the actor's user agent or "".
func (a Actor) Agent() string {
	if a.UserAgent != nil {
		return *a.UserAgent
	}
	return ""
}
