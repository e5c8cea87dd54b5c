-- CRM sync: what each CRM knows a call as, and the rotating OAuth tokens of CRM applications.

CREATE TABLE crm_links (
  -- Our call id; for a click-to-call before its call exists, the channel id we originated.
  call_id          text NOT NULL,
  sink             text NOT NULL,
  -- The CRM's own id of the call (Bitrix24's CALL_ID).
  external_call_id text,
  -- CRM entity ids, lead creation errors, and which delivery steps are done (so a retry never repeats them).
  data             jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (call_id, sink)
);

CREATE INDEX crm_links_external_idx ON crm_links (sink, external_call_id);

CREATE TABLE crm_tokens (
  sink          text PRIMARY KEY,
  access_token  text NOT NULL,
  refresh_token text NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- A dead delivery retried (or a call replayed) by an operator gets a full maximum age again from here;
-- created_at keeps saying when the change happened.
ALTER TABLE outbox ADD COLUMN revived_at timestamptz;
