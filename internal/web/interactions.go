package web

import (
	"context"
	"net/url"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// Interaction is one exchange of a chat: a user prompt and the assistant
// response that follows it, with their files and tool calls. It is keyed by
// the prompt's message id (the response's when a chat opens with one).
type Interaction struct {
	IntegrationID int64          `json:"integration_id"`
	ID            string         `json:"id"`
	ChatID        string         `json:"chat_id"`
	CreatedAt     time.Time      `json:"created_at"`
	UserID        string         `json:"user_id,omitempty"`
	UserEmail     string         `json:"user_email,omitempty"`
	Model         string         `json:"model,omitempty"`
	Prompt        *store.Message `json:"prompt,omitempty"`
	Response      *store.Message `json:"response,omitempty"`
	// Violations counts findings at alert level on both messages.
	Violations int `json:"violations"`
}

// pairOf finds the interaction of the message id in a chat's messages (in
// order): the prompt before an assistant message, the response after a
// user message. Either may be nil.
func pairOf(chat []store.Message, id string) (prompt, response *store.Message) {
	idx := -1
	for i := range chat {
		if chat[i].ID == id {
			idx = i
			break
		}
	}
	if idx < 0 {
		return nil, nil
	}
	if chat[idx].Role == "assistant" {
		response = &chat[idx]
		if idx > 0 && chat[idx-1].Role != "assistant" {
			prompt = &chat[idx-1]
		}
		return prompt, response
	}
	prompt = &chat[idx]
	if idx+1 < len(chat) && chat[idx+1].Role == "assistant" {
		response = &chat[idx+1]
	}
	return prompt, response
}

func newInteraction(prompt, response *store.Message) Interaction {
	anchor := prompt
	if anchor == nil {
		anchor = response
	}
	in := Interaction{IntegrationID: anchor.IntegrationID, ID: anchor.ID, ChatID: anchor.ChatID, CreatedAt: anchor.CreatedAt,
		UserID: anchor.UserID, UserEmail: anchor.UserEmail, Model: anchor.Model, Prompt: prompt, Response: response}
	for _, m := range []*store.Message{prompt, response} {
		if m == nil {
			continue
		}
		in.Violations += m.Violations
		if in.Model == "" {
			in.Model = m.Model
		}
		if in.UserEmail == "" {
			in.UserID, in.UserEmail = m.UserID, m.UserEmail
		}
	}
	return in
}

// chatView is a chat's messages and findings, redacted for a viewer the way
// the session page redacts them.
type chatView struct {
	messages []store.Message
	findings map[string][]store.Finding
}

func (s *Server) loadChatView(ctx context.Context, id *identity, iid int64, chatID string) (*chatView, error) {
	ms, err := s.st.ChatMessages(ctx, iid, chatID)
	if err != nil {
		return nil, err
	}
	fs, err := s.st.Findings(ctx, iid, "prompt", "", chatID)
	if err != nil {
		return nil, err
	}
	by := findingsByEvent(fs)
	if id.redacted() {
		texts := make(map[string]string, len(ms))
		for _, m := range ms {
			texts[m.ID] = m.Text
		}
		secrets := secretsOf(texts, fs)
		for i := range ms {
			ms[i].Text = redactText(ms[i].Text, by[ms[i].ID], secrets)
			redactToolCalls(ms[i].ToolCalls, secrets)
		}
		for k, v := range by {
			by[k] = redactFindings(v)
		}
	}
	return &chatView{messages: ms, findings: by}, nil
}

// interactionsOf turns a page of prompt events into interactions, in the
// page's order, each listed once at its first message on the page. Both
// halves come from the chat, so a response is shown with its prompt even
// when only one of them matched the filter.
func (s *Server) interactionsOf(ctx context.Context, id *identity, ms []store.Message) ([]Interaction, map[string][]store.Finding, error) {
	type chatRef struct {
		iid int64
		id  string
	}
	chats := map[chatRef]*chatView{}
	seen := map[chatRef]map[string]bool{}
	var out []Interaction
	fs := map[string][]store.Finding{}
	for _, m := range ms {
		k := chatRef{m.IntegrationID, m.ChatID}
		cv, ok := chats[k]
		if !ok {
			var err error
			if cv, err = s.loadChatView(ctx, id, k.iid, k.id); err != nil {
				return nil, nil, err
			}
			chats[k], seen[k] = cv, map[string]bool{}
		}
		prompt, response := pairOf(cv.messages, m.ID)
		if prompt == nil && response == nil {
			continue // stored after the chat was read; the next page load shows it
		}
		in := newInteraction(prompt, response)
		if seen[k][in.ID] {
			continue
		}
		seen[k][in.ID] = true
		for _, x := range []*store.Message{prompt, response} {
			if x != nil {
				fs[in.ID] = append(fs[in.ID], cv.findings[x.ID]...)
			}
		}
		out = append(out, in)
	}
	return out, fs, nil
}

// eventView reads view (interactions or messages) for prompt events.
func eventView(q url.Values, def string) (string, error) {
	switch v := q.Get("view"); v {
	case "":
		return def, nil
	case "interactions", "messages":
		return v, nil
	default:
		return "", badf("view %q: use interactions or messages", v)
	}
}

// tagSummary splits an event's tags into failing and passing ones, so the
// table can show the failures and only count the passes.
type tagSummary struct {
	Fail []string
	Pass []string
}

// passTags is the set of tags policies give a text they found nothing in.
func passTags(ps []PolicyInfo) map[string]bool {
	out := make(map[string]bool, len(ps))
	for _, p := range ps {
		if p.PassTag != "" {
			out[p.PassTag] = true
		}
	}
	return out
}

func summarizeTags(tags []string, pass map[string]bool) *tagSummary {
	if len(tags) == 0 {
		return nil
	}
	t := &tagSummary{}
	for _, tag := range tags {
		if pass[tag] {
			t.Pass = append(t.Pass, tag)
		} else {
			t.Fail = append(t.Fail, tag)
		}
	}
	return t
}
