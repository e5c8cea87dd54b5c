-- Conversations recorded by a routing policy (a number or extension that records its calls): the file is a
-- stored recording on Asterisk under `id`; this row ties it to the tenant and to the call through the
-- caller's channel (a leg of the call).
CREATE TABLE call_recordings (
  id           text PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  server       text NOT NULL,
  channel_id   text NOT NULL,
  from_number  text,
  policy       text NOT NULL CHECK (policy IN ('number', 'extension')),
  duration_s   int NOT NULL CHECK (duration_s >= 0),
  started_at   timestamptz NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX call_recordings_channel_idx ON call_recordings (tenant_id, channel_id);
CREATE INDEX call_recordings_tenant_idx ON call_recordings (tenant_id, created_at DESC);
CREATE INDEX call_recordings_age_idx ON call_recordings (created_at);
