-- Alert triage: who an alert is assigned to, and every change of its status
-- or assignee (who, when, from what, why). Timestamps are microseconds since
-- the Unix epoch (UTC).
ALTER TABLE alerts ADD COLUMN assignee TEXT NOT NULL DEFAULT '';
CREATE TABLE alert_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  alert_id INTEGER NOT NULL,
  at INTEGER NOT NULL,
  by_email TEXT NOT NULL,
  from_status TEXT NOT NULL DEFAULT '',
  to_status TEXT NOT NULL DEFAULT '',
  from_assignee TEXT NOT NULL DEFAULT '',
  to_assignee TEXT NOT NULL DEFAULT '',
  comment TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alert_history_alert ON alert_history (alert_id, id);
