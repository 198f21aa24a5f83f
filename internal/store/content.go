package store

import "context"

// Kinds of a FileText beyond the files chat messages carry (upload,
// generated, artifact): the files and text documents of a project, and
// the versions of a Claude Code artifact.
const (
	FileKindProjectFile  = "project_file"
	FileKindDocument     = "document"
	FileKindCodeArtifact = "code_artifact"
)

// ContentPage is the text of content that belongs to no chat: a project's
// files and documents, or the versions of a code artifact. Each readable
// file is a message of role file whose ChatID is the project or code
// artifact id, so the file-role policies evaluate it like a chat's file;
// no chat record is made, so chat counts stay those of the API.
type ContentPage struct {
	IntegrationID int64
	// FileTexts are the files fetched this time: their text, or why there
	// is none.
	FileTexts []FileText
	// Messages are the texts of the readable files (role file).
	Messages []Message
}

// ContentStore saves ContentPages; both SQL stores implement it. It is a
// separate interface so a store that keeps no such content still builds.
type ContentStore interface {
	// SaveContentPage stores the file records and the file messages of a
	// page in one transaction; a message already stored keeps its text
	// unless the new one differs.
	SaveContentPage(ctx context.Context, p ContentPage) (SaveResult, error)
}
