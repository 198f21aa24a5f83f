-- Dashboard tables: local accounts, browser sessions, the access audit and datasets.
-- Timestamps are INTEGER microseconds since the Unix epoch (UTC).
CREATE TABLE accounts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  last_login_at INTEGER NOT NULL DEFAULT 0
);

-- id is the SHA-256 of the cookie token, never the token itself.
CREATE TABLE web_sessions (
  id TEXT PRIMARY KEY,
  account_id INTEGER NOT NULL,
  csrf_token TEXT NOT NULL,
  ip TEXT NOT NULL DEFAULT '',
  user_agent TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX web_sessions_account ON web_sessions (account_id);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  account_id INTEGER NOT NULL DEFAULT 0,
  actor TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL DEFAULT '',
  action TEXT NOT NULL,
  object TEXT NOT NULL,
  object_id TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '',
  ip TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_object ON audit_log (object, object_id);

CREATE TABLE datasets (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  filter TEXT NOT NULL DEFAULT '',
  items INTEGER NOT NULL DEFAULT 0,
  created_by TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);

CREATE TABLE dataset_items (
  dataset_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  integration_id INTEGER NOT NULL,
  message_id TEXT NOT NULL,
  PRIMARY KEY (dataset_id, seq)
);

-- The overview groups by day and model; these keep it off full scans of big tables.
CREATE INDEX findings_event_time ON findings (event_time);
CREATE INDEX chats_updated ON chats (updated_at);
