CREATE TABLE alerts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  integration_id INTEGER NOT NULL,
  policy TEXT NOT NULL,
  detector TEXT NOT NULL DEFAULT '',
  severity TEXT NOT NULL,
  action TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  user_id TEXT NOT NULL DEFAULT '',
  user_email TEXT NOT NULL DEFAULT '',
  chat_id TEXT NOT NULL DEFAULT '',
  event_kind TEXT NOT NULL DEFAULT '',
  event_id TEXT NOT NULL DEFAULT '',
  entity TEXT NOT NULL DEFAULT '',
  excerpt TEXT NOT NULL DEFAULT '',
  count INTEGER NOT NULL DEFAULT 1,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  updated_by TEXT NOT NULL DEFAULT '',
  updated_at INTEGER NOT NULL,
  comment TEXT NOT NULL DEFAULT '',
  suppressed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX alerts_group ON alerts (integration_id, policy, user_id, chat_id, status);
CREATE INDEX alerts_status ON alerts (status, last_seen);

-- Which events an alert counted, so re-evaluation never counts one twice.
CREATE TABLE alert_events (
  alert_id INTEGER NOT NULL,
  event_kind TEXT NOT NULL,
  event_id TEXT NOT NULL,
  PRIMARY KEY (alert_id, event_kind, event_id)
);

CREATE TABLE suppressions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  policy TEXT NOT NULL DEFAULT '',
  user_ref TEXT NOT NULL DEFAULT '',
  pattern TEXT NOT NULL DEFAULT '',
  until_ts INTEGER NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);

-- The durable outbox: one row per delivery and sink, written in the same
-- transaction as the findings that caused it.
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  sink TEXT NOT NULL,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  delivered_at INTEGER NOT NULL DEFAULT 0,
  claimed_by TEXT NOT NULL DEFAULT '',
  claimed_until INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
