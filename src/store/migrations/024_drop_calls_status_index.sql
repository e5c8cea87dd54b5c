-- Every call row is written about twice while the call runs, almost always with a new status, so the
-- update cannot stay on its page (HOT) and adds an entry to every index of the table. The status index
-- earned nothing for that: a listing by status walks the listing index (finished calls, the bulk) or the
-- partial index of calls not yet finished (ringing and answered ones), which PostgreSQL picks for a status
-- filter by itself. One index fewer to maintain on each of those writes.
DROP INDEX IF EXISTS calls_status_started_idx;
