-- Requests to delete a chat, file or project through the Compliance API.
-- An analyst files one with a reason; a different admin approves or rejects
-- it (decided_*); an approved one is sent and its answer kept (result_type,
-- error). Timestamps are microseconds since the Unix epoch (UTC); 0 is never.
CREATE TABLE deletion_requests (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  integration_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  object_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  findings INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  requested_by INTEGER NOT NULL,
  requested_email TEXT NOT NULL,
  requested_at INTEGER NOT NULL,
  decided_by INTEGER NOT NULL DEFAULT 0,
  decided_email TEXT NOT NULL DEFAULT '',
  decided_at INTEGER NOT NULL DEFAULT 0,
  comment TEXT NOT NULL DEFAULT '',
  result_type TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  finished_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX deletion_requests_status ON deletion_requests (status, id);

-- The scopes an integration's key was found to hold when last checked:
-- deletion is refused before anything is sent when the delete scope is
-- missing. scopes is space-separated.
CREATE TABLE integration_scopes (
  integration_id INTEGER PRIMARY KEY,
  scopes TEXT NOT NULL,
  checked_at INTEGER NOT NULL
);
