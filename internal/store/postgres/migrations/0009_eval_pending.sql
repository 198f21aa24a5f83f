-- Evaluation finds its pending events through these partial indexes, in
-- the order it evaluates them, instead of sorting the backlog on every
-- batch (0.1 s per batch at 100 k pending, up to 1 s at 1 M). Evaluated
-- rows leave the index, so it stays as small as the backlog; the old
-- single-column indexes could not give the order and are dropped.
DROP INDEX messages_eval;
DROP INDEX activities_eval;
CREATE INDEX messages_pending ON messages (created_at, id) WHERE eval_version = '';
CREATE INDEX activities_pending ON activities (created_at, id) WHERE eval_version = '';
