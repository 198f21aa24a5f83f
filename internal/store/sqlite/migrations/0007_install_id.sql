-- One random id per database, made once. With an outbox row id it forms the
-- Idempotency-Key receivers see, unique across separate installs.
CREATE TABLE install (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    id TEXT NOT NULL
);
INSERT INTO install (singleton, id) VALUES (1, lower(hex(randomblob(16))));
