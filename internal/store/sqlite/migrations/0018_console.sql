-- The analyst's console (issue 20): each account's display time zone, and
-- the scheduled reports sent, one row per schedule and period so that a
-- restart or a second replica does not send a period twice. Timestamps are
-- microseconds since the Unix epoch (UTC).
CREATE TABLE account_settings (
  account_id INTEGER PRIMARY KEY,
  time_zone TEXT NOT NULL DEFAULT '',
  updated_at INTEGER NOT NULL
);
CREATE TABLE report_runs (
  schedule TEXT NOT NULL,
  period_end INTEGER NOT NULL,
  period_start INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 1,
  attempted_at INTEGER NOT NULL,
  sent_at INTEGER NOT NULL DEFAULT 0,
  recipients TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (schedule, period_end)
);
