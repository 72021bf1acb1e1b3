-- Every event updates its project row. With room left on each page the update
-- can be HOT (heap-only: no index entry written) when no indexed column
-- changes, which is the case for every event that stays in its state.
ALTER TABLE project SET (fillfactor = 80);
-- The relay only needs the pending rows (outbox_pending_idx); listing dead
-- ones for an admin needs only those: a partial index instead of one over
-- every row's status, which each queued notification had to maintain.
DROP INDEX outbox_status_idx;
CREATE INDEX outbox_dead_idx ON outbox (id) WHERE status = 'dead';
