-- Next year's funding need, reported by every agency to the finance bureau
-- at its level before the year ends (003 §3.5). The figures are computed
-- from the contracts, positions and approved projects (store/fundplan.c);
-- what is kept here is the plan's course: reported (with the figures as
-- they stood), returned, confirmed, and the escalations of a plan not
-- reported in time, each an event in an insert-only, hash-chained history
-- like a project's.
CREATE TABLE funding_plan (
	agency text NOT NULL REFERENCES agency (code),
	year int NOT NULL CHECK (year BETWEEN 2000 AND 2100),
	state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'reported', 'confirmed')),
	version int NOT NULL DEFAULT 0,
	due_at timestamptz NOT NULL,
	escalated int NOT NULL DEFAULT 0 CHECK (escalated BETWEEN 0 AND 3),
	-- the next escalation's time while the plan is not reported; NULL after
	next_check timestamptz,
	reported jsonb,			-- the plan's figures as reported
	reported_by bigint REFERENCES app_user (id),
	last_seq int NOT NULL DEFAULT 0,
	last_hash bytea NOT NULL DEFAULT '\x'::bytea,
	created_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL,
	PRIMARY KEY (agency, year)
);
CREATE INDEX funding_plan_check_idx ON funding_plan (next_check) WHERE next_check IS NOT NULL;

CREATE TABLE funding_plan_event (
	agency text NOT NULL,
	year int NOT NULL,
	seq int NOT NULL CHECK (seq > 0),
	event text NOT NULL,
	from_state text NOT NULL,
	to_state text NOT NULL,
	actor text NOT NULL,
	actor_id bigint,
	at timestamptz NOT NULL,
	payload jsonb NOT NULL,
	prev_hash bytea NOT NULL,
	hash bytea NOT NULL,
	PRIMARY KEY (agency, year, seq),
	FOREIGN KEY (agency, year) REFERENCES funding_plan (agency, year)
);

-- The hash of a plan's event, as event_hash() is a project's.
CREATE FUNCTION plan_event_hash(prev bytea, agency text, year int, seq int, event text,
		from_state text, to_state text, actor text, at timestamptz, payload jsonb)
	RETURNS bytea LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN sha256(prev || convert_to(concat_ws(E'\x1f', agency, year::text, seq::text, event,
		from_state, to_state, actor, ts2us(at)::text, payload::text), 'UTF8'));

CREATE FUNCTION funding_plan_event_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'funding_plan_event is insert-only (% refused)', TG_OP
		USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER funding_plan_event_no_update BEFORE UPDATE OR DELETE ON funding_plan_event
	FOR EACH ROW EXECUTE FUNCTION funding_plan_event_immutable();
CREATE TRIGGER funding_plan_event_no_truncate BEFORE TRUNCATE ON funding_plan_event
	FOR EACH STATEMENT EXECUTE FUNCTION funding_plan_event_immutable();
