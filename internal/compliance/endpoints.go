package compliance

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"strconv"
	"time"
)

// TimeRange is a created_at or updated_at window; zero bounds are omitted.
type TimeRange struct {
	GTE, GT, LTE, LT time.Time
}

// encode writes the bounds with at most microsecond precision: the API
// rejects more than 6 fractional digits. Lower bounds are truncated and
// upper bounds rounded up, so the window only ever widens (a sync dedupes
// on id) and never drops an item at its edge.
func (r TimeRange) encode(q url.Values, field string) {
	set := func(op string, t time.Time, up bool) {
		if !t.IsZero() {
			q.Set(field+"."+op, FormatFilterTime(t, up))
		}
	}
	set("gte", r.GTE, false)
	set("gt", r.GT, false)
	set("lte", r.LTE, true)
	set("lt", r.LT, true)
}

// FormatFilterTime formats t for a time filter: RFC 3339 in UTC with at
// most 6 fractional digits, truncated (or, with up, rounded up) to the
// microsecond.
func FormatFilterTime(t time.Time, up bool) string {
	t = t.UTC()
	tr := t.Truncate(time.Microsecond)
	if up && tr.Before(t) {
		tr = tr.Add(time.Microsecond)
	}
	return tr.Format("2006-01-02T15:04:05.999999Z07:00")
}

// ActivityQuery filters and pages the Activity Feed (SPEC §4.1).
type ActivityQuery struct {
	Types           []string
	ExcludeTypes    []string
	ActorIDs        []string
	UserIDs         []string
	OrganizationIDs []string
	CreatedAt       TimeRange
	Limit           int
	// Order is "desc" (default, newest first) or "asc".
	Order   string
	AfterID string
	// BeforeID pages toward newer activities (catch-up).
	BeforeID string
}

func (a ActivityQuery) values() url.Values {
	q := url.Values{}
	addAll(q, "activity_types[]", a.Types)
	addAll(q, "exclude_activity_types[]", a.ExcludeTypes)
	addAll(q, "actor_ids[]", a.ActorIDs)
	addAll(q, "user_ids[]", a.UserIDs)
	addAll(q, "organization_ids[]", a.OrganizationIDs)
	a.CreatedAt.encode(q, "created_at")
	if a.Limit > 0 {
		q.Set("limit", strconv.Itoa(a.Limit))
	}
	if a.Order != "" {
		q.Set("order", a.Order)
	}
	if a.AfterID != "" {
		q.Set("after_id", a.AfterID)
	}
	if a.BeforeID != "" {
		q.Set("before_id", a.BeforeID)
	}
	return q
}

func addAll(q url.Values, key string, vs []string) {
	for _, v := range vs {
		q.Add(key, v)
	}
}

// ListActivities fetches one page of the Activity Feed.
func (c *Client) ListActivities(ctx context.Context, a ActivityQuery) (*CursorPage[Activity], error) {
	var p CursorPage[Activity]
	if err := c.get(ctx, "/v1/compliance/activities", a.values(), &p); err != nil {
		return nil, fmt.Errorf("list activities: %w", err)
	}
	return &p, nil
}

// ActivityPages walks the feed in the query's order, following after_id until
// has_more is false. Each yielded page is complete; a failed request ends the
// walk with its error and no cursor is advanced past it.
func (c *Client) ActivityPages(ctx context.Context, a ActivityQuery) iter.Seq2[*CursorPage[Activity], error] {
	return func(yield func(*CursorPage[Activity], error) bool) {
		for {
			p, err := c.ListActivities(ctx, a)
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(p, nil) || !p.HasMore || p.LastID == nil {
				return
			}
			a.AfterID, a.BeforeID = *p.LastID, ""
		}
	}
}

// CatchUpPages walks toward newer activities from a stored first_id with
// before_id until has_more is false (SPEC §9.1 pattern 2).
func (c *Client) CatchUpPages(ctx context.Context, a ActivityQuery, since string) iter.Seq2[*CursorPage[Activity], error] {
	return func(yield func(*CursorPage[Activity], error) bool) {
		a.BeforeID, a.AfterID = since, ""
		for {
			p, err := c.ListActivities(ctx, a)
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(p, nil) || !p.HasMore || p.FirstID == nil {
				return
			}
			a.BeforeID = *p.FirstID
		}
	}
}

// ChatQuery lists chats (SPEC §4.2).
type ChatQuery struct {
	UserIDs         []string
	OrganizationIDs []string
	ProjectIDs      []string
	CreatedAt       TimeRange
	UpdatedAt       TimeRange
	// OrderBy is "created_at" (default) or "updated_at".
	OrderBy  string
	Limit    int
	AfterID  string
	BeforeID string
}

func (cq ChatQuery) values() url.Values {
	q := url.Values{}
	addAll(q, "user_ids[]", cq.UserIDs)
	addAll(q, "organization_ids[]", cq.OrganizationIDs)
	addAll(q, "project_ids[]", cq.ProjectIDs)
	cq.CreatedAt.encode(q, "created_at")
	cq.UpdatedAt.encode(q, "updated_at")
	if cq.OrderBy != "" {
		q.Set("order_by", cq.OrderBy)
	}
	if cq.Limit > 0 {
		q.Set("limit", strconv.Itoa(cq.Limit))
	}
	if cq.AfterID != "" {
		q.Set("after_id", cq.AfterID)
	}
	if cq.BeforeID != "" {
		q.Set("before_id", cq.BeforeID)
	}
	return q
}

// ListChats fetches one page of chats.
func (c *Client) ListChats(ctx context.Context, cq ChatQuery) (*CursorPage[Chat], error) {
	var p CursorPage[Chat]
	if err := c.get(ctx, "/v1/compliance/apps/chats", cq.values(), &p); err != nil {
		return nil, fmt.Errorf("list chats: %w", err)
	}
	return &p, nil
}

// ChatPages walks chats forward with after_id until has_more is false.
func (c *Client) ChatPages(ctx context.Context, cq ChatQuery) iter.Seq2[*CursorPage[Chat], error] {
	return func(yield func(*CursorPage[Chat], error) bool) {
		for {
			p, err := c.ListChats(ctx, cq)
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(p, nil) || !p.HasMore || p.LastID == nil {
				return
			}
			cq.AfterID, cq.BeforeID = *p.LastID, ""
		}
	}
}

// MessagesQuery pages a chat's messages; a zero Limit fetches the whole chat at once.
type MessagesQuery struct {
	Limit                 int
	AfterID, BeforeID     string
	Order                 string
	ToolResultMaxChars    int
	ToolUseInputMaxChars  int
	CreatedAt, UpdatedAtR TimeRange
}

func (m MessagesQuery) values() url.Values {
	q := url.Values{}
	if m.Limit > 0 {
		q.Set("limit", strconv.Itoa(m.Limit))
	}
	if m.AfterID != "" {
		q.Set("after_id", m.AfterID)
	}
	if m.BeforeID != "" {
		q.Set("before_id", m.BeforeID)
	}
	if m.Order != "" {
		q.Set("order", m.Order)
	}
	if m.ToolResultMaxChars != 0 {
		q.Set("tool_result_max_chars", strconv.Itoa(m.ToolResultMaxChars))
	}
	if m.ToolUseInputMaxChars != 0 {
		q.Set("tool_use_input_max_chars", strconv.Itoa(m.ToolUseInputMaxChars))
	}
	m.CreatedAt.encode(q, "created_at")
	m.UpdatedAtR.encode(q, "updated_at")
	return q
}

// GetChatMessages fetches one page (or, without Limit, all) of a chat's messages.
func (c *Client) GetChatMessages(ctx context.Context, chatID string, m MessagesQuery) (*ChatMessages, error) {
	var out ChatMessages
	if err := c.get(ctx, "/v1/compliance/apps/chats/"+url.PathEscape(chatID)+"/messages", m.values(), &out); err != nil {
		return nil, fmt.Errorf("fetch chat %s messages: %w", chatID, err)
	}
	return &out, nil
}

// AllChatMessages fetches a whole chat, paging with pageSize when it is
// positive (for very long chats) or in one request otherwise.
func (c *Client) AllChatMessages(ctx context.Context, chatID string, pageSize int) (*ChatMessages, error) {
	first, err := c.GetChatMessages(ctx, chatID, MessagesQuery{Limit: pageSize})
	if err != nil {
		return nil, err
	}
	cur := first
	for cur.HasMore && cur.LastID != nil && pageSize > 0 {
		next, err := c.GetChatMessages(ctx, chatID, MessagesQuery{Limit: pageSize, AfterID: *cur.LastID})
		if err != nil {
			return nil, err
		}
		first.ChatMessages = append(first.ChatMessages, next.ChatMessages...)
		cur = next
	}
	first.HasMore, first.LastID = false, cur.LastID
	return first, nil
}

// DeleteChat permanently deletes a chat.
func (c *Client) DeleteChat(ctx context.Context, chatID string) (*Deletion, error) {
	var d Deletion
	if err := c.do(ctx, "DELETE", "/v1/compliance/apps/chats/"+url.PathEscape(chatID), nil, &d); err != nil {
		return nil, fmt.Errorf("delete chat %s: %w", chatID, err)
	}
	return &d, nil
}

// GetFile fetches a chat or project file's metadata.
func (c *Client) GetFile(ctx context.Context, id string) (*File, error) {
	var f File
	if err := c.get(ctx, "/v1/compliance/apps/chats/files/"+url.PathEscape(id), nil, &f); err != nil {
		return nil, fmt.Errorf("fetch file %s: %w", id, err)
	}
	return &f, nil
}

// GetGeneratedFile fetches a generated file's metadata.
func (c *Client) GetGeneratedFile(ctx context.Context, id string) (*GeneratedFile, error) {
	var f GeneratedFile
	if err := c.get(ctx, "/v1/compliance/apps/chats/generated-files/"+url.PathEscape(id), nil, &f); err != nil {
		return nil, fmt.Errorf("fetch generated file %s: %w", id, err)
	}
	return &f, nil
}

// GetArtifact fetches an artifact version's metadata.
func (c *Client) GetArtifact(ctx context.Context, versionID string) (*Artifact, error) {
	var a Artifact
	if err := c.get(ctx, "/v1/compliance/apps/artifacts/"+url.PathEscape(versionID), nil, &a); err != nil {
		return nil, fmt.Errorf("fetch artifact %s: %w", versionID, err)
	}
	return &a, nil
}

// PageQuery is the common query of page-token endpoints.
type PageQuery struct {
	Limit           int
	Page            string
	OrganizationIDs []string
	UserIDs         []string
	CreatedAt       TimeRange
	UpdatedAt       TimeRange
	NamePrefix      string
}

func (p PageQuery) values() url.Values {
	q := url.Values{}
	if p.Limit > 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.Page != "" {
		q.Set("page", p.Page)
	}
	addAll(q, "organization_ids[]", p.OrganizationIDs)
	addAll(q, "user_ids[]", p.UserIDs)
	p.CreatedAt.encode(q, "created_at")
	p.UpdatedAt.encode(q, "updated_at")
	if p.NamePrefix != "" {
		q.Set("name_prefix", p.NamePrefix)
	}
	return q
}

// listPage fetches one page of a page-token endpoint.
func listPage[T any](ctx context.Context, c *Client, path string, p PageQuery) (*TokenPage[T], error) {
	var out TokenPage[T]
	if err := c.get(ctx, path, p.values(), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// walkPages yields every item of a page-token endpoint.
func walkPages[T any](ctx context.Context, c *Client, path string, p PageQuery) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for {
			page, err := listPage[T](ctx, c, path, p)
			if err != nil {
				var zero T
				yield(zero, fmt.Errorf("list %s: %w", path, err))
				return
			}
			for _, q := range page.Quarantined {
				// WARN: an item the API sent that could not be decoded is skipped.
				c.log.Warn("skipped an undecodable item", "path", path, "id", q.ID, "reason", q.Reason)
			}
			for _, it := range page.Data {
				if !yield(it, nil) {
					return
				}
			}
			if !page.More() {
				return
			}
			p.Page = *page.NextPage
		}
	}
}

// Projects yields every project.
func (c *Client) Projects(ctx context.Context, p PageQuery) iter.Seq2[Project, error] {
	return walkPages[Project](ctx, c, "/v1/compliance/apps/projects", p)
}

// GetProject fetches one project with its description and instructions.
func (c *Client) GetProject(ctx context.Context, id string) (*Project, error) {
	var p Project
	if err := c.get(ctx, "/v1/compliance/apps/projects/"+url.PathEscape(id), nil, &p); err != nil {
		return nil, fmt.Errorf("fetch project %s: %w", id, err)
	}
	return &p, nil
}

// ProjectAttachments yields a project's files and documents.
func (c *Client) ProjectAttachments(ctx context.Context, projectID string, p PageQuery) iter.Seq2[ProjectAttachment, error] {
	return walkPages[ProjectAttachment](ctx, c, "/v1/compliance/apps/projects/"+url.PathEscape(projectID)+"/attachments", p)
}

// Organizations yields every organization under the key's parent.
func (c *Client) Organizations(ctx context.Context, p PageQuery) iter.Seq2[Organization, error] {
	return walkPages[Organization](ctx, c, "/v1/compliance/organizations", p)
}

// OrganizationUsers yields the current members of an organization.
func (c *Client) OrganizationUsers(ctx context.Context, orgUUID string, p PageQuery) iter.Seq2[User, error] {
	return walkPages[User](ctx, c, "/v1/compliance/organizations/"+url.PathEscape(orgUUID)+"/users", p)
}

// Roles yields an organization's custom roles.
func (c *Client) Roles(ctx context.Context, orgUUID string, p PageQuery) iter.Seq2[Role, error] {
	return walkPages[Role](ctx, c, "/v1/compliance/organizations/"+url.PathEscape(orgUUID)+"/roles", p)
}

// GetRole fetches one role.
func (c *Client) GetRole(ctx context.Context, orgUUID, roleID string) (*Role, error) {
	var r Role
	if err := c.get(ctx, "/v1/compliance/organizations/"+url.PathEscape(orgUUID)+"/roles/"+url.PathEscape(roleID), nil, &r); err != nil {
		return nil, fmt.Errorf("fetch role %s: %w", roleID, err)
	}
	return &r, nil
}

// RolePermissions yields a role's permissions.
func (c *Client) RolePermissions(ctx context.Context, orgUUID, roleID string, p PageQuery) iter.Seq2[Permission, error] {
	return walkPages[Permission](ctx, c, "/v1/compliance/organizations/"+url.PathEscape(orgUUID)+"/roles/"+url.PathEscape(roleID)+"/permissions", p)
}

// Groups yields the groups of the key's tree.
func (c *Client) Groups(ctx context.Context, p PageQuery) iter.Seq2[Group, error] {
	return walkPages[Group](ctx, c, "/v1/compliance/groups", p)
}

// GetGroup fetches one group.
func (c *Client) GetGroup(ctx context.Context, id string) (*Group, error) {
	var g Group
	if err := c.get(ctx, "/v1/compliance/groups/"+url.PathEscape(id), nil, &g); err != nil {
		return nil, fmt.Errorf("fetch group %s: %w", id, err)
	}
	return &g, nil
}

// GroupMembers yields a group's members.
func (c *Client) GroupMembers(ctx context.Context, groupID string, p PageQuery) iter.Seq2[GroupMember, error] {
	return walkPages[GroupMember](ctx, c, "/v1/compliance/groups/"+url.PathEscape(groupID)+"/members", p)
}

// OrganizationSettings fetches an organization's effective settings.
func (c *Client) OrganizationSettings(ctx context.Context, orgUUID string) (*OrgSettings, error) {
	var s OrgSettings
	if err := c.get(ctx, "/v1/compliance/organizations/"+url.PathEscape(orgUUID)+"/settings", nil, &s); err != nil {
		return nil, fmt.Errorf("fetch settings of %s: %w", orgUUID, err)
	}
	return &s, nil
}

// FileContent downloads an uploaded file's stored content (§4.5): the bytes
// as served, which may be extracted text under the original name.
func (c *Client) FileContent(ctx context.Context, id string) ([]byte, error) {
	var b []byte
	if err := c.get(ctx, "/v1/compliance/apps/chats/files/"+url.PathEscape(id)+"/content", nil, &b); err != nil {
		return nil, fmt.Errorf("download file %s: %w", id, err)
	}
	return b, nil
}

// GeneratedFileContent downloads a file a tool generated (§4.6).
func (c *Client) GeneratedFileContent(ctx context.Context, id string) ([]byte, error) {
	var b []byte
	if err := c.get(ctx, "/v1/compliance/apps/chats/generated-files/"+url.PathEscape(id)+"/content", nil, &b); err != nil {
		return nil, fmt.Errorf("download generated file %s: %w", id, err)
	}
	return b, nil
}

// ArtifactContent returns the text of one chat artifact version (§4.7).
// The newest docs describe a JSON object whose content holds the text; older
// ones only "the full text content", so a body that is not such an object
// is taken as the text itself.
func (c *Client) ArtifactContent(ctx context.Context, versionID string) (string, error) {
	var b []byte
	if err := c.get(ctx, "/v1/compliance/apps/artifacts/"+url.PathEscape(versionID)+"/content", nil, &b); err != nil {
		return "", fmt.Errorf("download artifact %s: %w", versionID, err)
	}
	var v struct {
		Content *string `json:"content"`
	}
	if err := Decode(b, &v); err == nil && v.Content != nil {
		return *v.Content, nil
	}
	return string(b), nil
}

// LocalSessionsPage fetches one page of local sessions (newest first).
// Session pages have no has_more: the walk ends when NextPage is nil.
func (c *Client) LocalSessionsPage(ctx context.Context, p PageQuery) (*TokenPage[LocalSession], error) {
	return listPage[LocalSession](ctx, c, "/v1/compliance/apps/sessions/local", p)
}

// RemoteSessionsPage fetches one page of remote sessions (newest first).
func (c *Client) RemoteSessionsPage(ctx context.Context, p PageQuery) (*TokenPage[RemoteSession], error) {
	return listPage[RemoteSession](ctx, c, "/v1/compliance/apps/sessions/remote", p)
}

// TranscriptQuery pages a session's messages.
type TranscriptQuery struct {
	Limit int
	Page  string
	// Order is "asc" (default) or "desc".
	Order string
	// ToolResultMaxBytes and ToolUseInputMaxBytes cap tool text (0 = the
	// server default of 10000, -1 = the server maximum).
	ToolResultMaxBytes, ToolUseInputMaxBytes int
}

func (t TranscriptQuery) values() url.Values {
	q := url.Values{}
	if t.Limit > 0 {
		q.Set("limit", strconv.Itoa(t.Limit))
	}
	if t.Page != "" {
		q.Set("page", t.Page)
	}
	if t.Order != "" {
		q.Set("order", t.Order)
	}
	if t.ToolResultMaxBytes != 0 {
		q.Set("tool_result_max_bytes", strconv.Itoa(t.ToolResultMaxBytes))
	}
	if t.ToolUseInputMaxBytes != 0 {
		q.Set("tool_use_input_max_bytes", strconv.Itoa(t.ToolUseInputMaxBytes))
	}
	return q
}

// LocalTranscriptPage fetches one page of a local session's messages.
// Its page tokens expire 24 h after the walk's first page: see IsExpiredPageToken.
func (c *Client) LocalTranscriptPage(ctx context.Context, id string, t TranscriptQuery) (*SessionMessages[LocalSession], error) {
	var out SessionMessages[LocalSession]
	if err := c.get(ctx, "/v1/compliance/apps/sessions/local/"+url.PathEscape(id)+"/messages", t.values(), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RemoteTranscriptPage fetches one page of a remote session's messages.
func (c *Client) RemoteTranscriptPage(ctx context.Context, id string, t TranscriptQuery) (*SessionMessages[RemoteSession], error) {
	var out SessionMessages[RemoteSession]
	if err := c.get(ctx, "/v1/compliance/apps/sessions/remote/"+url.PathEscape(id)+"/messages", t.values(), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// LocalSessions yields local (Cowork / Claude Code) sessions, newest first.
func (c *Client) LocalSessions(ctx context.Context, p PageQuery) iter.Seq2[LocalSession, error] {
	return walkPages[LocalSession](ctx, c, "/v1/compliance/apps/sessions/local", p)
}

// LocalSessionMessages yields a local session's transcript in order.
func (c *Client) LocalSessionMessages(ctx context.Context, id string, p PageQuery) iter.Seq2[SessionMessage, error] {
	return walkPages[SessionMessage](ctx, c, "/v1/compliance/apps/sessions/local/"+url.PathEscape(id)+"/messages", p)
}

// RemoteSessions yields remote (cloud Cowork) sessions, newest first.
func (c *Client) RemoteSessions(ctx context.Context, p PageQuery) iter.Seq2[RemoteSession, error] {
	return walkPages[RemoteSession](ctx, c, "/v1/compliance/apps/sessions/remote", p)
}

// RemoteSessionMessages yields a remote session's transcript in order.
func (c *Client) RemoteSessionMessages(ctx context.Context, id string, p PageQuery) iter.Seq2[SessionMessage, error] {
	return walkPages[SessionMessage](ctx, c, "/v1/compliance/apps/sessions/remote/"+url.PathEscape(id)+"/messages", p)
}

// Reach says which endpoint families a key can call.
type Reach struct {
	Activities, UserData, OrgData bool
}

// FeedOnly reports a key that reaches only the Activity Feed (an Admin API key).
func (r Reach) FeedOnly() bool { return r.Activities && !r.UserData }

// Probe verifies the key with cheap calls (limit=1) and reports what it reaches.
// It fails when the feed itself is not reachable: that key is unusable.
func (c *Client) Probe(ctx context.Context) (Reach, error) {
	c = c.withRetries(2) // a key check should answer quickly, not back off for minutes
	var r Reach
	if _, err := c.ListActivities(ctx, ActivityQuery{Limit: 1}); err != nil {
		return r, err
	}
	r.Activities = true
	if _, err := c.ListChats(ctx, ChatQuery{Limit: 1}); err == nil {
		r.UserData = true
	} else if !IsPermission(err) {
		return r, err
	}
	if _, err := listPage[Organization](ctx, c, "/v1/compliance/organizations", PageQuery{Limit: 1}); err == nil {
		r.OrgData = true
	} else if !IsPermission(err) {
		return r, fmt.Errorf("list organizations: %w", err)
	}
	return r, nil
}
