package simulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/compliance"
)

const badSessionToken = "The page parameter is not a valid cursor for this request."

func (s *Server) localModel(ls *localSession, withEmail bool) compliance.LocalSession {
	u := compliance.UserRef{ID: ls.user.id}
	if withEmail {
		u.EmailAddress = ptr(ls.user.email)
	}
	return compliance.LocalSession{Type: "compliance_local_session", ID: ls.id, OrganizationUUID: ls.org.uuid, WorkspaceID: ptr(ls.workspace),
		User: u, ProductSurface: ptr(ls.surface), CreatedAt: compliance.NewTime(ls.createdAt), UpdatedAt: ptr(compliance.NewTime(ls.updatedAt))}
}

func (s *Server) listLocalSessions(w http.ResponseWriter, r *http.Request, q url.Values, _ []string) {
	created, msg := parseWindow(q, "created_at")
	var updated window
	if msg == "" {
		updated, msg = parseWindow(q, "updated_at")
	}
	if msg == "" && !created.gte.IsZero() && !created.lt.IsZero() && !created.lt.After(created.gte) {
		msg = "created_at.lt must be strictly after created_at.gte."
	}
	if msg != "" {
		badRequest(s, w, r, msg)
		return
	}
	s.mu.RLock()
	var items []pageItem
	for _, ls := range s.st.localSessions {
		if created.contains(ls.createdAt) && updated.contains(ls.updatedAt) {
			items = append(items, pageItem{sortKey(ls.createdAt, ls.id), s.localModel(ls, true)})
		}
	}
	s.mu.RUnlock()
	s.tokenPage(w, r, q, "local_sessions", items, pageStyle{def: 100, max: 500, desc: true, sessions: true, badToken: badSessionToken})
}

func (s *Server) findLocal(w http.ResponseWriter, r *http.Request, id string) *localSession {
	if !strings.HasPrefix(id, "clls_") {
		badRequest(s, w, r, "Invalid local session id: '"+id+"'")
		return nil
	}
	for _, ls := range s.st.localSessions {
		if ls.id == id {
			return ls
		}
	}
	notFound(s, w, r, "Local session not found.")
	return nil
}

func (s *Server) getLocalSession(w http.ResponseWriter, r *http.Request, _ url.Values, args []string) {
	s.mu.RLock()
	ls := s.findLocal(w, r, args[0])
	var out compliance.LocalSession
	if ls != nil {
		out = s.localModel(ls, true)
	}
	s.mu.RUnlock()
	if ls != nil {
		writeJSON(w, out)
	}
}

func parseMaxBytes(q url.Values, name string) string {
	v := q.Get(name)
	if v == "" {
		return ""
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return name + ": Input should be a valid integer, unable to parse string as an integer"
	}
	if n == 0 || n < -1 {
		return name + ": Input should be greater than or equal to 1, or -1 for the server maximum"
	}
	return ""
}

// sessionMessagesPage serves a transcript: {session, data, next_page}.
// sessionQueryError validates a transcript query before any lookup.
func sessionQueryError(q url.Values) string {
	for _, name := range []string{"tool_use_input_max_bytes", "tool_result_max_bytes"} {
		if msg := parseMaxBytes(q, name); msg != "" {
			return msg
		}
	}
	return orderError(q)
}

// orderError validates the optional order parameter ("" when fine).
func orderError(q url.Values) string {
	if order := q.Get("order"); order != "" && order != "asc" && order != "desc" {
		return "order: Input should be 'asc' or 'desc'"
	}
	return ""
}

func (s *Server) sessionMessagesPage(w http.ResponseWriter, r *http.Request, q url.Values, endpoint string, session any, msgs []compliance.SessionMessage, expiry time.Duration) {
	order := q.Get("order")
	items := make([]pageItem, len(msgs))
	for i, m := range msgs {
		items[i] = pageItem{strconv.Itoa(100000 + i), m}
	}
	desc := order == "desc"
	if desc {
		for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
			items[i], items[j] = items[j], items[i]
		}
	}
	rec := &bufferedWriter{header: http.Header{"Request-Id": w.Header()["Request-Id"]}}
	s.tokenPage(rec, r, q, endpoint+":"+order, items, pageStyle{def: 100, max: 1000, desc: desc, sessions: true, expiry: expiry, badToken: badSessionToken})
	if rec.status != 0 && rec.status != http.StatusOK {
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.status)
		_, _ = w.Write(rec.body)
		return
	}
	var page struct {
		Data     []compliance.SessionMessage `json:"data"`
		NextPage *string                     `json:"next_page"`
	}
	if err := json.Unmarshal(rec.body, &page); err != nil {
		s.writeError(w, r, http.StatusInternalServerError, "api_error", "Internal server error")
		return
	}
	writeJSON(w, struct {
		Session  any                         `json:"session"`
		Data     []compliance.SessionMessage `json:"data"`
		NextPage *string                     `json:"next_page"`
	}{session, page.Data, page.NextPage})
}

func (s *Server) listLocalMessages(w http.ResponseWriter, r *http.Request, q url.Values, args []string) {
	if msg := sessionQueryError(q); msg != "" {
		badRequest(s, w, r, msg)
		return
	}
	s.mu.RLock()
	ls := s.findLocal(w, r, args[0])
	var session compliance.LocalSession
	var msgs []compliance.SessionMessage
	if ls != nil {
		session, msgs = s.localModel(ls, false), ls.msgs
	}
	s.mu.RUnlock()
	if ls == nil {
		return
	}
	s.sessionMessagesPage(w, r, q, "local_messages:"+ls.id, session, msgs, 24*time.Hour)
}

func (s *Server) remoteModel(rs *remoteSession, listing bool) compliance.RemoteSession {
	out := compliance.RemoteSession{ID: rs.id, OrganizationUUID: rs.org.uuid, User: &compliance.UserRef{ID: rs.user.id}, Status: rs.status,
		CreatedAt: compliance.NewTime(rs.createdAt), UpdatedAt: compliance.NewTime(rs.updatedAt), ProductSurface: ptr("cowork_remote")}
	if listing {
		out.User.EmailAddress = ptr(rs.user.email)
		out.ClaudeProjectID = projectIDPtr(rs.project)
	}
	return out
}

func (s *Server) listRemoteSessions(w http.ResponseWriter, r *http.Request, q url.Values, _ []string) {
	created, msg := parseWindow(q, "created_at")
	if msg == "" && len(q["user_ids[]"]) > 10 {
		msg = "user_ids[]: List should have at most 10 items after validation, not " + strconv.Itoa(len(q["user_ids[]"]))
	}
	if msg != "" {
		badRequest(s, w, r, msg)
		return
	}
	orgs, users := setOf(q["organization_ids[]"]), setOf(q["user_ids[]"])
	s.mu.RLock()
	var items []pageItem
	for _, rs := range s.st.remoteSessions {
		if orgs != nil && !orgs[rs.org.uuid] || users != nil && !users[rs.user.id] || !created.contains(rs.createdAt) {
			continue
		}
		items = append(items, pageItem{sortKey(rs.createdAt, rs.id), s.remoteModel(rs, true)})
	}
	s.mu.RUnlock()
	s.tokenPage(w, r, q, "remote_sessions", items, pageStyle{def: 100, max: 500, desc: true, sessions: true})
}

func (s *Server) listRemoteMessages(w http.ResponseWriter, r *http.Request, q url.Values, args []string) {
	id := args[0]
	if msg := sessionQueryError(q); msg != "" {
		badRequest(s, w, r, msg)
		return
	}
	if !strings.HasPrefix(id, "cse_") {
		badRequest(s, w, r, "Invalid remote session id: '"+id+"'")
		return
	}
	s.mu.RLock()
	var rs *remoteSession
	for _, x := range s.st.remoteSessions {
		if x.id == id && x.status != "pending" {
			rs = x
		}
	}
	var session compliance.RemoteSession
	var msgs []compliance.SessionMessage
	if rs != nil {
		session, msgs = s.remoteModel(rs, false), rs.msgs
	}
	s.mu.RUnlock()
	if rs == nil {
		notFound(s, w, r, "Remote session not found.")
		return
	}
	s.sessionMessagesPage(w, r, q, "remote_messages:"+rs.id, session, msgs, 0)
}

// bufferedWriter captures a response so it can be reshaped before sending.
type bufferedWriter struct {
	header http.Header
	status int
	body   []byte
}

func (b *bufferedWriter) Header() http.Header { return b.header }
func (b *bufferedWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}
func (b *bufferedWriter) Write(p []byte) (int, error) {
	b.body = append(b.body, p...)
	return len(p), nil
}
