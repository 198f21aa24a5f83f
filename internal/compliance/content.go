package compliance

import (
	"context"
	"fmt"
	"iter"
	"net/url"
)

// ProjectDocument is a project's text document (§4.11): Word files and the
// like added to a project are converted to such documents.
type ProjectDocument struct {
	ID        string   `json:"id"`
	Filename  string   `json:"filename"`
	Content   string   `json:"content"`
	CreatedAt Time     `json:"created_at"`
	User      *UserRef `json:"user"`
}

// ProjectDocumentMetadata is a project document's metadata; size and hash
// are over the UTF-8 text.
type ProjectDocumentMetadata struct {
	ID              string   `json:"id"`
	ClaudeProjectID string   `json:"claude_project_id"`
	Filename        string   `json:"filename"`
	MimeType        string   `json:"mime_type"`
	SizeBytes       *int64   `json:"size_bytes"`
	MD5             *string  `json:"md5"`
	CreatedAt       Time     `json:"created_at"`
	User            *UserRef `json:"user"`
}

// CodeArtifact is a Claude Code artifact or a Claude Docs document (§4.12).
// The scopes and several fields of this endpoint are inferred, so every
// field but the id may be missing.
type CodeArtifact struct {
	ID                 string                `json:"id"`
	OrganizationUUID   string                `json:"organization_uuid"`
	OwnerUserID        *string               `json:"owner_user_id"`
	User               *UserRef              `json:"user"`
	ReadMode           string                `json:"read_mode"`
	ArtifactType       *string               `json:"artifact_type,omitempty"`
	PublishedVersionID *string               `json:"published_version_id"`
	UpdatedAt          *Time                 `json:"updated_at"`
	Versions           []CodeArtifactVersion `json:"versions"`
}

// CodeArtifactVersion is one of the ≈20 most recent versions a code
// artifact lists; its id is opaque.
type CodeArtifactVersion struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	CreatedAt *Time  `json:"created_at"`
}

// GetProjectDocument fetches a project document with its text.
func (c *Client) GetProjectDocument(ctx context.Context, id string) (*ProjectDocument, error) {
	var d ProjectDocument
	if err := c.get(ctx, "/v1/compliance/apps/projects/documents/"+url.PathEscape(id), nil, &d); err != nil {
		return nil, fmt.Errorf("fetch project document %s: %w", id, err)
	}
	return &d, nil
}

// GetProjectDocumentMetadata fetches a project document's metadata.
func (c *Client) GetProjectDocumentMetadata(ctx context.Context, id string) (*ProjectDocumentMetadata, error) {
	var d ProjectDocumentMetadata
	if err := c.get(ctx, "/v1/compliance/apps/projects/documents/"+url.PathEscape(id)+"/metadata", nil, &d); err != nil {
		return nil, fmt.Errorf("fetch project document metadata %s: %w", id, err)
	}
	return &d, nil
}

const codeArtifactsPath = "/v1/compliance/apps/code/artifacts"

// CodeArtifactsPage fetches one page of code artifacts. Pages may be short
// or empty while next_page is set, and has_more may be true before an
// empty last page: a walk follows next_page until it is absent.
func (c *Client) CodeArtifactsPage(ctx context.Context, p PageQuery) (*TokenPage[CodeArtifact], error) {
	page, err := listPage[CodeArtifact](ctx, c, codeArtifactsPath, p)
	if err != nil {
		return nil, fmt.Errorf("list code artifacts: %w", err)
	}
	return page, nil
}

// ProjectAttachmentsPage fetches one page of a project's files and
// documents.
func (c *Client) ProjectAttachmentsPage(ctx context.Context, projectID string, p PageQuery) (*TokenPage[ProjectAttachment], error) {
	page, err := listPage[ProjectAttachment](ctx, c, "/v1/compliance/apps/projects/"+url.PathEscape(projectID)+"/attachments", p)
	if err != nil {
		return nil, fmt.Errorf("list attachments of project %s: %w", projectID, err)
	}
	return page, nil
}

// CodeArtifacts yields every code artifact, in artifact-id order, following
// next_page until it is absent (see CodeArtifactsPage).
func (c *Client) CodeArtifacts(ctx context.Context, p PageQuery) iter.Seq2[CodeArtifact, error] {
	const path = codeArtifactsPath
	return func(yield func(CodeArtifact, error) bool) {
		for {
			page, err := listPage[CodeArtifact](ctx, c, path, p)
			if err != nil {
				yield(CodeArtifact{}, fmt.Errorf("list %s: %w", path, err))
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
			if page.NextPage == nil || *page.NextPage == "" || *page.NextPage == p.Page {
				return
			}
			p.Page = *page.NextPage
		}
	}
}

// CodeArtifactVersionContent downloads one version of a code artifact. A
// version rotated out answers 404 (re-list); an upload in flight 503,
// which is retried.
func (c *Client) CodeArtifactVersionContent(ctx context.Context, artifactID, versionID string) ([]byte, error) {
	var b []byte
	path := "/v1/compliance/apps/code/artifacts/" + url.PathEscape(artifactID) + "/versions/" + url.PathEscape(versionID)
	if err := c.get(ctx, path, nil, &b); err != nil {
		return nil, fmt.Errorf("download code artifact %s version %s: %w", artifactID, versionID, err)
	}
	return b, nil
}

// CodeArtifactZip downloads a Claude Docs document (a code artifact of
// type claude_docs, beta): a ZIP with one DOCX per tab that has text, with
// no comments, uploads or history.
func (c *Client) CodeArtifactZip(ctx context.Context, artifactID string) ([]byte, error) {
	var b []byte
	q := url.Values{"multi_file_format": {"zip"}}
	if err := c.get(ctx, "/v1/compliance/apps/code/artifacts/"+url.PathEscape(artifactID)+"/content", q, &b); err != nil {
		return nil, fmt.Errorf("download Claude Docs document %s: %w", artifactID, err)
	}
	return b, nil
}
