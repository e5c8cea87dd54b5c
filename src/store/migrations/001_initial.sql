-- Calls, legs, raw events, event counters and the CRM outbox.
-- Kept at the PostgreSQL 15 level: it runs unchanged on PostgreSQL and on PGlite.

CREATE TABLE calls (
  -- Byte order ("C"): the tie-break of listings is the same on every server and locale.
  id                text COLLATE "C" PRIMARY KEY,
  server            text NOT NULL,
  status            text NOT NULL,
  disposition       text,
  direction         text NOT NULL,
  from_number       text NOT NULL,
  to_number         text NOT NULL,
  started_at        timestamptz NOT NULL,
  answered_at       timestamptz,
  ended_at          timestamptz,
  duration_ms       bigint,
  talk_ms           bigint,
  hangup_cause      int,
  hangup_cause_text text,
  closed_by         text,
  event_count       int NOT NULL DEFAULT 0,
  updated_at        timestamptz NOT NULL,
  -- The whole CallRecord (legs included) as served; the columns above exist for filtering and statistics.
  record            jsonb NOT NULL
);

-- Newest-first listing and cursor paging.
CREATE INDEX calls_started_idx ON calls (started_at DESC, id DESC);
CREATE INDEX calls_server_started_idx ON calls (server, started_at DESC, id DESC);
CREATE INDEX calls_status_started_idx ON calls (status, started_at DESC, id DESC);
-- Resync after a restart reads the calls still open; they are few, so a partial index stays small.
CREATE INDEX calls_open_idx ON calls (server, started_at) WHERE status <> 'finished';
-- Number prefix search (LIKE 'prefix%') on either side of the call.
CREATE INDEX calls_from_prefix_idx ON calls (from_number text_pattern_ops);
CREATE INDEX calls_to_prefix_idx ON calls (to_number text_pattern_ops);

CREATE TABLE legs (
  channel_id  text PRIMARY KEY,
  call_id     text NOT NULL,
  server      text NOT NULL,
  name        text NOT NULL,
  endpoint    text NOT NULL,
  created_at  timestamptz NOT NULL,
  answered_at timestamptz,
  ended_at    timestamptz,
  cause       int,
  cause_text  text
);

CREATE INDEX legs_call_idx ON legs (call_id);

CREATE TABLE events (
  -- Arrival order: assigned in the order rows are written.
  seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  call_id     text,
  server      text NOT NULL,
  type        text NOT NULL,
  channel_id  text,
  received_at timestamptz NOT NULL,
  payload     jsonb NOT NULL
);

CREATE INDEX events_call_seq_idx ON events (call_id, seq);

-- Maintained per batch so statistics never count the events table.
CREATE TABLE event_type_counts (
  type  text PRIMARY KEY,
  count bigint NOT NULL DEFAULT 0
);

CREATE TABLE outbox (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sink            text NOT NULL,
  call_id         text NOT NULL,
  event_type      text NOT NULL,
  idempotency_key text NOT NULL UNIQUE,
  payload         jsonb NOT NULL,
  status          text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'delivering', 'delivered', 'dead')),
  attempts        int NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  delivered_at    timestamptz,
  locked_until    timestamptz
);

CREATE INDEX outbox_due_idx ON outbox (status, next_attempt_at);
CREATE INDEX outbox_sink_call_idx ON outbox (sink, call_id, id);
