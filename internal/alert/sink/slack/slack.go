// Package slack is the Slack sink (type "slack"): one incoming-webhook
// message per delivery, laid out with Block Kit. Text from prompts goes into
// mrkdwn only after Slack's escaping (&, <, >), so it cannot create
// mentions, channel pings or links, and inside a code block whose fence it
// cannot close.
package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/claudit/claudit/internal/alert/sink"
)

// Type is the sink type name in the configuration.
const Type = "slack"

// DefaultMaxTextBytes is the excerpt limit in a message; a section's text
// holds at most 3000 characters.
const DefaultMaxTextBytes = 2000

// Block Kit limits, in characters.
const (
	maxHeader      = 150
	maxSectionText = 3000
	maxField       = 2000
	maxURL         = 3000
)

var severityEmoji = map[string]string{
	"critical": ":rotating_light:",
	"high":     ":red_circle:",
	"medium":   ":large_orange_circle:",
	"low":      ":large_yellow_circle:",
	"info":     ":information_source:",
}

func init() {
	sink.Register(Type, func(c sink.Config) (sink.Sink, error) { return New(c) })
}

// Sink posts deliveries to a Slack incoming webhook.
type Sink struct {
	name    string
	url     string
	client  *http.Client
	maxText int
}

// New builds a Slack sink from cfg.Slack.
func New(cfg sink.Config) (*Sink, error) {
	sc := cfg.Slack
	if sc == nil {
		return nil, errors.New("missing slack settings")
	}
	if err := sink.CheckURL("slack webhook_url", sc.WebhookURL); err != nil {
		return nil, err
	}
	client, err := sink.NewHTTPClient(cfg.AttemptTimeout(), sink.TLSConfig{})
	if err != nil {
		return nil, err
	}
	return &Sink{name: cfg.Name, url: sc.WebhookURL, client: client, maxText: cfg.TextLimit(DefaultMaxTextBytes)}, nil
}

// Name returns the configured name.
func (s *Sink) Name() string { return s.name }

// Send posts one message per delivery.
func (s *Sink) Send(ctx context.Context, batch []sink.Delivery) error {
	var res sink.Results
	h := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	for i, d := range batch {
		if ctx.Err() != nil {
			res.FailAll(batch[i:], sink.CanceledErr(ctx))
			break
		}
		body, err := Encode(d, s.maxText)
		if err != nil {
			res.Fail(d.ID, sink.Permanent(err))
			continue
		}
		if _, err := sink.Post(ctx, s.client, s.url, h, body); err != nil {
			res.Fail(d.ID, fmt.Errorf("slack %s: deliver %s: %w", s.name, d.ID, err))
			continue
		}
		sink.Accepted(ctx, d.ID)
	}
	return res.Err()
}

// Message is an incoming-webhook payload.
type Message struct {
	Text   string  `json:"text"`
	Blocks []Block `json:"blocks"`
}

// Block is a Block Kit layout block (only the fields claudit uses).
type Block struct {
	Type     string    `json:"type"`
	Text     *Text     `json:"text,omitempty"`
	Fields   []Text    `json:"fields,omitempty"`
	Elements []Element `json:"elements,omitempty"`
}

// Text is a Block Kit text object.
type Text struct {
	Type  string `json:"type"` // plain_text or mrkdwn
	Text  string `json:"text"`
	Emoji bool   `json:"emoji,omitempty"`
}

// Element is a context text or a button.
type Element struct {
	Type     string `json:"type"`
	Text     any    `json:"text"`
	URL      string `json:"url,omitempty"`
	ActionID string `json:"action_id,omitempty"`
}

// Encode renders d as a webhook payload; text beyond maxText bytes is cut
// and the message says so.
func Encode(d sink.Delivery, maxText int) ([]byte, error) {
	m := build(d, maxText)
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode slack message for %s: %w", d.ID, err)
	}
	return b, nil
}

func build(d sink.Delivery, maxText int) Message {
	var (
		title, link, text string
		fields            []Text
		context           []string
	)
	field := func(name, value string) {
		if value != "" {
			fields = append(fields, Text{Type: "mrkdwn", Text: "*" + name + "*\n" + clipChars(Escape(value), maxField-len(name)-4)})
		}
	}
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	switch {
	case d.Alert != nil:
		a := d.Alert
		emoji, ok := severityEmoji[strings.ToLower(a.Severity)]
		if !ok {
			emoji = ":warning:"
		}
		title = emoji + " " + strings.ToUpper(a.Severity) + ": " + a.Policy
		field("User", first(a.UserEmail, a.UserID))
		field("Chat", a.ChatID)
		field("Integration", a.Integration)
		field("Count", strconv.Itoa(a.Count))
		field("First seen", stamp(a.FirstSeen))
		field("Last seen", stamp(a.LastSeen))
		context = append(context, "Detector: "+Escape(a.Detector), "Action: "+Escape(a.Action), "Status: "+Escape(a.Status))
		link, text = a.URL, a.Excerpt
	case d.Event != nil:
		e := d.Event
		title = ":inbox_tray: claudit " + e.Kind + ": " + e.Type
		field("User", first(e.UserEmail, e.UserID))
		field("Chat", e.ChatID)
		field("Integration", e.Integration)
		field("IP", e.IP)
		field("Time", stamp(e.CreatedAt))
		text = e.Text
	default:
		title = "claudit delivery " + d.ID
	}
	title = plain(title, maxHeader)
	m := Message{
		Text:   Escape(title), // the notification fallback is mrkdwn
		Blocks: []Block{{Type: "header", Text: &Text{Type: "plain_text", Text: title, Emoji: true}}},
	}
	if len(fields) > 0 {
		m.Blocks = append(m.Blocks, Block{Type: "section", Fields: fields})
	}
	if text != "" {
		block, cut := codeBlock(text, maxText)
		m.Blocks = append(m.Blocks, Block{Type: "section", Text: &Text{Type: "mrkdwn", Text: block}})
		if cut {
			context = append(context, fmt.Sprintf("_Text truncated from %d bytes_", len(text)))
		}
	}
	if len(context) > 0 {
		el := Element{Type: "mrkdwn", Text: strings.Join(context, "  ·  ")}
		m.Blocks = append(m.Blocks, Block{Type: "context", Elements: []Element{el}})
	}
	if u, err := url.Parse(link); err == nil && (u.Scheme == "https" || u.Scheme == "http") && len(link) <= maxURL {
		m.Blocks = append(m.Blocks, Block{Type: "actions", Elements: []Element{{
			Type: "button", Text: Text{Type: "plain_text", Text: "Open in claudit"}, URL: link, ActionID: "open_in_claudit",
		}}})
	}
	return m
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// Escape applies Slack's mrkdwn escaping: &, < and > become entities, which
// is what stops <!channel>, <@U123> and <http://x|y> from being parsed.
// Invalid UTF-8 is replaced.
func Escape(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// codeBlock puts text in a ``` block: escaped, each backtick followed by a
// zero-width space so none can close the fence, control characters other
// than line breaks dropped, and cut to fit both maxText bytes and a
// section's character limit.
func codeBlock(text string, maxText int) (string, bool) {
	clipped, cut := sink.Clip(text, maxText)
	body := strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return -1
		}
		return r
	}, clipped)
	body = strings.ReplaceAll(Escape(body), "`", "`\u200b")
	if n := maxSectionText - 8; utf8.RuneCountInString(body) > n {
		body, cut = clipChars(body, n), true
	}
	return "```\n" + body + "\n```", cut
}

// clipChars cuts s to n characters without splitting an entity like &amp;.
func clipChars(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	if i := strings.LastIndexByte(string(r), '&'); i >= 0 && !strings.Contains(string(r)[i:], ";") {
		return string(r)[:i]
	}
	return string(r)
}

// plain readies text for a plain_text object: valid UTF-8, no control
// characters, at most n characters.
func plain(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
