-- A gap's backfill from Asterisk's CEL (src/cel, src/app/cel-backfill.ts): when it ran and what it found.
-- Null: not backfilled (no CEL source configured for the server, or its source could not be read).
ALTER TABLE ingest_gaps ADD COLUMN backfilled_at timestamptz, ADD COLUMN backfill jsonb;
