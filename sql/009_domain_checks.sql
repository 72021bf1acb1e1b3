-- The checks on the tables every lifecycle event writes become domains.
-- PostgreSQL rebuilds a table's CHECK constraints for every statement that
-- inserts into or updates it (it reads each stored expression back and plans
-- it again: stringToNode, then expression_planner), and an UPDATE checks them
-- all whether or not it sets the columns they cover. Every event updates its
-- project (four checks on columns it never touches), and appends an audit
-- event and notifications (one check each): measured at 3 to 10 % of the
-- database's time per event (bench/README.md). A domain states the same rule,
-- but it is checked only where a value is written to such a column, and its
-- expression is kept ready in the type cache. The rules themselves do not
-- change: every row already satisfies them.
CREATE DOMAIN fiscal_year AS int CHECK (VALUE BETWEEN 2000 AND 2100);
CREATE DOMAIN fen AS bigint CHECK (VALUE >= 0);
CREATE DOMAIN funding_source AS text
	CHECK (VALUE IN ('special_funds', 'work_funds', 'lottery_funds'));
CREATE DOMAIN procurement_method AS text
	CHECK (VALUE IN ('public_tender', 'invited_tender', 'competitive_negotiation',
		'competitive_consultation', 'single_source'));
CREATE DOMAIN event_seq AS int CHECK (VALUE > 0);
CREATE DOMAIN outbox_status AS text CHECK (VALUE IN ('pending', 'delivered', 'dead'));

ALTER TABLE project
	DROP CONSTRAINT project_fiscal_year_check,
	DROP CONSTRAINT project_budget_fen_check,
	DROP CONSTRAINT project_funding_source_check,
	DROP CONSTRAINT project_method_check,
	ALTER COLUMN fiscal_year TYPE fiscal_year,
	ALTER COLUMN budget_fen TYPE fen,
	ALTER COLUMN funding_source TYPE funding_source,
	ALTER COLUMN method TYPE procurement_method;
ALTER TABLE project_event
	DROP CONSTRAINT project_event_seq_check,
	ALTER COLUMN seq TYPE event_seq;
ALTER TABLE outbox
	DROP CONSTRAINT outbox_status_check,
	ALTER COLUMN status TYPE outbox_status;
