// Package export streams stored events as CSV, JSON or JSON Lines without
// holding more than one page in memory.
package export

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// Formats supported by Write.
var Formats = []string{"csv", "json", "jsonl"}

// Record is one exported event; prompt and access events share the columns.
type Record struct {
	Kind        string    `json:"kind"`
	ID          string    `json:"id"`
	Time        time.Time `json:"time"`
	Integration int64     `json:"integration_id"`
	UserID      string    `json:"user_id,omitempty"`
	UserEmail   string    `json:"user_email,omitempty"`
	ChatID      string    `json:"chat_id,omitempty"`
	Role        string    `json:"role,omitempty"`
	Model       string    `json:"model,omitempty"`
	Type        string    `json:"type,omitempty"`
	Text        string    `json:"text,omitempty"`
	// Output is the response of an interaction record.
	Output     string           `json:"output,omitempty"`
	Tokens     int              `json:"tokens,omitempty"`
	Files      []store.FileMeta `json:"files,omitempty"`
	ToolCalls  []store.ToolCall `json:"tool_calls,omitempty"`
	IP         string           `json:"ip,omitempty"`
	UserAgent  string           `json:"user_agent,omitempty"`
	Tags       []string         `json:"tags,omitempty"`
	Violations int              `json:"violations,omitempty"`
	Raw        json.RawMessage  `json:"raw,omitempty"`
}

// FromMessage converts a prompt event.
func FromMessage(m store.Message) Record {
	return Record{Kind: "prompt", ID: m.ID, Time: m.CreatedAt, Integration: m.IntegrationID, UserID: m.UserID, UserEmail: m.UserEmail,
		ChatID: m.ChatID, Role: m.Role, Model: m.Model, Type: "message", Text: m.Text, Tokens: m.Tokens, Files: m.Files,
		ToolCalls: m.ToolCalls, Tags: m.Tags, Violations: m.Violations}
}

// FromInteraction converts a prompt and the response that follows it
// (either may be nil) into one record of kind "interaction": Text is the
// prompt, Output the response; files, tool calls and tags of both.
func FromInteraction(prompt, response *store.Message) Record {
	var r Record
	for _, m := range []*store.Message{prompt, response} {
		if m == nil {
			continue
		}
		if r.ID == "" {
			r = Record{Kind: "interaction", ID: m.ID, Time: m.CreatedAt, Integration: m.IntegrationID, UserID: m.UserID, UserEmail: m.UserEmail,
				ChatID: m.ChatID, Model: m.Model, Type: "interaction"}
		}
		if m.Role == "assistant" {
			r.Output = m.Text
		} else {
			r.Text = m.Text
		}
		if r.UserEmail == "" {
			r.UserID, r.UserEmail = m.UserID, m.UserEmail
		}
		r.Tokens += m.Tokens
		r.Files = append(r.Files, m.Files...)
		r.ToolCalls = append(r.ToolCalls, m.ToolCalls...)
		r.Tags = append(r.Tags, m.Tags...)
		r.Violations += m.Violations
	}
	return r
}

// FromActivity converts an access event.
func FromActivity(a store.Activity) Record {
	return Record{Kind: "access", ID: a.ID, Time: a.CreatedAt, Integration: a.IntegrationID, UserID: a.ActorUserID, UserEmail: a.ActorEmail,
		ChatID: a.ChatID, Type: a.Type, IP: a.IP, UserAgent: a.UserAgent, Tags: a.Tags, Raw: a.Raw}
}

var csvHeader = []string{"kind", "id", "time", "integration_id", "user_id", "user_email", "chat_id", "role", "model", "type", "text", "tokens", "files", "tool_calls", "ip", "user_agent", "tags", "violations", "output"}

// Encoder writes records in one format.
type Encoder struct {
	format string
	w      *bufio.Writer
	csv    *csv.Writer
	n      int
}

// NewEncoder starts a stream; call Close to finish it.
func NewEncoder(w io.Writer, format string) (*Encoder, error) {
	e := &Encoder{format: format, w: bufio.NewWriterSize(w, 64<<10)}
	switch format {
	case "csv":
		e.csv = csv.NewWriter(e.w)
		if err := e.csv.Write(csvHeader); err != nil {
			return nil, err
		}
	case "json":
		e.w.WriteString("[")
	case "jsonl":
	default:
		return nil, fmt.Errorf("unknown export format %q: use one of %s", format, strings.Join(Formats, ", "))
	}
	return e, nil
}

// Count is how many records were written.
func (e *Encoder) Count() int { return e.n }

// Write appends one record.
func (e *Encoder) Write(r Record) error {
	e.n++
	switch e.format {
	case "csv":
		names := make([]string, 0, len(r.Files))
		for _, f := range r.Files {
			names = append(names, f.Filename)
		}
		tools := make([]string, 0, len(r.ToolCalls))
		for _, t := range r.ToolCalls {
			tools = append(tools, t.Name)
		}
		row := []string{r.Kind, r.ID, r.Time.UTC().Format(time.RFC3339Nano), strconv.FormatInt(r.Integration, 10),
			r.UserID, r.UserEmail, r.ChatID, r.Role, r.Model, r.Type, r.Text, strconv.Itoa(r.Tokens),
			strings.Join(names, ";"), strings.Join(tools, ";"), r.IP, r.UserAgent, strings.Join(r.Tags, ";"), strconv.Itoa(r.Violations), r.Output}
		// Every cell comes from the API or a user: any of them can carry a
		// formula or bytes that are not UTF-8.
		for i, c := range row {
			row[i] = csvSafe(strings.ToValidUTF8(c, "\uFFFD"))
		}
		return e.csv.Write(row)
	case "json":
		if e.n > 1 {
			e.w.WriteString(",")
		}
		e.w.WriteString("\n")
	}
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode %s: %w", r.ID, err)
	}
	e.w.Write(b)
	if e.format == "jsonl" {
		e.w.WriteByte('\n')
	}
	return nil
}

// csvSafe defuses spreadsheet formula injection: a cell that starts with
// = + - @ or a tab or carriage return, also after leading spaces, is
// prefixed with a quote. Negative numbers are left alone.
func csvSafe(s string) string {
	t := strings.TrimLeft(s, " ")
	if t == "" {
		return s
	}
	switch t[0] {
	case '=', '+', '@', '\t', '\r':
		return "'" + s
	case '-':
		if _, err := strconv.ParseFloat(t, 64); err == nil {
			return s
		}
		return "'" + s
	}
	return s
}

// Close finishes the stream and flushes.
func (e *Encoder) Close() error {
	switch e.format {
	case "csv":
		e.csv.Flush()
		if err := e.csv.Error(); err != nil {
			return err
		}
	case "json":
		if e.n > 0 {
			e.w.WriteString("\n")
		}
		e.w.WriteString("]\n")
	}
	return e.w.Flush()
}

// Stream writes every event matching f (both kinds when f.Kind is empty),
// oldest first, page by page.
func Stream(ctx context.Context, st store.Store, f store.EventFilter, enc *Encoder) error {
	f.Ascending = true
	if f.Limit <= 0 {
		f.Limit = 1000
	}
	if f.Kind == "" || f.Kind == "prompt" {
		g := f
		for {
			page, next, err := st.PromptEvents(ctx, g)
			if err != nil {
				return fmt.Errorf("export prompt events: %w", err)
			}
			for _, m := range page {
				if err := enc.Write(FromMessage(m)); err != nil {
					return err
				}
			}
			if next == "" {
				break
			}
			g.Cursor = next
		}
	}
	if f.Kind == "" || f.Kind == "access" {
		if f.Model != "" || f.Role != "" || f.Query != "" {
			return nil // those filters select prompt events only
		}
		g := f
		for {
			page, next, err := st.AccessEvents(ctx, g)
			if err != nil {
				return fmt.Errorf("export access events: %w", err)
			}
			for _, a := range page {
				if err := enc.Write(FromActivity(a)); err != nil {
					return err
				}
			}
			if next == "" {
				break
			}
			g.Cursor = next
		}
	}
	return nil
}
