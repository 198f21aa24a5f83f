package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// eventRow is one line of the events table.
type eventRow struct {
	Kind        string
	ID          string
	Integration string
	Time        time.Time
	User        string
	Role        string
	Input       string
	Output      string
	Model       string
	Type        string
	IP          string
	ChatID      string
	Tags        []string
	Policies    []string
	Violations  int
	Link        string // opens the drawer on this page
	Open        bool
	// InTags and OutTags are the prompt's and the response's tags, failing
	// ones first, for the collapsed tags cell.
	InTags, OutTags *tagSummary
	// Files and Tools count the attachments and tool calls of an interaction.
	Files, Tools int
}

type eventsData struct {
	Tab string
	// View is "interactions" or "messages" on the prompt tab.
	View string
	// Total counts the events the filter selects (-1: not told), TotalMore
	// when it reached the cap.
	Total        int
	TotalMore    bool
	Query        url.Values
	Rows         []eventRow
	Integrations []store.Integration
	Policies     []PolicyInfo
	Open         *eventDetail
	CloseURL     string
	NextURL      string
	FirstURL     string
	Export       url.Values
	// Groups are the synced directory groups the group filter offers.
	Groups []string
}

func (s *Server) integrationNames(ctx context.Context) (map[int64]string, []store.Integration) {
	ins, err := s.st.Integrations(ctx)
	if err != nil {
		s.log.Warn("list integrations", "err", err)
	}
	names := make(map[int64]string, len(ins))
	for _, in := range ins {
		names[in.ID] = in.Name
	}
	return names, ins
}

func (s *Server) policyList() []PolicyInfo {
	if s.cfg.Policies == nil {
		return nil
	}
	return s.cfg.Policies.List()
}

func (s *Server) eventsPage(w http.ResponseWriter, r *http.Request) {
	ctx, id, q := r.Context(), identityFrom(r), r.URL.Query()
	if q.Get("kind") == "" {
		q.Set("kind", "prompt")
	}
	f, err := s.parseFilter(ctx, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view, err := eventView(q, "interactions")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	l, err := s.listEvents(ctx, id, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	names, ins := s.integrationNames(ctx)
	d := eventsData{Tab: f.Kind, View: view, Query: q, Integrations: ins, Groups: s.groupChoices(ctx), Policies: s.policyList(), Export: filterQuery(q)}
	if f.Kind == "prompt" {
		d.Export.Set("view", view)
	} else {
		d.View = ""
	}
	pass := passTags(d.Policies)
	open := q.Get("open")
	base := url.Values{}
	for k, v := range q {
		if k != "open" {
			base[k] = v
		}
	}
	if f.Kind == "prompt" && view == "interactions" {
		its, fs, err := s.interactionsOf(ctx, id, l.Prompts)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		l.Prompts = nil
		for _, it := range its {
			row := eventRow{Kind: "interaction", ID: it.ID, Integration: names[it.IntegrationID], Time: it.CreatedAt, User: firstNonEmpty(it.UserEmail, it.UserID),
				Model: it.Model, ChatID: it.ChatID, Policies: policyNames(fs[it.ID]), Violations: it.Violations}
			if p := it.Prompt; p != nil {
				row.Input, row.InTags = shorten(p.Text, 160), summarizeTags(p.Tags, pass)
				row.Files, row.Tools = len(p.Files), len(p.ToolCalls)
			}
			if a := it.Response; a != nil {
				row.Output, row.OutTags = shorten(a.Text, 160), summarizeTags(a.Tags, pass)
				row.Files, row.Tools = row.Files+len(a.Files), row.Tools+len(a.ToolCalls)
			}
			key := fmt.Sprintf("interaction/%d/%s", it.IntegrationID, it.ID)
			row.Link, row.Open = qset(base, "open", key), key == open
			d.Rows = append(d.Rows, row)
		}
	}
	for _, m := range l.Prompts {
		row := eventRow{Kind: "prompt", ID: m.ID, Integration: names[m.IntegrationID], Time: m.CreatedAt, User: firstNonEmpty(m.UserEmail, m.UserID),
			Role: m.Role, Model: m.Model, ChatID: m.ChatID, Tags: m.Tags, Policies: policyNames(l.Findings[m.ID]), Violations: m.Violations}
		if m.Role == "assistant" {
			row.Output, row.OutTags = shorten(m.Text, 160), summarizeTags(m.Tags, pass)
		} else {
			row.Input, row.InTags = shorten(m.Text, 160), summarizeTags(m.Tags, pass)
		}
		row.Files, row.Tools = len(m.Files), len(m.ToolCalls)
		key := fmt.Sprintf("prompt/%d/%s", m.IntegrationID, m.ID)
		row.Link, row.Open = qset(base, "open", key), key == open
		d.Rows = append(d.Rows, row)
	}
	for _, a := range l.Access {
		row := eventRow{Kind: "access", ID: a.ID, Integration: names[a.IntegrationID], Time: a.CreatedAt, User: firstNonEmpty(a.ActorEmail, a.ActorUserID, a.ActorType),
			Type: a.Type, IP: a.IP, ChatID: a.ChatID, Tags: a.Tags, Policies: policyNames(l.Findings[a.ID])}
		key := fmt.Sprintf("access/%d/%s", a.IntegrationID, a.ID)
		row.Link, row.Open = qset(base, "open", key), key == open
		d.Rows = append(d.Rows, row)
	}
	if d.Total, d.TotalMore, err = s.eventTotal(ctx, id, f); err != nil {
		s.fail(w, r, err)
		return
	}
	if l.Next != "" {
		d.NextURL = qset(base, "cursor", l.Next)
	}
	if q.Get("cursor") != "" {
		d.FirstURL = qset(base, "cursor", "")
	}
	d.CloseURL = qset(base)
	if open != "" {
		parts := strings.SplitN(open, "/", 3)
		if len(parts) == 3 {
			if iid, err := strconv.ParseInt(parts[1], 10, 64); err == nil {
				if ev, err := s.loadEvent(ctx, id, parts[0], iid, parts[2]); err == nil {
					d.Open = ev
					s.audit(r, "view", "event", open, "")
				}
			}
		}
	}
	s.audit(r, "list", "events", "", filterQuery(q).Encode())
	title := "Prompt events"
	if f.Kind == "access" {
		title = "Access events"
	}
	s.render(w, r, http.StatusOK, "events.html", &pageData{Title: title, Nav: "events", Data: d})
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// eventPage is the drawer's content as a page of its own (links, no JS).
func (s *Server) eventPage(w http.ResponseWriter, r *http.Request) {
	d, err := s.eventFromPath(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, "view", "event", r.PathValue("kind")+"/"+r.PathValue("iid")+"/"+r.PathValue("id"), "")
	s.render(w, r, http.StatusOK, "event.html", &pageData{Title: "Event " + r.PathValue("id"), Nav: "events", Data: d})
}

// ---- sessions ----

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

func (s *Server) sessionPage(w http.ResponseWriter, r *http.Request) {
	d, err := s.sessionFromPath(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if d.Files, err = s.st.ChatFileTexts(r.Context(), d.Chat.IntegrationID, d.Chat.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, "view", "session", r.PathValue("iid")+"/"+r.PathValue("id"), "")
	s.render(w, r, http.StatusOK, "session.html", &pageData{Title: "Session " + d.Chat.Name, Nav: "sessions", Data: d})
}

func (s *Server) apiSession(w http.ResponseWriter, r *http.Request) {
	d, err := s.sessionFromPath(r)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	s.audit(r, "view", "session", r.PathValue("iid")+"/"+r.PathValue("id"), "")
	writeJSON(w, http.StatusOK, d)
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

func (s *Server) sessionsPage(w http.ResponseWriter, r *http.Request) {
	ctx, q := r.Context(), r.URL.Query()
	cs, f, total, err := s.listSessions(r)
	if err != nil {
		s.fail(w, r, err)
		return
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
}

func (s *Server) apiSessions(w http.ResponseWriter, r *http.Request) {
	cs, f, total, err := s.listSessions(r)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	if cs == nil {
		cs = []store.ChatRisk{}
	}
	out := map[string]any{"sessions": cs, "offset": f.Offset, "limit": f.Limit}
	if total >= 0 {
		out["total"] = total
	}
	writeJSON(w, http.StatusOK, out)
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

// ---- users ----

type usersData struct {
	Users        []userRow
	Names        map[int64]string
	Integrations []store.Integration
	Query        url.Values
}

// userRow is a user with their risk score (0 without violations in the
// risk window).
type userRow struct {
	store.User
	Risk       float64 `json:"risk"`
	Violations int     `json:"violations"`
}

// listUsers lists users by email, or with sort=risk the users with
// violations by risk score, highest first.
func (s *Server) listUsers(r *http.Request) ([]userRow, error) {
	ctx, q := r.Context(), r.URL.Query()
	text, err := searchText(q)
	if err != nil {
		return nil, err
	}
	var iid int64
	if v := q.Get("integration"); v != "" {
		if iid, err = s.integrationParam(ctx, v); err != nil {
			return nil, err
		}
	}
	out := []userRow{}
	switch sort := q.Get("sort"); sort {
	case "risk":
		rs := s.riskStore()
		if rs == nil {
			return nil, badf("risk scores are not available with this store")
		}
		risks, err := rs.UserRisks(ctx, store.RiskFilter{IntegrationID: iid, Query: text, Limit: 200, RiskParams: s.riskParams()})
		if err != nil {
			return nil, err
		}
		for _, u := range risks {
			out = append(out, userRow{User: u.User, Risk: u.Score, Violations: u.Violations})
		}
		return out, nil
	case "", "email":
	default:
		return nil, badf("sort %q: use email or risk", sort)
	}
	us, err := s.st.Users(ctx, iid, text, 200)
	if err != nil {
		return nil, err
	}
	risks, err := s.userRisks(ctx, us)
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		r := risks[riskKey(u.IntegrationID, u.ID)]
		out = append(out, userRow{User: u, Risk: r.Score, Violations: r.Violations})
	}
	return out, nil
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request) {
	us, err := s.listUsers(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	names, ins := s.integrationNames(r.Context())
	s.render(w, r, http.StatusOK, "users.html", &pageData{Title: "Users", Nav: "users", Data: usersData{Users: us, Names: names, Integrations: ins, Query: r.URL.Query()}})
}

func (s *Server) apiUsers(w http.ResponseWriter, r *http.Request) {
	us, err := s.listUsers(r)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": us})
}

type userData struct {
	User        store.User       `json:"user"`
	Integration string           `json:"integration"`
	Prompts     []store.Message  `json:"recent_prompts"`
	Access      []store.Activity `json:"recent_access"`
	Chats       []store.Chat     `json:"sessions"`
	Alerts      []store.Alert    `json:"alerts"`
	Findings    map[string][]store.Finding
	// Groups are the directory groups the user is a member of.
	Groups []store.Group `json:"groups"`
	// Risk is the user's risk score and the violations behind it.
	Risk store.UserRisk `json:"risk"`
}

func (s *Server) loadUser(r *http.Request) (*userData, error) {
	ctx, id := r.Context(), identityFrom(r)
	iid, err := parseID(r.PathValue("iid"))
	if err != nil {
		return nil, err
	}
	uid := r.PathValue("id")
	us, err := s.st.Users(ctx, iid, uid, 50)
	if err != nil {
		return nil, err
	}
	d := &userData{}
	found := false
	for _, u := range us {
		if u.ID == uid {
			d.User, found = u, true
		}
	}
	if !found {
		d.User = store.User{IntegrationID: iid, ID: uid}
	}
	if in, err := s.st.IntegrationByID(ctx, iid); err == nil {
		d.Integration = in.Name
	}
	d.Groups = []store.Group{}
	gs, err := s.st.UserGroups(ctx, iid, uid)
	if err != nil {
		return nil, err
	}
	d.Groups = append(d.Groups, gs...)
	f := store.EventFilter{IntegrationID: iid, User: uid, Limit: 20}
	pl, err := s.listEvents(ctx, id, withKind(f, "prompt"))
	if err != nil {
		return nil, err
	}
	al, err := s.listEvents(ctx, id, withKind(f, "access"))
	if err != nil {
		return nil, err
	}
	d.Prompts, d.Access, d.Findings = pl.Prompts, al.Access, pl.Findings
	if d.Chats, err = s.ws.Chats(ctx, store.ChatFilter{IntegrationID: iid, User: uid, Limit: 20}); err != nil {
		return nil, err
	}
	if !found && len(d.Prompts) == 0 && len(d.Access) == 0 && len(d.Chats) == 0 {
		return nil, store.ErrNotFound
	}
	d.Risk = store.UserRisk{User: d.User}
	if rs := s.riskStore(); rs != nil {
		risks, err := rs.UserRisks(ctx, store.RiskFilter{IntegrationID: iid, UserID: uid, RiskParams: s.riskParams()})
		if err != nil {
			return nil, err
		}
		if len(risks) > 0 {
			d.Risk = risks[0]
		}
	}
	if s.alerts != nil {
		if d.Alerts, err = s.alerts.Alerts(ctx, store.AlertFilter{IntegrationID: iid, User: uid, Limit: 20}); err != nil {
			return nil, err
		}
		if id.redacted() {
			redactAlerts(d.Alerts)
		}
	}
	return d, nil
}

func withKind(f store.EventFilter, kind string) store.EventFilter {
	f.Kind = kind
	return f
}

func (s *Server) userPage(w http.ResponseWriter, r *http.Request) {
	d, err := s.loadUser(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, "view", "user", r.PathValue("iid")+"/"+r.PathValue("id"), "")
	s.render(w, r, http.StatusOK, "user.html", &pageData{Title: "User " + firstNonEmpty(d.User.Email, d.User.ID), Nav: "users", Data: d})
}

func (s *Server) apiUser(w http.ResponseWriter, r *http.Request) {
	d, err := s.loadUser(r)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	s.audit(r, "view", "user", r.PathValue("iid")+"/"+r.PathValue("id"), "")
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) {
	id := identityFrom(r)
	writeJSON(w, http.StatusOK, map[string]any{"account": id.Account, "csrf_token": id.csrf(), "token": id.Token, "redacted": id.redacted()})
}
