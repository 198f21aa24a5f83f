package simulator

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/compliance"
)

// pageItem is an item of a scheme P list with a key that grows strictly in result order.
type pageItem struct {
	key string
	v   any
}

func sortKey(t time.Time, id string) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000000Z") + "|" + id
}

type pageToken struct {
	Endpoint string `json:"e"`
	Key      string `json:"k"`
	Started  int64  `json:"t,omitempty"`
}

// pageStyle says how a scheme P endpoint shapes its pages.
type pageStyle struct {
	def, max int
	desc     bool
	// sessions have no has_more and stop on next_page null.
	sessions bool
	// trailingEmpty ends with an empty page after has_more=true (code artifacts).
	trailingEmpty bool
	// expiry bounds a walk's age (local-session messages).
	expiry time.Duration
	// badToken is the 400 message for a foreign or altered token.
	badToken string
}

// tokenPage writes one page of items (already sorted in result order).
func (s *Server) tokenPage(w http.ResponseWriter, r *http.Request, q url.Values, endpoint string, items []pageItem, ps pageStyle) {
	limit, msg := parseLimit(q, ps.def, ps.max)
	if msg != "" {
		badRequest(s, w, r, msg)
		return
	}
	start := 0
	started := s.cfg.Clock().Unix()
	if q.Has("page") {
		bad := ps.badToken
		if bad == "" {
			bad = fmt.Sprintf("Invalid page token: '%s'", q.Get("page"))
		}
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(q.Get("page"), "page_"))
		var tok pageToken
		if err != nil || json.Unmarshal(b, &tok) != nil || tok.Endpoint != endpoint {
			badRequest(s, w, r, bad)
			return
		}
		if ps.expiry > 0 && s.cfg.Clock().Sub(time.Unix(tok.Started, 0)) > ps.expiry {
			badRequest(s, w, r, "The page cursor has expired. Restart the walk without a page parameter; results will reflect the current retention boundary.")
			return
		}
		started = tok.Started
		start = sort.Search(len(items), func(i int) bool {
			if ps.desc {
				return items[i].key < tok.Key
			}
			return items[i].key > tok.Key
		})
	}
	end := min(len(items), start+limit)
	data := make([]any, 0, end-start)
	for _, it := range items[start:end] {
		data = append(data, it.v)
	}
	more := end < len(items)
	if ps.trailingEmpty && !more && end > start {
		more = true
	}
	var next *string
	if more {
		last := ""
		if end > start {
			last = items[end-1].key
		} else if q.Has("page") {
			last = "\uffff"
		}
		b, _ := json.Marshal(pageToken{Endpoint: endpoint, Key: last, Started: started})
		next = ptr("page_" + base64.RawURLEncoding.EncodeToString(b))
	}
	if ps.sessions {
		writeJSON(w, struct {
			Data     []any   `json:"data"`
			NextPage *string `json:"next_page"`
		}{data, next})
		return
	}
	writeJSON(w, struct {
		Data     []any   `json:"data"`
		HasMore  bool    `json:"has_more"`
		NextPage *string `json:"next_page"`
	}{data, more, next})
}

var listStyle = pageStyle{def: 500, max: 1000}

func (s *Server) orgByPath(w http.ResponseWriter, r *http.Request, id string) *org {
	o, ok := s.st.orgByKey[id]
	if !ok || o.uuid != id {
		notFound(s, w, r, fmt.Sprintf("The \"%s\" organization does not exist or the requester is not authorized to access it.", id))
		return nil
	}
	return o
}

// Timestamp spellings the API is documented to use on different endpoints.
func plusOffset(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000") + "+00:00" }
func offsetless(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000") }

func (s *Server) listOrganizations(w http.ResponseWriter, r *http.Request, q url.Values, _ []string) {
	s.mu.RLock()
	var items []pageItem
	for _, o := range s.st.orgs {
		items = append(items, pageItem{sortKey(o.createdAt, o.uuid), map[string]string{"uuid": o.uuid, "name": o.name, "created_at": plusOffset(o.createdAt)}})
	}
	s.mu.RUnlock()
	sort.Slice(items, func(i, j int) bool { return items[i].key < items[j].key })
	s.tokenPage(w, r, q, "organizations", items, pageStyle{def: 1000, max: 1000})
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, q url.Values, args []string) {
	s.mu.RLock()
	o := s.orgByPath(w, r, args[0])
	if o == nil {
		s.mu.RUnlock()
		return
	}
	var items []pageItem
	for _, u := range s.st.users {
		if u.org == o {
			items = append(items, pageItem{sortKey(u.createdAt, u.id), compliance.User{ID: u.id, FullName: u.name, Email: u.email,
				OrganizationRole: u.role, CreatedAt: compliance.NewTime(u.createdAt)}})
		}
	}
	s.mu.RUnlock()
	sort.Slice(items, func(i, j int) bool { return items[i].key < items[j].key })
	s.tokenPage(w, r, q, "users:"+o.uuid, items, listStyle)
}

func roleJSON(rl *role) map[string]any {
	return map[string]any{"id": rl.id, "name": rl.name, "description": rl.description,
		"created_at": offsetless(rl.at), "updated_at": offsetless(rl.at.Add(36 * time.Hour))}
}

func (s *Server) listRoles(w http.ResponseWriter, r *http.Request, q url.Values, args []string) {
	s.mu.RLock()
	o := s.orgByPath(w, r, args[0])
	if o == nil {
		s.mu.RUnlock()
		return
	}
	var items []pageItem
	for _, rl := range s.st.roles {
		if rl.org == o {
			items = append(items, pageItem{rl.id, roleJSON(rl)})
		}
	}
	s.mu.RUnlock()
	sort.Slice(items, func(i, j int) bool { return items[i].key < items[j].key })
	s.tokenPage(w, r, q, "roles:"+o.uuid, items, listStyle)
}

func (s *Server) findRole(w http.ResponseWriter, r *http.Request, args []string) *role {
	o := s.orgByPath(w, r, args[0])
	if o == nil {
		return nil
	}
	for _, rl := range s.st.roles {
		if rl.org == o && rl.id == args[1] {
			return rl
		}
	}
	notFound(s, w, r, "Role not found.")
	return nil
}

func (s *Server) getRole(w http.ResponseWriter, r *http.Request, _ url.Values, args []string) {
	s.mu.RLock()
	rl := s.findRole(w, r, args)
	s.mu.RUnlock()
	if rl != nil {
		writeJSON(w, roleJSON(rl))
	}
}

func (s *Server) listPermissions(w http.ResponseWriter, r *http.Request, q url.Values, args []string) {
	s.mu.RLock()
	rl := s.findRole(w, r, args)
	s.mu.RUnlock()
	if rl == nil {
		return
	}
	items := make([]pageItem, len(rl.perms))
	for i, p := range rl.perms {
		items[i] = pageItem{fmt.Sprintf("%06d", i), p}
	}
	s.tokenPage(w, r, q, "permissions:"+rl.id, items, listStyle)
}

func (s *Server) getSettings(w http.ResponseWriter, r *http.Request, _ url.Values, args []string) {
	s.mu.RLock()
	o, ok := s.st.orgByKey[args[0]]
	var out compliance.OrgSettings
	if ok && o.uuid == args[0] {
		out = compliance.OrgSettings{Type: "effective_organization_settings", OrganizationID: o.uuid, Settings: o.settings, APIKeys: s.st.apiKeys}
	}
	s.mu.RUnlock()
	if !ok || o.uuid != args[0] {
		notFound(s, w, r, fmt.Sprintf("organization `%s` not found in this organization's hierarchy", args[0]))
		return
	}
	writeJSON(w, out)
}

func groupJSON(g *group) map[string]any {
	return map[string]any{"id": g.id, "name": g.name, "description": g.description, "source_type": g.source,
		"roles": g.roles, "created_at": offsetless(g.at), "updated_at": nil}
}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request, q url.Values, _ []string) {
	prefix := q.Get("name_prefix")
	s.mu.RLock()
	var items []pageItem
	for _, g := range s.st.groups {
		if strings.HasPrefix(g.name, prefix) {
			items = append(items, pageItem{g.id, groupJSON(g)})
		}
	}
	s.mu.RUnlock()
	sort.Slice(items, func(i, j int) bool { return items[i].key < items[j].key })
	s.tokenPage(w, r, q, "groups", items, listStyle)
}

func (s *Server) findGroup(id string) *group {
	for _, g := range s.st.groups {
		if g.id == id {
			return g
		}
	}
	return nil
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request, _ url.Values, args []string) {
	s.mu.RLock()
	g := s.findGroup(args[0])
	s.mu.RUnlock()
	if g == nil {
		notFound(s, w, r, "Group not found.")
		return
	}
	writeJSON(w, groupJSON(g))
}

func (s *Server) listGroupMembers(w http.ResponseWriter, r *http.Request, q url.Values, args []string) {
	s.mu.RLock()
	g := s.findGroup(args[0])
	var items []pageItem
	if g != nil {
		for _, u := range g.members {
			at := g.at.Add(time.Duration(len(u.id)) * time.Hour)
			items = append(items, pageItem{u.id, map[string]any{"user_id": u.id, "email": u.email, "created_at": offsetless(at), "updated_at": offsetless(at)}})
		}
	}
	s.mu.RUnlock()
	if g == nil {
		notFound(s, w, r, "Group not found.")
		return
	}
	sort.Slice(items, func(i, j int) bool { return items[i].key < items[j].key })
	s.tokenPage(w, r, q, "members:"+g.id, items, listStyle)
}

func (s *Server) projectModel(p *project, detail bool) compliance.Project {
	out := compliance.Project{ID: p.id, Name: p.name, CreatedAt: compliance.NewTime(p.createdAt), UpdatedAt: compliance.NewTime(p.updatedAt),
		IsPrivate: p.private, OrganizationID: p.org.tag, OrganizationUUID: p.org.uuid, User: p.owner.ref()}
	if p.deletedAt != nil {
		out.DeletedAt = ptr(compliance.NewTime(*p.deletedAt))
	}
	if detail {
		out.Description, out.Instructions = ptr(p.description), ptr(p.instructions)
		out.ChatsCount, out.AttachmentsCount = ptr(p.chats), ptr(len(p.files)+len(p.docs))
	}
	return out
}

func (s *Server) listProjects(w http.ResponseWriter, r *http.Request, q url.Values, _ []string) {
	created, msg := parseWindow(q, "created_at")
	var updated window
	if msg == "" {
		updated, msg = parseWindow(q, "updated_at")
	}
	if msg != "" {
		badRequest(s, w, r, msg)
		return
	}
	orgs, users := setOf(q["organization_ids[]"]), setOf(q["user_ids[]"])
	s.mu.RLock()
	var items []pageItem
	for _, p := range s.st.projectList {
		if orgs != nil && !orgs[p.org.uuid] && !orgs[p.org.tag] {
			continue
		}
		if users != nil && !users[p.owner.id] {
			continue
		}
		if !created.contains(p.createdAt) || !updated.contains(p.updatedAt) {
			continue
		}
		items = append(items, pageItem{sortKey(p.createdAt, p.id), s.projectModel(p, false)})
	}
	s.mu.RUnlock()
	s.tokenPage(w, r, q, "projects", items, pageStyle{def: 20, max: 100})
}

const projectNotFound = "No project is found with the provided id."

func (s *Server) getProject(w http.ResponseWriter, r *http.Request, _ url.Values, args []string) {
	s.mu.RLock()
	p, ok := s.st.projects[args[0]]
	var out compliance.Project
	if ok {
		out = s.projectModel(p, true)
	}
	s.mu.RUnlock()
	if !ok {
		notFound(s, w, r, projectNotFound)
		return
	}
	writeJSON(w, out)
}

func (s *Server) deleteProject(w http.ResponseWriter, r *http.Request, _ url.Values, args []string) {
	s.mu.Lock()
	p, ok := s.st.projects[args[0]]
	busy := ok && p.chats > 0
	if ok && !busy {
		delete(s.st.projects, p.id)
		for i, x := range s.st.projectList {
			if x == p {
				s.st.projectList = append(s.st.projectList[:i], s.st.projectList[i+1:]...)
				break
			}
		}
		for _, f := range p.files {
			delete(s.st.files, f.id)
		}
		for _, d := range p.docs {
			delete(s.st.docs, d.id)
		}
	}
	s.mu.Unlock()
	switch {
	case !ok:
		notFound(s, w, r, "No project found with provided id, or it has already been deleted.")
	case busy:
		s.writeError(w, r, http.StatusConflict, "invalid_request_error", fmt.Sprintf("The \"%s\" project cannot be deleted as it has chats attached to it. Delete or detach all chats, and try deleting the project again.", p.id))
	default:
		writeJSON(w, compliance.Deletion{ID: p.id, Type: "claude_project_deleted"})
	}
}

func (s *Server) listAttachments(w http.ResponseWriter, r *http.Request, q url.Values, args []string) {
	s.mu.RLock()
	p, ok := s.st.projects[args[0]]
	var items []pageItem
	if ok {
		for _, f := range p.files {
			items = append(items, pageItem{sortKey(f.at, f.id), compliance.ProjectAttachment{Type: "project_file", ID: f.id, CreatedAt: compliance.NewTime(f.at),
				Filename: f.filename, MimeType: f.mime, SizeBytes: ptr(f.size), MD5: ptr(f.md5)}})
		}
		for _, d := range p.docs {
			items = append(items, pageItem{sortKey(d.createdAt, d.id), map[string]any{"type": "project_doc", "id": d.id, "created_at": compliance.NewTime(d.createdAt),
				"filename": d.filename, "mime_type": "text/plain", "updated_at": nil}})
		}
	}
	s.mu.RUnlock()
	if !ok {
		notFound(s, w, r, projectNotFound)
		return
	}
	sort.Slice(items, func(i, j int) bool { return items[i].key < items[j].key })
	s.tokenPage(w, r, q, "attachments:"+p.id, items, pageStyle{def: 20, max: 100})
}

func (s *Server) listCollaborators(w http.ResponseWriter, r *http.Request, q url.Values, args []string) {
	s.mu.RLock()
	p, ok := s.st.projects[args[0]]
	var items []pageItem
	if ok {
		for i, c := range p.collaborators {
			m := map[string]any{"type": c.kind, "role": c.role, "granted_at": compliance.NewTime(c.grantedAt)}
			switch c.kind {
			case "user":
				m["user_id"] = c.id
			case "group":
				m["group_id"] = c.id
			case "organization":
				m["organization_uuid"] = c.id
			default:
				m["organization_role"] = c.id
			}
			items = append(items, pageItem{sortKey(c.grantedAt, strconv.Itoa(100000+i)), m})
		}
	}
	s.mu.RUnlock()
	if !ok {
		notFound(s, w, r, projectNotFound)
		return
	}
	s.tokenPage(w, r, q, "collaborators:"+p.id, items, pageStyle{def: 20, max: 100})
}

func (s *Server) docJSON(d *document) map[string]any {
	var u any
	if d.owner != nil {
		u = d.owner.ref()
	}
	return map[string]any{"id": d.id, "filename": d.filename, "content": d.content, "created_at": compliance.NewTime(d.createdAt), "user": u}
}

func (s *Server) getDocument(w http.ResponseWriter, r *http.Request, _ url.Values, args []string) {
	s.mu.RLock()
	d, ok := s.st.docs[args[0]]
	var out map[string]any
	if ok {
		out = s.docJSON(d)
	}
	s.mu.RUnlock()
	if !ok {
		notFound(s, w, r, "No project document found with the provided id.")
		return
	}
	writeJSON(w, out)
}

func (s *Server) getDocumentMetadata(w http.ResponseWriter, r *http.Request, _ url.Values, args []string) {
	s.mu.RLock()
	d, ok := s.st.docs[args[0]]
	var out map[string]any
	if ok {
		out = s.docJSON(d)
		delete(out, "content")
		out["claude_project_id"], out["mime_type"] = d.project.id, "text/plain"
		out["size_bytes"], out["md5"] = len(d.content), md5hex([]byte(d.content))
	}
	s.mu.RUnlock()
	if !ok {
		notFound(s, w, r, "No project document found with the provided id.")
		return
	}
	writeJSON(w, out)
}

func (s *Server) deleteDocument(w http.ResponseWriter, r *http.Request, _ url.Values, args []string) {
	s.mu.Lock()
	d, ok := s.st.docs[args[0]]
	if ok {
		delete(s.st.docs, d.id)
		p := d.project
		for i, x := range p.docs {
			if x == d {
				p.docs = append(p.docs[:i], p.docs[i+1:]...)
				break
			}
		}
	}
	s.mu.Unlock()
	if !ok {
		notFound(s, w, r, "No project document found with the provided id, or it has already been deleted.")
		return
	}
	writeJSON(w, compliance.Deletion{ID: args[0], Type: "claude_project_document_deleted"})
}

func (s *Server) listCodeArtifacts(w http.ResponseWriter, r *http.Request, q url.Values, _ []string) {
	updated, msg := parseWindow(q, "updated_at")
	if msg != "" {
		badRequest(s, w, r, msg)
		return
	}
	orgs, users := setOf(q["organization_ids[]"]), setOf(q["user_ids[]"])
	s.mu.RLock()
	var items []pageItem
	for _, ca := range s.st.codeArtifacts {
		if orgs != nil && !orgs[ca.org.uuid] || users != nil && !users[ca.owner.id] || !updated.contains(ca.updatedAt) {
			continue
		}
		versions := make([]map[string]any, 0, len(ca.versions))
		for i := len(ca.versions) - 1; i >= 0; i-- {
			v := ca.versions[i]
			versions = append(versions, map[string]any{"id": v.id, "name": v.name, "created_at": compliance.NewTime(v.at)})
		}
		item := map[string]any{"id": ca.id, "organization_uuid": ca.org.uuid, "owner_user_id": ca.owner.id,
			"user": ca.owner.ref(), "read_mode": ca.readMode, "published_version_id": nil,
			"updated_at": compliance.NewTime(ca.updatedAt), "versions": versions}
		if len(ca.versions) > 0 {
			item["published_version_id"] = ca.versions[len(ca.versions)-1].id
		}
		if ca.tabs != nil {
			item["artifact_type"] = "claude_docs"
		}
		if ca.undecodable {
			item["versions"] = "unavailable"
		}
		items = append(items, pageItem{ca.id, item})
	}
	s.mu.RUnlock()
	s.tokenPage(w, r, q, "code_artifacts", items, pageStyle{def: 20, max: 100, trailingEmpty: true})
}

func (s *Server) findCodeArtifact(id string) *codeArtifact {
	for _, ca := range s.st.codeArtifacts {
		if ca.id == id {
			return ca
		}
	}
	return nil
}

func (s *Server) getCodeVersion(w http.ResponseWriter, r *http.Request, _ url.Values, args []string) {
	s.mu.RLock()
	var body string
	oversized := false
	if ca := s.findCodeArtifact(args[0]); ca != nil {
		for _, v := range ca.versions {
			if v.id == args[1] {
				body, oversized = v.content, v.oversized
			}
		}
	}
	s.mu.RUnlock()
	if body == "" {
		notFound(s, w, r, "Code artifact version not found.")
		return
	}
	if oversized {
		// Content over the size limit: the stream stops after a first chunk.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(body[:len(body)/2]))
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		panic(http.ErrAbortHandler)
	}
	streamContent(w, args[0]+"-"+args[1]+".html", "text/html; charset=utf-8", []byte(body))
}

func (s *Server) getCodeArtifactZip(w http.ResponseWriter, r *http.Request, q url.Values, args []string) {
	if f := q.Get("multi_file_format"); f != "" && f != "zip" {
		badRequest(s, w, r, "multi_file_format: Input should be 'zip'")
		return
	}
	s.mu.RLock()
	ca := s.findCodeArtifact(args[0])
	var tabs []docTab
	if ca != nil {
		tabs = ca.tabs
		if tabs == nil && len(ca.versions) > 0 {
			tabs = []docTab{{name: "Tab 1", text: ca.versions[len(ca.versions)-1].content}}
		}
	}
	s.mu.RUnlock()
	if ca == nil {
		notFound(s, w, r, "Code artifact not found.")
		return
	}
	streamContent(w, args[0]+".zip", "application/zip", docxZip(tabs))
}

func (s *Server) deleteCodeArtifact(w http.ResponseWriter, r *http.Request, _ url.Values, args []string) {
	s.mu.Lock()
	found := false
	for i, ca := range s.st.codeArtifacts {
		if ca.id == args[0] {
			s.st.codeArtifacts = append(s.st.codeArtifacts[:i], s.st.codeArtifacts[i+1:]...)
			found = true
			break
		}
	}
	s.mu.Unlock()
	if !found {
		notFound(s, w, r, "Code artifact not found.")
		return
	}
	writeJSON(w, compliance.Deletion{ID: args[0], Type: "code_artifact_deleted"})
}
