package ocsf

import (
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/claudit/claudit/internal/alert/sink"
)

// SchemaVersion is the OCSF version the records follow (metadata.version).
const SchemaVersion = "1.3.0"

// Class UIDs and their categories.
const (
	ClassAccountChange       = 3001
	ClassAuthentication      = 3002
	ClassDetectionFinding    = 2004
	ClassDataSecurityFinding = 2006
	ClassAPIActivity         = 6003

	categoryFindings = 2
	categoryIAM      = 3
	categoryApp      = 6
)

var classNames = map[int]string{
	ClassAccountChange:       "Account Change",
	ClassAuthentication:      "Authentication",
	ClassDetectionFinding:    "Detection Finding",
	ClassDataSecurityFinding: "Data Security Finding",
	ClassAPIActivity:         "API Activity",
}

var categoryNames = map[int]string{categoryFindings: "Findings", categoryIAM: "Identity & Access Management", categoryApp: "Application Activity"}

// Record is one OCSF event as claudit writes it. Only the attributes of the
// record's class are set.
type Record struct {
	ActivityID   int    `json:"activity_id"`
	ActivityName string `json:"activity_name,omitempty"`
	CategoryUID  int    `json:"category_uid"`
	CategoryName string `json:"category_name"`
	ClassUID     int    `json:"class_uid"`
	ClassName    string `json:"class_name"`
	TypeUID      int    `json:"type_uid"`
	TypeName     string `json:"type_name"`
	SeverityID   int    `json:"severity_id"`
	Severity     string `json:"severity"`
	Time         int64  `json:"time"`
	Message      string `json:"message,omitempty"`
	Count        int    `json:"count,omitempty"`
	StartTime    int64  `json:"start_time,omitempty"`
	EndTime      int64  `json:"end_time,omitempty"`
	StatusID     *int   `json:"status_id,omitempty"`
	Status       string `json:"status,omitempty"`
	ActionID     *int   `json:"action_id,omitempty"`
	Action       string `json:"action,omitempty"`
	IsAlert      bool   `json:"is_alert,omitempty"`

	Metadata     Metadata      `json:"metadata"`
	FindingInfo  *FindingInfo  `json:"finding_info,omitempty"`
	DataSecurity *DataSecurity `json:"data_security,omitempty"`
	Evidences    []Evidence    `json:"evidences,omitempty"`
	Actor        *Actor        `json:"actor,omitempty"`
	User         *User         `json:"user,omitempty"`
	API          *API          `json:"api,omitempty"`
	SrcEndpoint  *Endpoint     `json:"src_endpoint,omitempty"`
	HTTPRequest  *HTTPRequest  `json:"http_request,omitempty"`

	Unmapped map[string]any `json:"unmapped,omitempty"`
}

// Metadata is the OCSF metadata object.
type Metadata struct {
	Version       string  `json:"version"`
	Product       Product `json:"product"`
	UID           string  `json:"uid,omitempty"`
	CorrelationID string  `json:"correlation_uid,omitempty"`
	EventCode     string  `json:"event_code,omitempty"`
	LoggedTime    int64   `json:"logged_time,omitempty"`
}

// Product names claudit as the producer.
type Product struct {
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
	Version    string `json:"version"`
}

// FindingInfo describes an alert.
type FindingInfo struct {
	UID           string    `json:"uid"`
	Title         string    `json:"title"`
	Desc          string    `json:"desc,omitempty"`
	Types         []string  `json:"types,omitempty"`
	FirstSeenTime int64     `json:"first_seen_time,omitempty"`
	LastSeenTime  int64     `json:"last_seen_time,omitempty"`
	SrcURL        string    `json:"src_url,omitempty"`
	Analytic      *Analytic `json:"analytic,omitempty"`
	RelatedEvents []Related `json:"related_events,omitempty"`
}

// Analytic is the rule that fired: the policy, with the detector as its type.
type Analytic struct {
	UID    string `json:"uid,omitempty"`
	Name   string `json:"name"`
	TypeID int    `json:"type_id"`
	Type   string `json:"type"`
}

// Related points at the event an alert is about.
type Related struct {
	UID string `json:"uid"`
}

// DataSecurity is the data_security object of a Data Security Finding.
type DataSecurity struct {
	CategoryID           int    `json:"category_id"`
	Category             string `json:"category"`
	DataLifecycleStateID int    `json:"data_lifecycle_state_id"`
	DataLifecycleState   string `json:"data_lifecycle_state"`
	DetectionPattern     string `json:"detection_pattern,omitempty"`
	DetectionSystemID    int    `json:"detection_system_id"`
	DetectionSystem      string `json:"detection_system"`
}

// Evidence ties a Detection Finding to who did what from where.
type Evidence struct {
	Actor       *Actor    `json:"actor,omitempty"`
	SrcEndpoint *Endpoint `json:"src_endpoint,omitempty"`
	Data        any       `json:"data,omitempty"`
}

// Actor is who performed the activity.
type Actor struct {
	User *User `json:"user,omitempty"`
}

// User is an OCSF user.
type User struct {
	UID       string `json:"uid,omitempty"`
	EmailAddr string `json:"email_addr,omitempty"`
}

// API is the api object of API Activity.
type API struct {
	Operation string   `json:"operation"`
	Service   *Service `json:"service,omitempty"`
}

// Service names the API's service.
type Service struct {
	Name string `json:"name"`
}

// Endpoint is a network endpoint.
type Endpoint struct {
	IP string `json:"ip,omitempty"`
}

// HTTPRequest carries the user agent.
type HTTPRequest struct {
	UserAgent string `json:"user_agent,omitempty"`
}

// Encoder maps deliveries to OCSF records.
type Encoder struct {
	// Version is claudit's version (metadata.product.version).
	Version string
	// MaxText bounds text copied into the record (message, unmapped.text).
	MaxText int
	// DataSecurityDetectors map to Data Security Finding.
	DataSecurityDetectors []string
}

// Encode returns d as one JSON line (with the trailing newline).
func (e Encoder) Encode(d sink.Delivery) ([]byte, error) {
	r, err := e.Record(d)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode OCSF record for %s: %w", d.ID, err)
	}
	return append(b, '\n'), nil
}

// Record maps d: an alert to a finding, a prompt event to API Activity, an
// access event to Authentication, Account Change or API Activity by its
// activity type.
func (e Encoder) Record(d sink.Delivery) (Record, error) {
	switch {
	case d.Alert != nil:
		return e.finding(d), nil
	case d.Event != nil:
		return e.event(d), nil
	}
	return Record{}, fmt.Errorf("delivery %s has neither alert nor event", d.ID)
}

var severityIDs = map[string]int{"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
var severityNames = []string{"Unknown", "Informational", "Low", "Medium", "High", "Critical"}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func (e Encoder) base(class, activity int, activityName string, t time.Time, sev int) Record {
	cat := class / 1000
	return Record{
		ActivityID: activity, ActivityName: activityName,
		CategoryUID: cat, CategoryName: categoryNames[cat],
		ClassUID: class, ClassName: classNames[class],
		TypeUID: class*100 + activity, TypeName: classNames[class] + ": " + activityName,
		SeverityID: sev, Severity: severityNames[sev],
		Time: ms(t),
		Metadata: Metadata{
			Version: SchemaVersion,
			Product: Product{Name: "claudit", VendorName: "Claudit", Version: e.Version},
		},
	}
}

func user(id, email string) *User {
	if id == "" && email == "" {
		return nil
	}
	return &User{UID: id, EmailAddr: sanitize(email)}
}

func endpoint(ip string) *Endpoint {
	if a := net.ParseIP(ip); a != nil {
		return &Endpoint{IP: a.String()}
	}
	return nil
}

func sanitize(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

func intp(v int) *int { return &v }

// Finding status and activity from the alert's status and history.
func findingActivity(a *sink.Alert) (activity int, name string, statusID int, status string) {
	switch strings.ToLower(a.Status) {
	case "", "open", "new":
		statusID, status = 1, "New"
	case "acknowledged", "in_progress", "investigating":
		statusID, status = 2, "In Progress"
	case "suppressed", "muted", "snoozed":
		statusID, status = 3, "Suppressed"
	case "resolved", "closed":
		statusID, status = 4, "Resolved"
	default:
		statusID, status = 99, a.Status
	}
	switch {
	case statusID == 4:
		return 3, "Close", statusID, status
	case a.Count > 1 || a.LastSeen.After(a.FirstSeen):
		return 2, "Update", statusID, status
	}
	return 1, "Create", statusID, status
}

func (e Encoder) finding(d sink.Delivery) Record {
	a := d.Alert
	activity, activityName, statusID, status := findingActivity(a)
	sev, ok := severityIDs[strings.ToLower(a.Severity)]
	if !ok {
		sev = 0
	}
	dataSec := slices.Contains(e.dataSecurityDetectors(), a.Detector)
	class := ClassDetectionFinding
	if dataSec {
		class = ClassDataSecurityFinding
	}
	t := d.CreatedAt
	if t.IsZero() {
		t = a.LastSeen
	}
	r := e.base(class, activity, activityName, t, sev)
	r.Metadata.UID = d.ID
	r.Metadata.CorrelationID = a.ID
	r.Metadata.LoggedTime = ms(d.CreatedAt)
	excerpt, cut := sink.Clip(a.Excerpt, e.MaxText)
	r.Message = excerpt
	r.Count = a.Count
	r.StartTime, r.EndTime = ms(a.FirstSeen), ms(a.LastSeen)
	r.StatusID, r.Status = intp(statusID), status
	r.IsAlert = true
	r.FindingInfo = &FindingInfo{
		UID: a.ID, Title: sanitize(a.Policy), Desc: excerpt, Types: nonEmpty(a.Detector),
		FirstSeenTime: ms(a.FirstSeen), LastSeenTime: ms(a.LastSeen), SrcURL: a.URL,
		Analytic: &Analytic{UID: sanitize(a.Policy), Name: sanitize(a.Policy), TypeID: 1, Type: "Rule"},
	}
	if a.EventID != "" {
		r.FindingInfo.RelatedEvents = []Related{{UID: a.EventID}}
	}
	var ip string
	if d.Event != nil {
		ip = d.Event.IP
	}
	actor := &Actor{User: user(a.UserID, a.UserEmail)}
	if actor.User == nil {
		actor = nil
	}
	if dataSec {
		// Data Security Finding carries actor and endpoint itself and
		// requires action_id: 2 Denied when claudit blocked, else 1 Allowed.
		r.Actor, r.SrcEndpoint = actor, endpoint(ip)
		actionID, action := 1, "Allowed"
		if act := strings.ToLower(a.Action); act == "block" || act == "blocked" || act == "deny" || act == "denied" {
			actionID, action = 2, "Denied"
		}
		r.ActionID, r.Action = intp(actionID), action
		catID, cat := 99, "Other"
		switch {
		case strings.HasPrefix(a.Detector, "pii"):
			catID, cat = 1, "Personal"
		case strings.HasPrefix(a.Detector, "secret"):
			catID, cat = 6, "Security"
		}
		r.DataSecurity = &DataSecurity{
			CategoryID: catID, Category: cat,
			DataLifecycleStateID: 2, DataLifecycleState: "Data in-Transit",
			DetectionPattern:  sanitize(a.Detector),
			DetectionSystemID: 99, DetectionSystem: "claudit",
		}
	} else if actor != nil || endpoint(ip) != nil {
		r.Evidences = []Evidence{{Actor: actor, SrcEndpoint: endpoint(ip)}}
	}
	r.Unmapped = compact(map[string]any{
		"policy": sanitize(a.Policy), "detector": sanitize(a.Detector),
		"action": sanitize(a.Action), "original_action": sanitize(a.OriginalAction),
		"chat_id": a.ChatID, "event_id": a.EventID, "integration": sanitize(a.Integration),
		"tags": a.Tags,
	})
	if cut {
		r.Unmapped["excerpt_truncated_from_bytes"] = len(a.Excerpt)
	}
	return r
}

func (e Encoder) dataSecurityDetectors() []string {
	if e.DataSecurityDetectors != nil {
		return e.DataSecurityDetectors
	}
	return []string{"pii", "secrets"}
}

func nonEmpty(vs ...string) []string {
	var out []string
	for _, v := range vs {
		if v != "" {
			out = append(out, sanitize(v))
		}
	}
	return out
}

// compact drops empty values so unmapped holds only what is known.
func compact(m map[string]any) map[string]any {
	for k, v := range m {
		switch v := v.(type) {
		case string:
			if v == "" {
				delete(m, k)
			}
		case []string:
			if len(v) == 0 {
				delete(m, k)
			}
		case nil:
			delete(m, k)
		}
	}
	return m
}

// activityRule maps access activity types to a class and activity by
// substring; the first match wins, so specific patterns come first.
type activityRule struct {
	contains []string
	class    int
}

var accessClasses = []activityRule{
	{[]string{"login", "logged_in", "logged_out", "logout", "authentication", "sso_second_factor", "session_revoked"}, ClassAuthentication},
	{[]string{"role", "api_key", "signing_key", "external_key", "scim_user", "org_user_", "user_deleted", "member_added", "member_removed", "member_updated", "seat_tier", "permission", "trusted_devices"}, ClassAccountChange},
}

func accessClass(typ string) int {
	t := strings.ToLower(typ)
	for _, r := range accessClasses {
		for _, c := range r.contains {
			if strings.Contains(t, c) {
				return r.class
			}
		}
	}
	return ClassAPIActivity
}

func has(t string, words ...string) bool {
	for _, w := range words {
		if strings.Contains(t, w) {
			return true
		}
	}
	return false
}

func authActivity(t string) (int, string) {
	if has(t, "logged_out", "logout", "session_revoked") {
		return 2, "Logoff"
	}
	return 1, "Logon"
}

func authStatus(t string) (int, string) {
	switch {
	case has(t, "succeeded", "success", "logged_in"):
		return 1, "Success"
	case has(t, "failed", "failure", "invalid"):
		return 2, "Failure"
	}
	return 0, "Unknown"
}

func accountActivity(t string) (int, string) {
	switch {
	case has(t, "unassigned", "revoked", "permission_removed", "detached"):
		return 8, "Detach Policy"
	case has(t, "assigned", "granted", "permission_added", "role_updated", "role_mappings_updated", "attached"):
		return 7, "Attach Policy"
	case has(t, "disabled", "deactivated"):
		return 5, "Disable"
	case has(t, "enabled", "activated"):
		return 2, "Enable"
	case has(t, "deleted", "removed", "_left"):
		return 6, "Delete"
	case has(t, "created", "added"):
		return 1, "Create"
	}
	return 99, "Other"
}

func apiActivity(t string) (int, string) {
	switch {
	case has(t, "created", "added", "sent", "generated", "message"):
		return 1, "Create"
	case has(t, "viewed", "listed", "accessed", "exported", "downloaded", "read"):
		return 2, "Read"
	case has(t, "deleted", "removed", "revoked"):
		return 4, "Delete"
	case has(t, "updated", "changed", "toggled", "enabled", "disabled", "rotated"):
		return 3, "Update"
	}
	return 99, "Other"
}

func (e Encoder) event(d sink.Delivery) Record {
	ev := d.Event
	t := strings.ToLower(ev.Type)
	class := ClassAPIActivity
	if ev.Kind == "access" {
		class = accessClass(t)
	}
	var activity int
	var name string
	switch class {
	case ClassAuthentication:
		activity, name = authActivity(t)
	case ClassAccountChange:
		activity, name = accountActivity(t)
	default:
		activity, name = apiActivity(t)
	}
	if activity == 99 {
		name = sanitize(ev.Type)
	}
	r := e.base(class, activity, name, ev.CreatedAt, 1)
	r.Metadata.UID = ev.ID
	r.Metadata.EventCode = sanitize(ev.Type)
	r.Metadata.LoggedTime = ms(d.CreatedAt)
	u := user(ev.UserID, ev.UserEmail)
	if u != nil {
		r.Actor = &Actor{User: u}
	}
	r.SrcEndpoint = endpoint(ev.IP)
	if ev.UserAgent != "" {
		r.HTTPRequest = &HTTPRequest{UserAgent: sanitize(ev.UserAgent)}
	}
	switch class {
	case ClassAuthentication:
		id, status := authStatus(t)
		r.StatusID, r.Status = intp(id), status
		r.User = u // the user logging on is the actor
	case ClassAccountChange:
		// The changed account is only in the raw activity; the acting user
		// stands in so the required attribute is set.
		r.User = u
	default:
		r.API = &API{Operation: sanitize(ev.Type), Service: &Service{Name: "Claude"}}
	}
	text, cut := sink.Clip(ev.Text, e.MaxText)
	r.Unmapped = compact(map[string]any{
		"kind": ev.Kind, "role": sanitize(ev.Role), "model": sanitize(ev.Model), "text": text,
		"chat_id": ev.ChatID, "integration": sanitize(ev.Integration), "tags": ev.Tags,
	})
	if cut {
		r.Unmapped["text_truncated_from_bytes"] = len(ev.Text)
	}
	if len(ev.Raw) > 0 && json.Valid(ev.Raw) && utf8.Valid(ev.Raw) && (e.MaxText <= 0 || len(ev.Raw) <= e.MaxText) {
		r.Unmapped["raw"] = ev.Raw
	}
	return r
}
