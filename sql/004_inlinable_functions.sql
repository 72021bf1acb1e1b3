-- Honest volatility, so the planner inlines these SQL functions into the
-- statements that call them. Declared IMMUTABLE (us2ts) or STRICT
-- (event_hash) over bodies that are STABLE and not strict, PostgreSQL refused
-- to inline them and ran every call through fmgr_sql, re-planning the body
-- on each execution: it tripled the database's work per event (bench/README.md).
-- The bodies are unchanged, so every hash already written still verifies.
CREATE OR REPLACE FUNCTION us2ts(bigint) RETURNS timestamptz
	LANGUAGE sql STABLE STRICT PARALLEL SAFE
	RETURN 'epoch'::timestamptz + $1 * interval '1 microsecond';
CREATE OR REPLACE FUNCTION event_hash(prev bytea, project_id bigint, seq int, event text,
		from_state text, to_state text, actor text, at timestamptz, payload jsonb)
	RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE
	RETURN sha256(prev || convert_to(concat_ws(E'\x1f', project_id::text, seq::text, event,
		from_state, to_state, actor, ts2us(at)::text, payload::text), 'UTF8'));
