-- New messages are added to the full-text index once per transaction by the
-- store (FTS5 flushes its pending terms at every statement savepoint, so a
-- per-row trigger wrote one tiny segment per message).
DROP TRIGGER messages_ai;
