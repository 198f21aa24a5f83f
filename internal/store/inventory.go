package store

import "time"

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
