package simulator

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/compliance"
)

func (s *Server) chatModel(c *chat) compliance.Chat {
	out := compliance.Chat{
		ID: c.id, Name: c.name, CreatedAt: compliance.NewTime(c.createdAt), UpdatedAt: compliance.NewTime(c.updatedAt),
		Href: "https://claude.ai/chat/" + c.uuid, OrganizationUUID: c.org.uuid, OrganizationID: c.org.tag,
		ProjectID: projectIDPtr(c.project), User: c.user.ref(),
	}
	if c.model != "" {
		out.Model = ptr(c.model)
	}
	if c.deletedAt != nil {
		out.Name = ""
		out.DeletedAt = ptr(compliance.NewTime(*c.deletedAt))
	}
	return out
}

// messageModel renders a message; a negative cap leaves tool text uncut.
func (s *Server) messageModel(c *chat, m *message, toolResultMax, toolUseMax int) compliance.Message {
	out := compliance.Message{ID: m.id, Role: m.role, CreatedAt: compliance.NewTime(m.at)}
	if c.deletedAt != nil {
		out.Content = []compliance.ContentBlock{}
		return out
	}
	blocks := s.st.content(c, m)
	out.Content = make([]compliance.ContentBlock, len(blocks))
	for i, b := range blocks {
		switch b.Type {
		case compliance.BlockToolUse:
			if toolUseMax >= 0 && len([]rune(b.Input)) > toolUseMax {
				b.Input, b.Truncated = string([]rune(b.Input)[:toolUseMax]), true
			}
		case compliance.BlockToolResult:
			if toolResultMax >= 0 {
				content := make([]compliance.TextContent, len(b.Content))
				for j, t := range b.Content {
					if len([]rune(t.Text)) > toolResultMax {
						t.Text, b.Truncated = string([]rune(t.Text)[:toolResultMax]), true
					}
					content[j] = t
				}
				b.Content = content
			}
		}
		out.Content[i] = b
	}
	for _, f := range m.files {
		out.Files = append(out.Files, compliance.FileRef{ID: f.id, Filename: f.filename, MimeType: ptr(f.mime),
			SizeBytes: ptr(f.size), MD5: ptr(f.md5), CreatedAt: compliance.NewTime(f.at)})
	}
	for _, g := range m.gen {
		out.GeneratedFiles = append(out.GeneratedFiles, compliance.GeneratedFileRef{ID: g.id, Filename: g.filename,
			MimeType: ptr(g.mime), SizeBytes: ptr(g.size), MD5: ptr(g.md5)})
	}
	for _, a := range m.arts {
		out.Artifacts = append(out.Artifacts, compliance.ArtifactRef{ID: a.id, VersionID: a.versionID, Title: ptr(a.title), ArtifactType: ptr(a.atype)})
	}
	return out
}

// chatCursor is the opaque cursor of chat and message pages: a base64 JSON
// object bound to the sort key (order_by for chats, order for messages).
type chatCursor struct {
	Order string `json:"o"`
	Key   string `json:"k"`
	ID    string `json:"id"`
}

func encodeCursor(order string, key time.Time, id string) string {
	b, _ := json.Marshal(chatCursor{Order: order, Key: key.UTC().Format(time.RFC3339Nano), ID: id})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s, order string) (time.Time, string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}, "", false
	}
	var c chatCursor
	if json.Unmarshal(b, &c) != nil || c.Order != order || c.ID == "" {
		return time.Time{}, "", false
	}
	t, err := time.Parse(time.RFC3339Nano, c.Key)
	if err != nil {
		return time.Time{}, "", false
	}
	return t, c.ID, true
}

// keyed is an item in result order with its sort key.
type keyed struct {
	key time.Time
	id  string
}

// cursorPage picks the page of a scheme C walk over items in result order;
// desc reverses the comparison. It returns the index range and has_more.
func cursorPage(items []keyed, desc bool, after bool, hasCursor bool, ck time.Time, cid string, limit int) (int, int, bool) {
	less := func(a keyed) bool { // a comes before the cursor in result order
		if !a.key.Equal(ck) {
			return a.key.Before(ck) != desc
		}
		return a.id != cid && (a.id < cid) != desc
	}
	n := len(items)
	if !hasCursor {
		end := min(n, limit)
		return 0, end, end < n
	}
	// first index at or after the cursor position in result order
	i := sort.Search(n, func(i int) bool { return !less(items[i]) })
	if after {
		if i < n && items[i].id == cid && items[i].key.Equal(ck) {
			i++
		}
		end := min(n, i+limit)
		return i, end, end < n
	}
	start := max(0, i-limit)
	return start, i, start > 0
}

func (s *Server) listChats(w http.ResponseWriter, r *http.Request, q url.Values, _ []string) {
	users, projects := q["user_ids[]"], q["project_ids[]"]
	orderBy := q.Get("order_by")
	if orderBy == "" {
		orderBy = "created_at"
	}
	if orderBy != "created_at" && orderBy != "updated_at" {
		badRequest(s, w, r, "order_by: Input should be 'created_at' or 'updated_at'")
		return
	}
	if len(users) > 10 {
		badRequest(s, w, r, fmt.Sprintf("user_ids[]: List should have at most 10 items after validation, not %d", len(users)))
		return
	}
	created, msg := parseWindow(q, "created_at")
	if msg == "" {
		var updated window
		updated, msg = parseWindow(q, "updated_at")
		if msg == "" {
			msg = chatModeViolation(len(users) > 0, len(projects) > 0, q.Has("before_id"), orderBy, created.set, updated.set)
		}
		if msg == "" && q.Has("after_id") && q.Has("before_id") {
			msg = "Only one of after_id and before_id may be set."
		}
		if msg == "" {
			s.chatPage(w, r, q, orderBy, created, updated)
			return
		}
	}
	badRequest(s, w, r, msg)
}

func chatModeViolation(userMode, projects, before bool, orderBy string, createdSet, updatedSet bool) string {
	if !userMode {
		switch {
		case before:
			return "before_id is only supported together with user_ids[]; org-wide listings page forward with after_id."
		case projects:
			return "project_ids[] can only be used together with user_ids[]."
		case orderBy == "created_at" && updatedSet:
			return "updated_at filters require order_by=updated_at."
		case orderBy == "updated_at" && createdSet:
			return "created_at filters cannot be combined with order_by=updated_at; use updated_at filters."
		}
		return ""
	}
	switch {
	case orderBy == "updated_at":
		return "order_by=updated_at cannot be combined with user_ids[]; user-filtered listings are ordered by created_at."
	case updatedSet:
		return "updated_at filters cannot be combined with user_ids[]."
	}
	return ""
}

func (s *Server) chatPage(w http.ResponseWriter, r *http.Request, q url.Values, orderBy string, created, updated window) {
	limit, msg := parseLimit(q, 100, 1000)
	if msg != "" {
		badRequest(s, w, r, msg)
		return
	}
	param, ck, cid, hasCursor, ok := scanCursor(q, orderBy)
	if !ok {
		badRequest(s, w, r, fmt.Sprintf("Invalid pagination cursor for '%s'", param))
		return
	}
	users, orgs, projects := setOf(q["user_ids[]"]), setOf(q["organization_ids[]"]), setOf(q["project_ids[]"])
	match := func(c *chat) bool {
		switch {
		case users != nil && !users[c.user.id],
			orgs != nil && !orgs[c.org.uuid] && !orgs[c.org.tag],
			projects != nil && (c.project == nil || !projects[c.project.id]):
			return false
		}
		return created.contains(c.createdAt) && updated.contains(c.updatedAt)
	}
	key := func(c *chat) time.Time {
		if orderBy == "updated_at" {
			return c.updatedAt
		}
		return c.createdAt
	}
	s.mu.RLock()
	// Walk the cached order from the cursor's position instead of listing
	// every matching chat for every page: a sync pages through all chats,
	// so that was quadratic in the number of chats (and its garbage kept
	// the collector busy).
	all := s.st.chatsBy(orderBy)
	i := 0
	if hasCursor {
		// first chat at or after the cursor position
		i = sort.Search(len(all), func(i int) bool {
			k := key(all[i])
			if !k.Equal(ck) {
				return k.After(ck)
			}
			return all[i].id >= cid
		})
	}
	var sel []*chat
	more := false
	// collect takes the matching chats from i on in direction step, up to
	// limit; more says another one matched.
	collect := func(i, step int) {
		for ; i >= 0 && i < len(all); i += step {
			if !match(all[i]) {
				continue
			}
			if len(sel) == limit {
				more = true
				return
			}
			sel = append(sel, all[i])
		}
	}
	if param == "after_id" || !hasCursor {
		if hasCursor && i < len(all) && all[i].id == cid && key(all[i]).Equal(ck) {
			i++
		}
		collect(i, 1)
	} else {
		// before_id: the matching chats just before the cursor, in result order
		collect(i-1, -1)
		slices.Reverse(sel)
	}
	page := compliance.CursorPage[compliance.Chat]{Data: make([]compliance.Chat, 0, len(sel)), HasMore: more}
	for _, c := range sel {
		page.Data = append(page.Data, s.chatModel(c))
	}
	if n := len(sel); n > 0 {
		page.FirstID = ptr(encodeCursor(orderBy, key(sel[0]), sel[0].id))
		page.LastID = ptr(encodeCursor(orderBy, key(sel[n-1]), sel[n-1].id))
	}
	s.mu.RUnlock()
	writeJSON(w, page)
}

func parseMaxChars(q url.Values, name string) (int, string) {
	v := q.Get(name)
	if v == "" {
		return 10000, ""
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, name + ": Input should be a valid integer, unable to parse string as an integer"
	}
	if n < -1 {
		return 0, name + ": Input should be greater than or equal to -1"
	}
	return n, ""
}

func (s *Server) listMessages(w http.ResponseWriter, r *http.Request, q url.Values, args []string) {
	limit := 0
	if q.Has("limit") {
		var msg string
		if limit, msg = parseLimit(q, 0, 1000); msg != "" {
			badRequest(s, w, r, msg)
			return
		}
	}
	if msg := orderError(q); msg != "" {
		badRequest(s, w, r, msg)
		return
	}
	order := q.Get("order")
	if order == "" {
		order = "asc"
	}
	if q.Has("after_id") && q.Has("before_id") {
		badRequest(s, w, r, "Only one of after_id and before_id may be set.")
		return
	}
	created, msg := parseWindow(q, "created_at")
	var updated window
	if msg == "" {
		updated, msg = parseWindow(q, "updated_at")
	}
	resultMax, msg2 := parseMaxChars(q, "tool_result_max_chars")
	useMax, msg3 := parseMaxChars(q, "tool_use_input_max_chars")
	for _, m := range []string{msg, msg2, msg3} {
		if m != "" {
			badRequest(s, w, r, m)
			return
		}
	}
	param, ck, cid, hasCursor, ok := scanCursor(q, "msg:"+order)
	if !ok {
		badRequest(s, w, r, fmt.Sprintf("Invalid pagination cursor for '%s'", param))
		return
	}
	s.mu.RLock()
	c, ok := s.st.chats[args[0]]
	if !ok {
		s.mu.RUnlock()
		notFound(s, w, r, fmt.Sprintf("Chat conversation not found: '%s'", args[0]))
		return
	}
	var sel []*message
	for _, m := range c.msgs {
		if created.contains(m.at) && updated.contains(m.at) {
			sel = append(sel, m)
		}
	}
	sort.SliceStable(sel, func(i, j int) bool {
		if !sel[i].at.Equal(sel[j].at) {
			return sel[i].at.Before(sel[j].at)
		}
		return sel[i].id < sel[j].id
	})
	if order == "desc" {
		for i, j := 0, len(sel)-1; i < j; i, j = i+1, j-1 {
			sel[i], sel[j] = sel[j], sel[i]
		}
	}
	items := make([]keyed, len(sel))
	for i, m := range sel {
		items[i] = keyed{m.at, m.id}
	}
	if limit == 0 {
		limit = len(items) + 1
	}
	from, to, more := cursorPage(items, order == "desc", param == "after_id", hasCursor, ck, cid, limit)
	out := compliance.ChatMessages{Chat: s.chatModel(c), ChatMessages: make([]compliance.Message, 0, to-from), HasMore: more}
	for _, m := range sel[from:to] {
		out.ChatMessages = append(out.ChatMessages, s.messageModel(c, m, resultMax, useMax))
	}
	if to > from {
		out.FirstID = ptr(encodeCursor("msg:"+order, items[from].key, items[from].id))
		out.LastID = ptr(encodeCursor("msg:"+order, items[to-1].key, items[to-1].id))
	}
	s.mu.RUnlock()
	writeJSON(w, out)
}

func (s *Server) deleteChat(w http.ResponseWriter, r *http.Request, _ url.Values, args []string) {
	s.mu.Lock()
	c, ok := s.st.chats[args[0]]
	if ok {
		s.st.hardDelete(c)
	}
	s.mu.Unlock()
	if !ok {
		notFound(s, w, r, fmt.Sprintf("Chat conversation not found: '%s'", args[0]))
		return
	}
	writeJSON(w, compliance.Deletion{ID: args[0], Type: "claude_chat_deleted"})
}

// fileUUID is the internal UUID a 404 names; unknown ids get a stable stand-in.
func (s *Server) fileUUID(id string) string {
	if f, ok := s.st.files[id]; ok {
		return f.uuid
	}
	h := md5.Sum([]byte(id))
	x := fmt.Sprintf("%x", h[:])
	return x[0:8] + "-" + x[8:12] + "-4" + x[13:16] + "-a" + x[17:20] + "-" + x[20:32]
}

func (s *Server) fileModel(f *file) compliance.File {
	out := compliance.File{ID: f.id, Filename: ptr(f.filename), MimeType: ptr(f.mime), SizeBytes: ptr(f.size), MD5: ptr(f.md5),
		CreatedAt: compliance.NewTime(f.at), MessageIDs: []string{}, ClaudeChatIDs: []string{}}
	if f.msg != nil {
		out.MessageIDs = append(out.MessageIDs, f.msg.id)
	}
	if f.chat != nil {
		out.ClaudeChatIDs = append(out.ClaudeChatIDs, f.chat.id)
	}
	return out
}

func (s *Server) getFile(w http.ResponseWriter, r *http.Request, _ url.Values, args []string) {
	s.mu.RLock()
	f, ok := s.st.files[args[0]]
	var out compliance.File
	if ok {
		out = s.fileModel(f)
	}
	uuid := s.fileUUID(args[0])
	s.mu.RUnlock()
	if !ok {
		notFound(s, w, r, "File not found: "+uuid)
		return
	}
	writeJSON(w, out)
}

func (s *Server) getFileContent(w http.ResponseWriter, r *http.Request, _ url.Values, args []string) {
	s.mu.RLock()
	f, ok := s.st.files[args[0]]
	uuid := s.fileUUID(args[0])
	s.mu.RUnlock()
	if !ok {
		notFound(s, w, r, "File not found: "+uuid)
		return
	}
	streamContent(w, f.filename, f.mime, fileBytes(s.st.corp, f.seed, f.filename, f.mime))
}

// streamContent writes a download the way the service does: RFC 5987
// Content-Disposition, base64 Content-MD5 of the served bytes, chunked.
func streamContent(w http.ResponseWriter, filename, mime string, body []byte) {
	sum := md5.Sum(body)
	h := w.Header()
	h.Set("Content-Type", mime)
	h.Set("Content-Disposition", "attachment; filename*=utf-8''"+rfc5987(filename))
	h.Set("Content-MD5", base64.StdEncoding.EncodeToString(sum[:]))
	w.WriteHeader(http.StatusOK)
	half := len(body) / 2
	_, _ = w.Write(body[:half])
	if f, ok := w.(http.Flusher); ok {
		f.Flush() // forces Transfer-Encoding: chunked
	}
	_, _ = w.Write(body[half:])
}

// rfc5987 percent-encodes everything but RFC 5987 attr-chars.
func rfc5987(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

func (s *Server) deleteFile(w http.ResponseWriter, r *http.Request, _ url.Values, args []string) {
	s.mu.Lock()
	f, ok := s.st.files[args[0]]
	if ok {
		delete(s.st.files, f.id)
		if p := f.project; p != nil {
			for i, x := range p.files {
				if x == f {
					p.files = append(p.files[:i], p.files[i+1:]...)
					break
				}
			}
		}
	}
	s.mu.Unlock()
	if !ok {
		notFound(s, w, r, "No file found with provided id, or it has already been deleted.")
		return
	}
	writeJSON(w, compliance.Deletion{ID: args[0], Type: "claude_file_deleted"})
}

func (s *Server) getGenFile(w http.ResponseWriter, r *http.Request, _ url.Values, args []string) {
	s.mu.RLock()
	g, ok := s.st.genFiles[args[0]]
	s.mu.RUnlock()
	if !ok {
		notFound(s, w, r, fmt.Sprintf("Generated file not found: '%s'", args[0]))
		return
	}
	writeJSON(w, compliance.GeneratedFile{ID: g.id, ClaudeChatID: g.chat.id, Filename: g.filename, MimeType: ptr(g.mime),
		SizeBytes: ptr(g.size), MD5: ptr(g.md5), CreatedAt: ptr(compliance.NewTime(g.at))})
}

func (s *Server) getGenFileContent(w http.ResponseWriter, r *http.Request, _ url.Values, args []string) {
	s.mu.RLock()
	g, ok := s.st.genFiles[args[0]]
	s.mu.RUnlock()
	if !ok {
		notFound(s, w, r, fmt.Sprintf("Generated file content not found: '%s'", args[0]))
		return
	}
	streamContent(w, g.filename, g.mime, fileBytes(s.st.corp, g.seed, g.filename, g.mime))
}

func (s *Server) getArtifact(w http.ResponseWriter, r *http.Request, _ url.Values, args []string) {
	s.mu.RLock()
	a, ok := s.st.artifacts[args[0]]
	s.mu.RUnlock()
	if !ok {
		notFound(s, w, r, fmt.Sprintf("Artifact version not found: '%s'", args[0]))
		return
	}
	writeJSON(w, compliance.Artifact{ID: a.id, VersionID: a.versionID, ClaudeChatID: a.chat.id, Title: ptr(a.title),
		ArtifactType: ptr(a.atype), CreatedAt: compliance.NewTime(a.at), MD5: md5hex([]byte(a.content)), SizeBytes: int64(len(a.content))})
}

// ArtifactContent is the JSON body of the artifact content endpoint.
type ArtifactContent struct {
	ID           string `json:"id"`
	VersionID    string `json:"version_id"`
	Title        string `json:"title"`
	ArtifactType string `json:"artifact_type"`
	Content      string `json:"content"`
}

func (s *Server) getArtifactContent(w http.ResponseWriter, r *http.Request, _ url.Values, args []string) {
	s.mu.RLock()
	a, ok := s.st.artifacts[args[0]]
	s.mu.RUnlock()
	if !ok {
		notFound(s, w, r, fmt.Sprintf("Artifact version not found: '%s'", args[0]))
		return
	}
	writeJSON(w, ArtifactContent{ID: a.id, VersionID: a.versionID, Title: a.title, ArtifactType: a.atype, Content: a.content})
}

// scanCursor reads after_id or before_id (scheme C) bound to binding; ok is
// false for a cursor that does not decode or belongs to another binding.
func scanCursor(q url.Values, binding string) (param string, key time.Time, id string, has, ok bool) {
	param, cursor := "after_id", q.Get("after_id")
	if q.Has("before_id") {
		param, cursor = "before_id", q.Get("before_id")
	}
	if !q.Has(param) {
		return param, time.Time{}, "", false, true
	}
	key, id, ok = decodeCursor(cursor, binding)
	return param, key, id, true, ok
}
