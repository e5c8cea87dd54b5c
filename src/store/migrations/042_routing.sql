-- A tenant's call routing as data (docs/routing.md, src/routing/objects): extensions, ring groups, IVR menus,
-- schedules, voicemail boxes and their messages, conference rooms and announcements, and where each of the
-- tenant's numbers goes. Ids are made by the engine (a prefix and 16 base32 characters, like users' and keys').
-- Destinations, prompts and forwarding rules are JSON in the shape of model.ts; the references inside them
-- (always to objects of the same tenant) are checked by the engine on every write, which also refuses deleting
-- an object something still points at. Everything goes with its tenant (ON DELETE CASCADE).

CREATE TABLE extensions (
  id               text PRIMARY KEY,
  tenant_id        text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  number           text NOT NULL CHECK (number ~ '^[0-9]{2,8}$'),
  name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  endpoint         text NOT NULL CHECK (length(endpoint) BETWEEN 1 AND 100),
  caller_id_name   text CHECK (length(caller_id_name) <= 100),
  ring_timeout_s   int NOT NULL CHECK (ring_timeout_s BETWEEN 1 AND 600),
  voicemail_box_id text,
  forward          jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(forward) = 'object'),
  record           boolean NOT NULL DEFAULT false,
  enabled          boolean NOT NULL DEFAULT true,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, number)
);

-- number: optional internal number that dials the group (not an extension's: checked by the engine).
CREATE TABLE ring_groups (
  id              text PRIMARY KEY,
  tenant_id       text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  number          text CHECK (number ~ '^[0-9]{2,8}$'),
  strategy        text NOT NULL CHECK (strategy IN ('simultaneous', 'sequential', 'round-robin')),
  members         jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(members) = 'array'),
  member_timeout_s int NOT NULL CHECK (member_timeout_s BETWEEN 1 AND 600),
  turns           int NOT NULL CHECK (turns BETWEEN 1 AND 100),
  total_timeout_s int NOT NULL CHECK (total_timeout_s BETWEEN 1 AND 86400),
  skip_busy       boolean NOT NULL DEFAULT false,
  fallback        jsonb NOT NULL CHECK (jsonb_typeof(fallback) = 'object'),
  next_index      int NOT NULL DEFAULT 0 CHECK (next_index >= 0),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, number)
);

CREATE TABLE ivr_menus (
  id                     text PRIMARY KEY,
  tenant_id              text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name                   text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  prompt                 jsonb NOT NULL CHECK (jsonb_typeof(prompt) = 'object'),
  options                jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(options) = 'object'),
  direct_dial            boolean NOT NULL DEFAULT false,
  timeout_s              int NOT NULL CHECK (timeout_s BETWEEN 1 AND 600),
  inter_digit_timeout_ms int NOT NULL CHECK (inter_digit_timeout_ms BETWEEN 1 AND 60000),
  invalid_prompt         jsonb CHECK (jsonb_typeof(invalid_prompt) = 'object'),
  timeout_prompt         jsonb CHECK (jsonb_typeof(timeout_prompt) = 'object'),
  retries                int NOT NULL CHECK (retries BETWEEN 0 AND 100),
  failover               jsonb NOT NULL CHECK (jsonb_typeof(failover) = 'object'),
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now()
);

-- timezone: IANA name, null for the tenant's.
CREATE TABLE schedules (
  id         text PRIMARY KEY,
  tenant_id  text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  timezone   text CHECK (length(timezone) BETWEEN 1 AND 64),
  weekly     jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(weekly) = 'array'),
  exceptions jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(exceptions) = 'array'),
  open       jsonb NOT NULL CHECK (jsonb_typeof(open) = 'object'),
  closed     jsonb NOT NULL CHECK (jsonb_typeof(closed) = 'object'),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- pin_hash: scrypt (src/tenants/passwords.ts), never shown.
CREATE TABLE voicemail_boxes (
  id           text PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  number       text NOT NULL CHECK (number ~ '^[0-9]{2,8}$'),
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  greeting     jsonb CHECK (jsonb_typeof(greeting) = 'object'),
  max_message_s int NOT NULL CHECK (max_message_s BETWEEN 1 AND 3600),
  pin_hash     text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, number)
);

-- A box's messages go with it.
CREATE TABLE voicemail_messages (
  id           text PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  box_id       text NOT NULL REFERENCES voicemail_boxes (id) ON DELETE CASCADE,
  call_id      text,
  from_number  text,
  duration_s   int NOT NULL CHECK (duration_s >= 0),
  recording_id text NOT NULL,
  heard        boolean NOT NULL DEFAULT false,
  created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX voicemail_messages_box_idx ON voicemail_messages (tenant_id, box_id, created_at DESC);

CREATE TABLE conference_rooms (
  id                  text PRIMARY KEY,
  tenant_id           text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  number              text CHECK (number ~ '^[0-9]{2,8}$'),
  pin_hash            text,
  host_pin_hash       text,
  wait_for_host       boolean NOT NULL DEFAULT false,
  mute_on_entry       boolean NOT NULL DEFAULT false,
  max_participants    int NOT NULL CHECK (max_participants BETWEEN 2 AND 1000),
  announce_join_leave boolean NOT NULL DEFAULT false,
  record              boolean NOT NULL DEFAULT false,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, number)
);

CREATE TABLE announcements (
  id         text PRIMARY KEY,
  tenant_id  text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  prompt     jsonb NOT NULL CHECK (jsonb_typeof(prompt) = 'object'),
  next       jsonb NOT NULL CHECK (jsonb_typeof(next) = 'object'),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- (The tables with UNIQUE (tenant_id, number) are found by tenant through that index.)
CREATE INDEX ivr_menus_tenant_idx ON ivr_menus (tenant_id);
CREATE INDEX schedules_tenant_idx ON schedules (tenant_id);
CREATE INDEX announcements_tenant_idx ON announcements (tenant_id);

-- A number's route: where its calls go (null: not routed by the engine) and whether they are recorded.
ALTER TABLE tenant_numbers ADD COLUMN destination jsonb CHECK (jsonb_typeof(destination) = 'object');
ALTER TABLE tenant_numbers ADD COLUMN record boolean NOT NULL DEFAULT false;
