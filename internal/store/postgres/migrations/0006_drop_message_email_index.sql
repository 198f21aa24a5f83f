-- Prompt events filtered by email resolve it through the users table and
-- use messages_user; this index only cost every message insert a B-tree.
DROP INDEX messages_user_email;
