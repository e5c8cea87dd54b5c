-- The call record is kept as the JSON text the engine wrote (json, not jsonb): listings send it out as it
-- is, with its fields in the order the API documents, without parsing and re-serializing it; nothing
-- queries inside it (the columns beside it exist for that).
ALTER TABLE calls ALTER COLUMN record TYPE json USING record::json;
