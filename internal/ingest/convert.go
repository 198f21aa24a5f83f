// Package ingest pulls the Compliance API into the store: scheduled sync
// cycles with durable checkpoints, chat hydration, and resumable backfill jobs.
package ingest

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/store"
)

// toActivity flattens an API activity into a stored access event.
func toActivity(a *compliance.Activity) store.Activity {
	raw := a.Raw
	if len(raw) == 0 {
		raw, _ = json.Marshal(a)
	}
	out := store.Activity{ID: a.ID, CreatedAt: a.CreatedAt.Time, Type: a.Type, ActorType: a.Actor.Type,
		ActorUserID: a.Actor.UserID, ActorEmail: email(a.Actor.Email()), IP: a.Actor.IP(), UserAgent: a.Actor.Agent(),
		ChatID: a.String("claude_chat_id"), Raw: raw}
	if a.OrganizationUUID != nil {
		out.OrganizationUUID = *a.OrganizationUUID
	}
	return out
}

// actorUser returns the user an activity's actor names, if any.
func actorUser(a *compliance.Activity) (store.User, bool) {
	if a.Actor.Type != compliance.ActorUser || a.Actor.UserID == "" {
		return store.User{}, false
	}
	t := a.CreatedAt.Time
	return store.User{ID: a.Actor.UserID, Email: email(a.Actor.Email()), FirstSeen: t, LastSeen: t}, true
}

// estimateTokens approximates tokens as one per four bytes; the API reports no usage.
func estimateTokens(s string) int { return (len(s) + 3) / 4 }

// email normalises an address for filters and joins (addresses are case-insensitive in practice).
func email(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func derefInt(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// hydrate turns a chat and its messages into stored records.
func hydrate(cm *compliance.ChatMessages) store.HydratedChat {
	c := cm.Chat
	sc := store.Chat{ID: c.ID, Name: c.Name, Model: deref(c.Model), ProjectID: deref(c.ProjectID),
		OrganizationUUID: c.OrganizationUUID, Href: c.Href, CreatedAt: c.CreatedAt.Time, UpdatedAt: c.UpdatedAt.Time}
	if c.User != nil {
		sc.UserID, sc.UserEmail = c.User.ID, email(deref(c.User.EmailAddress))
	}
	if c.Deleted() {
		t := c.DeletedAt.Time
		sc.DeletedAt = &t
	}
	hc := store.HydratedChat{Chat: sc, Messages: make([]store.Message, 0, len(cm.ChatMessages))}
	for i := range cm.ChatMessages {
		m := &cm.ChatMessages[i]
		text := m.PlainText()
		sm := store.Message{ID: m.ID, ChatID: c.ID, Seq: i, Role: m.Role, Text: text, Model: sc.Model,
			UserID: sc.UserID, UserEmail: sc.UserEmail, CreatedAt: m.CreatedAt.Time, Tokens: estimateTokens(text),
			ContentRemoved: c.Deleted() && len(m.Content) == 0}
		for _, f := range m.Files {
			sm.Files = append(sm.Files, store.FileMeta{ID: f.ID, Kind: "upload", Filename: f.Filename, MimeType: deref(f.MimeType),
				SizeBytes: derefInt(f.SizeBytes), MD5: deref(f.MD5)})
		}
		for _, f := range m.GeneratedFiles {
			sm.Files = append(sm.Files, store.FileMeta{ID: f.ID, Kind: "generated", Filename: f.Filename, MimeType: deref(f.MimeType),
				SizeBytes: derefInt(f.SizeBytes), MD5: deref(f.MD5)})
		}
		for _, a := range m.Artifacts {
			sm.Files = append(sm.Files, store.FileMeta{ID: a.VersionID, Kind: "artifact", Filename: deref(a.Title), MimeType: deref(a.ArtifactType)})
		}
		for _, b := range m.Content {
			if b.Type == compliance.BlockToolUse {
				sm.ToolCalls = append(sm.ToolCalls, store.ToolCall{ID: deref(b.ID), Name: b.Name, Input: b.Input,
					Integration: deref(b.IntegrationName), MCPServerURL: deref(b.MCPServerURL)})
			}
		}
		hc.Messages = append(hc.Messages, sm)
	}
	return hc
}

func chatUser(c *compliance.Chat) (store.User, bool) {
	if c.User == nil || c.User.ID == "" {
		return store.User{}, false
	}
	return store.User{ID: c.User.ID, Email: email(deref(c.User.EmailAddress)), FirstSeen: c.CreatedAt.Time, LastSeen: c.UpdatedAt.Time}, true
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
