package store

import (
	"context"
	"time"
)

// ProjectUsage is a stored project with how much it is used.
type ProjectUsage struct {
	Project
	Chats    int `json:"chats"`
	Findings int `json:"findings"`
}

// FileUsage is a stored file with who brought it and its findings.
type FileUsage struct {
	FileMeta
	ChatID    string    `json:"chat_id,omitempty"`
	UserID    string    `json:"user_id,omitempty"`
	UserEmail string    `json:"user_email,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	Findings  int       `json:"findings"`
}

// InventoryStore reads what the asset inventory is built from.
type InventoryStore interface {
	// ActivitiesOfTypes lists activities since a time whose type begins
	// with one of the prefixes, oldest first, at most limit.
	ActivitiesOfTypes(ctx context.Context, integrationID int64, prefixes []string, since time.Time, limit int) ([]Activity, error)
	// ToolCallMessages lists messages since a time that made tool calls, oldest first, at most limit.
	ToolCallMessages(ctx context.Context, integrationID int64, since time.Time, limit int) ([]Message, error)
	// ProjectUsages lists projects with their chat and finding counts, newest first.
	ProjectUsages(ctx context.Context, integrationID int64, limit int) ([]ProjectUsage, error)
	// FileUsages lists files with their uploader and finding counts, newest first.
	FileUsages(ctx context.Context, integrationID int64, limit int) ([]FileUsage, error)
}
