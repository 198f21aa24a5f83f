package compliance

import (
	"encoding/json"
	"fmt"
)

// UserRef is the short user object on chats, projects and sessions.
type UserRef struct {
	ID           string  `json:"id"`
	EmailAddress *string `json:"email_address"`
}

// Chat is a claude.ai conversation (claudit calls it a session).
type Chat struct {
	ID               string   `json:"id"`
	Name             string   `json:"name"`
	CreatedAt        Time     `json:"created_at"`
	UpdatedAt        Time     `json:"updated_at"`
	DeletedAt        *Time    `json:"deleted_at"`
	Href             string   `json:"href"`
	Model            *string  `json:"model"`
	OrganizationUUID string   `json:"organization_uuid"`
	OrganizationID   string   `json:"organization_id"`
	ProjectID        *string  `json:"project_id"`
	User             *UserRef `json:"user"`
}

// Deleted reports whether a user deleted the chat in claude.ai.
func (c *Chat) Deleted() bool { return c.DeletedAt != nil && !c.DeletedAt.IsZero() }

// FileRef is a file a user attached to a message.
type FileRef struct {
	ID        string  `json:"id"`
	Filename  string  `json:"filename"`
	MimeType  *string `json:"mime_type"`
	SizeBytes *int64  `json:"size_bytes"`
	MD5       *string `json:"md5"`
	CreatedAt Time    `json:"created_at"`
}

// GeneratedFileRef is a file a tool created during a message.
type GeneratedFileRef struct {
	ID        string  `json:"id"`
	Filename  string  `json:"filename"`
	MimeType  *string `json:"mime_type"`
	SizeBytes *int64  `json:"size_bytes"`
	MD5       *string `json:"md5"`
}

// ArtifactRef is an artifact version produced in a message.
type ArtifactRef struct {
	ID           string  `json:"id"`
	VersionID    string  `json:"version_id"`
	Title        *string `json:"title"`
	ArtifactType *string `json:"artifact_type"`
}

// Message is one chat message (a prompt or a response).
type Message struct {
	ID             string             `json:"id"`
	Role           string             `json:"role"`
	CreatedAt      Time               `json:"created_at"`
	Content        []ContentBlock     `json:"content"`
	Files          []FileRef          `json:"files"`
	GeneratedFiles []GeneratedFileRef `json:"generated_files"`
	Artifacts      []ArtifactRef      `json:"artifacts"`
}

// Block types in message content.
const (
	BlockText       = "text"
	BlockToolUse    = "tool_use"
	BlockToolResult = "tool_result"
)

// ContentBlock is the union of text, tool_use and tool_result blocks.
// Unknown block types keep their JSON in Raw.
type ContentBlock struct {
	Type             string
	Text             string
	ThinkingRedacted bool
	Truncated        bool
	// tool_use
	ID    *string
	Name  string
	Input string // JSON-encoded string, may be cut
	// tool_result
	ToolUseID       *string
	IsError         bool
	Content         []TextContent
	IntegrationName *string
	MCPServerURL    *string
	Raw             json.RawMessage
}

// TextContent is an item of a tool_result's content.
type TextContent struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type blockWire struct {
	Type             string          `json:"type"`
	Text             string          `json:"text"`
	ThinkingRedacted bool            `json:"thinking_redacted"`
	Truncated        bool            `json:"truncated"`
	ID               *string         `json:"id"`
	Name             string          `json:"name"`
	Input            json.RawMessage `json:"input"`
	ToolUseID        *string         `json:"tool_use_id"`
	IsError          bool            `json:"is_error"`
	Content          []TextContent   `json:"content"`
	IntegrationName  *string         `json:"integration_name"`
	MCPServerURL     *string         `json:"mcp_server_url"`
}

// UnmarshalJSON decodes a block in one pass; a tool_use input that arrives
// as an object instead of the documented JSON-encoded string is kept as its
// JSON text.
func (c *ContentBlock) UnmarshalJSON(b []byte) error {
	var w blockWire
	if err := Decode(b, &w); err != nil {
		return fmt.Errorf("decode content block: %w", err)
	}
	*c = ContentBlock{Type: w.Type, Text: w.Text, ThinkingRedacted: w.ThinkingRedacted, Truncated: w.Truncated,
		ID: w.ID, Name: w.Name, ToolUseID: w.ToolUseID, IsError: w.IsError, Content: w.Content,
		IntegrationName: w.IntegrationName, MCPServerURL: w.MCPServerURL}
	switch in := w.Input; {
	case len(in) == 0 || string(in) == "null":
	case in[0] == '"':
		if err := jsonString(in, &c.Input); err != nil {
			return fmt.Errorf("decode content block input: %w", err)
		}
	default:
		c.Input = string(in)
	}
	if w.Type != BlockText && w.Type != BlockToolUse && w.Type != BlockToolResult {
		c.Raw = append(json.RawMessage(nil), b...)
	}
	return nil
}

// MarshalJSON writes exactly the fields SPEC §4.3 lists for the block type.
func (c ContentBlock) MarshalJSON() ([]byte, error) {
	switch c.Type {
	case BlockText:
		return json.Marshal(struct {
			Type             string `json:"type"`
			Text             string `json:"text"`
			ThinkingRedacted bool   `json:"thinking_redacted"`
			Truncated        bool   `json:"truncated"`
		}{c.Type, c.Text, c.ThinkingRedacted, c.Truncated})
	case BlockToolUse:
		return json.Marshal(struct {
			Type            string  `json:"type"`
			ID              *string `json:"id"`
			Name            string  `json:"name"`
			Input           string  `json:"input"`
			IntegrationName *string `json:"integration_name"`
			MCPServerURL    *string `json:"mcp_server_url"`
			Truncated       bool    `json:"truncated"`
		}{c.Type, c.ID, c.Name, c.Input, c.IntegrationName, c.MCPServerURL, c.Truncated})
	case BlockToolResult:
		content := c.Content
		if content == nil {
			content = []TextContent{}
		}
		return json.Marshal(struct {
			Type            string        `json:"type"`
			ToolUseID       *string       `json:"tool_use_id"`
			Name            string        `json:"name"`
			IsError         bool          `json:"is_error"`
			Content         []TextContent `json:"content"`
			IntegrationName *string       `json:"integration_name"`
			MCPServerURL    *string       `json:"mcp_server_url"`
			Truncated       bool          `json:"truncated"`
		}{c.Type, c.ToolUseID, c.Name, c.IsError, content, c.IntegrationName, c.MCPServerURL, c.Truncated})
	}
	if len(c.Raw) > 0 {
		return c.Raw, nil
	}
	return json.Marshal(map[string]string{"type": c.Type})
}

// PlainText joins the message's text blocks (and tool text) for scanning and search.
func (m *Message) PlainText() string { return BlocksText(m.Content) }

// PlainText joins the transcript message's blocks like Message.PlainText.
func (m *SessionMessage) PlainText() string { return BlocksText(m.Content) }

// BlocksText joins text blocks, tool_use blocks ("tool_use name=<tool>
// input=<json>") and tool_result blocks ("tool_result name=<tool>: <text>"),
// one a line, the form the policy detectors read.
func BlocksText(blocks []ContentBlock) string {
	var n int
	for _, b := range blocks {
		n += len(b.Text) + len(b.Input) + 1
	}
	out := make([]byte, 0, n)
	for _, b := range blocks {
		var s string
		switch b.Type {
		case BlockText:
			s = b.Text
		case BlockToolUse:
			s = "tool_use name=" + b.Name + " input=" + b.Input
			if b.MCPServerURL != nil {
				s += " mcp_server_url=" + *b.MCPServerURL
			}
		case BlockToolResult:
			s = "tool_result name=" + b.Name + ":"
			for _, c := range b.Content {
				s += " " + c.Text
			}
		}
		if s == "" {
			continue
		}
		if len(out) > 0 {
			out = append(out, '\n')
		}
		out = append(out, s...)
	}
	return string(out)
}

// ChatMessages is the messages endpoint's response: the chat plus its messages.
type ChatMessages struct {
	Chat
	ChatMessages []Message `json:"chat_messages"`
	HasMore      bool      `json:"has_more"`
	FirstID      *string   `json:"first_id"`
	LastID       *string   `json:"last_id"`
}

// File is a chat or project file's metadata.
type File struct {
	ID            string   `json:"id"`
	Filename      *string  `json:"filename"`
	MimeType      *string  `json:"mime_type"`
	SizeBytes     *int64   `json:"size_bytes"`
	MD5           *string  `json:"md5"`
	CreatedAt     Time     `json:"created_at"`
	MessageIDs    []string `json:"message_ids"`
	ClaudeChatIDs []string `json:"claude_chat_ids"`
}

// GeneratedFile is a tool-generated file's metadata.
type GeneratedFile struct {
	ID           string  `json:"id"`
	ClaudeChatID string  `json:"claude_chat_id"`
	Filename     string  `json:"filename"`
	MimeType     *string `json:"mime_type"`
	SizeBytes    *int64  `json:"size_bytes"`
	MD5          *string `json:"md5"`
	CreatedAt    *Time   `json:"created_at"`
}

// Artifact is one artifact version's metadata.
type Artifact struct {
	ID           string  `json:"id"`
	VersionID    string  `json:"version_id"`
	ClaudeChatID string  `json:"claude_chat_id"`
	Title        *string `json:"title"`
	ArtifactType *string `json:"artifact_type"`
	CreatedAt    Time    `json:"created_at"`
	MD5          string  `json:"md5"`
	SizeBytes    int64   `json:"size_bytes"`
}

// Project is a claude.ai project. Description, Instructions and the counts
// are set only by the single-project endpoint.
type Project struct {
	ID               string   `json:"id"`
	Name             string   `json:"name"`
	CreatedAt        Time     `json:"created_at"`
	UpdatedAt        Time     `json:"updated_at"`
	DeletedAt        *Time    `json:"deleted_at"`
	IsPrivate        bool     `json:"is_private"`
	OrganizationID   string   `json:"organization_id"`
	OrganizationUUID string   `json:"organization_uuid"`
	User             *UserRef `json:"user"`
	Description      *string  `json:"description,omitempty"`
	Instructions     *string  `json:"instructions,omitempty"`
	ChatsCount       *int     `json:"chats_count,omitempty"`
	AttachmentsCount *int     `json:"attachments_count,omitempty"`
}

// ProjectAttachment is a project_file or project_doc attachment.
type ProjectAttachment struct {
	Type      string  `json:"type"`
	ID        string  `json:"id"`
	CreatedAt Time    `json:"created_at"`
	Filename  string  `json:"filename"`
	MimeType  string  `json:"mime_type"`
	SizeBytes *int64  `json:"size_bytes,omitempty"`
	MD5       *string `json:"md5,omitempty"`
	UpdatedAt *Time   `json:"updated_at,omitempty"`
}

// Organization is an org under the key's parent.
type Organization struct {
	UUID      string `json:"uuid"`
	Name      string `json:"name"`
	CreatedAt Time   `json:"created_at"`
}

// User is a current member of an organization.
type User struct {
	ID               string `json:"id"`
	FullName         string `json:"full_name"`
	Email            string `json:"email"`
	OrganizationRole string `json:"organization_role"`
	CreatedAt        Time   `json:"created_at"`
}

// Role is a custom RBAC role.
type Role struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	CreatedAt   *Time  `json:"created_at"`
	UpdatedAt   *Time  `json:"updated_at"`
}

// Permission is one permission of a role.
type Permission struct {
	Action       string `json:"action"`
	ResourceType string `json:"resource_type"`
	ResourceID   string `json:"resource_id"`
}

// Group is an RBAC group.
type Group struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	SourceType  string   `json:"source_type"`
	Roles       []string `json:"roles"`
	CreatedAt   *Time    `json:"created_at"`
	UpdatedAt   *Time    `json:"updated_at"`
}

// GroupMember is a user's membership in a group.
type GroupMember struct {
	UserID    string `json:"user_id"`
	Email     string `json:"email"`
	CreatedAt *Time  `json:"created_at"`
	UpdatedAt *Time  `json:"updated_at"`
}

// Setting is one effective organization setting; Value's shape depends on Type.
type Setting struct {
	Name  string          `json:"name"`
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

// APIKeyInfo is a Compliance key listed in the settings response (never the secret).
type APIKeyInfo struct {
	Type        string   `json:"type"`
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Scopes      []string `json:"scopes"`
	IsActive    bool     `json:"is_active"`
	CreatedAt   Time     `json:"created_at"`
	CreatedByID *string  `json:"created_by_id"`
	ExpiresAt   *Time    `json:"expires_at"`
}

// OrgSettings is the effective organization settings response.
type OrgSettings struct {
	Type           string       `json:"type"`
	OrganizationID string       `json:"organization_id"`
	Settings       []Setting    `json:"settings"`
	APIKeys        []APIKeyInfo `json:"api_keys"`
}

// LocalSession is a Cowork / Claude Code session captured from a user's machine.
type LocalSession struct {
	Type             string  `json:"type"`
	ID               string  `json:"id"`
	OrganizationUUID string  `json:"organization_uuid"`
	WorkspaceID      *string `json:"workspace_id"`
	User             UserRef `json:"user"`
	ProductSurface   *string `json:"product_surface"`
	CreatedAt        Time    `json:"created_at"`
	UpdatedAt        *Time   `json:"updated_at,omitempty"`
}

// Provenance says whether a local session message's content was verified.
type Provenance struct {
	Type   string `json:"type"`
	Reason string `json:"reason,omitempty"`
}

// SessionMessage is a local or remote session transcript message.
type SessionMessage struct {
	Type               string         `json:"type,omitempty"`
	ID                 string         `json:"id"`
	Role               string         `json:"role"`
	Model              *string        `json:"model,omitempty"`
	CreatedAt          Time           `json:"created_at"`
	Provenance         *Provenance    `json:"provenance,omitempty"`
	Content            []ContentBlock `json:"content"`
	SentByUserID       *string        `json:"sent_by_user_id,omitempty"`
	ContentUnavailable *bool          `json:"content_unavailable,omitempty"`
}

// RemoteSession is a Cowork session run in Anthropic's cloud.
type RemoteSession struct {
	ID               string   `json:"id"`
	OrganizationUUID string   `json:"organization_uuid"`
	User             *UserRef `json:"user"`
	AgentID          *string  `json:"agent_id"`
	StartedByUser    *UserRef `json:"started_by_user"`
	Status           string   `json:"status"`
	CreatedAt        Time     `json:"created_at"`
	UpdatedAt        Time     `json:"updated_at"`
	ProductSurface   *string  `json:"product_surface"`
	ClaudeProjectID  *string  `json:"claude_project_id"`
}

// Deletion is the body of a successful DELETE.
type Deletion struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// CursorPage is a scheme C page (activities, chats).
type CursorPage[T any] struct {
	Data    []T     `json:"data"`
	HasMore bool    `json:"has_more"`
	FirstID *string `json:"first_id"`
	LastID  *string `json:"last_id"`
	// Quarantined are the items of the page that are valid JSON but could
	// not be decoded; Data holds the rest, so one bad item does not fail
	// the page.
	Quarantined []Quarantined `json:"-"`
}

// UnmarshalJSON decodes the page item by item, quarantining bad items.
func (p *CursorPage[T]) UnmarshalJSON(b []byte) error {
	var w struct {
		Data    []json.RawMessage `json:"data"`
		HasMore bool              `json:"has_more"`
		FirstID *string           `json:"first_id"`
		LastID  *string           `json:"last_id"`
	}
	if err := Decode(b, &w); err != nil {
		return err
	}
	*p = CursorPage[T]{HasMore: w.HasMore, FirstID: w.FirstID, LastID: w.LastID}
	p.Data, p.Quarantined = decodeItems[T](w.Data)
	return nil
}

// Quarantined is a page item that could not be decoded: its raw JSON and
// why, kept for an operator instead of failing the whole page.
type Quarantined struct {
	// ID is the item's id when it could still be read.
	ID     string          `json:"id,omitempty"`
	Raw    json.RawMessage `json:"raw"`
	Reason string          `json:"reason"`
}

// ownedDecoder is an item type that can decode a page item directly: the
// item's bytes are valid JSON (the page's decoder checked them) and its
// own copy, which the item may keep. An item it cannot decode goes through
// Decode again, whose error is the quarantine reason.
type ownedDecoder interface {
	decodeOwned(b []byte) error
}

// decodeItems decodes each raw item into T; the ones that fail are
// returned as quarantined with the decoder's reason. An item type that is
// an ownedDecoder skips Decode (which checks the bytes once more and makes
// the item copy them): a fifth of decoding an activity page.
func decodeItems[T any](raws []json.RawMessage) ([]T, []Quarantined) {
	out := make([]T, 0, len(raws))
	var bad []Quarantined
	for _, raw := range raws {
		var v T
		if o, ok := any(&v).(ownedDecoder); ok {
			if o.decodeOwned(raw) == nil {
				out = append(out, v)
				continue
			}
			v = *new(T)
		}
		if err := Decode(raw, &v); err != nil {
			var id struct {
				ID any `json:"id"`
			}
			_ = json.Unmarshal(raw, &id)
			q := Quarantined{Raw: append(json.RawMessage(nil), raw...), Reason: err.Error()}
			if s, ok := id.ID.(string); ok {
				q.ID = s
			}
			bad = append(bad, q)
			continue
		}
		out = append(out, v)
	}
	return out, bad
}

// TokenPage is a scheme P page (directory, projects, sessions). HasMore is
// nil on the session endpoints, which stop on a null NextPage.
type TokenPage[T any] struct {
	Data     []T     `json:"data"`
	HasMore  *bool   `json:"has_more,omitempty"`
	NextPage *string `json:"next_page"`
	// Quarantined are the items that could not be decoded (see CursorPage).
	Quarantined []Quarantined `json:"-"`
}

// UnmarshalJSON decodes the page item by item, quarantining bad items.
func (p *TokenPage[T]) UnmarshalJSON(b []byte) error {
	var w struct {
		Data     []json.RawMessage `json:"data"`
		HasMore  *bool             `json:"has_more"`
		NextPage *string           `json:"next_page"`
	}
	if err := Decode(b, &w); err != nil {
		return err
	}
	*p = TokenPage[T]{HasMore: w.HasMore, NextPage: w.NextPage}
	p.Data, p.Quarantined = decodeItems[T](w.Data)
	return nil
}

// More reports whether another page should be requested.
func (p *TokenPage[T]) More() bool {
	if p.NextPage == nil || *p.NextPage == "" {
		return false
	}
	if p.HasMore != nil && !*p.HasMore {
		return false
	}
	return true
}

// SessionMessages is a session transcript page.
type SessionMessages[S any] struct {
	Session  S                `json:"session"`
	Data     []SessionMessage `json:"data"`
	NextPage *string          `json:"next_page"`
	// Quarantined are the messages that could not be decoded (see CursorPage).
	Quarantined []Quarantined `json:"-"`
}

// UnmarshalJSON decodes the transcript page message by message,
// quarantining bad messages.
func (p *SessionMessages[S]) UnmarshalJSON(b []byte) error {
	var w struct {
		Session  S                 `json:"session"`
		Data     []json.RawMessage `json:"data"`
		NextPage *string           `json:"next_page"`
	}
	if err := Decode(b, &w); err != nil {
		return err
	}
	*p = SessionMessages[S]{Session: w.Session, NextPage: w.NextPage}
	p.Data, p.Quarantined = decodeItems[SessionMessage](w.Data)
	return nil
}
