-- When a file was deleted through the Compliance API after an approved
-- deletion request (microseconds since the Unix epoch, UTC); NULL while it
-- exists. Projects and chats have their deleted_at already.
ALTER TABLE files ADD COLUMN deleted_at INTEGER;
