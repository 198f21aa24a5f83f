-- Policy sets edited in the dashboard (issue 20): the draft of pending
-- changes and the set last installed, each with who saved it and when
-- (microseconds since the Unix epoch, UTC). One row per name.
CREATE TABLE policy_sets (
  name TEXT PRIMARY KEY,
  yaml TEXT NOT NULL,
  version TEXT NOT NULL DEFAULT '',
  updated_by TEXT NOT NULL DEFAULT '',
  updated_at INTEGER NOT NULL
);
