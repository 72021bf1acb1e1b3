-- The console's inbox shows how many projects wait in each state. Counted
-- at read time that is an aggregate over every project in the user's scope
-- (24-29 ms at 100,000, and four clients on two cores queue behind it:
-- bench-tasks.sh, p99 204 ms). Counted as projects move instead: every
-- insert or change of state appends signed deltas per agency and state,
-- in the transaction that moves the project (so a count is exact at any
-- snapshot), and a reader sums the few rows of the agencies in scope.
-- Only appends, never an update of a shared row: two daemons writing
-- projects of one agency never wait on each other's counter, nor deadlock.
-- The daemon folds the deltas into one row per agency and state once a
-- minute (project_count_fold in the store). Projects are never deleted
-- (migration 007), so inserts and updates are all there is to follow.
CREATE TABLE project_count (
	agency text NOT NULL,
	state text NOT NULL,
	n bigint NOT NULL
);
CREATE INDEX project_count_agency_idx ON project_count (agency, state);

CREATE FUNCTION project_count_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO project_count (agency, state, n)
		SELECT agency, state, count(*) FROM project_new GROUP BY agency, state;
	RETURN NULL;
END $$;
CREATE TRIGGER project_count_insert AFTER INSERT ON project
	REFERENCING NEW TABLE AS project_new
	FOR EACH STATEMENT EXECUTE FUNCTION project_count_insert();

CREATE FUNCTION project_count_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO project_count (agency, state, n)
		VALUES (OLD.agency, OLD.state, -1), (NEW.agency, NEW.state, 1);
	RETURN NULL;
END $$;
CREATE TRIGGER project_count_move AFTER UPDATE OF state, agency ON project
	FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.agency IS DISTINCT FROM NEW.agency)
	EXECUTE FUNCTION project_count_move();

INSERT INTO project_count (agency, state, n)
	SELECT agency, state, count(*) FROM project GROUP BY agency, state;
