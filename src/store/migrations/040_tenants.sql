-- Tenants, their users, sessions, API keys, audit trail and CRM settings (docs/tenants.md, src/tenants).
-- Children that mean nothing without their tenant or user go with it (ON DELETE CASCADE); the audit log
-- keeps its rows whatever happens to what they describe, so it has no foreign keys.

CREATE TABLE tenants (
  id         text PRIMARY KEY,
  name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  slug       text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9-]{1,63}$'),
  timezone   text NOT NULL,
  status     text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  settings   jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(settings) = 'object'),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The tenant every call goes to when no rule and no number says otherwise: it always exists.
INSERT INTO tenants (id, name, slug, timezone, status)
VALUES ('default', 'Default', 'default', 'UTC', 'active')
ON CONFLICT DO NOTHING;

-- Rules are tried in (position, id) order across all tenants.
CREATE TABLE tenant_rules (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id  text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  position   int NOT NULL,
  match      jsonb NOT NULL CHECK (jsonb_typeof(match) = 'object'),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX tenant_rules_tenant_idx ON tenant_rules (tenant_id, position);

-- The primary key makes a number belong to one tenant at most.
CREATE TABLE tenant_numbers (
  number     text PRIMARY KEY CHECK (length(number) BETWEEN 1 AND 64),
  tenant_id  text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  label      text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX tenant_numbers_tenant_idx ON tenant_numbers (tenant_id, number);

-- A platform operator has no tenant, and only an operator has none.
CREATE TABLE users (
  id                  text PRIMARY KEY,
  tenant_id           text REFERENCES tenants (id) ON DELETE CASCADE,
  email               text NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
  name                text NOT NULL,
  role                text NOT NULL CHECK (role IN ('operator', 'owner', 'admin', 'agent', 'reporter')),
  extensions          text[] NOT NULL DEFAULT '{}',
  password_hash       text NOT NULL,
  status              text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  password_changed_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_operator_has_no_tenant CHECK ((tenant_id IS NULL) = (role = 'operator'))
);

CREATE INDEX users_tenant_idx ON users (tenant_id, email);

-- tenant_id is where the session acts now: an operator's may change, and may be none.
CREATE TABLE user_sessions (
  id_hash      text PRIMARY KEY,
  user_id      text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  tenant_id    text REFERENCES tenants (id) ON DELETE CASCADE,
  csrf_token   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX user_sessions_user_idx ON user_sessions (user_id);
CREATE INDEX user_sessions_expires_idx ON user_sessions (expires_at);

-- Tenant keys only: platform keys live in the configuration. created_by names whoever created the key
-- (a user id, or a platform key's name) and stays when that user is gone.
CREATE TABLE api_keys (
  id           text PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  role         text NOT NULL CHECK (role IN ('owner', 'admin', 'agent', 'reporter')),
  key_hash     text NOT NULL UNIQUE,
  prefix       text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  created_by   text,
  last_used_at timestamptz,
  revoked_at   timestamptz
);

CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id, created_at);

CREATE TABLE audit_log (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id   text,
  at          timestamptz NOT NULL DEFAULT now(),
  actor       jsonb NOT NULL CHECK (jsonb_typeof(actor) = 'object'),
  action      text NOT NULL,
  target_type text,
  target_id   text,
  before      jsonb,
  after       jsonb
);

CREATE INDEX audit_log_tenant_idx ON audit_log (tenant_id, id DESC);

CREATE TABLE tenant_crm (
  tenant_id  text PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  config     jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
