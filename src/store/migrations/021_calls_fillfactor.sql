-- A call row is rewritten several times while the call runs; room left on each page lets PostgreSQL
-- update it in place (HOT) when no indexed column changed, instead of adding an entry to every index.
ALTER TABLE calls SET (fillfactor = 60);
ALTER TABLE legs SET (fillfactor = 70);
