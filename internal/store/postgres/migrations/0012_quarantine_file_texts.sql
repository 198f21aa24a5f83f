-- Items of an API page that were valid JSON but could not be decoded: kept
-- with their raw JSON and the reason, instead of failing the page. item_key
-- is the item's id, or a hash of the raw JSON when it has none.
CREATE TABLE quarantined_items (
  integration_id BIGINT NOT NULL,
  stream TEXT NOT NULL,
  item_key TEXT NOT NULL,
  item_id TEXT NOT NULL DEFAULT '',
  raw TEXT NOT NULL,
  reason TEXT NOT NULL,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  seen BIGINT NOT NULL DEFAULT 1,
  PRIMARY KEY (integration_id, stream, item_key)
);
CREATE INDEX quarantined_items_recent ON quarantined_items (integration_id, last_seen);

-- Text extracted from uploaded and generated files, artifacts, project
-- documents and code artifacts. status is ok, unreadable (reason says why)
-- or skipped (over the size budget); evaluated_version is the policy
-- version the text was scanned under ('' = not yet).
CREATE TABLE file_texts (
  integration_id BIGINT NOT NULL,
  file_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  chat_id TEXT NOT NULL DEFAULT '',
  message_id TEXT NOT NULL DEFAULT '',
  user_id TEXT NOT NULL DEFAULT '',
  filename TEXT NOT NULL DEFAULT '',
  mime_type TEXT NOT NULL DEFAULT '',
  format TEXT NOT NULL DEFAULT '',
  size_bytes BIGINT NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  text TEXT NOT NULL DEFAULT '',
  pages TEXT NOT NULL DEFAULT '',
  fetched_at BIGINT NOT NULL,
  evaluated_version TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (integration_id, file_id)
);
CREATE INDEX file_texts_unevaluated ON file_texts (evaluated_version, fetched_at);
