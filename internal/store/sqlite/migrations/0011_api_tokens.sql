-- Personal API tokens. hash is the SHA-256 of the token, never the token
-- itself; prefix is its first characters, to tell tokens apart in lists.
-- role is at most the owner's role when created; the owner's role at the
-- time of use caps it again. Timestamps are microseconds since the Unix
-- epoch (UTC); 0 is never.
CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL DEFAULT 0,
  revoked_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_account ON api_tokens (account_id, id);
