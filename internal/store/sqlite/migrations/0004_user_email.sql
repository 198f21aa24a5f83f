-- Events are filtered by user email as often as by user id.
CREATE INDEX messages_user_email ON messages (user_email, created_at);
CREATE INDEX activities_actor_email ON activities (actor_email, created_at);
