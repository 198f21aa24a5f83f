package store

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
