-- Rows the database refused for a reason retrying cannot fix (a value over an index entry's size, a number
-- out of its column's range, ...): the batch they came in is written without them, and they are kept here with
-- the error, so one bad event never stops ingest and nothing is lost without a trace. `data` is the refused
-- row as JSON text, kept as text so that it can never be refused itself.
CREATE TABLE quarantine (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('event', 'call', 'leg', 'outbox')),
  call_id     text,
  server      text,
  type        text,
  sqlstate    text,
  error       text NOT NULL,
  data        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- POST /api/events with an Idempotency-Key: the first answer, given again for the same key and body for
-- 24 hours. A row without an answer is a request still running (or one whose process died: taken over
-- after a while).
CREATE TABLE api_idempotency (
  principal    text NOT NULL,
  key          text NOT NULL,
  request_hash text NOT NULL,
  status_code  int,
  response     text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  PRIMARY KEY (principal, key)
);

CREATE INDEX api_idempotency_created_idx ON api_idempotency (created_at);

-- The last batch of each engine run that was stored, written in the batch's own transaction. A stop that
-- cannot wait for the database spools what is not yet stored; a batch whose COMMIT was under way may still
-- have been stored, and the next start asks this table instead of writing it twice.
CREATE TABLE ingest_marks (
  run_id     text PRIMARY KEY,
  batch      bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Times the engine could not see a server's events: its socket was down, or the engine itself was not running.
-- What happened on the PBX meanwhile is known only from Asterisk's own records (CEL), which these windows point at.
CREATE TABLE ingest_gaps (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  server     text NOT NULL,
  from_at    timestamptz NOT NULL,
  to_at      timestamptz NOT NULL,
  reason     text NOT NULL CHECK (reason IN ('disconnected', 'engine_down')),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ingest_gaps_server_idx ON ingest_gaps (server, from_at);
