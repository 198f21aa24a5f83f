-- The organization's directory and settings as of the last sync: custom
-- roles with their permissions (JSON), groups with their role ids (JSON)
-- and members, and the effective settings (value is the API's JSON). Each
-- sync replaces an integration's rows. Timestamps are microseconds since
-- the Unix epoch (UTC).
CREATE TABLE org_roles (
  integration_id BIGINT NOT NULL,
  id TEXT NOT NULL,
  organization_uuid TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  permissions TEXT NOT NULL DEFAULT '[]',
  PRIMARY KEY (integration_id, id)
);

CREATE TABLE org_groups (
  integration_id BIGINT NOT NULL,
  id TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  source_type TEXT NOT NULL DEFAULT '',
  roles TEXT NOT NULL DEFAULT '[]',
  PRIMARY KEY (integration_id, id)
);

CREATE TABLE group_members (
  integration_id BIGINT NOT NULL,
  group_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  email TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (integration_id, group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (integration_id, user_id);

CREATE TABLE org_settings (
  integration_id BIGINT NOT NULL,
  organization_uuid TEXT NOT NULL,
  name TEXT NOT NULL,
  type TEXT NOT NULL DEFAULT '',
  value TEXT NOT NULL,
  synced_at BIGINT NOT NULL,
  PRIMARY KEY (integration_id, organization_uuid, name)
);
