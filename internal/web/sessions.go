package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/claudit/claudit/internal/store"
)

type sessionMessage struct {
	store.Message
	Segments []segment
	Findings []store.Finding
}

type sessionData struct {
	Chat        *store.Chat           `json:"chat"`
	Integration string                `json:"integration"`
	Messages    []sessionMessage      `json:"-"`
	JSON        []sessionMessageJSON  `json:"messages"`
	Findings    []store.Finding       `json:"findings"`
	Violations  int                   `json:"violations"`
	Export      url.Values            `json:"-"`
	Alerts      []store.Alert         `json:"alerts,omitempty"`
	Tokens      map[string]TokenUsage `json:"-"`
	// Files are the chat's files: extracted, skipped or unreadable, with why.
	Files []store.FileText `json:"files,omitempty"`
}

type sessionMessageJSON struct {
	store.Message
	Findings []store.Finding `json:"findings"`
}

func (s *Server) loadSession(ctx context.Context, id *identity, iid int64, chatID string) (*sessionData, error) {
	c, err := s.st.Chat(ctx, iid, chatID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	ms, err := s.st.ChatMessages(ctx, iid, chatID)
	if err != nil {
		return nil, err
	}
	if c == nil {
		// Project files and documents and code artifacts are stored as
		// file messages under their project's or artifact's id, with no
		// chat record: show them as a session of their own.
		if len(ms) == 0 {
			return nil, store.ErrNotFound
		}
		c = contentChat(iid, chatID, ms)
	}
	fs, err := s.st.Findings(ctx, iid, "", "", chatID)
	if err != nil {
		return nil, err
	}
	d := &sessionData{Chat: c, Export: url.Values{"kind": {"prompt"}, "chat": {chatID}, "integration": {strconv.FormatInt(iid, 10)}}}
	if in, err := s.st.IntegrationByID(ctx, iid); err == nil {
		d.Integration = in.Name
	}
	red := id.redacted()
	by := findingsByEvent(fs)
	var secrets []secret
	if red {
		texts := make(map[string]string, len(ms))
		for _, m := range ms {
			texts[m.ID] = m.Text
		}
		secrets = secretsOf(texts, fs)
		if c != nil {
			c.Name = redactText(c.Name, nil, secrets)
		}
	}
	for _, m := range ms {
		own := by[m.ID]
		sm := sessionMessage{Message: m, Segments: segmentsOf(m.Text, hitsOf(m.Text, own, secrets), red), Findings: own}
		if red {
			sm.Text = redactText(m.Text, own, secrets)
			redactToolCalls(sm.ToolCalls, secrets)
			sm.Findings = redactFindings(own)
		}
		if m.Violations > 0 {
			d.Violations++
		}
		d.Messages = append(d.Messages, sm)
		d.JSON = append(d.JSON, sessionMessageJSON{Message: sm.Message, Findings: nonNil(sm.Findings)})
	}
	if red {
		fs = redactFindings(fs)
	}
	d.Findings = nonNil(fs)
	if d.JSON == nil {
		d.JSON = []sessionMessageJSON{}
	}
	return d, nil
}

func nonNil(fs []store.Finding) []store.Finding {
	if fs == nil {
		return []store.Finding{}
	}
	return fs
}

// contentChat stands in for the chat record of content that belongs to no
// chat: named after its kind, owned by its first message's user.
func contentChat(iid int64, id string, ms []store.Message) *store.Chat {
	name := "Content " + id
	switch {
	case strings.HasPrefix(id, "claude_proj_"):
		name = "Project files " + id
	case strings.HasPrefix(id, "cart_"):
		name = "Code artifact " + id
	}
	first, last := ms[0], ms[len(ms)-1]
	return &store.Chat{IntegrationID: iid, ID: id, Name: name, UserID: first.UserID, UserEmail: first.UserEmail,
		CreatedAt: first.CreatedAt, UpdatedAt: last.CreatedAt, MessageCount: len(ms)}
}

func (s *Server) sessionFromPath(r *http.Request) (*sessionData, error) {
	iid, err := parseID(r.PathValue("iid"))
	if err != nil {
		return nil, err
	}
	return s.loadSession(r.Context(), identityFrom(r), iid, r.PathValue("id"))
}

func (s *Server) sessionPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.sessionFromPath(r)
	if err != nil {
		return err
	}
	if d.Files, err = s.st.ChatFileTexts(r.Context(), d.Chat.IntegrationID, d.Chat.ID); err != nil {
		return err
	}
	s.audit(r, "view", "session", r.PathValue("iid")+"/"+r.PathValue("id"), "")
	s.render(w, r, http.StatusOK, "session.html", &pageData{Title: "Session " + d.Chat.Name, Nav: "sessions", Data: d})
	return nil
}

func (s *Server) apiSession(w http.ResponseWriter, r *http.Request) error {
	d, err := s.sessionFromPath(r)
	if err != nil {
		return err
	}
	s.audit(r, "view", "session", r.PathValue("iid")+"/"+r.PathValue("id"), "")
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) parseChatFilter(ctx context.Context, q url.Values) (store.ChatFilter, error) {
	f := store.ChatFilter{User: strings.TrimSpace(q.Get("user")), Limit: 50}
	var err error
	if f.Query, err = searchText(q); err != nil {
		return f, err
	}
	if f.Group, err = s.groupParam(ctx, q.Get("group")); err != nil {
		return f, err
	}
	if v := q.Get("integration"); v != "" {
		iid, err := s.integrationParam(ctx, v)
		if err != nil {
			return f, err
		}
		f.IntegrationID = iid
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return f, badf("offset %q: use a number", v)
		}
		f.Offset = n
	}
	if f.From, err = parseWhen(locFrom(ctx), q.Get("from"), false); err != nil {
		return f, err
	}
	if f.To, err = parseWhen(locFrom(ctx), q.Get("to"), true); err != nil {
		return f, err
	}
	switch f.Sort = q.Get("sort"); f.Sort {
	case "", "updated", "violations", "risk":
	default:
		return f, badf("sort %q: use updated, violations or risk", f.Sort)
	}
	return f, nil
}

// listSessions reads a page of sessions, redacted for a viewer, and the
// total the filter selects; -1 when it cannot be told: a viewer's search by
// name is matched in the redacted names, which a count of raw names would
// give away.
func (s *Server) listSessions(r *http.Request) ([]store.ChatRisk, store.ChatFilter, int, error) {
	ctx, id := r.Context(), identityFrom(r)
	f, err := s.parseChatFilter(ctx, r.URL.Query())
	if err != nil {
		return nil, f, 0, err
	}
	var cs []store.ChatRisk
	if rs := s.riskStore(); rs != nil {
		if cs, err = rs.ChatRisks(ctx, f, s.riskParams()); err != nil {
			return nil, f, 0, err
		}
	} else {
		if f.Sort == "risk" {
			return nil, f, 0, badf("risk scores are not available with this store")
		}
		plain, err := s.ws.Chats(ctx, f)
		if err != nil {
			return nil, f, 0, err
		}
		for _, c := range plain {
			cs = append(cs, store.ChatRisk{Chat: c})
		}
	}
	if id.redacted() {
		kept := cs[:0]
		for _, c := range cs {
			one, err := s.redactChats(ctx, id, []store.Chat{c.Chat}, f.Query)
			if err != nil {
				return nil, f, 0, err
			}
			if len(one) == 1 {
				c.Chat = one[0]
				kept = append(kept, c)
			}
		}
		cs = kept
	}
	total := -1
	if !id.redacted() || f.Query == "" {
		if total, err = s.ws.CountChats(ctx, f); err != nil {
			return nil, f, 0, err
		}
	}
	return cs, f, total, nil
}

type sessionsData struct {
	// Total is how many sessions the filter selects, -1 when unknown.
	Total, First, Last int
	Chats              []store.ChatRisk
	Names              map[int64]string
	Integrations       []store.Integration
	Query              url.Values
	NextURL            string
	PrevURL            string
	// Groups are the synced directory groups the group filter offers.
	Groups []string
}

func (s *Server) sessionsPage(w http.ResponseWriter, r *http.Request) error {
	ctx, q := r.Context(), r.URL.Query()
	cs, f, total, err := s.listSessions(r)
	if err != nil {
		return err
	}
	names, ins := s.integrationNames(ctx)
	d := sessionsData{Chats: cs, Names: names, Integrations: ins, Groups: s.groupChoices(ctx), Query: q, Total: total}
	if len(cs) > 0 {
		d.First, d.Last = f.Offset+1, f.Offset+len(cs)
	}
	if len(cs) == f.Limit {
		d.NextURL = qset(q, "offset", strconv.Itoa(f.Offset+f.Limit))
	}
	if f.Offset > 0 {
		d.PrevURL = qset(q, "offset", strconv.Itoa(max(0, f.Offset-f.Limit)))
	}
	s.render(w, r, http.StatusOK, "sessions.html", &pageData{Title: "Sessions", Nav: "sessions", Data: d})
	return nil
}

func (s *Server) apiSessions(w http.ResponseWriter, r *http.Request) error {
	cs, f, total, err := s.listSessions(r)
	if err != nil {
		return err
	}
	if cs == nil {
		cs = []store.ChatRisk{}
	}
	out := map[string]any{"sessions": cs, "offset": f.Offset, "limit": f.Limit}
	if total >= 0 {
		out["total"] = total
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// redactChats masks, for a viewer, the values findings matched in each
// chat wherever its name repeats them, and keeps only the chats a search q
// matches in the name the viewer sees.
func (s *Server) redactChats(ctx context.Context, id *identity, cs []store.Chat, q string) ([]store.Chat, error) {
	if !id.redacted() {
		return cs, nil
	}
	out := cs[:0]
	for _, c := range cs {
		secrets, err := s.chatSecrets(ctx, []store.Message{{IntegrationID: c.IntegrationID, ChatID: c.ID}})
		if err != nil {
			return nil, err
		}
		c.Name = redactText(c.Name, nil, secrets)
		if q != "" && !strings.Contains(strings.ToLower(c.Name), strings.ToLower(q)) {
			continue
		}
		out = append(out, c)
	}
	return out, nil
}
