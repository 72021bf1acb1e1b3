-- procurd core schema: agencies, users, catalogue, budgets, contractors,
-- projects with their audit history, bids, scores, challenges, evaluations,
-- idempotent answers and the notification outbox.
-- Times are timestamptz; money is bigint fen; the daemon's clock (which tests
-- may move) writes every time, never now().

-- Exact conversions between the daemon's microseconds and timestamptz.
CREATE FUNCTION us2ts(bigint) RETURNS timestamptz
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN 'epoch'::timestamptz + $1 * interval '1 microsecond';
CREATE FUNCTION ts2us(timestamptz) RETURNS bigint
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN ((extract(epoch FROM $1 - 'epoch'::timestamptz)) * 1000000)::bigint;

CREATE TABLE agency (
	code text PRIMARY KEY CHECK (code ~ '^[0-9A-Za-z_-]{1,32}$'),
	name text NOT NULL CHECK (name <> ''),
	level text NOT NULL CHECK (level IN ('province', 'city', 'county', 'township')),
	parent text REFERENCES agency (code),
	-- '/43/4301/430102/': a user sees the agencies whose path starts with its own
	path text NOT NULL UNIQUE,
	created_at timestamptz NOT NULL
);
CREATE INDEX agency_path_idx ON agency (path text_pattern_ops);

CREATE TABLE app_user (
	id bigserial PRIMARY KEY,
	name text NOT NULL UNIQUE CHECK (name <> ''),
	roles text[] NOT NULL CHECK (cardinality(roles) > 0),
	agency text NOT NULL REFERENCES agency (code),
	token_hash bytea NOT NULL UNIQUE,	-- sha256 of the bearer token
	created_at timestamptz NOT NULL
);

CREATE TABLE catalog_item (
	code text PRIMARY KEY CHECK (code ~ '^[0-9A-Za-z_.-]{1,64}$'),
	name text NOT NULL CHECK (name <> ''),
	category text NOT NULL CHECK (category <> ''),
	level text NOT NULL DEFAULT 'county' CHECK (level IN ('province', 'city', 'county', 'township', 'village')),
	approved boolean NOT NULL DEFAULT false,
	purchasable boolean NOT NULL DEFAULT false,
	-- administrative functions and confidential matters may never be bought (001 §2.2, 000 §4.1)
	restricted boolean NOT NULL DEFAULT false,
	CHECK (NOT (restricted AND purchasable)),
	created_at timestamptz NOT NULL
);

CREATE TABLE budget (
	agency text NOT NULL REFERENCES agency (code),
	fiscal_year int NOT NULL CHECK (fiscal_year BETWEEN 2000 AND 2100),
	special_funds_fen bigint NOT NULL DEFAULT 0 CHECK (special_funds_fen >= 0),
	work_funds_fen bigint NOT NULL DEFAULT 0 CHECK (work_funds_fen >= 0),
	lottery_funds_fen bigint NOT NULL DEFAULT 0 CHECK (lottery_funds_fen >= 0),
	cap_bp int NOT NULL CHECK (cap_bp BETWEEN 0 AND 10000),	-- basis points: 200 = 2 %
	updated_at timestamptz NOT NULL,
	PRIMARY KEY (agency, fiscal_year)
);

CREATE TABLE contractor (
	id bigserial PRIMARY KEY,
	name text NOT NULL CHECK (name <> ''),
	kind text NOT NULL CHECK (kind IN ('social_organization', 'public_institution', 'enterprise')),
	credit_code text NOT NULL UNIQUE,
	independent_liability boolean NOT NULL DEFAULT false,
	facilities boolean NOT NULL DEFAULT false,
	staff boolean NOT NULL DEFAULT false,
	professional_capability boolean NOT NULL DEFAULT false,
	governance boolean NOT NULL DEFAULT false,
	financial_management boolean NOT NULL DEFAULT false,
	created_by text NOT NULL REFERENCES agency (code),
	created_at timestamptz NOT NULL
);

CREATE TABLE contractor_ban (
	id bigserial PRIMARY KEY,
	contractor_id bigint NOT NULL REFERENCES contractor (id),
	reason text NOT NULL,
	starts date NOT NULL,
	ends date NOT NULL CHECK (ends > starts),
	project_id bigint NOT NULL,
	created_at timestamptz NOT NULL
);
CREATE INDEX contractor_ban_idx ON contractor_ban (contractor_id, starts, ends);

CREATE TABLE project (
	id bigserial PRIMARY KEY,
	agency text NOT NULL REFERENCES agency (code),
	fiscal_year int NOT NULL CHECK (fiscal_year BETWEEN 2000 AND 2100),
	title text NOT NULL DEFAULT '',
	catalog_items text[] NOT NULL DEFAULT '{}',
	budget_fen bigint CHECK (budget_fen >= 0),
	funding_source text CHECK (funding_source IN ('special_funds', 'work_funds', 'lottery_funds')),
	method text CHECK (method IN ('public_tender', 'invited_tender', 'competitive_negotiation',
		'competitive_consultation', 'single_source')),
	quantity text NOT NULL DEFAULT '',
	quality_standard text NOT NULL DEFAULT '',
	service_start date,
	service_end date,
	state text NOT NULL DEFAULT 'draft',
	version int NOT NULL DEFAULT 0,	-- the create event makes it 1
	-- the earliest pending deadline: one indexed query finds what is due
	next_check timestamptz,
	created_by bigint NOT NULL REFERENCES app_user (id),
	submitted_by bigint REFERENCES app_user (id),
	completed_by bigint REFERENCES app_user (id),
	budget_approved boolean NOT NULL DEFAULT false,
	round int NOT NULL DEFAULT 1,	-- a retender or a new method opens a new bid round
	published_at timestamptz,
	bid_deadline timestamptz,
	requirements text,
	evaluators_required int,
	criteria jsonb,
	award_bid_id bigint,
	award_contractor_id bigint,
	award_price_fen bigint,
	awarded_at timestamptz,
	contract jsonb,			-- {contract_no, amount_fen, takeover_plan, signed_at}
	paid_fen bigint,
	evaluation jsonb,
	predecessor_id bigint REFERENCES project (id),
	successor_id bigint REFERENCES project (id),
	-- head of the audit chain: the last event's sequence and hash
	last_seq int NOT NULL DEFAULT 0,
	last_hash bytea NOT NULL DEFAULT '\x'::bytea,
	created_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL
);
CREATE INDEX project_agency_idx ON project (agency, id);
CREATE INDEX project_state_idx ON project (state, id);
CREATE INDEX project_next_check_idx ON project (next_check) WHERE next_check IS NOT NULL;
-- the special funds approved per agency and year, for the 2 % cap
CREATE INDEX project_special_idx ON project (agency, fiscal_year)
	WHERE budget_approved AND funding_source = 'special_funds';

-- The audit history: insert-only, each event hash-chained to the previous one.
CREATE TABLE project_event (
	project_id bigint NOT NULL REFERENCES project (id),
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
	PRIMARY KEY (project_id, seq)
);

-- The one definition of an event's hash, used when writing and verifying:
-- sha256(previous hash || the event's canonical text). jsonb's text form is
-- canonical (keys sorted, no insignificant space), times are printed in UTC.
CREATE FUNCTION event_hash(prev bytea, project_id bigint, seq int, event text,
		from_state text, to_state text, actor text, at timestamptz, payload jsonb)
	RETURNS bytea LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN sha256(prev || convert_to(concat_ws(E'\x1f', project_id::text, seq::text, event,
		from_state, to_state, actor, ts2us(at)::text, payload::text), 'UTF8'));

CREATE FUNCTION project_event_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'project_event is insert-only (% refused)', TG_OP
		USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER project_event_no_update BEFORE UPDATE OR DELETE ON project_event
	FOR EACH ROW EXECUTE FUNCTION project_event_immutable();
CREATE TRIGGER project_event_no_truncate BEFORE TRUNCATE ON project_event
	FOR EACH STATEMENT EXECUTE FUNCTION project_event_immutable();

CREATE TABLE bid (
	id bigserial PRIMARY KEY,
	project_id bigint NOT NULL REFERENCES project (id),
	contractor_id bigint NOT NULL REFERENCES contractor (id),
	price_fen bigint NOT NULL CHECK (price_fen > 0),
	round int NOT NULL DEFAULT 1,	-- a retender opens a new round
	declined boolean NOT NULL DEFAULT false,
	created_by bigint NOT NULL REFERENCES app_user (id),
	created_at timestamptz NOT NULL,
	UNIQUE (project_id, round, contractor_id)
);

CREATE TABLE score_sheet (
	bid_id bigint NOT NULL REFERENCES bid (id),
	evaluator_id bigint NOT NULL REFERENCES app_user (id),
	scores jsonb NOT NULL,
	quality_sum double precision NOT NULL,
	created_at timestamptz NOT NULL,
	PRIMARY KEY (bid_id, evaluator_id)
);

CREATE TABLE challenge (
	id bigserial PRIMARY KEY,
	project_id bigint NOT NULL REFERENCES project (id),
	supplier text NOT NULL,
	text text NOT NULL,
	opened_at timestamptz NOT NULL,
	answer_due timestamptz NOT NULL,
	answer text,
	answered_at timestamptz
);
CREATE INDEX challenge_project_idx ON challenge (project_id);

CREATE TABLE evaluation (
	project_id bigint PRIMARY KEY REFERENCES project (id),
	contractor_id bigint NOT NULL REFERENCES contractor (id),
	agency text NOT NULL REFERENCES agency (code),
	fiscal_year int NOT NULL,
	purchaser_score double precision NOT NULL,
	recipient_satisfaction double precision NOT NULL,
	third_party_score double precision NOT NULL,
	composite double precision NOT NULL,
	published_at timestamptz NOT NULL
);
CREATE INDEX evaluation_contractor_idx ON evaluation (contractor_id, fiscal_year);
CREATE INDEX evaluation_year_idx ON evaluation (fiscal_year, project_id);

-- A retried request with the same Idempotency-Key gets the first answer.
CREATE TABLE idempotency (
	user_id bigint NOT NULL,
	key text NOT NULL,
	project_id bigint NOT NULL,
	request_hash bytea NOT NULL,
	status int NOT NULL,
	body text NOT NULL,
	created_at timestamptz NOT NULL,
	PRIMARY KEY (user_id, key)
);

-- Notifications: written in the event's transaction, relayed after commit.
CREATE TABLE outbox (
	id bigserial PRIMARY KEY,
	project_id bigint,
	event_seq int,
	channel text NOT NULL,
	recipient text NOT NULL,
	template text NOT NULL,
	lang text NOT NULL DEFAULT 'zh',
	data jsonb NOT NULL,
	status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
	attempts int NOT NULL DEFAULT 0,
	next_attempt_at timestamptz NOT NULL,
	last_error text,
	created_at timestamptz NOT NULL,
	delivered_at timestamptz
);
CREATE INDEX outbox_pending_idx ON outbox (next_attempt_at, id) WHERE status = 'pending';

-- Working-day calendar: official holidays and 调休 working weekends per year.
CREATE TABLE calendar_year (
	year int PRIMARY KEY,
	source text NOT NULL,
	loaded_at timestamptz NOT NULL
);
CREATE TABLE calendar_day (
	day date PRIMARY KEY,
	kind text NOT NULL CHECK (kind IN ('rest', 'work')),
	note text NOT NULL DEFAULT ''
);

-- The adjustable clock's offset, so a restart keeps the time tests moved to.
CREATE TABLE clock_state (
	id int PRIMARY KEY CHECK (id = 1),
	offset_us bigint NOT NULL
);
INSERT INTO clock_state VALUES (1, 0);
