-- /metrics showed the outbox by status with a count over the whole table:
-- 322 ms a scrape at 2,000,000 delivered rows (scripts/bench-lists.sh),
-- and the table only grows. Counted as rows move instead, as the inbox's
-- counts are (migration 014): signed deltas appended in the transaction
-- that inserts, changes or removes rows, folded by the scheduler's look
-- once a minute; a scrape sums a handful of rows.
CREATE TABLE outbox_count (
	status text NOT NULL,
	n bigint NOT NULL
);
CREATE INDEX outbox_count_status_idx ON outbox_count (status);

CREATE FUNCTION outbox_count_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO outbox_count (status, n) SELECT status, count(*) FROM outbox_new GROUP BY status;
	RETURN NULL;
END $$;
CREATE TRIGGER outbox_count_insert AFTER INSERT ON outbox
	REFERENCING NEW TABLE AS outbox_new
	FOR EACH STATEMENT EXECUTE FUNCTION outbox_count_insert();

CREATE FUNCTION outbox_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO outbox_count (status, n) SELECT status, -count(*) FROM outbox_old GROUP BY status;
	RETURN NULL;
END $$;
CREATE TRIGGER outbox_count_delete AFTER DELETE ON outbox
	REFERENCING OLD TABLE AS outbox_old
	FOR EACH STATEMENT EXECUTE FUNCTION outbox_count_delete();

-- a claim changes attempts, not the status: only a change of status moves a count
CREATE FUNCTION outbox_count_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO outbox_count (status, n) VALUES (OLD.status, -1), (NEW.status, 1);
	RETURN NULL;
END $$;
CREATE TRIGGER outbox_count_move AFTER UPDATE OF status ON outbox
	FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
	EXECUTE FUNCTION outbox_count_move();

INSERT INTO outbox_count (status, n) SELECT status, count(*) FROM outbox GROUP BY status;

-- Delivered notifications leave the table after [notify] keep_delivered_days
-- (store/outbox.c): a delivery record is not an audit record (the history
-- is, and each notification can be told again from its event), and the
-- relay's table stays the size of its work, not of fifteen years.
CREATE INDEX outbox_delivered_idx ON outbox (delivered_at) WHERE status = 'delivered';
