-- Evaluation looks up the open alert of a finding's policy, user and chat
-- within the alert window for every alert-level finding. Without this index
-- the lookup scanned every open alert seen within the window (alerts_status),
-- which grows with history: a sync of a large backlog spent a tenth of its
-- CPU there.
CREATE INDEX alerts_open_group ON alerts (integration_id, policy, user_id, chat_id, last_seen) WHERE status IN ('open', 'acknowledged');
