package store

import "strings"

// Kinds of a stored chat: claude.ai chats, and Claude Code / Cowork
// sessions, which are stored as chats whose ids carry the API's prefixes.
const (
	KindChat          = "chat"
	KindLocalSession  = "local_session"
	KindRemoteSession = "remote_session"
)

// ChatKind tells a chat id's kind by its documented prefix.
func ChatKind(id string) string {
	switch {
	case strings.HasPrefix(id, "clls_"):
		return KindLocalSession
	case strings.HasPrefix(id, "cse_"):
		return KindRemoteSession
	}
	return KindChat
}

// Kind is the chat's kind (see ChatKind).
func (c Chat) Kind() string { return ChatKind(c.ID) }

// KindLabel names the chat's kind for people.
func (c Chat) KindLabel() string {
	switch c.Kind() {
	case KindLocalSession:
		return "Local session (Claude Code / Cowork on a user's machine)"
	case KindRemoteSession:
		return "Remote session (Cowork in Anthropic's cloud)"
	}
	return "claude.ai chat"
}

// SurfaceLabel names a session's product surface ("claude_code" →
// "Claude Code"); unknown surfaces pass through.
func SurfaceLabel(surface string, remote bool) string {
	switch {
	case surface == "claude_code":
		return "Claude Code"
	case surface == "cowork", surface == "cowork_remote":
		return "Cowork"
	case strings.HasPrefix(surface, "office_agents"):
		return "Claude for Microsoft 365"
	case surface == "claude_science":
		return "Claude Science"
	case surface != "":
		return surface
	case remote:
		return "Remote session"
	}
	return "Local session"
}

// Action says what a tool call did, for the session view: a shell command,
// a file edit, a file read, a web request or another tool.
func (t ToolCall) Action() string {
	n := strings.ToLower(t.Name)
	switch {
	case n == "bash" || n == "shell" || strings.HasSuffix(n, "__bash") || n == "run_command" || n == "powershell":
		return "command"
	case n == "edit" || n == "write" || n == "multiedit" || n == "notebookedit" || n == "str_replace_based_edit_tool" || n == "create_file":
		return "file edit"
	case n == "read" || n == "view" || n == "glob" || n == "grep" || n == "ls":
		return "file read"
	case n == "webfetch" || n == "websearch" || n == "fetch":
		return "web"
	}
	return "tool"
}
