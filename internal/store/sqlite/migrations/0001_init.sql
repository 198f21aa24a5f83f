-- Timestamps are INTEGER microseconds since the Unix epoch (UTC), portable and sortable.
CREATE TABLE integrations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  base_url TEXT NOT NULL,
  project TEXT NOT NULL DEFAULT '',
  api_key_enc TEXT NOT NULL DEFAULT '',
  interval_us INTEGER NOT NULL,
  paused INTEGER NOT NULL DEFAULT 0,
  mode TEXT NOT NULL DEFAULT 'full',
  source TEXT NOT NULL DEFAULT 'config',
  rate_limit INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  last_synced_at INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT ''
);

CREATE TABLE checkpoints (
  integration_id INTEGER NOT NULL,
  stream TEXT NOT NULL,
  cursor TEXT NOT NULL DEFAULT '',
  high_water INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (integration_id, stream)
);

CREATE TABLE activities (
  integration_id INTEGER NOT NULL,
  id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  type TEXT NOT NULL,
  actor_type TEXT NOT NULL DEFAULT '',
  actor_user_id TEXT NOT NULL DEFAULT '',
  actor_email TEXT NOT NULL DEFAULT '',
  ip TEXT NOT NULL DEFAULT '',
  user_agent TEXT NOT NULL DEFAULT '',
  organization_uuid TEXT NOT NULL DEFAULT '',
  chat_id TEXT NOT NULL DEFAULT '',
  raw TEXT NOT NULL,
  tags TEXT NOT NULL DEFAULT '',
  violations INTEGER NOT NULL DEFAULT 0,
  eval_version TEXT NOT NULL DEFAULT '',
  ingested_at INTEGER NOT NULL,
  PRIMARY KEY (integration_id, id)
);
CREATE INDEX activities_time ON activities (created_at, id);
CREATE INDEX activities_user ON activities (actor_user_id, created_at);
CREATE INDEX activities_type ON activities (type, created_at);
CREATE INDEX activities_eval ON activities (eval_version);

CREATE TABLE users (
  integration_id INTEGER NOT NULL,
  id TEXT NOT NULL,
  email TEXT NOT NULL DEFAULT '',
  full_name TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL DEFAULT '',
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  PRIMARY KEY (integration_id, id)
);
CREATE INDEX users_email ON users (email);

CREATE TABLE projects (
  integration_id INTEGER NOT NULL,
  id TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  user_id TEXT NOT NULL DEFAULT '',
  is_private INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  deleted_at INTEGER,
  PRIMARY KEY (integration_id, id)
);

CREATE TABLE chats (
  integration_id INTEGER NOT NULL,
  id TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  user_id TEXT NOT NULL DEFAULT '',
  user_email TEXT NOT NULL DEFAULT '',
  model TEXT NOT NULL DEFAULT '',
  project_id TEXT NOT NULL DEFAULT '',
  organization_uuid TEXT NOT NULL DEFAULT '',
  href TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  deleted_at INTEGER,
  hard_deleted INTEGER NOT NULL DEFAULT 0,
  message_count INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (integration_id, id)
);
CREATE INDEX chats_user ON chats (user_id, created_at);

CREATE TABLE messages (
  integration_id INTEGER NOT NULL,
  id TEXT NOT NULL,
  chat_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  role TEXT NOT NULL,
  text TEXT NOT NULL DEFAULT '',
  model TEXT NOT NULL DEFAULT '',
  user_id TEXT NOT NULL DEFAULT '',
  user_email TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  tokens INTEGER NOT NULL DEFAULT 0,
  content_removed INTEGER NOT NULL DEFAULT 0,
  files TEXT NOT NULL DEFAULT '',
  tool_calls TEXT NOT NULL DEFAULT '',
  tags TEXT NOT NULL DEFAULT '',
  violations INTEGER NOT NULL DEFAULT 0,
  eval_version TEXT NOT NULL DEFAULT '',
  ingested_at INTEGER NOT NULL,
  PRIMARY KEY (integration_id, id)
);
CREATE INDEX messages_time ON messages (created_at, id);
CREATE INDEX messages_chat ON messages (integration_id, chat_id, seq);
CREATE INDEX messages_user ON messages (user_id, created_at);
CREATE INDEX messages_eval ON messages (eval_version);
CREATE INDEX messages_violations ON messages (violations, created_at) WHERE violations > 0;

-- Full-text index over message text, kept in step by triggers.
CREATE VIRTUAL TABLE messages_fts USING fts5(text, content='messages', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts(rowid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
END;
CREATE TRIGGER messages_au AFTER UPDATE OF text ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
  INSERT INTO messages_fts(rowid, text) VALUES (new.rowid, new.text);
END;

CREATE TABLE files (
  integration_id INTEGER NOT NULL,
  id TEXT NOT NULL,
  kind TEXT NOT NULL,
  filename TEXT NOT NULL DEFAULT '',
  mime_type TEXT NOT NULL DEFAULT '',
  size_bytes INTEGER NOT NULL DEFAULT 0,
  md5 TEXT NOT NULL DEFAULT '',
  chat_id TEXT NOT NULL DEFAULT '',
  message_id TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  PRIMARY KEY (integration_id, id)
);

CREATE TABLE sync_runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  integration_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER NOT NULL DEFAULT 0,
  activities INTEGER NOT NULL DEFAULT 0,
  chats INTEGER NOT NULL DEFAULT 0,
  messages INTEGER NOT NULL DEFAULT 0,
  errors INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sync_runs_integration ON sync_runs (integration_id, id);

CREATE TABLE backfills (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  integration_id INTEGER NOT NULL,
  from_ts INTEGER NOT NULL,
  to_ts INTEGER NOT NULL,
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  error TEXT NOT NULL DEFAULT ''
);

CREATE TABLE backfill_batches (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  backfill_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  from_ts INTEGER NOT NULL,
  to_ts INTEGER NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  activities INTEGER NOT NULL DEFAULT 0,
  messages INTEGER NOT NULL DEFAULT 0,
  activity_cursor TEXT NOT NULL DEFAULT '',
  chat_cursor TEXT NOT NULL DEFAULT '',
  synced_up_to INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT '',
  claimed_by TEXT NOT NULL DEFAULT '',
  claimed_until INTEGER NOT NULL DEFAULT 0,
  started_at INTEGER NOT NULL DEFAULT 0,
  finished_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX backfill_batches_job ON backfill_batches (backfill_id, status, seq);

CREATE TABLE findings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  integration_id INTEGER NOT NULL,
  event_kind TEXT NOT NULL,
  event_id TEXT NOT NULL,
  chat_id TEXT NOT NULL DEFAULT '',
  user_id TEXT NOT NULL DEFAULT '',
  user_email TEXT NOT NULL DEFAULT '',
  policy TEXT NOT NULL,
  detector TEXT NOT NULL,
  entity TEXT NOT NULL DEFAULT '',
  severity TEXT NOT NULL,
  action TEXT NOT NULL,
  effective_action TEXT NOT NULL,
  score REAL NOT NULL,
  span_start INTEGER NOT NULL DEFAULT 0,
  span_end INTEGER NOT NULL DEFAULT 0,
  excerpt TEXT NOT NULL DEFAULT '',
  policy_version TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  event_time INTEGER NOT NULL
);
CREATE INDEX findings_event ON findings (integration_id, event_kind, event_id);
CREATE INDEX findings_chat ON findings (integration_id, chat_id);
CREATE INDEX findings_policy ON findings (policy, event_time);
