-- Deadlines that escalate by themselves, and incidents that need a person.
-- Each row is one firing: a reminder (level 1), the first escalation at the
-- due time (2), the second after a further delay (3), or a timed lifecycle
-- event the daemon performs itself (level 0: close_bidding, start_service).
CREATE TABLE deadline (
	id bigserial PRIMARY KEY,
	project_id bigint NOT NULL REFERENCES project (id),
	state text NOT NULL,		-- the state it belongs to
	kind text NOT NULL,		-- "budget_review", "challenge:12", "close_bidding", …
	level int NOT NULL CHECK (level BETWEEN 0 AND 3),
	event text NOT NULL,		-- escalate, close_bidding, start_service
	due_at timestamptz NOT NULL,	-- the legal due time
	fire_at timestamptz NOT NULL,	-- when this firing happens
	status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'fired', 'cancelled')),
	fired_at timestamptz,
	created_at timestamptz NOT NULL
);
CREATE INDEX deadline_pending_idx ON deadline (project_id, fire_at) WHERE status = 'pending';
CREATE INDEX deadline_due_idx ON deadline (due_at) WHERE status = 'pending';

CREATE TABLE incident (
	id bigserial PRIMARY KEY,
	kind text NOT NULL,		-- calendar_missing, notification_dead
	project_id bigint,
	year int,
	outbox_id bigint,
	detail text NOT NULL,
	created_at timestamptz NOT NULL,
	resolved_at timestamptz
);
-- one open incident per missing year and project, per dead notification
CREATE UNIQUE INDEX incident_calendar_idx ON incident (project_id, year)
	WHERE kind = 'calendar_missing' AND resolved_at IS NULL;
CREATE UNIQUE INDEX incident_outbox_idx ON incident (outbox_id)
	WHERE kind = 'notification_dead' AND resolved_at IS NULL;
CREATE INDEX incident_open_idx ON incident (id) WHERE resolved_at IS NULL;

-- the relay's claim: due rows in order
CREATE INDEX outbox_status_idx ON outbox (status, id);
