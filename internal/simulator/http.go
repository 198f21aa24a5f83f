package simulator

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// route is one endpoint of SPEC §1.
type route struct {
	method  string
	pattern []string // path segments; "*" matches one segment
	scope   string   // required scope
	params  []string // accepted query parameters
	binary  bool     // streams non-JSON content
	handle  func(w http.ResponseWriter, r *http.Request, q url.Values, args []string)
}

func timeParams(field string, ops ...string) []string {
	if len(ops) == 0 {
		ops = []string{"gte", "gt", "lte", "lt"}
	}
	out := make([]string, len(ops))
	for i, op := range ops {
		out[i] = field + "." + op
	}
	return out
}

func params(groups ...[]string) []string {
	var out []string
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

func (s *Server) buildRoutes() []route {
	page := []string{"limit", "page"}
	sessMsgs := []string{"limit", "page", "order", "tool_use_input_max_bytes", "tool_result_max_bytes"}
	r := func(method, path, scope string, ps []string, h func(http.ResponseWriter, *http.Request, url.Values, []string)) route {
		segs := strings.Split(strings.Trim(path, "/"), "/")
		return route{method: method, pattern: segs, scope: scope, params: ps, handle: h}
	}
	routes := []route{
		r("GET", "/v1/compliance/activities", ScopeActivities, params([]string{"activity_types[]", "exclude_activity_types[]", "actor_ids[]", "user_ids[]",
			"organization_ids[]", "limit", "order", "after_id", "before_id"}, timeParams("created_at")), s.listActivities),
		r("GET", "/v1/compliance/apps/chats", ScopeUserData, params([]string{"user_ids[]", "organization_ids[]", "project_ids[]", "order_by", "limit",
			"after_id", "before_id"}, timeParams("created_at"), timeParams("updated_at")), s.listChats),
		r("GET", "/v1/compliance/apps/chats/files/*", ScopeUserData, nil, s.getFile),
		r("GET", "/v1/compliance/apps/chats/files/*/content", ScopeUserData, nil, s.getFileContent),
		r("DELETE", "/v1/compliance/apps/chats/files/*", ScopeDelete, nil, s.deleteFile),
		r("GET", "/v1/compliance/apps/chats/generated-files/*", ScopeUserData, nil, s.getGenFile),
		r("GET", "/v1/compliance/apps/chats/generated-files/*/content", ScopeUserData, nil, s.getGenFileContent),
		r("GET", "/v1/compliance/apps/chats/*/messages", ScopeUserData, params([]string{"limit", "after_id", "before_id", "order",
			"tool_result_max_chars", "tool_use_input_max_chars"}, timeParams("created_at"), timeParams("updated_at")), s.listMessages),
		r("DELETE", "/v1/compliance/apps/chats/*", ScopeDelete, nil, s.deleteChat),
		r("GET", "/v1/compliance/apps/artifacts/*", ScopeUserData, nil, s.getArtifact),
		r("GET", "/v1/compliance/apps/artifacts/*/content", ScopeUserData, nil, s.getArtifactContent),
		r("GET", "/v1/compliance/apps/projects", ScopeUserData, params(page, []string{"organization_ids[]", "user_ids[]"}, timeParams("created_at"), timeParams("updated_at")), s.listProjects),
		r("GET", "/v1/compliance/apps/projects/documents/*", ScopeUserData, nil, s.getDocument),
		r("GET", "/v1/compliance/apps/projects/documents/*/metadata", ScopeUserData, nil, s.getDocumentMetadata),
		r("DELETE", "/v1/compliance/apps/projects/documents/*", ScopeDelete, nil, s.deleteDocument),
		r("GET", "/v1/compliance/apps/projects/*", ScopeUserData, nil, s.getProject),
		r("DELETE", "/v1/compliance/apps/projects/*", ScopeDelete, nil, s.deleteProject),
		r("GET", "/v1/compliance/apps/projects/*/attachments", ScopeUserData, page, s.listAttachments),
		r("GET", "/v1/compliance/apps/projects/*/collaborators", ScopeUserData, page, s.listCollaborators),
		r("GET", "/v1/compliance/apps/code/artifacts", ScopeUserData, params(page, []string{"organization_ids[]", "user_ids[]"}, timeParams("updated_at")), s.listCodeArtifacts),
		r("GET", "/v1/compliance/apps/code/artifacts/*/versions/*", ScopeUserData, nil, s.getCodeVersion),
		r("DELETE", "/v1/compliance/apps/code/artifacts/*", ScopeDelete, nil, s.deleteCodeArtifact),
		r("GET", "/v1/compliance/apps/code/artifacts/*/content", ScopeUserData, []string{"multi_file_format"}, s.getCodeArtifactZip),
		r("GET", "/v1/compliance/apps/sessions/local", ScopeUserData, params(page, []string{"created_at.gte", "created_at.lt", "updated_at.gte"}), s.listLocalSessions),
		r("GET", "/v1/compliance/apps/sessions/local/*", ScopeUserData, nil, s.getLocalSession),
		r("GET", "/v1/compliance/apps/sessions/local/*/messages", ScopeUserData, sessMsgs, s.listLocalMessages),
		r("GET", "/v1/compliance/apps/sessions/remote", ScopeUserData, params(page, []string{"organization_ids[]", "user_ids[]"}, timeParams("created_at")), s.listRemoteSessions),
		r("GET", "/v1/compliance/apps/sessions/remote/*/messages", ScopeUserData, sessMsgs, s.listRemoteMessages),
		r("GET", "/v1/compliance/organizations", ScopeOrgData, page, s.listOrganizations),
		r("GET", "/v1/compliance/organizations/*/users", ScopeUserData, page, s.listUsers),
		r("GET", "/v1/compliance/organizations/*/roles", ScopeOrgData, page, s.listRoles),
		r("GET", "/v1/compliance/organizations/*/roles/*", ScopeOrgData, nil, s.getRole),
		r("GET", "/v1/compliance/organizations/*/roles/*/permissions", ScopeOrgData, page, s.listPermissions),
		r("GET", "/v1/compliance/organizations/*/settings", ScopeOrgData, nil, s.getSettings),
		r("GET", "/v1/compliance/groups", ScopeOrgData, params(page, []string{"name_prefix"}), s.listGroups),
		r("GET", "/v1/compliance/groups/*", ScopeOrgData, nil, s.getGroup),
		r("GET", "/v1/compliance/groups/*/members", ScopeUserData, page, s.listGroupMembers),
	}
	for i := range routes {
		routes[i].binary = strings.HasSuffix(strings.Join(routes[i].pattern, "/"), "/content") || strings.Contains(strings.Join(routes[i].pattern, "/"), "/versions/")
	}
	return routes
}

// match finds the route for a method and path, returning the wildcard values.
func (s *Server) match(method, path string) (*route, []string) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i := range s.routes {
		rt := &s.routes[i]
		if rt.method != method || len(rt.pattern) != len(segs) {
			continue
		}
		var args []string
		ok := true
		for j, p := range rt.pattern {
			if p == "*" {
				if segs[j] == "" {
					ok = false
					break
				}
				v, err := url.PathUnescape(segs[j])
				if err != nil {
					ok = false
					break
				}
				args = append(args, v)
			} else if p != segs[j] {
				ok = false
				break
			}
		}
		if ok {
			return rt, args
		}
	}
	return nil, nil
}

// statusWriter remembers the status for the access record.
type statusWriter struct {
	http.ResponseWriter
	status int
	// onStatus runs once, when the status is set and before any of the
	// response reaches the client.
	onStatus func(status int)
}

func (w *statusWriter) setStatus(code int) {
	if w.status != 0 {
		return
	}
	w.status = code
	if w.onStatus != nil {
		w.onStatus(code)
	}
}

func (w *statusWriter) WriteHeader(code int) {
	w.setStatus(code)
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.setStatus(http.StatusOK)
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *Server) newRequestID() string {
	n := s.reqSeq.Add(1)
	return fmt.Sprintf("req_011CSim%019d", n)
}

// serveHTTP runs the checks in the order the service does: route, key,
// enablement, budget, injected fault, scope, query, then the handler.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rid := s.newRequestID()
	w.Header().Set("request-id", rid)
	sw := &statusWriter{ResponseWriter: w}
	// The access record is written as the status is set, so a client that
	// has read the response can already see it in the feed.
	recorded := false
	var kind keyKind
	record := func(status int) {
		if s.cfg.RecordAccess && kind != keyNone && !recorded {
			recorded = true
			s.recordAccess(r, rid, status, kind)
		}
	}
	sw.onStatus = record
	kind = s.serve(sw, r, func(k keyKind) { kind = k })
	record(sw.status) // nothing was written: the client gave up
}

type keyKind int

const (
	keyNone keyKind = iota
	keyCompliance
	keyAdmin
)

// serve answers r; authenticated reports the key's kind as soon as it is
// known, before anything is written.
func (s *Server) serve(w *statusWriter, r *http.Request, authenticated func(keyKind)) keyKind {
	rt, args := s.match(r.Method, r.URL.Path)
	key := r.Header.Get("x-api-key")
	if key == "" {
		if a, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			key = a
		}
	}
	isSettings := rt != nil && len(rt.pattern) == 5 && rt.pattern[4] == "settings"
	var kind keyKind
	switch {
	case strings.HasPrefix(key, "sk-ant-api01-"):
		kind = keyCompliance
	case strings.HasPrefix(key, "sk-ant-admin01-"):
		kind = keyAdmin
	}
	if kind == keyNone {
		if s.cfg.LegacyAuth || isSettings {
			s.writeError(w, r, http.StatusUnauthorized, "authentication_error", legacyAuthMessage(s.cfg.LegacyAuth))
			return keyNone
		}
		s.writeError(w, r, http.StatusNotFound, "not_found_error", "Not found")
		return keyNone
	}
	if (kind == keyCompliance && key != s.cfg.Key) || (kind == keyAdmin && key != s.cfg.AdminKey) {
		s.writeError(w, r, http.StatusUnauthorized, "authentication_error", legacyAuthMessage(s.cfg.LegacyAuth))
		return keyNone
	}
	authenticated(kind)
	if rt == nil {
		s.writeError(w, r, http.StatusNotFound, "not_found_error", "Not found")
		return kind
	}
	if msg := versionError(r.Header.Values("anthropic-version")); msg != "" {
		s.writeError(w, r, http.StatusBadRequest, "invalid_request_error", msg)
		return kind
	}
	if s.cfg.Disabled {
		s.writeError(w, r, http.StatusBadRequest, "invalid_request_error", "Compliance API is not enabled for this organization")
		return kind
	}
	if !s.takeBudget(w, r) {
		return kind
	}
	if s.injectFault(w, r, rt) {
		return kind
	}
	held := s.cfg.Scopes
	if kind == keyAdmin {
		held = []string{ScopeActivities}
	}
	if !hasScope(held, rt.scope) {
		s.writeError(w, r, http.StatusForbidden, "permission_error", scopeMessage(held, rt.scope))
		return kind
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		s.writeError(w, r, http.StatusBadRequest, "invalid_request_error", "Invalid query string: "+err.Error())
		return kind
	}
	for name := range q {
		if !contains(rt.params, name) {
			s.writeError(w, r, http.StatusBadRequest, "invalid_request_error", unknownParamMessage(name, rt.params))
			return kind
		}
	}
	rt.handle(w, r, q, args)
	return kind
}

// SupportedVersions are the anthropic-version values the simulator accepts.
var SupportedVersions = []string{"2023-06-01"}

// versionError checks the anthropic-version header, which the newest
// reference requires on every request ("" when it is fine).
func versionError(vs []string) string {
	if len(vs) == 0 || strings.TrimSpace(vs[0]) == "" {
		return "anthropic-version: header is required"
	}
	if len(vs) > 1 {
		return "anthropic-version: header must be sent once"
	}
	if !contains(SupportedVersions, strings.TrimSpace(vs[0])) {
		return fmt.Sprintf("anthropic-version: '%s' is not a supported version; use one of %s", vs[0], pyList(SupportedVersions))
	}
	return ""
}

func legacyAuthMessage(legacy bool) string {
	if legacy {
		return "The API key provided is invalid or has been revoked."
	}
	return "API key is invalid."
}

func hasScope(held []string, need string) bool {
	for _, h := range held {
		if h == need || (h == ScopeOrgAudit && need != ScopeDelete) {
			return true
		}
	}
	return false
}

// pyList formats scopes like Python's repr of a list: ['a', 'b'].
func pyList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = "'" + x + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func scopeMessage(held []string, need string) string {
	if need == ScopeDelete {
		return fmt.Sprintf("Missing required scopes. Got: %s Needed: %s", pyList(held), pyList([]string{need}))
	}
	return fmt.Sprintf("Missing required scopes. Got: %s Needed one of: %s", pyList(held), pyList([]string{need, ScopeOrgAudit}))
}

func unknownParamMessage(name string, allowed []string) string {
	best, bestD := "", math.MaxInt
	for _, a := range allowed {
		if d := editDistance(name, a); d < bestD {
			best, bestD = a, d
		}
	}
	if best == "" {
		return fmt.Sprintf("Unknown query parameter: '%s'. This endpoint takes no query parameters.", name)
	}
	return fmt.Sprintf("Unknown query parameter: '%s'. Did you mean '%s'?", name, best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// apiError is the standard Anthropic error envelope.
type apiError struct {
	Type  string `json:"type"`
	Error struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
	RequestID string `json:"request_id"`
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, status int, typ, msg string) {
	var e apiError
	e.Type, e.Error.Type, e.Error.Message = "error", typ, msg
	e.RequestID = w.Header().Get("request-id")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(e)
	if status >= 500 {
		s.log.Debug("simulator error response", "status", status, "path", r.URL.Path, "request_id", e.RequestID)
	}
}

func badRequest(s *Server, w http.ResponseWriter, r *http.Request, msg string) {
	s.writeError(w, r, http.StatusBadRequest, "invalid_request_error", msg)
}

func notFound(s *Server, w http.ResponseWriter, r *http.Request, msg string) {
	s.writeError(w, r, http.StatusNotFound, "not_found_error", msg)
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// bucket is the shared per-parent budget: a fixed one-minute window.
type bucket struct {
	mu     sync.Mutex
	limit  int
	window time.Time
	used   int
}

func newBucket(limit int) *bucket { return &bucket{limit: limit} }

// take spends one unit; ok is false when the window's budget is gone.
func (b *bucket) take(now time.Time) (remaining int, reset time.Time, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.Sub(b.window) >= time.Minute {
		b.window, b.used = now, 0
	}
	reset = b.window.Add(time.Minute)
	if b.used >= b.limit {
		return 0, reset, false
	}
	b.used++
	return b.limit - b.used, reset, true
}

const rateLimitMessage = "Compliance API rate limit of 600 requests per minute per parent organization has been exceeded. Retry after the time indicated by the retry-after header. Quote the request-id response header when contacting Anthropic support."

func (s *Server) takeBudget(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.RateLimit < 0 {
		return true
	}
	now := time.Now()
	remaining, reset, ok := s.bucket.take(now)
	h := w.Header()
	h.Set("anthropic-ratelimit-requests-limit", strconv.Itoa(s.cfg.RateLimit))
	h.Set("anthropic-ratelimit-requests-remaining", strconv.Itoa(remaining))
	h.Set("anthropic-ratelimit-requests-reset", reset.UTC().Format(time.RFC3339))
	if ok {
		return true
	}
	h.Set("retry-after", strconv.Itoa(int(math.Ceil(reset.Sub(now).Seconds()))))
	msg := rateLimitMessage
	if s.cfg.RateLimit != 600 {
		msg = strings.Replace(msg, "600", strconv.Itoa(s.cfg.RateLimit), 1)
	}
	s.writeError(w, r, http.StatusTooManyRequests, "rate_limit_error", msg)
	return false
}

// injectFault fails the request before any state is read or changed.
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request, rt *route) bool {
	if s.cfg.Faults <= 0 {
		return false
	}
	s.faultMu.Lock()
	hit := s.faultRNG.Float64() < s.cfg.Faults
	kind := s.faultRNG.IntN(8)
	s.faultMu.Unlock()
	if !hit {
		return false
	}
	if kind == 4 && (rt.binary || r.Method != http.MethodGet) {
		kind = 2 // a malformed body only makes sense for JSON reads
	}
	switch kind {
	case 0:
		w.Header().Set("retry-after", strconv.FormatFloat(s.cfg.FaultRetryAfter.Seconds(), 'f', -1, 64))
		s.writeError(w, r, http.StatusTooManyRequests, "rate_limit_error", rateLimitMessage)
	case 1:
		s.writeError(w, r, http.StatusInternalServerError, "api_error", "Internal server error")
	case 2:
		s.writeError(w, r, http.StatusServiceUnavailable, "overloaded_error", "Overloaded")
	case 3:
		t := time.NewTimer(s.cfg.FaultDelay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
		}
		if r.Context().Err() != nil {
			return true // the client gave up; never act on an abandoned request
		}
		return false // slow, then served normally
	case 4:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"data":[{"id":"activity_01Trunc`))
	case 5:
		s.writeError(w, r, http.StatusBadGateway, "api_error", "Bad gateway")
	case 6:
		s.writeError(w, r, http.StatusGatewayTimeout, "timeout_error", "Gateway timeout")
	case 7:
		s.writeError(w, r, 529, "overloaded_error", "Overloaded")
	}
	return true
}
