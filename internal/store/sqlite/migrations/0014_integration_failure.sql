-- The kind of an integration's last error (auth_failed, missing_scope,
-- unreachable, rate_limited, error), so the dashboard can show an honest
-- status instead of parsing the message. '' when the last sync succeeded.
ALTER TABLE integrations ADD COLUMN last_failure TEXT NOT NULL DEFAULT '';
