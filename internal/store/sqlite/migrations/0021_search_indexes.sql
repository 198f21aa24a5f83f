-- A session list filtered by user matches user_id or user_email; with only
-- user_id indexed, SQLite walked every session by update time to find one
-- user's (126-142 ms of CPU at 1 M messages). With both indexed it reads
-- the user's sessions through the two indexes.
CREATE INDEX chats_user_email ON chats (user_email, updated_at);
