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
	"unicode"
	"unicode/utf8"

	"github.com/claudit/claudit/internal/store"
)

// filterKeys are the query parameters an event filter reads, in display order.
var filterKeys = []string{"kind", "integration", "user", "group", "from", "to", "model", "policy", "tag", "severity", "violations", "q", "role", "type", "chat"}

// parseFilter reads an event filter from query parameters. Dates are
// YYYY-MM-DD (a "to" date includes that whole day) or RFC 3339.
func (s *Server) parseFilter(ctx context.Context, q url.Values) (store.EventFilter, error) {
	f := store.EventFilter{
		Kind: q.Get("kind"), User: strings.TrimSpace(q.Get("user")), Model: q.Get("model"), Policy: q.Get("policy"),
		Tag: q.Get("tag"), Severity: q.Get("severity"), Role: q.Get("role"),
		Type: q.Get("type"), ChatID: q.Get("chat"), Cursor: q.Get("cursor"),
	}
	var err error
	if f.Query, err = searchText(q); err != nil {
		return f, err
	}
	if f.Group, err = s.groupParam(ctx, q.Get("group")); err != nil {
		return f, err
	}
	switch f.Kind {
	case "", "prompt", "access":
	default:
		return f, badf("kind %q: use prompt or access", f.Kind)
	}
	switch strings.ToLower(q.Get("violations")) {
	case "1", "true", "on", "yes":
		f.ViolationsOnly = true
	}
	if v := q.Get("integration"); v != "" {
		id, err := s.integrationParam(ctx, v)
		if err != nil {
			return f, err
		}
		f.IntegrationID = id
	}
	if f.From, err = parseWhen(locFrom(ctx), q.Get("from"), false); err != nil {
		return f, err
	}
	if f.To, err = parseWhen(locFrom(ctx), q.Get("to"), true); err != nil {
		return f, err
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return f, badf("limit %q: use 1 to 1000", v)
		}
		f.Limit = n
	}
	return f, nil
}

// searchText reads the search box (q), trimmed. Text with a control
// character or invalid UTF-8 is refused: no one types it, and the full-text
// index and PostgreSQL reject it.
func searchText(q url.Values) (string, error) {
	v := strings.TrimSpace(q.Get("q"))
	if !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl) {
		return "", badf("search text %q: remove control characters and invalid UTF-8", v)
	}
	return v, nil
}

// integrationParam accepts an integration id or name.
func (s *Server) integrationParam(ctx context.Context, v string) (int64, error) {
	if id, err := strconv.ParseInt(v, 10, 64); err == nil {
		return id, nil
	}
	in, err := s.st.Integration(ctx, v)
	if errors.Is(err, store.ErrNotFound) {
		return 0, badf("integration %q not found", v)
	}
	if err != nil {
		return 0, err
	}
	return in.ID, nil
}

// filterQuery keeps only the filter parameters of q (for export and dataset links).
func filterQuery(q url.Values) url.Values {
	out := url.Values{}
	for _, k := range filterKeys {
		if v := q.Get(k); v != "" {
			out.Set(k, v)
		}
	}
	return out
}

// eventPage is one page of events, redacted for viewers.
type eventList struct {
	Kind     string           `json:"kind"`
	Prompts  []store.Message  `json:"prompts,omitempty"`
	Access   []store.Activity `json:"access,omitempty"`
	Findings map[string][]store.Finding
	Next     string `json:"next_cursor"`
}

func (s *Server) listEvents(ctx context.Context, id *identity, f store.EventFilter) (*eventList, error) {
	if f.Kind == "" {
		f.Kind = "prompt"
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	out := &eventList{Kind: f.Kind}
	var all []store.Finding
	// A viewer's search drops what matched only inside redacted text, so a
	// page can come back short: read on until it is full or the events end.
	for round := 0; ; round++ {
		page, err := s.listPage(ctx, id, f)
		if err != nil {
			return nil, err
		}
		out.Prompts = append(out.Prompts, page.Prompts...)
		out.Access = append(out.Access, page.Access...)
		all = append(all, page.fs...)
		out.Next = page.Next
		n := len(out.Prompts) + len(out.Access)
		if !id.redacted() || f.Query == "" || page.Next == "" || n >= f.Limit || round >= 20 {
			break
		}
		f.Cursor = page.Next
	}
	out.Findings = findingsByEvent(all)
	return out, nil
}

// listedPage is one store page of events, redacted and, for a viewer's
// search, reduced to events the search matches in what the viewer sees.
type listedPage struct {
	eventList
	fs []store.Finding
}

func (s *Server) listPage(ctx context.Context, id *identity, f store.EventFilter) (*listedPage, error) {
	out := &listedPage{}
	var err error
	var refs []store.EventRef
	if f.Kind == "prompt" {
		out.Prompts, out.Next, err = s.st.PromptEvents(ctx, f)
		for _, m := range out.Prompts {
			refs = append(refs, store.EventRef{IntegrationID: m.IntegrationID, ID: m.ID})
		}
	} else {
		out.Access, out.Next, err = s.st.AccessEvents(ctx, f)
		for _, a := range out.Access {
			refs = append(refs, store.EventRef{IntegrationID: a.IntegrationID, ID: a.ID})
		}
	}
	if err != nil {
		if strings.Contains(err.Error(), "invalid cursor") {
			return nil, badf("invalid cursor: start again without one")
		}
		return nil, err
	}
	fs, err := s.ws.EventFindings(ctx, f.Kind, refs)
	if err != nil {
		return nil, err
	}
	if id.redacted() {
		extra, err := s.chatSecrets(ctx, out.Prompts)
		if err != nil {
			return nil, err
		}
		redactMessages(out.Prompts, fs, extra)
		for i := range out.Access {
			redactActivity(&out.Access[i])
		}
		fs = redactFindings(fs)
		if f.Query != "" {
			out.Prompts, out.Access, fs = visibleResults(out.Prompts, out.Access, fs, f.Query)
		}
	}
	out.fs = fs
	return out, nil
}

// visibleResults keeps the redacted events a search matches in what a
// viewer sees, and their findings.
func visibleResults(ms []store.Message, as []store.Activity, fs []store.Finding, q string) ([]store.Message, []store.Activity, []store.Finding) {
	keep := map[string]bool{}
	var km []store.Message
	for _, m := range ms {
		if visibleMatch(m.Text, q) {
			km = append(km, m)
			keep[m.ID] = true
		}
	}
	var ka []store.Activity
	for _, a := range as {
		if visibleActivityMatch(a, q) {
			ka = append(ka, a)
			keep[a.ID] = true
		}
	}
	var kf []store.Finding
	for _, f := range fs {
		if keep[f.EventID] {
			kf = append(kf, f)
		}
	}
	return km, ka, kf
}

type eventItem struct {
	Kind  string `json:"kind"`
	Event any    `json:"event"`
	// Policies names the policies with findings on the event.
	Policies []string `json:"policies,omitempty"`
}

func (s *Server) apiEvents(w http.ResponseWriter, r *http.Request) error {
	id := identityFrom(r)
	f, err := s.parseFilter(r.Context(), r.URL.Query())
	if err != nil {
		return err
	}
	view, err := eventView(r.URL.Query(), "messages")
	if err != nil {
		return err
	}
	l, err := s.listEvents(r.Context(), id, f)
	if err != nil {
		return err
	}
	if l.Kind == "prompt" && view == "interactions" {
		its, fs, err := s.interactionsOf(r.Context(), id, l.Prompts)
		if err != nil {
			return err
		}
		items := make([]eventItem, 0, len(its))
		for i := range its {
			items = append(items, eventItem{Kind: "interaction", Event: &its[i], Policies: policyNames(fs[its[i].ID])})
		}
		s.audit(r, "list", "events", "", filterQuery(r.URL.Query()).Encode())
		out := map[string]any{"kind": l.Kind, "view": view, "events": items, "next_cursor": l.Next}
		if err := s.addEventTotal(r.Context(), id, f, out); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}
	items := make([]eventItem, 0, len(l.Prompts)+len(l.Access))
	for i := range l.Prompts {
		items = append(items, eventItem{Kind: "prompt", Event: &l.Prompts[i], Policies: policyNames(l.Findings[l.Prompts[i].ID])})
	}
	for i := range l.Access {
		items = append(items, eventItem{Kind: "access", Event: &l.Access[i], Policies: policyNames(l.Findings[l.Access[i].ID])})
	}
	s.audit(r, "list", "events", "", filterQuery(r.URL.Query()).Encode())
	out := map[string]any{"kind": l.Kind, "events": items, "next_cursor": l.Next}
	if err := s.addEventTotal(r.Context(), id, f, out); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// addEventTotal puts total (and total_more when capped) into an answer.
func (s *Server) addEventTotal(ctx context.Context, id *identity, f store.EventFilter, out map[string]any) error {
	n, more, err := s.eventTotal(ctx, id, f)
	if err != nil || n < 0 {
		return err
	}
	out["total"] = n
	if more {
		out["total_more"] = true
	}
	return nil
}

// eventTotalCap bounds the count behind a page's total.
const eventTotalCap = 10000

// eventTotal counts the events a filter selects for a page's total: -1 when
// it cannot be told (a viewer's search is matched in the redacted text,
// which a count of the raw text would give away); more is set when there
// are eventTotalCap or more.
func (s *Server) eventTotal(ctx context.Context, id *identity, f store.EventFilter) (n int, more bool, err error) {
	if id.redacted() && f.Query != "" {
		return -1, false, nil
	}
	if f.Kind == "" {
		f.Kind = "prompt"
	}
	n, err = s.st.CountEvents(ctx, f, eventTotalCap)
	return n, n >= eventTotalCap, err
}

func policyNames(fs []store.Finding) []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range fs {
		if !seen[f.Policy] {
			seen[f.Policy] = true
			out = append(out, f.Policy)
		}
	}
	return out
}

// TokenUsage estimates the tokens an exchange used: the API reports none, so
// these come from text length (about 4 bytes a token).
type TokenUsage struct {
	Estimated bool `json:"estimated"`
	Total     int  `json:"total"`
	Context   int  `json:"context"`  // earlier messages of the chat sent along
	Prompt    int  `json:"prompt"`   // the user's message
	Response  int  `json:"response"` // the assistant's answer
}

// tokenUsage estimates usage of the exchange a message belongs to.
func tokenUsage(m *store.Message, chat []store.Message) TokenUsage {
	u := TokenUsage{Estimated: true}
	idx := -1
	for i := range chat {
		if chat[i].ID == m.ID {
			idx = i
			break
		}
	}
	if idx < 0 {
		if m.Role == "assistant" {
			u.Response = m.Tokens
		} else {
			u.Prompt = m.Tokens
		}
		u.Total = u.Prompt + u.Response
		return u
	}
	promptIdx := idx
	if m.Role == "assistant" {
		u.Response = m.Tokens
		promptIdx = -1
		for i := idx - 1; i >= 0; i-- {
			if chat[i].Role != "assistant" {
				promptIdx = i
				break
			}
		}
		if promptIdx >= 0 {
			u.Prompt = chat[promptIdx].Tokens
		}
	} else {
		u.Prompt = m.Tokens
		if idx+1 < len(chat) && chat[idx+1].Role == "assistant" {
			u.Response = chat[idx+1].Tokens
		}
	}
	if promptIdx > 0 {
		for _, c := range chat[:promptIdx] {
			u.Context += c.Tokens
		}
	}
	u.Total = u.Context + u.Prompt + u.Response
	return u
}

// eventDetail is everything the detail drawer shows.
type eventDetail struct {
	Kind        string             `json:"kind"`
	Integration *store.Integration `json:"integration,omitempty"`
	Provider    string             `json:"provider"`
	Endpoint    string             `json:"endpoint"`
	Prompt      *store.Message     `json:"prompt,omitempty"`
	// Response is the assistant's answer to Prompt, for an interaction.
	Response   *store.Message  `json:"response,omitempty"`
	Access     *store.Activity `json:"access,omitempty"`
	Chat       *store.Chat     `json:"chat,omitempty"`
	Tokens     *TokenUsage     `json:"token_usage,omitempty"`
	Findings   []store.Finding `json:"findings"`
	Actions    []string        `json:"actions_taken"`
	Violations int             `json:"violations"`
	Segments   []segment       `json:"-"`
	// ResponseSegments is the response's text with its findings marked.
	ResponseSegments []segment `json:"-"`
	RawJSON          string    `json:"-"`
}

func (s *Server) loadEvent(ctx context.Context, id *identity, kind string, iid int64, eventID string) (*eventDetail, error) {
	d := &eventDetail{Kind: kind, Provider: "anthropic"}
	in, err := s.st.IntegrationByID(ctx, iid)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	d.Integration = in
	if in != nil {
		d.Endpoint = strings.TrimRight(in.BaseURL, "/")
	}
	fs, err := s.st.Findings(ctx, iid, kind, eventID, "")
	if err != nil {
		return nil, err
	}
	switch kind {
	case "interaction":
		if err := s.loadInteraction(ctx, id, d, iid, eventID); err != nil {
			return nil, err
		}
		return d, nil
	case "prompt":
		m, err := s.st.Message(ctx, iid, eventID)
		if err != nil {
			return nil, err
		}
		d.Prompt = m
		d.Endpoint += "/v1/compliance/apps/chats/" + m.ChatID + "/messages"
		if c, err := s.st.Chat(ctx, iid, m.ChatID); err == nil {
			d.Chat = c
		}
		chat, err := s.st.ChatMessages(ctx, iid, m.ChatID)
		if err != nil {
			return nil, err
		}
		u := tokenUsage(m, chat)
		d.Tokens = &u
		var secrets []secret
		if id.redacted() {
			// Values matched anywhere in the chat are masked here too.
			if secrets, err = s.chatSecrets(ctx, []store.Message{*m}); err != nil {
				return nil, err
			}
			secrets = append(secrets, secretsOf(map[string]string{m.ID: m.Text}, fs)...)
			redactToolCalls(m.ToolCalls, secrets)
			if d.Chat != nil {
				d.Chat.Name = redactText(d.Chat.Name, nil, secrets)
			}
		}
		d.Segments = segmentsOf(m.Text, hitsOf(m.Text, fs, secrets), id.redacted())
		if id.redacted() {
			m.Text = redactText(m.Text, fs, secrets)
		}
	case "access":
		a, err := s.st.Activity(ctx, iid, eventID)
		if err != nil {
			return nil, err
		}
		d.Access = a
		d.Endpoint += "/v1/compliance/activities"
		if id.redacted() {
			redactActivity(a)
		} else {
			d.RawJSON = prettyJSON(a.Raw)
		}
	default:
		return nil, store.ErrNotFound
	}
	if id.redacted() {
		fs = redactFindings(fs)
	}
	d.Findings = fs
	if d.Findings == nil {
		d.Findings = []store.Finding{}
	}
	d.Actions = actionsTaken(fs)
	d.Violations = alertLevel(fs)
	return d, nil
}

// alertLevel counts the findings at alert level, as Message.Violations does.
func alertLevel(fs []store.Finding) int {
	n := 0
	for _, f := range fs {
		if f.EffectiveAction == "alert" {
			n++
		}
	}
	return n
}

// loadInteraction fills the drawer with the exchange a message belongs to:
// its prompt and response, both redacted for a viewer like the session page.
func (s *Server) loadInteraction(ctx context.Context, id *identity, d *eventDetail, iid int64, eventID string) error {
	m, err := s.st.Message(ctx, iid, eventID)
	if err != nil {
		return err
	}
	chat, err := s.st.ChatMessages(ctx, iid, m.ChatID)
	if err != nil {
		return err
	}
	prompt, response := pairOf(chat, m.ID)
	if prompt == nil {
		// A chat that opens with an assistant message: show it alone.
		prompt, response = response, nil
	}
	if prompt == nil {
		return store.ErrNotFound
	}
	all, err := s.st.Findings(ctx, iid, "prompt", "", m.ChatID)
	if err != nil {
		return err
	}
	by := findingsByEvent(all)
	red := id.redacted()
	var secrets []secret
	if red {
		// Values matched anywhere in the chat are masked in both halves.
		texts := make(map[string]string, len(chat))
		for _, c := range chat {
			texts[c.ID] = c.Text
		}
		secrets = secretsOf(texts, all)
	}
	d.Endpoint += "/v1/compliance/apps/chats/" + m.ChatID + "/messages"
	if c, err := s.st.Chat(ctx, iid, m.ChatID); err == nil {
		d.Chat = c
		if red {
			d.Chat.Name = redactText(c.Name, nil, secrets)
		}
	}
	u := tokenUsage(prompt, chat)
	d.Tokens = &u
	d.Findings = []store.Finding{}
	for _, x := range []*store.Message{prompt, response} {
		if x == nil {
			continue
		}
		own := by[x.ID]
		segs := segmentsOf(x.Text, hitsOf(x.Text, own, secrets), red)
		if red {
			x.Text = redactText(x.Text, own, secrets)
			redactToolCalls(x.ToolCalls, secrets)
			own = redactFindings(own)
		}
		d.Findings = append(d.Findings, own...)
		if x == prompt {
			d.Prompt, d.Segments = x, segs
		} else {
			d.Response, d.ResponseSegments = x, segs
		}
	}
	d.Actions = actionsTaken(d.Findings)
	d.Violations = alertLevel(d.Findings)
	return nil
}

// actionsTaken describes what claudit did about the findings: block and
// modify cannot act on past activity and are carried out as alerts.
func actionsTaken(fs []store.Finding) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, f := range fs {
		a := f.EffectiveAction
		if f.Action != "" && f.Action != f.EffectiveAction {
			a = f.Action + " (recorded as " + f.EffectiveAction + ")"
		}
		a = f.Policy + ": " + a
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}

func (s *Server) eventFromPath(r *http.Request) (*eventDetail, error) {
	iid, err := parseID(r.PathValue("iid"))
	if err != nil {
		return nil, err
	}
	return s.loadEvent(r.Context(), identityFrom(r), r.PathValue("kind"), iid, r.PathValue("id"))
}

func (s *Server) apiEvent(w http.ResponseWriter, r *http.Request) error {
	d, err := s.eventFromPath(r)
	if err != nil {
		return err
	}
	s.audit(r, "view", "event", r.PathValue("kind")+"/"+r.PathValue("iid")+"/"+r.PathValue("id"), "")
	writeJSON(w, http.StatusOK, d)
	return nil
}

// chatSecrets collects, for viewers, the values findings matched in the
// chats of ms, so a secret is masked in every message that repeats it.
func (s *Server) chatSecrets(ctx context.Context, ms []store.Message) ([]secret, error) {
	type chatRef struct {
		iid int64
		id  string
	}
	seen := map[chatRef]bool{}
	var out []secret
	for _, m := range ms {
		k := chatRef{m.IntegrationID, m.ChatID}
		if m.ChatID == "" || seen[k] {
			continue
		}
		seen[k] = true
		fs, err := s.st.Findings(ctx, k.iid, "prompt", "", k.id)
		if err != nil {
			return nil, err
		}
		if len(fs) == 0 {
			continue
		}
		chat, err := s.st.ChatMessages(ctx, k.iid, k.id)
		if err != nil {
			return nil, err
		}
		texts := make(map[string]string, len(chat))
		for _, c := range chat {
			texts[c.ID] = c.Text
		}
		out = append(out, secretsOf(texts, fs)...)
	}
	return out, nil
}

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

func (s *Server) eventsPage(w http.ResponseWriter, r *http.Request) error {
	ctx, id, q := r.Context(), identityFrom(r), r.URL.Query()
	if q.Get("kind") == "" {
		q.Set("kind", "prompt")
	}
	f, err := s.parseFilter(ctx, q)
	if err != nil {
		return err
	}
	view, err := eventView(q, "interactions")
	if err != nil {
		return err
	}
	l, err := s.listEvents(ctx, id, f)
	if err != nil {
		return err
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
			return err
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
		return err
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
	return nil
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
func (s *Server) eventPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.eventFromPath(r)
	if err != nil {
		return err
	}
	s.audit(r, "view", "event", r.PathValue("kind")+"/"+r.PathValue("iid")+"/"+r.PathValue("id"), "")
	s.render(w, r, http.StatusOK, "event.html", &pageData{Title: "Event " + r.PathValue("id"), Nav: "events", Data: d})
	return nil
}
