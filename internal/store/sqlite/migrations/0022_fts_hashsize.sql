-- The store adds a transaction's new messages to the full-text index in one
-- statement (several chat pages, some 2 MB of text during a sync); FTS5
-- writes a new segment whenever its pending terms pass hashsize (1 MB by
-- default) and at the end of the statement. With 8 MB a transaction
-- writes one segment, and automerge has fewer to merge.
INSERT INTO messages_fts(messages_fts, rank) VALUES ('hashsize', 8388608);
