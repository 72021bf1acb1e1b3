-- /metrics showed the outbox by status with a count over the whole table:
-- 322 ms a scrape at 2,000,000 delivered rows (scripts/bench-lists.sh),
-- and the table only grows. The delivered and dead rows are counted as
-- rows move instead, as the inbox's counts are (migration 014): signed
-- deltas appended by the statement that changes or removes rows, folded
-- by the scheduler's look once a minute; a scrape sums a handful of rows.
CREATE TABLE outbox_count (
	status text NOT NULL CHECK (status IN ('delivered', 'dead')),
	n bigint NOT NULL
);
CREATE INDEX outbox_count_status_idx ON outbox_count (status);

-- Only the statuses a row ends in are counted here, by the statements
-- that move rows into or out of them (store/outbox.c: an acknowledged
-- batch, the dead, a resend, the removal of delivered rows), one delta a
-- statement. The event write, which inserts pending rows, adds nothing;
-- the pending rows are counted through their own partial index, bounded by
-- the backlog.
INSERT INTO outbox_count (status, n)
	SELECT status, count(*) FROM outbox WHERE status <> 'pending' GROUP BY status;

-- Delivered notifications leave the table after [notify] keep_delivered_days
-- (store/outbox.c): a delivery record is not an audit record (the history
-- is, and each notification can be told again from its event), and the
-- relay's table stays the size of its work, not of fifteen years.
CREATE INDEX outbox_delivered_idx ON outbox (delivered_at) WHERE status = 'delivered';
