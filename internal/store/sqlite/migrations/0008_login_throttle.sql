-- Failed sign-ins per account ("account:<email>") and per client address
-- ("ip:<address>"), shared by every process on the database. Timestamps are
-- microseconds since the Unix epoch (UTC); locked_until 0 is no lock.
CREATE TABLE login_throttle (
  key TEXT PRIMARY KEY,
  failures BIGINT NOT NULL,
  last_failure_at BIGINT NOT NULL,
  locked_until BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX login_throttle_locked ON login_throttle (locked_until);
