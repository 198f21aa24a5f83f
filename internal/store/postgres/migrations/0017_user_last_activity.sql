-- users.last_seen was moved to the sync time whenever the directory was
-- read; it is the user's last activity (a sign-in or other access event, a
-- prompt, a chat or session update) from now on, so recompute it from what
-- is stored. 0 is never.
UPDATE users SET last_seen = COALESCE((SELECT MAX(t) FROM (
  SELECT MAX(a.created_at) AS t FROM activities a WHERE a.integration_id = users.integration_id AND a.actor_user_id = users.id
  UNION ALL
  SELECT MAX(m.created_at) AS t FROM messages m WHERE m.integration_id = users.integration_id AND m.user_id = users.id
  UNION ALL
  SELECT MAX(c.updated_at) AS t FROM chats c WHERE c.integration_id = users.integration_id AND c.user_id = users.id
) AS seen), 0);
