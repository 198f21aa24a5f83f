package compliance

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// ScopeDelete is the scope the DELETE endpoints need.
const ScopeDelete = "delete:compliance_user_data"

// DeleteFile permanently deletes a chat or project file.
func (c *Client) DeleteFile(ctx context.Context, fileID string) (*Deletion, error) {
	var d Deletion
	if err := c.do(ctx, "DELETE", "/v1/compliance/apps/chats/files/"+url.PathEscape(fileID), nil, &d); err != nil {
		return nil, fmt.Errorf("delete file %s: %w", fileID, err)
	}
	return &d, nil
}

// DeleteProject permanently deletes a project with its documents and files.
// A project that still has chats answers 409 (IsConflict).
func (c *Client) DeleteProject(ctx context.Context, projectID string) (*Deletion, error) {
	var d Deletion
	if err := c.do(ctx, "DELETE", "/v1/compliance/apps/projects/"+url.PathEscape(projectID), nil, &d); err != nil {
		return nil, fmt.Errorf("delete project %s: %w", projectID, err)
	}
	return &d, nil
}

// IsConflict reports a 409: a project that still has chats attached. Its
// error type changed between doc versions, so only the status is matched.
func IsConflict(err error) bool { return IsStatus(err, http.StatusConflict) }

// scopeCheckChat is a chat id no organization can hold: the Compliance API's
// ids are random, and this one is not even in their alphabet.
const scopeCheckChat = "claude_chat_claudit-scope-check"

// CanDelete reports whether the key holds delete:compliance_user_data. No
// endpoint lists a key's own scopes, so it asks to delete a chat that cannot
// exist: the API checks scopes before ids, so a 403 means the scope is
// missing and a 404 means it is held. Nothing can be deleted by it.
func (c *Client) CanDelete(ctx context.Context) (bool, error) {
	c = c.withRetries(2)
	_, err := c.DeleteChat(ctx, scopeCheckChat)
	switch {
	case err == nil, IsNotFound(err):
		return true, nil
	case IsPermission(err):
		return false, nil
	}
	return false, fmt.Errorf("check the delete scope: %w", err)
}
