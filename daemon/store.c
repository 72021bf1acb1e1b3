/* The store: the only file with SQL. Every statement is named, prepared and
 * parameterised; one lifecycle event is one transaction. */
#include "store.h"

#include <sys/socket.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <event2/event.h>
#include "clock.h"
#include "coro.h"
#include "durable.h"
#include "jsonw.h"
#include "log.h"
#include "metrics.h"
#include "notice.h"
#include "outage.h"

/* ------------------------------------------------------------------------ */
/* Statements: one table, prepared on each connection on first use.        */

enum stmt {
	S_USER_BY_TOKEN,
	S_USER_ADD,
	S_USER_LIST,
	S_AGENCY_INFO,
	S_AGENCY_BY_CODE,
	S_AGENCY_ADD,
	S_BUDGET_PUT,
	S_BUDGET_GET,
	S_BUDGET_FOR_UPDATE,
	S_SPECIAL_COMMITTED,
	S_CATALOG_ADD,
	S_CATALOG_LIST,
	S_CATALOG_UPDATE,
	S_CATALOG_STATUS,
	S_CONTRACTOR_ADD,
	S_CONTRACTOR_GET,
	S_CONTRACTOR_BANS,
	S_CONTRACTOR_EVALS,
	S_CONTRACTOR_BANNED_ON,
	S_PROJECT_CREATE,
	S_PROJECT_GET,
	S_PROJECT_LOCK,
	S_PROJECT_WARM,
	S_PROJECT_LIST,
	S_EVENT_WRITE,
	S_EVENT_WRITE_LIGHT,
	S_EVENT_WRITE_LIGHT_GROUP,
	S_COMMIT_FLUSH,
	S_EVENT_LIST,
	S_IDEM_GET,
	S_IDEM_PUT,
	S_BID_ADD,
	S_BID_LIST,
	S_BIDS_FOR_RANKING,
	S_BID_GET,
	S_SCORE_ADD,
	S_CHALLENGES,
	S_CHALLENGE_OPEN,
	S_CHALLENGE_ANSWER,
	S_SET_SUBMITTED,
	S_SET_BUDGET_APPROVED,
	S_SET_PUBLISHED,
	S_SET_ROUND,
	S_SET_METHOD,
	S_SET_AWARD,
	S_BID_DECLINE,
	S_SET_CONTRACT,
	S_SET_COMPLETED,
	S_SET_PAID,
	S_SET_EVALUATION,
	S_EVALUATION_ADD,
	S_EVALUATION_LIST,
	S_BAN_ADD,
	S_SUCCESSOR_CREATE,
	S_SET_SUCCESSOR,
	S_CLOCK_GET,
	S_CLOCK_SET,
	S_LAST_EVENT_AT,
	S_VERIFY,
	S_VERIFY_HEADS,
	S_CAL_YEAR,
	S_CAL_DEL_YEAR,
	S_CAL_DAY,
	S_CAL_READ_YEARS,
	S_CAL_READ_DAYS,
	S_MIG_APPLIED,
	S_MIG_RECORD,
	S_GAUGES,
	S_SET_CONFIG,
	S_DUE_CLAIM,
	S_DUE_DEADLINES,
	S_NEXT_DUE,
	S_DEADLINE_DROP,
	S_DEADLINE_LIST,
	S_INCIDENT_LIST,
	S_INCIDENTS_OPEN,
	S_CAL_INCIDENTS,
	S_CAL_DEADLINES,
	S_CAL_DEADLINE_SET,
	S_CAL_RESOLVE,
	S_OUTBOX_DEAD,
	S_OUTBOX_CLAIM,
	S_OUTBOX_UNSEND,
	S_OUTBOX_DELIVERED,
	S_OUTBOX_FAILED,
	S_OUTBOX_NEXT,
	S_OUTBOX_LIST,
	S_OUTBOX_RESEND,
	S__COUNT
};

/* Columns of a project as the API shows it and the guards read it. */
#define PROJECT_COLS \
	"p.id, p.agency, p.fiscal_year, p.title, array_to_json(p.catalog_items)::text, " \
	"p.budget_fen, p.funding_source, p.method, p.quantity, p.quality_standard, " \
	"p.service_start::text, p.service_end::text, p.state, p.version, ts2us(p.next_check), " \
	"p.created_by, p.submitted_by, p.completed_by, ts2us(p.published_at), " \
	"ts2us(p.bid_deadline), p.requirements, p.evaluators_required, p.criteria::text, " \
	"p.award_bid_id, p.award_contractor_id, p.award_price_fen, ts2us(p.awarded_at), " \
	"p.contract::text, p.paid_fen, p.evaluation::text, p.predecessor_id, p.successor_id, " \
	"p.last_seq, encode(p.last_hash, 'hex'), ts2us(p.created_at), ts2us(p.updated_at), " \
	"p.budget_approved, p.round"
/* What the scope check and the notifications need of the project's agency
 * comes from the agency cache (agency_info), not from a join. */
#define PROJECT_FROM " FROM project p "
enum {
	PC_ID, PC_AGENCY, PC_YEAR, PC_TITLE, PC_ITEMS, PC_BUDGET, PC_FUNDING, PC_METHOD,
	PC_QUANTITY, PC_QUALITY, PC_START, PC_END, PC_STATE, PC_VERSION, PC_NEXT_CHECK,
	PC_CREATED_BY, PC_SUBMITTED_BY, PC_COMPLETED_BY, PC_PUBLISHED_AT, PC_BID_DEADLINE,
	PC_REQUIREMENTS, PC_EVALUATORS, PC_CRITERIA, PC_AWARD_BID, PC_AWARD_CONTRACTOR,
	PC_AWARD_PRICE, PC_AWARDED_AT, PC_CONTRACT, PC_PAID, PC_EVALUATION, PC_PREDECESSOR,
	PC_SUCCESSOR, PC_LAST_SEQ, PC_LAST_HASH, PC_CREATED_AT, PC_UPDATED_AT,
	PC_BUDGET_APPROVED, PC_ROUND, PC__COUNT
};

/* The light event write (see S_EVENT_WRITE_LIGHT), with EXTRA CTEs after
 * its own and EXTRA_FROM joined to its answer. */
#define EVENT_WRITE_LIGHT(extra, extra_from) \
	"WITH p AS (UPDATE project SET version = version + 1, last_seq = $2, " \
	"last_hash = event_hash(decode($10, 'hex'), $1, $2, $3, $4, $5, $6, us2ts($8), $9::jsonb), " \
	"updated_at = us2ts($8) WHERE id = $1 AND version = $12 " \
	"RETURNING version, next_check, last_hash), " \
	"e AS (INSERT INTO project_event (project_id, seq, event, from_state, to_state, " \
	"actor, actor_id, at, payload, prev_hash, hash) SELECT $1, $2::int, $3, $4, $5, $6, $7, " \
	"us2ts($8), $9::jsonb, decode($10, 'hex'), p.last_hash FROM p), " \
	"o AS (INSERT INTO outbox (project_id, event_seq, channel, recipient, template, lang, " \
	"data, next_attempt_at, created_at) SELECT $1, $2, x->>'channel', x->>'recipient', " \
	"x->>'template', coalesce(x->>'lang', 'zh'), x->'data', us2ts($8), us2ts($8) " \
	"FROM p, jsonb_array_elements($11::jsonb) AS x)" extra " " \
	"SELECT p.version, encode(p.last_hash, 'hex'), 0, 0, 0, ts2us(p.next_check), 0 FROM p" extra_from

static const char *const stmt_sql[S__COUNT] = {
	[S_USER_BY_TOKEN] =
	    "SELECT u.id, u.name, array_to_string(u.roles, ','), u.agency, a.path, a.level "
	    "FROM app_user u JOIN agency a ON a.code = u.agency "
	    "WHERE u.token_hash = sha256(convert_to($1, 'UTF8'))",
	[S_USER_ADD] =
	    "INSERT INTO app_user (name, roles, agency, token_hash, created_at) "
	    "VALUES ($1, string_to_array($2, ','), $3, sha256(convert_to($4, 'UTF8')), us2ts($5)) "
	    "RETURNING id",
	[S_USER_LIST] =
	    "SELECT id, name, array_to_string(roles, ','), agency FROM app_user ORDER BY id",
	[S_AGENCY_INFO] =
	    "SELECT a.path, a.parent, a.lang, coalesce(pa.lang, a.lang) FROM agency a "
	    "LEFT JOIN agency pa ON pa.code = a.parent WHERE a.code = $1",
	[S_AGENCY_BY_CODE] =
	    "SELECT code, name, level, parent, path, ts2us(created_at), lang FROM agency WHERE code = $1",
	[S_AGENCY_ADD] =
	    "INSERT INTO agency (code, name, level, parent, path, created_at, lang) "
	    "VALUES ($1, $2, $3, $4, coalesce((SELECT path FROM agency WHERE code = $4), '/') "
	    "|| $1 || '/', us2ts($5), coalesce($6, 'zh')) RETURNING path",
	[S_BUDGET_PUT] =
	    "INSERT INTO budget (agency, fiscal_year, special_funds_fen, work_funds_fen, "
	    "lottery_funds_fen, cap_bp, updated_at) VALUES ($1, $2, $3, $4, $5, $6, us2ts($7)) "
	    "ON CONFLICT (agency, fiscal_year) DO UPDATE SET special_funds_fen = EXCLUDED.special_funds_fen, "
	    "work_funds_fen = EXCLUDED.work_funds_fen, lottery_funds_fen = EXCLUDED.lottery_funds_fen, "
	    "cap_bp = EXCLUDED.cap_bp, updated_at = EXCLUDED.updated_at",
	[S_BUDGET_GET] =
	    "SELECT special_funds_fen, work_funds_fen, lottery_funds_fen, cap_bp, "
	    "(SELECT coalesce(sum(budget_fen), 0) FROM project WHERE agency = $1 AND fiscal_year = $2 "
	    "AND budget_approved AND funding_source = 'special_funds' AND state <> 'cancelled'), "
	    "ts2us(updated_at) FROM budget WHERE agency = $1 AND fiscal_year = $2",
	/* Locking the budget row serialises every approval against the same
	 * cap: two finance users approving at once cannot both slip under it. */
	[S_BUDGET_FOR_UPDATE] =
	    "SELECT special_funds_fen, work_funds_fen, lottery_funds_fen, cap_bp "
	    "FROM budget WHERE agency = $1 AND fiscal_year = $2 FOR UPDATE",
	[S_SPECIAL_COMMITTED] =
	    "SELECT coalesce(sum(budget_fen), 0) FROM project WHERE agency = $1 AND fiscal_year = $2 "
	    "AND budget_approved AND funding_source = 'special_funds' AND state <> 'cancelled' "
	    "AND id <> $3",
	[S_CATALOG_ADD] =
	    "INSERT INTO catalog_item (code, name, category, level, approved, purchasable, restricted, "
	    "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, us2ts($8))",
	[S_CATALOG_LIST] =
	    "SELECT code, name, category, level, approved, purchasable, restricted FROM catalog_item "
	    "ORDER BY code",
	[S_CATALOG_UPDATE] =
	    "UPDATE catalog_item SET name = coalesce($2, name), category = coalesce($3, category), "
	    "level = coalesce($4, level), approved = coalesce($5::boolean, approved), "
	    "purchasable = coalesce($6::boolean, purchasable), restricted = coalesce($7::boolean, restricted) "
	    "WHERE code = $1 RETURNING code, name, category, level, approved, purchasable, restricted",
	[S_CATALOG_STATUS] =
	    "SELECT i.code, c.code IS NOT NULL, coalesce(c.approved, false), coalesce(c.purchasable, false) "
	    "FROM jsonb_array_elements_text($1::jsonb) WITH ORDINALITY AS i(code, n) "
	    "LEFT JOIN catalog_item c ON c.code = i.code "
	    "ORDER BY i.n",
	[S_CONTRACTOR_ADD] =
	    "INSERT INTO contractor (name, kind, credit_code, independent_liability, facilities, staff, "
	    "professional_capability, governance, financial_management, created_by, created_at) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, us2ts($11)) RETURNING id",
	[S_CONTRACTOR_GET] =
	    "SELECT id, name, kind, credit_code, independent_liability, facilities, staff, "
	    "professional_capability, governance, financial_management, ts2us(created_at) "
	    "FROM contractor WHERE id = $1",
	[S_CONTRACTOR_BANS] =
	    "SELECT reason, starts::text, ends::text, project_id FROM contractor_ban "
	    "WHERE contractor_id = $1 ORDER BY starts, id",
	[S_CONTRACTOR_EVALS] =
	    "SELECT project_id, fiscal_year, agency, purchaser_score, recipient_satisfaction, "
	    "third_party_score, composite, ts2us(published_at) FROM evaluation "
	    "WHERE contractor_id = $1 ORDER BY fiscal_year DESC, project_id DESC",
	[S_CONTRACTOR_BANNED_ON] =
	    "SELECT EXISTS (SELECT 1 FROM contractor_ban WHERE contractor_id = $1 "
	    "AND starts <= $2::date AND ends > $2::date)",
	[S_PROJECT_CREATE] =
	    "INSERT INTO project (agency, fiscal_year, title, catalog_items, budget_fen, funding_source, "
	    "method, quantity, quality_standard, service_start, service_end, created_by, created_at, "
	    "updated_at, predecessor_id) VALUES ($1, $2, $3, "
	    "ARRAY(SELECT jsonb_array_elements_text($4::jsonb)), $5, $6, $7, $8, $9, $10::date, "
	    "$11::date, $12, us2ts($13), us2ts($13), $14) RETURNING id",
	[S_PROJECT_GET] =
	    "SELECT " PROJECT_COLS PROJECT_FROM "WHERE p.id = $1",
	[S_PROJECT_LOCK] =
	    "SELECT " PROJECT_COLS PROJECT_FROM
	    "WHERE p.id = $1 FOR UPDATE OF p",
	/* the project cache's start: the projects still under way, a page at a time */
	[S_PROJECT_WARM] =
	    "SELECT " PROJECT_COLS PROJECT_FROM "WHERE p.id > $1 AND NOT p.state = ANY($2::text[]) "
	    "ORDER BY p.id LIMIT $3",
	/* Keyset pagination over id; the scope is the user's agency path. */
	[S_PROJECT_LIST] =
	    "SELECT " PROJECT_COLS PROJECT_FROM "JOIN agency a ON a.code = p.agency "
	    "WHERE starts_with(a.path, $1) AND ($2::text IS NULL OR p.state = $2) "
	    "AND ($3::text IS NULL OR p.agency = $3) AND p.id > $4 "
	    "AND ($5::boolean IS NULL OR ((p.next_check IS NOT NULL AND p.next_check <= us2ts($6)) = $5)) "
	    "ORDER BY p.id LIMIT $7",
	/* One statement writes the audit event (hash-chained to the previous
	 * one), moves the project and queues its notifications. */
	[S_EVENT_WRITE] =
	    "WITH e AS (INSERT INTO project_event (project_id, seq, event, from_state, to_state, "
	    "actor, actor_id, at, payload, prev_hash, hash) SELECT $1, $2::int, $3, $4, $5, $6, $7, v.at, "
	    "v.pl, v.prev, event_hash(v.prev, $1, $2, $3, $4, $5, $6, v.at, v.pl) FROM (SELECT "
	    "$9::jsonb AS pl, us2ts($8) AS at, decode($10, 'hex') AS prev) v RETURNING hash), "
	    /* leaving a state cancels its deadlines; a firing marks its own */
	    "dc AS (UPDATE deadline SET status = CASE WHEN id = $13::bigint THEN 'fired' ELSE 'cancelled' END, "
	    "fired_at = CASE WHEN id = $13 THEN us2ts($8) END WHERE project_id = $1 "
	    "AND status = 'pending' AND ($12::boolean OR id = $13::bigint OR kind = $15::text) RETURNING id), "
	    "dn AS (INSERT INTO deadline (project_id, state, kind, level, event, due_at, fire_at, "
	    "created_at, origin_at, period) SELECT $1, x.state, x.kind, x.level, x.event, "
	    "us2ts(x.due), us2ts(x.fire), us2ts($8), us2ts(x.origin), x.period "
	    "FROM jsonb_to_recordset($14::jsonb) AS x(state text, kind text, level int, "
	    "event text, due bigint, fire bigint, origin bigint, period text) RETURNING fire_at), "
	    /* the statement sees the deadlines as they were before it: the
	     * next check is what stays pending plus what is new */
	    "nc AS (SELECT min(t) AS t FROM (SELECT fire_at AS t FROM deadline WHERE project_id = $1 "
	    "AND status = 'pending' AND NOT $12::boolean AND id IS DISTINCT FROM $13::bigint "
	    "AND kind IS DISTINCT FROM $15::text UNION ALL SELECT fire_at FROM dn) s), "
	    "old AS (SELECT next_check AS t FROM project WHERE id = $1), "
	    "p AS (UPDATE project SET state = $5, version = version + 1, last_seq = $2, "
	    "last_hash = e.hash, updated_at = us2ts($8), next_check = nc.t FROM e, nc "
	    "WHERE id = $1 RETURNING version, next_check), "
	    /* wake the timers of every daemon only when the next check moved earlier */
	    "n AS (SELECT pg_notify('procurd_deadline', '') FROM p, old WHERE p.next_check IS NOT NULL "
	    "AND (old.t IS NULL OR p.next_check < old.t)), "
	    "i AS (INSERT INTO incident (kind, project_id, year, detail, created_at) "
	    "SELECT 'calendar_missing', $1, $16::int, 'no working-day calendar for ' || $16::int || "
	    "': its deadlines run in calendar days until one is loaded', us2ts($8) "
	    "WHERE $16::int IS NOT NULL ON CONFLICT DO NOTHING RETURNING id), "
	    "o AS (INSERT INTO outbox (project_id, event_seq, channel, recipient, template, lang, "
	    "data, next_attempt_at, created_at) SELECT $1, $2, x->>'channel', x->>'recipient', "
	    "x->>'template', coalesce(x->>'lang', 'zh'), x->'data', us2ts($8), us2ts($8) "
	    "FROM jsonb_array_elements($11::jsonb) AS x RETURNING id) "
	    "SELECT (SELECT version FROM p), encode((SELECT hash FROM e), 'hex'), "
	    "(SELECT count(*) FROM o), (SELECT count(*) FROM n), (SELECT count(*) FROM i), "
	    "ts2us((SELECT next_check FROM p)), (SELECT count(*) FROM dc)",
	/* The same without deadline work, for an event that stays in its state
	 * and plans no deadline (supervision records, escalations of other
	 * deadlines): it applies only while the project is still at the version
	 * the event was decided on ($12), and then all of it. An event decided on
	 * a row read without a lock (lifecycle_stays) sends it alone, its own
	 * transaction: no row back means the project moved meanwhile, nothing was
	 * written, and the caller decides again. Under the lock it always
	 * applies. The UPDATE comes first and computes the hash; the history and
	 * outbox rows take theirs from its one row (no CTE is read twice, so none
	 * is materialised). */
	[S_EVENT_WRITE_LIGHT] = EVENT_WRITE_LIGHT("", ""),
	/* The same under group commit (durable.h): its transaction commits
	 * without waiting for the WAL flush, and its answer waits for a flush
	 * that started after it instead. */
	[S_EVENT_WRITE_LIGHT_GROUP] = EVENT_WRITE_LIGHT(
	    ", a AS (SELECT set_config('synchronous_commit', 'off', true))", ", a"),
	/* Group commit's flush: a transaction that writes WAL (here a
	 * transactional logical message: one small record, no table) commits at
	 * the session's synchronous_commit level, never lowered here, so its
	 * commit flushes the WAL up to its own record, and with it every commit
	 * made anywhere before it started. One that only takes a transaction id
	 * (pg_current_xact_id()) would not do: PostgreSQL commits a transaction
	 * that wrote nothing before its commit record without waiting for the
	 * flush. */
	[S_COMMIT_FLUSH] = "SELECT pg_logical_emit_message(true, 'procurd', '')",
	[S_EVENT_LIST] =
	    "SELECT seq, event, from_state, to_state, actor, ts2us(at), payload::text, "
	    "encode(prev_hash, 'hex'), encode(hash, 'hex') FROM project_event "
	    "WHERE project_id = $1 ORDER BY seq",
	[S_IDEM_GET] =
	    "SELECT status, body, request_hash = sha256(convert_to($3, 'UTF8')), project_id "
	    "FROM idempotency WHERE user_id = $1 AND key = $2",
	[S_IDEM_PUT] =
	    "INSERT INTO idempotency (user_id, key, project_id, request_hash, status, body, created_at) "
	    "VALUES ($1, $2, $3, sha256(convert_to($4, 'UTF8')), $5, $6, us2ts($7))",
	[S_BID_ADD] =
	    "INSERT INTO bid (project_id, contractor_id, price_fen, round, created_by, created_at) "
	    "VALUES ($1, $2, $3, $4, $5, us2ts($6)) RETURNING id",
	[S_BID_LIST] =
	    "SELECT b.id, b.contractor_id, c.name, b.price_fen, b.round, b.declined, ts2us(b.created_at), "
	    "(SELECT count(*) FROM score_sheet s WHERE s.bid_id = b.id) "
	    "FROM bid b JOIN contractor c ON c.id = b.contractor_id WHERE b.project_id = $1 "
	    "ORDER BY b.round, b.id",
	/* Bids of the current round with what ranking needs: sheets, their
	 * quality sums, qualification, ban on the bid date and past composites. */
	[S_BIDS_FOR_RANKING] =
	    "SELECT b.id, b.contractor_id, b.price_fen, b.declined, "
	    "(SELECT count(*) FROM score_sheet s WHERE s.bid_id = b.id), "
	    "(SELECT coalesce(sum(s.quality_sum), 0) FROM score_sheet s WHERE s.bid_id = b.id), "
	    "(SELECT avg(e.composite) FROM evaluation e WHERE e.contractor_id = b.contractor_id "
	    "AND e.fiscal_year >= $3::int - $4::int AND e.fiscal_year < $3::int), "
	    "(c.independent_liability AND c.facilities AND c.staff AND c.professional_capability "
	    "AND c.governance AND c.financial_management), "
	    "EXISTS (SELECT 1 FROM contractor_ban x WHERE x.contractor_id = b.contractor_id "
	    "AND x.starts <= b.created_at::date AND x.ends > b.created_at::date) "
	    "FROM bid b JOIN contractor c ON c.id = b.contractor_id "
	    "WHERE b.project_id = $1 AND b.round = $2 ORDER BY b.id",
	[S_BID_GET] =
	    "SELECT id, contractor_id, price_fen, round FROM bid WHERE id = $1 AND project_id = $2",
	[S_SCORE_ADD] =
	    "INSERT INTO score_sheet (bid_id, evaluator_id, scores, quality_sum, created_at) "
	    "VALUES ($1, $2, $3::jsonb, $4, us2ts($5))",
	[S_CHALLENGES] =
	    "SELECT id, answered_at IS NULL, ts2us(answer_due), supplier, text, ts2us(opened_at), answer, "
	    "ts2us(answered_at) FROM challenge WHERE project_id = $1 ORDER BY id",
	[S_CHALLENGE_OPEN] =
	    "INSERT INTO challenge (project_id, supplier, text, opened_at, answer_due) "
	    "VALUES ($1, $2, $3, us2ts($4), us2ts($5)) RETURNING id",
	[S_CHALLENGE_ANSWER] =
	    "UPDATE challenge SET answer = $3, answered_at = us2ts($4) "
	    "WHERE id = $1 AND project_id = $2 AND answered_at IS NULL",
	[S_SET_SUBMITTED] =
	    "UPDATE project SET submitted_by = $2 WHERE id = $1",
	[S_SET_BUDGET_APPROVED] =
	    "UPDATE project SET budget_approved = $2 WHERE id = $1",
	[S_SET_PUBLISHED] =
	    "UPDATE project SET published_at = us2ts($2), bid_deadline = us2ts($3), requirements = $4, "
	    "evaluators_required = $5, criteria = $6::jsonb WHERE id = $1",
	[S_SET_ROUND] =
	    "UPDATE project SET round = round + 1, published_at = us2ts($2), bid_deadline = us2ts($3), "
	    "award_bid_id = NULL, award_contractor_id = NULL, award_price_fen = NULL, awarded_at = NULL "
	    "WHERE id = $1",
	[S_SET_METHOD] =
	    "UPDATE project SET method = $2, budget_approved = false, round = round + 1, "
	    "bid_deadline = NULL, published_at = NULL, award_bid_id = NULL, award_contractor_id = NULL, "
	    "award_price_fen = NULL, awarded_at = NULL WHERE id = $1",
	[S_SET_AWARD] =
	    "UPDATE project SET award_bid_id = $2, award_contractor_id = $3, award_price_fen = $4, "
	    "awarded_at = us2ts($5) WHERE id = $1",
	[S_BID_DECLINE] =
	    "UPDATE bid SET declined = true WHERE id = $1",
	[S_SET_CONTRACT] =
	    "UPDATE project SET contract = $2::jsonb WHERE id = $1",
	[S_SET_COMPLETED] =
	    "UPDATE project SET completed_by = $2 WHERE id = $1",
	[S_SET_PAID] =
	    "UPDATE project SET paid_fen = $2 WHERE id = $1",
	[S_SET_EVALUATION] =
	    "UPDATE project SET evaluation = $2::jsonb WHERE id = $1",
	[S_EVALUATION_ADD] =
	    "INSERT INTO evaluation (project_id, contractor_id, agency, fiscal_year, purchaser_score, "
	    "recipient_satisfaction, third_party_score, composite, published_at) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, us2ts($9))",
	[S_EVALUATION_LIST] =
	    "SELECT e.project_id, e.contractor_id, c.name, e.agency, e.fiscal_year, e.purchaser_score, "
	    "e.recipient_satisfaction, e.third_party_score, e.composite, ts2us(e.published_at), p.title "
	    "FROM evaluation e JOIN contractor c ON c.id = e.contractor_id "
	    "JOIN project p ON p.id = e.project_id WHERE e.fiscal_year = $1 ORDER BY e.project_id",
	[S_BAN_ADD] =
	    "INSERT INTO contractor_ban (contractor_id, reason, starts, ends, project_id, created_at) "
	    "VALUES ($1, $2, $3::date, $4::date, $5, us2ts($6))",
	/* The successor keeps agency, items, quantities and quality standard,
	 * with the budget that was not paid out. */
	[S_SUCCESSOR_CREATE] =
	    "INSERT INTO project (agency, fiscal_year, title, catalog_items, budget_fen, funding_source, "
	    "method, quantity, quality_standard, service_start, service_end, created_by, created_at, "
	    "updated_at, predecessor_id) SELECT agency, fiscal_year, title || $2, catalog_items, "
	    "greatest(coalesce((contract->>'amount_fen')::bigint, budget_fen) - coalesce(paid_fen, 0), 0), "
	    "funding_source, method, quantity, quality_standard, greatest(service_start, $3::date), "
	    "service_end, $4, us2ts($5), us2ts($5), id FROM project WHERE id = $1 RETURNING id",
	[S_SET_SUCCESSOR] =
	    "UPDATE project SET successor_id = $2 WHERE id = $1",
	[S_CLOCK_GET] = "SELECT offset_us FROM clock_state WHERE id = 1",
	[S_CLOCK_SET] = "UPDATE clock_state SET offset_us = $1 WHERE id = 1",
	[S_LAST_EVENT_AT] = "SELECT ts2us(max(at)) FROM project_event",
	/* Recompute every hash with the same function that wrote it. */
	[S_VERIFY] =
	    "SELECT project_id, seq, encode(prev_hash, 'hex'), encode(hash, 'hex'), "
	    "encode(event_hash(prev_hash, project_id, seq, event, from_state, to_state, actor, at, "
	    "payload), 'hex') FROM project_event ORDER BY project_id, seq",
	/* a chain cut at its end leaves the project's head pointing at nothing */
	[S_VERIFY_HEADS] =
	    "SELECT p.id, p.last_seq FROM project p LEFT JOIN project_event e ON e.project_id = p.id "
	    "AND e.seq = p.last_seq WHERE (p.last_seq > 0 AND (e.hash IS NULL OR e.hash <> p.last_hash)) "
	    "OR EXISTS (SELECT 1 FROM project_event x WHERE x.project_id = p.id AND x.seq > p.last_seq) "
	    "ORDER BY p.id LIMIT 1",
	[S_CAL_YEAR] =
	    "INSERT INTO calendar_year (year, source, loaded_at) VALUES ($1, $2, us2ts($3)) "
	    "ON CONFLICT (year) DO UPDATE SET source = EXCLUDED.source, loaded_at = EXCLUDED.loaded_at",
	[S_CAL_DEL_YEAR] =
	    "DELETE FROM calendar_day WHERE day >= make_date($1, 1, 1) AND day < make_date($1 + 1, 1, 1)",
	[S_CAL_DAY] =
	    "INSERT INTO calendar_day (day, kind, note) VALUES ($1::date, $2, $3) "
	    "ON CONFLICT (day) DO UPDATE SET kind = EXCLUDED.kind, note = EXCLUDED.note",
	[S_CAL_READ_YEARS] = "SELECT year FROM calendar_year ORDER BY year",
	[S_CAL_READ_DAYS] =
	    "SELECT (day - DATE '1970-01-01'), kind FROM calendar_day ORDER BY day",
	[S_MIG_APPLIED] = "SELECT version FROM schema_migrations ORDER BY version",
	/* the daemon's timer: projects with something due, claimed so that two
	 * daemons never fire one deadline twice */
	[S_DUE_CLAIM] =
	    "SELECT id FROM project WHERE next_check <= us2ts($1) ORDER BY next_check "
	    "LIMIT $2 FOR UPDATE SKIP LOCKED",
	[S_DUE_DEADLINES] =
	    "SELECT id, kind, level, event, ts2us(due_at), ts2us(fire_at) FROM deadline "
	    "WHERE project_id = $1 AND status = 'pending' AND fire_at <= us2ts($2) "
	    "ORDER BY fire_at, level, id",
	[S_NEXT_DUE] =
	    "SELECT ts2us(min(next_check)) FROM project WHERE next_check IS NOT NULL",
	/* a firing that cannot happen (its guard refused) is dropped, and the
	 * project's next check moves on; with $2 NULL nothing is dropped and
	 * only the next check is computed again (it said due, nothing was) */
	[S_DEADLINE_DROP] =
	    "WITH d AS (UPDATE deadline SET status = 'cancelled' WHERE project_id = $1 "
	    "AND status = 'pending' AND id = $2::bigint RETURNING id) "
	    "UPDATE project SET next_check = (SELECT min(fire_at) FROM deadline WHERE project_id = $1 "
	    "AND status = 'pending' AND id NOT IN (SELECT id FROM d)) WHERE id = $1",
	[S_DEADLINE_LIST] =
	    "SELECT d.id, d.project_id, d.state, d.kind, d.level, d.event, ts2us(d.due_at), "
	    "ts2us(d.fire_at), p.agency, p.title FROM deadline d JOIN project p ON p.id = d.project_id "
	    "JOIN agency a ON a.code = p.agency WHERE d.status = 'pending' AND starts_with(a.path, $1) "
	    "AND ($2::bigint IS NULL OR d.due_at <= us2ts($2)) AND d.id > $3 ORDER BY d.id LIMIT $4",
	[S_INCIDENT_LIST] =
	    "SELECT i.id, i.kind, i.project_id, i.year, i.outbox_id, i.detail, ts2us(i.created_at), "
	    "ts2us(i.resolved_at) FROM incident i LEFT JOIN project p ON p.id = i.project_id "
	    "LEFT JOIN agency a ON a.code = p.agency WHERE (a.path IS NULL OR starts_with(a.path, $1)) "
	    "AND ($2::boolean OR i.resolved_at IS NULL) ORDER BY i.id",
	/* A calendar arrived: the incidents of the years it covers, and the
	 * counted periods of their projects, to count again. */
	[S_CAL_INCIDENTS] =
	    "SELECT i.id, i.project_id, i.year FROM incident i JOIN project p ON p.id = i.project_id "
	    "WHERE i.kind = 'calendar_missing' AND i.resolved_at IS NULL "
	    "AND i.year = ANY($1::int[]) ORDER BY i.project_id FOR UPDATE OF i, p",
	[S_CAL_DEADLINES] =
	    "SELECT id, level, ts2us(origin_at), period FROM deadline WHERE project_id = $1 "
	    "AND status = 'pending' AND origin_at IS NOT NULL AND period IS NOT NULL",
	[S_CAL_DEADLINE_SET] =
	    "UPDATE deadline SET due_at = us2ts($2), fire_at = us2ts($3) WHERE id = $1",
	[S_CAL_RESOLVE] =
	    "WITH i AS (UPDATE incident SET resolved_at = us2ts($3), detail = detail || "
	    "' (counted again when the calendar arrived)' WHERE id = $1 RETURNING id), "
	    "p AS (UPDATE project SET next_check = (SELECT min(fire_at) FROM deadline "
	    "WHERE project_id = $2 AND status = 'pending') WHERE id = $2 RETURNING next_check) "
	    "SELECT pg_notify('procurd_deadline', ''), (SELECT count(*) FROM i), (SELECT count(*) FROM p)",
	/* Notifications past their last attempt are dead, and each is an
	 * incident a person must look at. */
	[S_OUTBOX_DEAD] =
	    "WITH d AS (UPDATE outbox SET status = 'dead', last_error = coalesce(last_error, "
	    "'no acknowledgement within the lease') WHERE status = 'pending' AND attempts >= $2 "
	    "AND next_attempt_at <= us2ts($1) RETURNING id, project_id, template, recipient, last_error) "
	    "INSERT INTO incident (kind, project_id, outbox_id, detail, created_at) "
	    "SELECT 'notification_dead', project_id, id, 'notification ' || id || ' (' || template || "
	    "' to ' || recipient || ') is dead: ' || last_error, us2ts($1) FROM d "
	    "ON CONFLICT DO NOTHING RETURNING outbox_id",
	/* Claim due rows and lease them: not acked by next_attempt_at, they are
	 * sent again, each time later (exponential backoff with jitter). */
	[S_OUTBOX_CLAIM] =
	    "UPDATE outbox o SET attempts = o.attempts + 1, next_attempt_at = us2ts($1 + $3 + "
	    "(least(power(2, o.attempts), 64) * $4 * (0.8 + random() * 0.4))::bigint) "
	    "FROM (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= us2ts($1) "
	    "ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED) c WHERE o.id = c.id "
	    "RETURNING o.id, o.channel, o.recipient, o.template, o.lang, o.project_id, o.data::text, "
	    "o.attempts",
	[S_OUTBOX_UNSEND] =
	    "UPDATE outbox SET attempts = greatest(attempts - 1, 0), next_attempt_at = us2ts($2) "
	    "WHERE id = ANY($1::bigint[]) AND status = 'pending'",
	[S_OUTBOX_DELIVERED] =
	    "UPDATE outbox SET status = 'delivered', delivered_at = us2ts($2), last_error = NULL "
	    "WHERE id = ANY($1::bigint[]) AND status = 'pending'",
	[S_OUTBOX_FAILED] =
	    "UPDATE outbox SET last_error = $2, next_attempt_at = us2ts($3 + "
	    "(least(power(2, attempts), 64) * $4 * (0.8 + random() * 0.4))::bigint) "
	    "WHERE id = $1 AND status = 'pending'",
	[S_OUTBOX_NEXT] =
	    "SELECT ts2us(min(next_attempt_at)) FROM outbox WHERE status = 'pending'",
	[S_OUTBOX_LIST] =
	    "SELECT o.id, o.project_id, o.channel, o.recipient, o.template, o.status, o.attempts, "
	    "ts2us(o.next_attempt_at), o.last_error, ts2us(o.created_at), ts2us(o.delivered_at) "
	    "FROM outbox o LEFT JOIN project p ON p.id = o.project_id "
	    "LEFT JOIN agency a ON a.code = p.agency WHERE (a.path IS NULL OR starts_with(a.path, $1)) "
	    "AND ($2::text IS NULL OR o.status = $2) AND o.id > $3 ORDER BY o.id LIMIT $4",
	/* One statement: the row in the admin's scope (locked), put back to
	 * pending when it is dead, its incident resolved; answers what it was. */
	[S_OUTBOX_RESEND] =
	    "WITH cur AS (SELECT o.id, o.status FROM outbox o LEFT JOIN project p ON p.id = o.project_id "
	    "LEFT JOIN agency a ON a.code = p.agency WHERE o.id = $1 "
	    "AND (a.path IS NULL OR starts_with(a.path, $3)) FOR UPDATE OF o), "
	    "u AS (UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = us2ts($2), "
	    "last_error = NULL WHERE id = (SELECT id FROM cur WHERE status = 'dead') RETURNING id), "
	    "i AS (UPDATE incident SET resolved_at = us2ts($2) WHERE outbox_id IN (SELECT id FROM u) "
	    "AND resolved_at IS NULL) "
	    "SELECT (SELECT status FROM cur), (SELECT count(*) FROM u)",
	[S_INCIDENTS_OPEN] = "SELECT count(*) FROM incident WHERE resolved_at IS NULL",
	[S_SET_CONFIG] = "SELECT set_config($1, $2, false)",
	[S_GAUGES] =
	    "SELECT count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'delivered'), "
	    "count(*) FILTER (WHERE status = 'dead'), "
	    "coalesce(ts2us(min(created_at) FILTER (WHERE status = 'pending')), 0) FROM outbox",
	[S_MIG_RECORD] =
	    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())",
};

struct db {
	PGconn *conn;
	char *conninfo;
	char *set_name, *set_value;	/* a session setting to keep across reconnects */
	bool prepared[S__COUNT];
	char errbuf[512];
	/* a migration changed a table under our prepared statements: forget
	 * them before the next job (they fail until prepared again) */
	bool reprepare;
	unsigned generation;		/* counts connections made: a new socket */
	usec_t connected_at;		/* monotonic, when the current one was made */
	uint64_t queries;		/* sent, for group commit's leaders */
	/* an event decided without a lock: every statement but its conditional
	 * write is refused (and BLOCKED set), so nothing else runs outside the
	 * event's transaction; the caller then takes the locked path */
	bool opt_only, opt_blocked;
	/* the last write went on a pipe (store_pipes_start) that was lost with
	 * it in flight: its outcome is unknown, the answer says unavailable */
	bool pipe_lost;
	/* a COMMIT, or a statement that is its own transaction, was sent since
	 * db_sent_clear(): a loss now leaves the outcome unknown */
	bool sent_commit;
	/* set: the connection is nonblocking and WAIT suspends the caller
	 * (a coroutine) until its socket is ready; unset: libpq blocks */
	int (*wait)(void *arg, int fd, bool write);
	void *wait_arg;
};

static void set_dberr(struct db *db, const PGresult *r);
static void set_errbuf(struct db *db, const char *m, const char *dflt);

/* Wait until FD is readable (WRITE: writable): through the waiter when there
 * is one, else (or when it cannot) with poll(2). */
static void
wait_fd(struct db *db, int fd, bool write)
{
	if (fd < 0)
		return;	/* libpq dropped the socket: its next call reports it */
	if (db->wait && db->wait(db->wait_arg, fd, write) == 0)
		return;
	struct pollfd p = { .fd = fd, .events = (short)(write ? POLLOUT : POLLIN) };
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
}

/* Before reading a result: on a nonblocking connection, send what is queued
 * and wait until the result is whole, suspending only the caller. */
static void
await_result(struct db *db)
{
	if (db->wait == NULL)
		return;	/* PQgetResult() blocks the thread, as it should there */
	int fd = PQsocket(db->conn), f;
	while ((f = PQflush(db->conn)) == 1)
		wait_fd(db, fd, true);
	if (f < 0)
		return;	/* PQgetResult() reports the broken connection */
	while (PQisBusy(db->conn)) {
		wait_fd(db, fd, false);
		if (!PQconsumeInput(db->conn))
			return;
	}
}

static PGresult *
next_result(struct db *db)
{
	await_result(db);
	return PQgetResult(db->conn);
}

/* What PQexec would answer — the last result, or the first error — for a query
 * already sent (SENT is the PQsend*() return), without blocking a coroutine's
 * thread. NULL only when nothing could be sent; PQresultStatus(NULL) is an
 * error and set_dberr() then reads the connection's message. */
static PGresult *
collect(struct db *db, int sent)
{
	PGresult *keep = NULL, *r;
	db->queries++;
	if (!sent)
		return NULL;
	while ((r = next_result(db)) != NULL) {
		ExecStatusType st = PQresultStatus(keep);
		if (keep && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
			PQclear(r);	/* the first error stays */
			continue;
		}
		PQclear(keep);
		keep = r;
		if (PQstatus(db->conn) == CONNECTION_BAD)
			break;
	}
	return keep;
}

static PGresult *
exec_simple(struct db *db, const char *sql)
{
	return collect(db, PQsendQuery(db->conn, sql));
}

/* ------------------------------------------------------------------------ */
/* Connections                                                              */

static void
on_notice(void *arg, const char *msg)
{
	(void)arg;
	log_debug("database: %.*s", (int)strcspn(msg, "\n"), msg);
}

static void
db_connect(struct db *db)
{
	if (db->conn)
		PQfinish(db->conn);
	db->generation++;
	if (db->wait) {
		/* a coroutine's connection: connect without holding the loop */
		db->conn = PQconnectStart(db->conninfo);
		if (db->conn && PQstatus(db->conn) != CONNECTION_BAD) {
			PostgresPollingStatusType st = PGRES_POLLING_WRITING;
			while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
				wait_fd(db, PQsocket(db->conn), st == PGRES_POLLING_WRITING);
				st = PQconnectPoll(db->conn);
			}
		}
	} else {
		db->conn = PQconnectdb(db->conninfo);
	}
	memset(db->prepared, 0, sizeof db->prepared);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		/* said once per outage, not once per connection and request */
		outage_begin(PQerrorMessage(db->conn));
		set_errbuf(db, PQerrorMessage(db->conn), "cannot connect");
		return;
	}
	outage_end();
	db->connected_at = clock_monotonic();
	if (db->generation > 1) {
		/* A new connection after a lost one: the server may have restarted
		 * and, under group commit, lost commits not yet flushed, whose rows
		 * the project cache may hold. Nothing is decided on those: every
		 * job makes its connection before it reads the cache. */
		store_project_cache_forget();
	}
	PQsetNoticeProcessor(db->conn, on_notice, NULL);
	if (db->wait && PQsetnonblocking(db->conn, 1) != 0)
		log_warn("database: cannot make the connection nonblocking");
	/* the daemon's own clock writes every time; the session zone only
	 * matters for ::date casts, which follow China Standard Time */
	PGresult *r = collect(db, PQsendQueryParams(db->conn,
	    "SELECT set_config('TimeZone', 'Asia/Shanghai', false)", 0, NULL, NULL, NULL, NULL, 0));
	PQclear(r);
	if (db->set_name) {
		const char *v[2] = { db->set_name, db->set_value };
		r = collect(db, PQsendQueryParams(db->conn, "SELECT set_config($1, $2, false)", 2,
		    NULL, v, NULL, NULL, 0));
		PQclear(r);
	}
}

struct db *
db_new(const char *conninfo)
{
	struct db *db = xcalloc(1, sizeof *db);
	db->conninfo = xstrdup(conninfo ? conninfo : "");
	return db;
}

struct db *
db_open(const char *conninfo)
{
	struct db *db = db_new(conninfo);
	db_connect(db);
	return db;
}

void
db_set_waiter(struct db *db, int (*wait)(void *arg, int fd, bool write), void *arg)
{
	db->wait = wait;
	db->wait_arg = arg;
	if (db->conn && PQstatus(db->conn) == CONNECTION_OK &&
	    PQsetnonblocking(db->conn, wait != NULL) != 0)
		log_warn("database: cannot change the connection's blocking mode");
}

int
db_socket(struct db *db)
{
	return db->conn ? PQsocket(db->conn) : -1;
}

unsigned
db_generation(const struct db *db)
{
	return db->generation;
}

usec_t
db_connected_at(const struct db *db)
{
	return db->connected_at;
}

void
db_sent_clear(struct db *db)
{
	db->sent_commit = false;
}

uint64_t
db_queries(const struct db *db)
{
	return db->queries;
}

bool
db_idle_input(struct db *db)
{
	if (!db_ok(db) || !PQconsumeInput(db->conn) || PQstatus(db->conn) != CONNECTION_OK) {
		if (db->conn)
			set_dberr(db, NULL);
		return false;
	}
	return true;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	if (db->conn)
		PQfinish(db->conn);
	free(db->conninfo);
	free(db->set_name);
	free(db->set_value);
	free(db);
}

bool
db_ok(struct db *db)
{
	return db->conn && PQstatus(db->conn) == CONNECTION_OK;
}

bool
db_ensure(struct db *db)
{
	if (db_ok(db) && PQtransactionStatus(db->conn) != PQTRANS_IDLE &&
	    PQtransactionStatus(db->conn) != PQTRANS_UNKNOWN) {
		/* a job left a transaction open: never let it leak into the next */
		PGresult *r = exec_simple(db, "ROLLBACK");
		PQclear(r);
	}
	if (!db_ok(db) || PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
		db_connect(db);	/* prepares everything again as it is used */
		db->reprepare = false;
		return db_ok(db);
	}
	if (db->reprepare) {
		PGresult *r = exec_simple(db, "DEALLOCATE ALL");
		PQclear(r);
		memset(db->prepared, 0, sizeof db->prepared);
		db->reprepare = false;
		log_info("database: statements prepared again after a schema change");
	}
	return true;
}

const char *
db_error(struct db *db)
{
	return db->errbuf;
}

/* db_error()'s text: M (or DEFAULT when empty), without libpq's newline. */
static void
set_errbuf(struct db *db, const char *m, const char *dflt)
{
	snprintf(db->errbuf, sizeof db->errbuf, "%s", m && *m ? m : dflt);
	size_t n = strlen(db->errbuf);
	while (n > 0 && (db->errbuf[n - 1] == '\n' || db->errbuf[n - 1] == ' '))
		db->errbuf[--n] = '\0';
}

static void
set_dberr(struct db *db, const PGresult *r)
{
	const char *m = r ? PQresultErrorMessage(r) : PQerrorMessage(db->conn);
	const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (st && !strcmp(st, "0A000"))	/* "cached plan must not change result type" */
		db->reprepare = true;
	set_errbuf(db, m, "no answer");
}

static const char *
sqlstate(const PGresult *r)
{
	const char *s = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	return s ? s : "";
}

/* Run statement S with N text parameters (NULL = SQL NULL). Returns the
 * result (caller PQclear()s) or NULL on failure (db_error() says why; the
 * SQLSTATE is copied to STATE when not NULL). */
static bool
prepare(struct db *db, enum stmt s, char name[16], char state[6])
{
	if (state)
		state[0] = '\0';
	if (!db_ok(db)) {
		snprintf(db->errbuf, sizeof db->errbuf, "database unavailable");
		return false;
	}
	if (db->opt_only && s != S_EVENT_WRITE_LIGHT && s != S_EVENT_WRITE_LIGHT_GROUP) {
		db->opt_blocked = true;
		snprintf(db->errbuf, sizeof db->errbuf, "s%d needs the project locked", (int)s);
		return false;
	}
	/* "s<number>", as snprintf("s%d") would, without its cost on every query */
	char digits[21];
	size_t nd = i64_dec(digits, (int64_t)s);
	name[0] = 's';
	memcpy(name + 1, digits, nd);
	name[1 + nd] = '\0';
	if (db->prepared[s])
		return true;
	PGresult *r = collect(db, PQsendPrepare(db->conn, name, stmt_sql[s], 0, NULL));
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		set_dberr(db, r);
		if (state)
			snprintf(state, 6, "%s", sqlstate(r));
		log_error("database: prepare s%d: %s", (int)s, db->errbuf);
		PQclear(r);
		return false;
	}
	PQclear(r);
	db->prepared[s] = true;
	return true;
}

static PGresult *
run(struct db *db, enum stmt s, int n, const char *const *v, char state[6])
{
	char name[16];
	if (!prepare(db, s, name, state))
		return NULL;
	if (PQtransactionStatus(db->conn) == PQTRANS_IDLE)
		db->sent_commit = true;	/* its own transaction: it may commit */
	PGresult *r = collect(db, PQsendQueryPrepared(db->conn, name, n, v, NULL, NULL, 0));
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		set_dberr(db, r);
		if (state)
			snprintf(state, 6, "%s", sqlstate(r));
		PQclear(r);
		return NULL;
	}
	return r;
}

/* Statement S between BEFORE and AFTER ("BEGIN", "COMMIT" or NULL) in one
 * round trip, with libpq's pipeline mode: the hot path's BEGIN travels with
 * its lock, its write with its COMMIT. Returns S's result like run(); when
 * anything failed the transaction is left for rollback() to end. */
static PGresult *
run_piped(struct db *db, const char *before, enum stmt s, int n, const char *const *v,
    const char *after, char state[6])
{
	char name[16];
	PGresult *main_r = NULL, *r;
	bool ok = true;

	if (!prepare(db, s, name, state))
		return NULL;
	db->queries++;
	if (!PQenterPipelineMode(db->conn)) {
		set_dberr(db, NULL);
		return NULL;
	}
	int nq = 0, main_q;
	if (after || (before == NULL && PQtransactionStatus(db->conn) == PQTRANS_IDLE))
		db->sent_commit = true;
	if (before && PQsendQueryParams(db->conn, before, 0, NULL, NULL, NULL, NULL, 0))
		nq++;
	main_q = nq;
	if (PQsendQueryPrepared(db->conn, name, n, v, NULL, NULL, 0))
		nq++;
	if (after && PQsendQueryParams(db->conn, after, 0, NULL, NULL, NULL, NULL, 0))
		nq++;
	int expect = 1 + (before != NULL) + (after != NULL);
	if (nq != expect || !PQpipelineSync(db->conn)) {
		set_dberr(db, NULL);
		PQexitPipelineMode(db->conn);
		return NULL;
	}
	for (int q = 0; q < nq; q++) {
		while ((r = next_result(db)) != NULL) {
			ExecStatusType st = PQresultStatus(r);
			if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
				if (ok) {
					set_dberr(db, r);
					if (state)
						snprintf(state, 6, "%s", sqlstate(r));
				}
				ok = false;
				PQclear(r);
			} else if (q == main_q && main_r == NULL) {
				main_r = r;
			} else {
				PQclear(r);
			}
		}
	}
	/* the sync point */
	while ((r = next_result(db)) != NULL) {
		bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
		PQclear(r);
		if (sync)
			break;
	}
	PQexitPipelineMode(db->conn);
	if (!ok) {
		PQclear(main_r);
		return NULL;
	}
	return main_r;
}

/* Run and discard the result: 0 or -1. */
static int
run0(struct db *db, enum stmt s, int n, const char *const *v, char state[6])
{
	PGresult *r = run(db, s, n, v, state);
	if (r == NULL)
		return -1;
	PQclear(r);
	return 0;
}

static int
tx(struct db *db, const char *what)
{
	/* BEGIN, COMMIT and ROLLBACK carry no data: the simple protocol */
	PGresult *r;
	if (!db_ok(db)) {
		snprintf(db->errbuf, sizeof db->errbuf, "database unavailable");
		return -1;
	}
	if (!strcmp(what, "BEGIN"))
		r = exec_simple(db, "BEGIN");
	else if (!strcmp(what, "COMMIT"))
		r = (db->sent_commit = true, exec_simple(db, "COMMIT"));
	else
		r = exec_simple(db, "ROLLBACK");
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		set_dberr(db, r);
	PQclear(r);
	return ok ? 0 : -1;
}

static int
commit(struct db *db)
{
	if (tx(db, "COMMIT"))
		return -1;
	return 0;
}

static void
rollback(struct db *db)
{
	if (db_ok(db) && PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		tx(db, "ROLLBACK");
}

/* ------------------------------------------------------------------------ */
/* Small helpers                                                            */

void
apierr_set(struct apierr *e, int status, const char *code, json_t *details, const char *fmt, ...)
{
	va_list ap;
	if (e == NULL) {
		json_decref(details);
		return;
	}
	json_decref(e->details);
	e->status = status;
	snprintf(e->code, sizeof e->code, "%s", code);
	/* a message quotes what a request sent, cut to fit (by the buffer or a
	 * precision): it goes out as JSON, which holds only UTF-8 */
	va_start(ap, fmt);
	utf8_vformat(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
	e->details = details;
}

void
apierr_clear(struct apierr *e)
{
	json_decref(e->details);
	memset(e, 0, sizeof *e);
}

/* A database failure seen by a request: 503 when the connection is gone,
 * 500 otherwise (logged: it is our bug or an operator's problem). */
static json_t *
dbfail(struct req_ctx *c, const char *what)
{
	if (c->db->opt_blocked) {
		/* an unlocked decision met a statement that needs the lock: no
		 * error, the caller decides again on the locked row */
		c->db->opt_blocked = false;
		c->retry = RETRY_LOCK;
		return NULL;
	}
	if (!db_ok(c->db) || c->db->pipe_lost) {
		/* whether the request may have been applied: a COMMIT, or a
		 * statement outside a transaction, was sent before the loss */
		bool unknown = c->db->pipe_lost || c->db->sent_commit;
		c->db->pipe_lost = false;
		if (unknown)
			apierr_set(c->err, 503, "database_unavailable",
			    json_pack("{s:s}", "outcome", "unknown"),
			    "the database connection was lost while %s: it may or may not have been "
			    "recorded; retry with the same Idempotency-Key, or read to see", what);
		else
			apierr_set(c->err, 503, "database_unavailable",
			    json_pack("{s:s}", "outcome", "not_applied"),
			    "the database is unavailable; nothing was recorded; retry later");
	} else {
		log_error("database: %s: %s", what, db_error(c->db));
		apierr_set(c->err, 500, "internal", NULL, "internal error while %s", what);
	}
	rollback(c->db);
	return NULL;
}

static json_t *
fail(struct req_ctx *c, int status, const char *code, json_t *details, const char *msg)
{
	apierr_set(c->err, status, code, details, "%s", msg);
	rollback(c->db);
	return NULL;
}

/* Text parameters: a small ring of buffers per call site. */
struct pbuf {
	char b[16][64];
	int n;
};

static const char *
pi64(struct pbuf *p, int64_t v)
{
	char *s = p->b[p->n++ & 15];
	s[i64_dec(s, v)] = '\0';
	return s;
}

static const char *
pdate(struct pbuf *p, int32_t days)
{
	char *s = p->b[p->n++ & 15];
	return date_format(days, s, 64);
}

static int64_t
gi64(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return 0;
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static bool
gnull(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col);
}

static const char *
gs(const PGresult *r, int row, int col)
{
	return PQgetvalue(r, row, col);
}

static bool
gbool(const PGresult *r, int row, int col)
{
	return !PQgetisnull(r, row, col) && PQgetvalue(r, row, col)[0] == 't';
}

/* T as the API shows times: RFC 3339 at the calendar's offset (+08:00). */
static const char *
ltime(struct req_ctx *c, usec_t t, char buf[64])
{
	return time_format(t, c->cal ? c->cal->utc_offset_s : 28800, buf, 64);
}

static json_t *
jtime(struct req_ctx *c, usec_t t)
{
	char buf[64];
	return json_string(ltime(c, t, buf));
}

static json_t *
jtime_col(struct req_ctx *c, const PGresult *r, int row, int col)
{
	if (gnull(r, row, col))
		return json_null();
	return jtime(c, gi64(r, row, col));
}

static json_t *
jstr_col(const PGresult *r, int row, int col)
{
	if (gnull(r, row, col))
		return json_null();
	return json_string(gs(r, row, col));
}

static json_t *
ji64_col(const PGresult *r, int row, int col)
{
	if (gnull(r, row, col))
		return json_null();
	return json_integer(gi64(r, row, col));
}

static json_t *
jjson_col(const PGresult *r, int row, int col)
{
	if (gnull(r, row, col))
		return json_null();
	json_t *j = json_loads(gs(r, row, col), JSON_DECODE_ANY, NULL);
	return j ? j : json_null();
}

static char *
dump(const json_t *j)
{
	char *s = jsonw_dump(j, NULL);
	if (s == NULL)
		abort();	/* only out of memory */
	return s;
}

bool
user_sees(const struct user *u, const char *agency_path)
{
	return strncmp(agency_path, u->path, strlen(u->path)) == 0;
}

static const char *
user_role_list(unsigned roles, char *buf, size_t len)
{
	buf[0] = '\0';
	for (unsigned bit = 1; bit < (1u << ROLE__COUNT); bit <<= 1)
		if (roles & bit) {
			size_t n = strlen(buf);
			snprintf(buf + n, len - n, "%s%s", n ? "," : "", role_name(bit));
		}
	return buf;
}

/* ------------------------------------------------------------------------ */
/* Users                                                                    */

int
store_user_by_token(struct db *db, const char *token, struct user *u)
{
	const char *v[1] = { token };
	PGresult *r = run(db, S_USER_BY_TOKEN, 1, v, NULL);
	if (r == NULL)
		return -1;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return 1;
	}
	u->id = gi64(r, 0, 0);
	snprintf(u->name, sizeof u->name, "%s", gs(r, 0, 1));
	if (roles_parse_list(gs(r, 0, 2), &u->roles))
		u->roles = 0;
	snprintf(u->agency, sizeof u->agency, "%s", gs(r, 0, 3));
	snprintf(u->path, sizeof u->path, "%s", gs(r, 0, 4));
	snprintf(u->level, sizeof u->level, "%s", gs(r, 0, 5));
	PQclear(r);
	return 0;
}

int
store_user_add(struct db *db, const char *name, unsigned roles, const char *agency, usec_t now,
    char token[65], struct apierr *err)
{
	unsigned char raw[32];
	char rl[128], st[6];
	struct pbuf pb = { .n = 0 };

	if (random_bytes(raw, sizeof raw)) {
		apierr_set(err, 500, "internal", NULL, "no randomness for a token");
		return -1;
	}
	hex_encode(raw, sizeof raw, token);
	if (roles & ROLE_DAEMON) {
		apierr_set(err, 400, "invalid_field", json_pack("{s:s}", "field", "roles"),
		    "the daemon role belongs to procurd itself");
		return -1;
	}
	const char *v[5] = { name, user_role_list(roles, rl, sizeof rl), agency, token, pi64(&pb, now) };
	PGresult *r = run(db, S_USER_ADD, 5, v, st);
	if (r == NULL) {
		if (!strcmp(st, "23505"))
			apierr_set(err, 409, "conflict", NULL, "a user named %s exists", name);
		else if (!strcmp(st, "23503"))
			apierr_set(err, 404, "not_found", NULL, "no agency %s", agency);
		else
			apierr_set(err, 500, "internal", NULL, "%s", db_error(db));
		return -1;
	}
	PQclear(r);
	return 0;
}

int
store_user_list(struct db *db, json_t **out)
{
	PGresult *r = run(db, S_USER_LIST, 0, NULL, NULL);
	if (r == NULL)
		return -1;
	json_t *a = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		json_array_append_new(a, json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)gi64(r, i, 0),
		    "name", gs(r, i, 1), "roles", gs(r, i, 2), "agency", gs(r, i, 3)));
	PQclear(r);
	*out = a;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Migrations                                                               */

struct mig {
	int version;
	char name[256];
};

static int
mig_cmp(const void *a, const void *b)
{
	return ((const struct mig *)a)->version - ((const struct mig *)b)->version;
}

/* The numbered files NNN_name.sql in DIR, sorted. */
static int
mig_scan(const char *dir, struct mig **out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct mig *m = NULL;
	int n = 0;

	if (d == NULL) {
		log_error("migrations: cannot open %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		int v;
		if (len < 5 || strcmp(e->d_name + len - 4, ".sql") || sscanf(e->d_name, "%d_", &v) != 1)
			continue;
		m = xrealloc(m, sizeof *m * (size_t)(n + 1));
		m[n].version = v;
		snprintf(m[n].name, sizeof m[n].name, "%s", e->d_name);
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(m, (size_t)n, sizeof *m, mig_cmp);
	*out = m;
	return n;
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 8192, len = 0;
	char *buf = xmalloc(cap);
	size_t k;
	while ((k = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += k;
		if (cap - len < 2)
			buf = xrealloc(buf, cap *= 2);
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/* Migration scripts are our own files, run whole: the simple protocol takes
 * several statements, and no user data ever reaches them. */
static int
exec_script(struct db *db, const char *sql)
{
	PGresult *r = exec_simple(db, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok)
		set_dberr(db, r);
	PQclear(r);
	return ok ? 0 : -1;
}

static bool
mig_is_applied(PGresult *applied, int version)
{
	for (int i = 0; applied && i < PQntuples(applied); i++)
		if (gi64(applied, i, 0) == version)
			return true;
	return false;
}

int
store_migrate(struct db *db, const char *dir)
{
	struct mig *m = NULL;
	int n, done = 0, rc = -1;
	PGresult *applied = NULL;

	if (!db_ensure(db)) {
		log_error("migrations: database unavailable");
		return -1;
	}
	if ((n = mig_scan(dir, &m)) < 0)
		return -1;
	/* Several daemons may start at once: one migrates, the others wait. */
	if (exec_script(db, "SELECT pg_advisory_lock(727001);"
	    "CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, "
	    "name text NOT NULL, applied_at timestamptz NOT NULL)")) {
		log_error("migrations: %s", db_error(db));
		goto done;
	}
	if ((applied = run(db, S_MIG_APPLIED, 0, NULL, NULL)) == NULL)
		goto unlock;
	for (int i = 0; i < n; i++) {
		if (mig_is_applied(applied, m[i].version))
			continue;
		char *path = xasprintf("%s/%s", dir, m[i].name);
		char *sql = slurp(path);
		free(path);
		if (sql == NULL) {
			log_error("migrations: cannot read %s/%s", dir, m[i].name);
			goto unlock;
		}
		struct pbuf pb = { .n = 0 };
		const char *v[2] = { pi64(&pb, m[i].version), m[i].name };
		int bad = tx(db, "BEGIN") || exec_script(db, sql) ||
		    run0(db, S_MIG_RECORD, 2, v, NULL) || commit(db);
		free(sql);
		if (bad) {
			log_error("migrations: %s failed: %s", m[i].name, db_error(db));
			rollback(db);
			goto unlock;
		}
		log_info("migrations: applied %s", m[i].name);
		done++;
	}
	rc = done;
unlock:
	exec_script(db, "SELECT pg_advisory_unlock(727001)");
done:
	PQclear(applied);
	free(m);
	return rc;
}

bool
store_migrations_current(struct db *db, const char *dir)
{
	struct mig *m = NULL;
	int n = mig_scan(dir, &m);
	bool ok = n >= 0;
	PGresult *applied = ok ? run(db, S_MIG_APPLIED, 0, NULL, NULL) : NULL;
	if (applied == NULL)
		ok = false;
	for (int i = 0; ok && i < n; i++)
		if (!mig_is_applied(applied, m[i].version))
			ok = false;
	PQclear(applied);
	free(m);
	return ok;
}

/* ------------------------------------------------------------------------ */
/* Calendar                                                                 */

int
store_calendar_load(struct db *db, const char *path, usec_t now, struct apierr *err)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int lineno = 0, years = 0, cur_year = 0;
	struct pbuf pb = { .n = 0 };

	if (f == NULL) {
		apierr_set(err, 400, "invalid_field", NULL, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	if (tx(db, "BEGIN"))
		goto dberr;
	while (fgets(line, sizeof line, f)) {
		struct cal_line cl;
		char why[200];
		lineno++;
		if (calendar_line_parse(line, cur_year, &cl, why, sizeof why)) {
			apierr_set(err, 400, "invalid_field", NULL, "%s:%d: %s", path, lineno, why);
			goto bad;
		}
		if (cl.kind == CAL_YEAR) {
			pb.n = 0;
			const char *v[3] = { pi64(&pb, cl.year), path, pi64(&pb, now) };
			if (run0(db, S_CAL_YEAR, 3, v, NULL) || run0(db, S_CAL_DEL_YEAR, 1, v, NULL))
				goto dberr;
			cur_year = cl.year;
			years++;
		} else if (cl.kind == CAL_DAY) {
			const char *v[3] = { cl.day, cl.rest ? "rest" : "work", cl.note };
			if (run0(db, S_CAL_DAY, 3, v, NULL))
				goto dberr;
		}
	}
	fclose(f);
	if (commit(db))
		goto dberr_closed;
	return years;
dberr:
	fclose(f);
dberr_closed:
	apierr_set(err, 503, "database_unavailable", NULL, "%s", db_error(db));
	rollback(db);
	return -1;
bad:
	fclose(f);
	rollback(db);
	return -1;
}

struct calendar *
store_calendar_read(struct db *db, int utc_offset_s)
{
	PGresult *ry = run(db, S_CAL_READ_YEARS, 0, NULL, NULL);
	PGresult *rd = ry ? run(db, S_CAL_READ_DAYS, 0, NULL, NULL) : NULL;
	if (rd == NULL) {
		PQclear(ry);
		return NULL;
	}
	struct calendar *c = xcalloc(1, sizeof *c);
	int ny = PQntuples(ry), nd = PQntuples(rd);
	int *years = xcalloc((size_t)ny + 1, sizeof *years);
	int32_t *rest = xcalloc((size_t)nd + 1, sizeof *rest);
	int32_t *work = xcalloc((size_t)nd + 1, sizeof *work);
	for (int i = 0; i < ny; i++)
		years[c->n_years++] = (int)gi64(ry, i, 0);
	for (int i = 0; i < nd; i++) {
		if (gs(rd, i, 1)[0] == 'r')
			rest[c->n_rest++] = (int32_t)gi64(rd, i, 0);
		else
			work[c->n_work++] = (int32_t)gi64(rd, i, 0);
	}
	c->years = years;
	c->rest = rest;
	c->work = work;
	c->utc_offset_s = utc_offset_s;
	PQclear(ry);
	PQclear(rd);
	return c;
}

void
calendar_data_free(struct calendar *c)
{
	if (c == NULL)
		return;
	free((void *)c->years);
	free((void *)c->rest);
	free((void *)c->work);
	free(c);
}

/* ------------------------------------------------------------------------ */
/* Clock and verification                                                   */

int
store_clock_get(struct db *db, usec_t *offset)
{
	PGresult *r = run(db, S_CLOCK_GET, 0, NULL, NULL);
	if (r == NULL)
		return -1;
	*offset = PQntuples(r) ? gi64(r, 0, 0) : 0;
	PQclear(r);
	return 0;
}

int
store_clock_set(struct db *db, usec_t offset, usec_t new_now, struct apierr *err)
{
	struct pbuf pb = { .n = 0 };
	PGresult *r = run(db, S_LAST_EVENT_AT, 0, NULL, NULL);
	if (r == NULL)
		goto dberr;
	usec_t last = gnull(r, 0, 0) ? 0 : gi64(r, 0, 0);
	PQclear(r);
	if (last && new_now < last) {
		char b[64];
		apierr_set(err, 422, "rule_violation",
		    json_pack("{s:s,s:s}", "rule", "clock_backwards", "last_event_at",
			time_format(last, 28800, b, sizeof b)),
		    "the clock cannot go back before an event already recorded");
		return -1;
	}
	const char *v[1] = { pi64(&pb, offset) };
	if (run0(db, S_CLOCK_SET, 1, v, NULL))
		goto dberr;
	return 0;
dberr:
	apierr_set(err, 503, "database_unavailable", NULL, "%s", db_error(db));
	return -1;
}

int
store_verify(struct db *db, char *report, size_t len)
{
	PGresult *r = run(db, S_VERIFY, 0, NULL, NULL);
	if (r == NULL) {
		snprintf(report, len, "database: %s", db_error(db));
		return -1;
	}
	int64_t prev_project = -1;
	const char *prev_hash = "";
	int64_t expect_seq = 1, projects = 0;
	int n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		int64_t pid = gi64(r, i, 0), seq = gi64(r, i, 1);
		if (pid != prev_project) {
			prev_project = pid;
			prev_hash = "";
			expect_seq = 1;
			projects++;
		}
		const char *why = NULL;
		if (seq != expect_seq)
			why = "a sequence number is missing";
		else if (strcmp(gs(r, i, 2), prev_hash))
			why = "prev_hash does not match the previous event's hash";
		else if (strcmp(gs(r, i, 3), gs(r, i, 4)))
			why = "the hash does not match the event's content";
		if (why) {
			snprintf(report, len, "project %" PRId64 " event %" PRId64 ": %s", pid, seq, why);
			PQclear(r);
			return 1;
		}
		prev_hash = gs(r, i, 3);
		expect_seq++;
	}
	PQclear(r);
	if ((r = run(db, S_VERIFY_HEADS, 0, NULL, NULL)) == NULL) {
		snprintf(report, len, "database: %s", db_error(db));
		return -1;
	}
	if (PQntuples(r) == 1) {
		snprintf(report, len, "project %s: its head (event %s) does not match the last event: "
		    "the chain was cut or extended behind the daemon's back", gs(r, 0, 0), gs(r, 0, 1));
		PQclear(r);
		return 1;
	}
	PQclear(r);
	snprintf(report, len, "%d events in %" PRId64 " projects: every chain intact", n, projects);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Projects                                                                 */

/* The project as the API shows it, one table for both renderings: a jansson
 * tree (project_json) and text written straight from the row for the hot
 * event answer (project_text). A field with a WHEN column is shown only when
 * that column is not NULL; consecutive fields with the same IN form that
 * nested object. */
enum pf_kind { PF_INT, PF_STR, PF_JSON, PF_TIME, PF_BOOL };
struct pfield {
	const char *name;
	int col;
	enum pf_kind kind;
	int when;		/* -1: always */
	const char *in;		/* NULL: a member of the project */
};
#define PF(n, c, k) { n, c, k, -1, NULL }
#define PF_IF(n, c, k, w) { n, c, k, w, NULL }
#define PF_IN(o, n, c, k, w) { n, c, k, w, o }
static const struct pfield project_fields[] = {
	PF("id", PC_ID, PF_INT), PF("agency", PC_AGENCY, PF_STR),
	PF("fiscal_year", PC_YEAR, PF_INT), PF("title", PC_TITLE, PF_STR),
	PF("catalog_items", PC_ITEMS, PF_JSON), PF("budget_fen", PC_BUDGET, PF_INT),
	PF("funding_source", PC_FUNDING, PF_STR), PF("method", PC_METHOD, PF_STR),
	PF("quantity", PC_QUANTITY, PF_STR), PF("quality_standard", PC_QUALITY, PF_STR),
	PF("service_start", PC_START, PF_STR), PF("service_end", PC_END, PF_STR),
	PF("state", PC_STATE, PF_STR), PF("version", PC_VERSION, PF_INT),
	PF("next_check", PC_NEXT_CHECK, PF_TIME),
	PF("budget_approved", PC_BUDGET_APPROVED, PF_BOOL), PF("round", PC_ROUND, PF_INT),
	PF_IF("published_at", PC_PUBLISHED_AT, PF_TIME, PC_PUBLISHED_AT),
	PF_IF("bid_deadline", PC_BID_DEADLINE, PF_TIME, PC_PUBLISHED_AT),
	PF_IF("requirements", PC_REQUIREMENTS, PF_STR, PC_PUBLISHED_AT),
	PF_IF("evaluators_required", PC_EVALUATORS, PF_INT, PC_PUBLISHED_AT),
	PF_IF("criteria", PC_CRITERIA, PF_JSON, PC_PUBLISHED_AT),
	PF_IN("award", "bid_id", PC_AWARD_BID, PF_INT, PC_AWARD_BID),
	PF_IN("award", "contractor_id", PC_AWARD_CONTRACTOR, PF_INT, PC_AWARD_BID),
	PF_IN("award", "price_fen", PC_AWARD_PRICE, PF_INT, PC_AWARD_BID),
	PF_IN("award", "awarded_at", PC_AWARDED_AT, PF_TIME, PC_AWARD_BID),
	PF_IF("contract", PC_CONTRACT, PF_JSON, PC_CONTRACT),
	PF_IF("paid_fen", PC_PAID, PF_INT, PC_PAID),
	PF_IF("evaluation", PC_EVALUATION, PF_JSON, PC_EVALUATION),
	PF_IF("predecessor_id", PC_PREDECESSOR, PF_INT, PC_PREDECESSOR),
	PF_IF("successor_id", PC_SUCCESSOR, PF_INT, PC_SUCCESSOR),
	PF("created_at", PC_CREATED_AT, PF_TIME), PF("updated_at", PC_UPDATED_AT, PF_TIME),
};
#define N_PFIELDS (sizeof project_fields / sizeof project_fields[0])

/* What an event's write changed in the row it was decided on. */
struct project_after {
	int version;
	bool has_next_check;
	usec_t next_check;
	usec_t updated_at;
};

static bool
pf_shown(const struct pfield *f, const PGresult *r, int i)
{
	return f->when < 0 || !gnull(r, i, f->when);
}

static json_t *
pf_json(struct req_ctx *c, const struct pfield *f, const PGresult *r, int i)
{
	switch (f->kind) {
	case PF_INT: return ji64_col(r, i, f->col);
	case PF_STR: return jstr_col(r, i, f->col);
	case PF_JSON: return jjson_col(r, i, f->col);
	case PF_TIME: return jtime_col(c, r, i, f->col);
	case PF_BOOL: return json_boolean(gbool(r, i, f->col));
	}
	return json_null();
}

static json_t *
project_json(struct req_ctx *c, const PGresult *r, int i)
{
	json_t *o = json_object();
	for (size_t k = 0; k < N_PFIELDS; k++) {
		const struct pfield *f = &project_fields[k];
		if (!pf_shown(f, r, i))
			continue;
		json_t *into = o;
		if (f->in) {
			into = json_object_get(o, f->in);
			if (into == NULL)
				json_object_set_new(o, f->in, into = json_object());
		}
		json_object_set_new(into, f->name, pf_json(c, f, r, i));
	}
	return o;
}

static void
pf_time_text(struct jsonw *w, struct req_ctx *c, usec_t t)
{
	char buf[64];
	jsonw_str(w, ltime(c, t, buf));
}

/* The members of project_json(), as text into W, with AFTER's changes. */
static void
project_text(struct jsonw *w, struct req_ctx *c, const PGresult *r, int i,
    const struct project_after *after)
{
	const char *in = NULL;
	for (size_t k = 0; k < N_PFIELDS; k++) {
		const struct pfield *f = &project_fields[k];
		if (!pf_shown(f, r, i))
			continue;
		if (in && (f->in == NULL || strcmp(f->in, in))) {
			jsonw_close(w);
			in = NULL;
		}
		if (f->in && in == NULL) {
			jsonw_key(w, f->in);
			jsonw_open(w);
			in = f->in;
		}
		jsonw_key(w, f->name);
		if (f->col == PC_VERSION) {
			jsonw_int(w, after->version);
			continue;
		}
		if (f->col == PC_NEXT_CHECK) {
			if (after->has_next_check)
				pf_time_text(w, c, after->next_check);
			else
				jsonw_null(w);
			continue;
		}
		if (f->col == PC_UPDATED_AT) {
			pf_time_text(w, c, after->updated_at);
			continue;
		}
		if (gnull(r, i, f->col) && f->kind != PF_BOOL) {
			jsonw_null(w);
			continue;
		}
		switch (f->kind) {
		case PF_INT: jsonw_int(w, gi64(r, i, f->col)); break;
		case PF_STR: jsonw_str(w, gs(r, i, f->col)); break;
		case PF_JSON: jsonw_raw(w, gs(r, i, f->col)); break;	/* printed by PostgreSQL */
		case PF_TIME: pf_time_text(w, c, gi64(r, i, f->col)); break;
		case PF_BOOL: jsonw_bool(w, gbool(r, i, f->col)); break;
		}
	}
	if (in)
		jsonw_close(w);
}

/* The row as the guards see it. */
static void
project_decode(const PGresult *r, int i, struct lc_project *p, const struct rules_config *rc)
{
	memset(p, 0, sizeof *p);
	p->id = gi64(r, i, PC_ID);
	p->state = (enum lc_state)lc_state_parse(gs(r, i, PC_STATE));
	p->version = (int)gi64(r, i, PC_VERSION);
	p->fiscal_year = (int)gi64(r, i, PC_YEAR);
	p->method = gnull(r, i, PC_METHOD) ? -1 : method_parse(gs(r, i, PC_METHOD));
	p->funding = gnull(r, i, PC_FUNDING) ? -1 : funding_parse(gs(r, i, PC_FUNDING));
	p->budget_fen = gnull(r, i, PC_BUDGET) ? -1 : gi64(r, i, PC_BUDGET);
	p->has_title = gs(r, i, PC_TITLE)[0] != '\0';
	p->has_quantity = gs(r, i, PC_QUANTITY)[0] != '\0';
	p->has_quality_standard = gs(r, i, PC_QUALITY)[0] != '\0';
	p->service_start = p->service_end = -1;
	if (!gnull(r, i, PC_START))
		date_parse(gs(r, i, PC_START), &p->service_start);
	if (!gnull(r, i, PC_END))
		date_parse(gs(r, i, PC_END), &p->service_end);
	json_t *items = json_loads(gs(r, i, PC_ITEMS), 0, NULL);
	p->n_items = items ? (int)json_array_size(items) : 0;
	json_decref(items);
	p->submitted_by = gi64(r, i, PC_SUBMITTED_BY);
	p->completed_by = gi64(r, i, PC_COMPLETED_BY);
	p->bid_deadline = gi64(r, i, PC_BID_DEADLINE);
	p->evaluators_required = (int)gi64(r, i, PC_EVALUATORS);
	if (!gnull(r, i, PC_CRITERIA)) {
		json_t *cr = json_loads(gs(r, i, PC_CRITERIA), 0, NULL);
		struct rule_error e = { .details = NULL };
		if (cr == NULL || rules_parse_criteria(rc, cr, p->criteria, &p->n_criteria, &e))
			p->n_criteria = 0;
		rule_error_clear(&e);
		json_decref(cr);
	}
	p->award_bid_id = gi64(r, i, PC_AWARD_BID);
	p->award_contractor_id = gi64(r, i, PC_AWARD_CONTRACTOR);
	p->award_price_fen = gi64(r, i, PC_AWARD_PRICE);
	p->awarded_at = gi64(r, i, PC_AWARDED_AT);
	p->contract_amount_fen = -1;
	if (!gnull(r, i, PC_CONTRACT)) {
		json_t *ct = json_loads(gs(r, i, PC_CONTRACT), 0, NULL);
		json_t *amt = json_object_get(ct, "amount_fen");
		if (json_is_integer(amt))
			p->contract_amount_fen = json_integer_value(amt);
		p->has_takeover_plan = json_is_object(json_object_get(ct, "takeover_plan"));
		json_decref(ct);
	}
	p->successor_id = gi64(r, i, PC_SUCCESSOR);
}

/* ------------------------------------------------------------------------ */
/* The agency cache                                                         */

/* An agency's path, parent and languages never change and agencies are
 * never deleted (migration 010 refuses it), so each is read once per
 * process: every event checks the scope on the path and addresses its
 * notifications by the languages, and a join for them cost PostgreSQL more
 * than 5 % of an event (bench/README.md). Shared by every connection and
 * thread; bounded by the agencies there are. */
struct agency_info {
	char path[160];
	char parent[40];
	bool has_parent;
	char lang[8], parent_lang[8];
};

static pthread_mutex_t agency_lock = PTHREAD_MUTEX_INITIALIZER;
static json_t *agency_cache;	/* code → [path, parent or null, lang, parent's lang] */

static bool
copy_str(char *dst, size_t size, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	if (n >= size)
		return false;
	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
	return true;
}

/* Whether the cache has CODE: then *AI is filled. */
static bool
agency_cached(const char *code, struct agency_info *ai)
{
	bool ok = false;
	pthread_mutex_lock(&agency_lock);
	json_t *e = agency_cache ? json_object_get(agency_cache, code) : NULL;
	if (e) {
		json_t *parent = json_array_get(e, 1);
		ai->has_parent = json_is_string(parent);
		ok = copy_str(ai->path, sizeof ai->path, json_string_value(json_array_get(e, 0))) &&
		    copy_str(ai->parent, sizeof ai->parent, json_string_value(parent)) &&
		    copy_str(ai->lang, sizeof ai->lang, json_string_value(json_array_get(e, 2))) &&
		    copy_str(ai->parent_lang, sizeof ai->parent_lang,
		    json_string_value(json_array_get(e, 3)));
	}
	pthread_mutex_unlock(&agency_lock);
	return ok;
}

/* What the daemon needs of agency CODE: 0, or -1 with db_error() set. */
static int
agency_info(struct db *db, const char *code, struct agency_info *ai)
{
	if (agency_cached(code, ai))
		return 0;
	const char *v[1] = { code };
	PGresult *r = run(db, S_AGENCY_INFO, 1, v, NULL);
	if (r == NULL)
		return -1;
	if (PQntuples(r) != 1) {
		PQclear(r);
		snprintf(db->errbuf, sizeof db->errbuf, "agency %s not found", code);
		return -1;
	}
	json_t *e = json_pack("[s,s?,s,s]", gs(r, 0, 0), gnull(r, 0, 1) ? NULL : gs(r, 0, 1),
	    gs(r, 0, 2), gs(r, 0, 3));
	PQclear(r);
	pthread_mutex_lock(&agency_lock);
	if (agency_cache == NULL)
		agency_cache = json_object();
	json_object_set_new(agency_cache, code, e);
	pthread_mutex_unlock(&agency_lock);
	if (!agency_cached(code, ai)) {
		snprintf(db->errbuf, sizeof db->errbuf, "agency %s: a path or code too long", code);
		return -1;
	}
	return 0;
}

/* Projects as last read or written, by id (see store_project_cache()).
 * An entry is one row of PROJECT_COLS, packed: what a fresh read returned
 * at that version, or what the light write made of it. Only committed rows
 * go in: reads outside a transaction and light writes that were their own
 * transaction; a project's version names one committed content for ever
 * (versions only grow, with every write of the row but next_check, which
 * the light write returns), so an entry at the version the write finds is
 * exactly the row. Direct-mapped (ids are a sequence): an entry is replaced
 * by the next id with its slot. */
struct pc_entry {
	int64_t id;
	int64_t version;
	int len[PC__COUNT];		/* -1: NULL */
	char data[];			/* the values, each with its NUL */
};

static struct {
	pthread_mutex_t lock;
	size_t slots;
	struct pc_entry **slot;
	PGresult *attrs;		/* the columns' descriptions, no rows */
} pcache = { .lock = PTHREAD_MUTEX_INITIALIZER };

void
store_project_cache(size_t slots)
{
	pthread_mutex_lock(&pcache.lock);
	for (size_t i = 0; i < pcache.slots; i++)
		free(pcache.slot[i]);
	free(pcache.slot);
	pcache.slot = slots ? xcalloc(slots, sizeof *pcache.slot) : NULL;
	pcache.slots = slots;
	if (slots == 0) {
		PQclear(pcache.attrs);
		pcache.attrs = NULL;
	}
	pthread_mutex_unlock(&pcache.lock);
}

void
store_project_cache_forget(void)
{
	pthread_mutex_lock(&pcache.lock);
	for (size_t i = 0; i < pcache.slots; i++) {
		free(pcache.slot[i]);
		pcache.slot[i] = NULL;
	}
	pthread_mutex_unlock(&pcache.lock);
}

/* A column's new value for pc_put(): COL, or -1 for none. */
struct pc_patch {
	int col;
	const char *value;		/* NULL: NULL */
};

/* Keep ROW of R (a project read or written, committed), with PATCH's N
 * columns replaced. */
static void
pc_put(const PGresult *r, int row, const struct pc_patch *patch, int n)
{
	if (pcache.slots == 0 || row >= PQntuples(r) || PQnfields(r) != PC__COUNT)
		return;
	const char *val[PC__COUNT];
	int len[PC__COUNT];
	size_t size = 0;
	for (int col = 0; col < PC__COUNT; col++) {
		val[col] = PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
		for (int k = 0; k < n; k++)
			if (patch[k].col == col)
				val[col] = patch[k].value;
		len[col] = val[col] ? (int)strlen(val[col]) : -1;
		size += val[col] ? (size_t)len[col] + 1 : 0;
	}
	struct pc_entry *e = xmalloc(sizeof *e + size);
	e->id = strtoll(val[PC_ID], NULL, 10);
	e->version = val[PC_VERSION] ? strtoll(val[PC_VERSION], NULL, 10) : 0;
	char *d = e->data;
	for (int col = 0; col < PC__COUNT; col++) {
		e->len[col] = len[col];
		if (val[col]) {
			memcpy(d, val[col], (size_t)len[col] + 1);
			d += len[col] + 1;
		}
	}
	pthread_mutex_lock(&pcache.lock);
	if (pcache.slots && e->id > 0) {
		if (pcache.attrs == NULL)
			pcache.attrs = PQcopyResult(r, PG_COPYRES_ATTRS);
		/* never an older row over a newer one: a read that started
		 * before a write may end after it */
		struct pc_entry **s = &pcache.slot[(uint64_t)e->id % pcache.slots];
		if (*s == NULL || (*s)->id != e->id || (*s)->version <= e->version) {
			free(*s);
			*s = e;
			e = NULL;
		}
	}
	pthread_mutex_unlock(&pcache.lock);
	free(e);
}

/* Project ID as a result of one row, as a read would return it, or NULL. */
static PGresult *
pc_get(int64_t id)
{
	PGresult *r = NULL;
	pthread_mutex_lock(&pcache.lock);
	struct pc_entry *e = pcache.slots ? pcache.slot[(uint64_t)id % pcache.slots] : NULL;
	if (e && e->id == id && pcache.attrs && (r = PQcopyResult(pcache.attrs,
	    PG_COPYRES_ATTRS)) != NULL) {
		const char *d = e->data;
		for (int col = 0; col < PC__COUNT && r; col++) {
			if (!PQsetvalue(r, 0, col, e->len[col] < 0 ? NULL : (char *)d,
			    e->len[col])) {
				PQclear(r);
				r = NULL;
			}
			d += e->len[col] < 0 ? 0 : e->len[col] + 1;
		}
	}
	bool on = pcache.slots > 0;
	pthread_mutex_unlock(&pcache.lock);
	if (on)
		metrics_project_cache(r != NULL);
	return r;
}

static void
pc_drop(int64_t id)
{
	pthread_mutex_lock(&pcache.lock);
	struct pc_entry **s = pcache.slots ? &pcache.slot[(uint64_t)id % pcache.slots] : NULL;
	if (s && *s && (*s)->id == id) {
		free(*s);
		*s = NULL;
	}
	pthread_mutex_unlock(&pcache.lock);
}

int
store_project_cache_warm(struct db *db, int64_t after, int limit, int64_t *last)
{
	char finals[256] = "{", *f = finals + 1;
	for (int s = 0; s < ST__COUNT; s++)
		if (lc_state_is_final((enum lc_state)s))
			f += snprintf(f, (size_t)(finals + sizeof finals - f), "%s%s",
			    f > finals + 1 ? "," : "", lc_state_name((enum lc_state)s));
	snprintf(f, (size_t)(finals + sizeof finals - f), "}");
	struct pbuf pb = { .n = 0 };
	const char *v[3] = { pi64(&pb, after), finals, pi64(&pb, limit) };
	PGresult *r = run(db, S_PROJECT_WARM, 3, v, NULL);
	if (r == NULL)
		return -1;
	int n = PQntuples(r);
	for (int i = 0; i < n; i++)
		pc_put(r, i, NULL, 0);
	*last = n ? gi64(r, n - 1, PC_ID) : after;
	PQclear(r);
	return n;
}

/* The project ID as the user sees it, or NULL (404 outside the scope).
 * BEGIN_TOO starts the transaction in the same round trip (lock only). */
static PGresult *project_scoped(struct req_ctx *c, PGresult *r);

static PGresult *
project_fetch_tx(struct req_ctx *c, int64_t id, bool lock, bool begin_too)
{
	struct pbuf pb = { .n = 0 };
	const char *v[1] = { pi64(&pb, id) };
	PGresult *r = begin_too ? run_piped(c->db, "BEGIN", S_PROJECT_LOCK, 1, v, NULL, NULL) :
	    run(c->db, lock ? S_PROJECT_LOCK : S_PROJECT_GET, 1, v, NULL);
	if (r == NULL) {
		dbfail(c, "reading a project");
		return NULL;
	}
	return project_scoped(c, r);
}

/* R (a project read, or nothing) if the user sees it; else NULL, 404. */
static PGresult *
project_scoped(struct req_ctx *c, PGresult *r)
{
	struct agency_info ai;
	if (PQntuples(r) == 1 && agency_info(c->db, gs(r, 0, PC_AGENCY), &ai)) {
		PQclear(r);
		dbfail(c, "reading a project's agency");
		return NULL;
	}
	if (PQntuples(r) != 1 || !user_sees(c->u, ai.path)) {
		/* 404, not 403, outside the scope: ids cannot be probed */
		PQclear(r);
		fail(c, 404, "not_found", NULL, "no such project");
		return NULL;
	}
	return r;
}

static PGresult *
project_fetch(struct req_ctx *c, int64_t id, bool lock)
{
	return project_fetch_tx(c, id, lock, false);
}

/* Project ID read outside a transaction: committed, so it is kept. KEPT
 * NULL: from the database; else from the cache when it is there, and then
 * *KEPT. */
static PGresult *
project_read(struct req_ctx *c, int64_t id, bool *kept)
{
	PGresult *r = kept ? pc_get(id) : NULL;
	if (kept)
		*kept = r != NULL;
	if (r)
		return project_scoped(c, r);
	if ((r = project_fetch(c, id, false)) != NULL)
		pc_put(r, 0, NULL, 0);
	return r;
}

json_t *
store_project_get(struct req_ctx *c, int64_t id)
{
	PGresult *r = project_read(c, id, NULL);
	if (r == NULL)
		return NULL;
	json_t *o = project_json(c, r, 0);
	PQclear(r);
	return o;
}

json_t *
store_project_list(struct req_ctx *c, const char *state, const char *agency, int overdue,
    int limit, int64_t after)
{
	struct pbuf pb = { .n = 0 };
	const char *v[7] = { c->u->path, state, agency, pi64(&pb, after),
		overdue < 0 ? NULL : overdue ? "true" : "false", pi64(&pb, c->now),
		pi64(&pb, limit + 1) };
	PGresult *r = run(c->db, S_PROJECT_LIST, 7, v, NULL);
	if (r == NULL)
		return dbfail(c, "listing projects");
	json_t *items = json_array();
	int n = PQntuples(r);
	for (int i = 0; i < n && i < limit; i++)
		json_array_append_new(items, project_json(c, r, i));
	json_t *next = n > limit ? json_sprintf("%" PRId64, gi64(r, limit - 1, PC_ID)) : json_null();
	PQclear(r);
	return json_pack("{s:o,s:o}", "items", items, "next", next);
}

/* The daemon's system user acts with no row in app_user. */
static const char *
actor_id_param(struct pbuf *pb, const struct user *u)
{
	return u->id > 0 ? pi64(pb, u->id) : NULL;
}

/* One event as the S_EVENT_WRITE statement takes it. */
struct ev_write {
	int64_t id;
	int seq;
	const char *last_hash;
	const char *ev, *from, *to;
	const json_t *payload;
	const json_t *notices;
	bool leave_state;		/* cancel the old state's deadlines */
	int64_t fired_deadline;		/* 0 none */
	const json_t *deadlines;	/* new ones: [{state, kind, level, event, due, fire}] */
	const char *cancel_kind;	/* NULL none */
	int uncovered_year;		/* 0 none: else an incident */
	int read_version;		/* the light write applies only while still there */
	const PGresult *row;		/* the project as the event was decided on */
	bool commit;			/* the write ends the transaction: COMMIT travels with it */
	/* out */
	int version;
	char hash[65];
	int64_t outbox_rows;
	bool has_next_check;
	usec_t next_check;
};

/* ------------------------------------------------------------------------ */
/* Pipelined writes (group commit)                                          */

/* A light write under group commit (S_EVENT_WRITE_LIGHT_GROUP: one
 * statement, its own transaction, committed without waiting for the WAL
 * flush) needs nothing of its job's connection. Every such write, from every
 * job, queues instead on one of a few shared connections in libpq's pipeline
 * mode, each statement followed by its Sync (so each is still its own
 * transaction, and an error ends only its own). A backend with writes queued
 * runs them back to back without sleeping between them: the database's work
 * per event drops by a fifth (bench/README.md). Answers come back in the
 * order sent; a persistent read event hands each to the job that waits for
 * it. A lost connection fails every write in flight on it (their outcome is
 * unknown: 503, which says it may or may not be recorded; a request with an
 * Idempotency-Key never comes here, it takes the locked path); the
 * next write that finds no pipe up makes it again (after a failed try, a
 * second later), and until then writes go on their job's own connection as
 * without pipes.
 * Only the loop thread uses them. */
struct pipe_op {
	struct coro *co;
	PGresult *r;			/* the statement's result (first), or NULL */
	bool done;
	bool sending;			/* its coroutine waits to send, not for the answer */
	usec_t sent_at;			/* monotonic: the limit counts from here */
	struct pipe_op *next;
};

struct pipe {
	struct db *db;
	struct event *rd;		/* persistent EV_READ while up */
	enum { PIPE_DOWN, PIPE_CONNECTING, PIPE_UP } state;
	bool stale;			/* its prepared statements are out of date */
	struct pipe_op *head, *tail;	/* in flight, in the order sent */
	int inflight;
	usec_t tried_at;		/* last failed connection attempt, monotonic */
};

static struct {
	struct event_base *base;
	struct pipe *p;
	int n;
	struct event *wake;		/* resumes FAILED's coroutines from the loop */
	struct pipe_op *failed;
	struct event *check;		/* once a second: a write past the limit? */
	usec_t limit;			/* [http] timeout_seconds */
} pipes;

/* A database that stops answering must not hold a pipelined write past the
 * limit: its pipe's socket is shut down, the read event sees it closed, and
 * every write in flight on it is answered as unknown (pipe_down()). */
static void
pipe_check(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	usec_t now = clock_monotonic();
	for (int i = 0; i < pipes.n; i++) {
		struct pipe *p = &pipes.p[i];
		if (p->state != PIPE_UP || p->head == NULL || now - p->head->sent_at < pipes.limit)
			continue;
		outage_begin("a pipelined write got no answer within [http] timeout_seconds");
		shutdown(PQsocket(p->db->conn), SHUT_RDWR);
	}
}

static void
pipe_wake_failed(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	while (pipes.failed) {
		struct pipe_op *o = pipes.failed;
		pipes.failed = o->next;	/* before: the coroutine ends O's life */
		coro_wake(o->co);
	}
}

/* Fail every write in flight on P (the connection broke: what the server
 * did with each is unknown) and take P down; its socket's event goes first,
 * before libpq can close the socket. Called from a coroutine too, so the
 * failed writes' coroutines are resumed from the loop, never from here; one
 * still sending sees DONE when its own wait ends. */
static void
pipe_down(struct pipe *p, const char *why)
{
	if (p->rd) {
		event_free(p->rd);
		p->rd = NULL;
	}
	if (p->state == PIPE_UP && why)
		log_warn("database: a pipelined write connection was lost (%s); %d write(s) in "
		    "flight on it are answered as unknown", why, p->inflight);
	p->state = PIPE_DOWN;
	p->stale = false;
	struct pipe_op *o = p->head, *next;
	p->head = p->tail = NULL;
	p->inflight = 0;
	for (; o; o = next) {
		next = o->next;
		PQclear(o->r);
		o->r = NULL;
		o->done = true;
		if (!o->sending) {
			o->next = pipes.failed;
			pipes.failed = o;
		}
	}
	if (pipes.failed)
		event_active(pipes.wake, EV_READ, 0);
}

static void
pipe_readable(evutil_socket_t fd, short what, void *arg)
{
	struct pipe *p = arg;
	PGconn *conn = p->db->conn;
	struct pipe_op *ready = NULL, **rt = &ready;
	int nulls = 0;
	(void)fd;
	(void)what;

	if (!PQconsumeInput(conn) || PQstatus(conn) != CONNECTION_OK) {
		set_dberr(p->db, NULL);
		pipe_down(p, p->db->errbuf);
		return;
	}
	/* each write's results, then NULL, then its Sync */
	while (p->head && !PQisBusy(conn)) {
		PGresult *r = PQgetResult(conn);
		if (r == NULL) {
			if (++nulls > 1)
				break;	/* nothing more to read yet */
			continue;
		}
		nulls = 0;
		if (PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
			if (p->head->r == NULL)
				p->head->r = r;	/* the first: a row, or the error */
			else
				PQclear(r);
			continue;
		}
		PQclear(r);
		struct pipe_op *o = p->head;
		if ((p->head = o->next) == NULL)
			p->tail = NULL;
		p->inflight--;
		o->next = NULL;
		*rt = o;
		rt = &o->next;
	}
	/* the jobs are woken last, when nothing of CONN is touched any more:
	 * one may make this pipe again */
	if (PQstatus(conn) != CONNECTION_OK) {
		set_dberr(p->db, NULL);
		pipe_down(p, p->db->errbuf);
	} else if (p->stale && p->inflight == 0) {
		pipe_down(p, "prepared statements out of date");
	}
	for (struct pipe_op *o = ready, *next; o; o = next) {
		next = o->next;
		o->done = true;
		coro_wake(o->co);
	}
}

static int
pipe_wait(void *arg, int fd, bool write)
{
	(void)arg;
	return coro_wait_fd(pipes.base, fd, write);
}

/* Connect P (from a coroutine), prepare the writes it carries and enter
 * pipeline mode. */
static bool
pipe_up(struct pipe *p)
{
	char name[16];
	p->state = PIPE_CONNECTING;
	db_connect(p->db);
	if (!db_ok(p->db) || !prepare(p->db, S_EVENT_WRITE_LIGHT_GROUP, name, NULL) ||
	    !PQenterPipelineMode(p->db->conn)) {
		p->state = PIPE_DOWN;
		p->tried_at = clock_monotonic();	/* the next try in a second */
		return false;
	}
	p->rd = event_new(pipes.base, PQsocket(p->db->conn), EV_READ | EV_PERSIST,
	    pipe_readable, p);
	if (p->rd == NULL || event_add(p->rd, NULL) != 0) {
		pipe_down(p, "no event for its socket");
		return false;
	}
	p->state = PIPE_UP;
	return true;
}

/* The pipe to send on: one that is down is made first (at once after a
 * loss, a second after a failed try; this job waits for it); then the least
 * busy one up, or NULL. */
static struct pipe *
pipe_pick(void)
{
	struct pipe *best = NULL;
	usec_t now = clock_monotonic();
	for (int i = 0; i < pipes.n; i++) {
		struct pipe *p = &pipes.p[i];
		if (p->state == PIPE_DOWN && now - p->tried_at >= 1000000 && pipe_up(p))
			return p;
	}
	/* after pipe_up()'s waits: the others may have changed meanwhile */
	for (int i = 0; i < pipes.n; i++) {
		struct pipe *p = &pipes.p[i];
		if (p->state == PIPE_UP && !p->stale && (best == NULL || p->inflight < best->inflight))
			best = p;
	}
	return best;
}

/* Statement S on a pipe, like run(); *SENT false when no pipe could take it
 * (nothing was sent: the caller runs it on its own connection). */
static PGresult *
pipe_run(struct db *db, enum stmt s, int n, const char *const *v, bool *sent)
{
	char name[16];
	struct pipe *p;

	*sent = false;
	db->pipe_lost = false;
	if (pipes.n == 0 || coro_self() == NULL || (p = pipe_pick()) == NULL ||
	    !p->db->prepared[s] || !prepare(p->db, s, name, NULL))
		return NULL;	/* prepare() only names it: pipe_up() prepared it */
	PGconn *conn = p->db->conn;
	if (!PQsendQueryPrepared(conn, name, n, v, NULL, NULL, 0))
		return NULL;	/* nothing went */
	*sent = true;
	db->queries++;
	struct pipe_op op = { .co = coro_self(), .sending = true, .sent_at = clock_monotonic() };
	if (p->tail)
		p->tail->next = &op;
	else
		p->head = &op;
	p->tail = &op;
	p->inflight++;
	int f = PQpipelineSync(conn) ? PQflush(conn) : -1;
	while (f == 1 && coro_wait_fd(pipes.base, PQsocket(conn), true) == 0 && !op.done)
		f = PQflush(conn);
	if (f < 0 && !op.done) {
		set_dberr(p->db, NULL);
		pipe_down(p, p->db->errbuf);	/* OP with the rest: unknown */
	}
	op.sending = false;
	while (!op.done)
		coro_yield();
	ExecStatusType st = PQresultStatus(op.r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		const char *m = op.r ? PQresultErrorMessage(op.r) : NULL;
		const char *code = sqlstate(op.r);
		/* no answer, or the server ending the session (57P01 and the
		 * like) or the connection (08…): what it did is unknown */
		db->pipe_lost = op.r == NULL || !strncmp(code, "57", 2) || !strncmp(code, "08", 2);
		set_errbuf(db, m, "the connection was lost with the write in flight");
		if (!strcmp(code, "0A000") && p->state == PIPE_UP) {
			/* "cached plan must not change result type": a migration
			 * changed a table; made again once its writes are back */
			p->stale = true;
			if (p->inflight == 0)
				pipe_down(p, "prepared statements out of date");
		}
		PQclear(op.r);
		metrics_pipelined_write(false);
		return NULL;
	}
	metrics_pipelined_write(true);
	return op.r;
}

void
store_pipes_start(struct event_base *base, const char *conninfo, int n, int timeout_s)
{
	struct timeval second = { 1, 0 };
	pipes.base = base;
	pipes.n = n;
	pipes.limit = (usec_t)(timeout_s > 0 ? timeout_s : 30) * USEC_PER_SEC;
	if ((pipes.wake = event_new(base, -1, 0, pipe_wake_failed, NULL)) == NULL ||
	    (pipes.check = event_new(base, -1, EV_PERSIST, pipe_check, NULL)) == NULL ||
	    (n > 0 && event_add(pipes.check, &second) != 0))
		fatal("database: no event for the pipelined writes");
	pipes.p = n > 0 ? xcalloc((size_t)n, sizeof *pipes.p) : NULL;
	for (int i = 0; i < n; i++) {
		struct pipe *p = &pipes.p[i];
		p->db = db_new(conninfo);
		p->db->set_name = xstrdup("application_name");
		p->db->set_value = xstrdup("procurd pipelined writes");
		db_set_waiter(p->db, pipe_wait, p);
		p->state = PIPE_DOWN;	/* made by the first write that needs it */
		p->tried_at = clock_monotonic() - 1000000;	/* never tried */
	}
}

void
store_pipes_stop(void)
{
	for (int i = 0; i < pipes.n; i++) {
		struct pipe *p = &pipes.p[i];
		pipe_down(p, NULL);	/* nothing in flight: the jobs have ended */
		db_close(p->db);
	}
	if (pipes.wake)
		event_free(pipes.wake);
	if (pipes.check)
		event_free(pipes.check);
	free(pipes.p);
	memset(&pipes, 0, sizeof pipes);
}

/* Write the event (hash-chained to the previous one), move the project,
 * plan its deadlines and queue its notifications: one statement. On a row
 * read without a lock (db->opt_only) only the light write can run (prepare()
 * refuses the other), and it applies only while the project is at
 * w->read_version; else -1 with c->retry set and nothing written. */
static int
event_write(struct req_ctx *c, struct ev_write *w)
{
	struct pbuf pb = { .n = 0 };
	bool unlocked = c->db->opt_only;	/* its own transaction, no COMMIT to send */
	bool light = !w->leave_state && !w->fired_deadline && !w->cancel_kind &&
	    !w->uncovered_year && json_array_size(w->deadlines) == 0;
	json_t *none = json_array();
	char *pl = dump(w->payload), *nt = dump(w->notices ? w->notices : none);
	char *dl = light ? NULL : dump(w->deadlines ? w->deadlines : none);
	const char *v[16] = { pi64(&pb, w->id), pi64(&pb, w->seq), w->ev, w->from, w->to,
		c->u->name, actor_id_param(&pb, c->u), pi64(&pb, c->now), pl, w->last_hash, nt,
		w->leave_state ? "true" : "false",
		w->fired_deadline ? pi64(&pb, w->fired_deadline) : NULL, dl, w->cancel_kind,
		w->uncovered_year ? pi64(&pb, w->uncovered_year) : NULL };
	/* Group commit: a light write that carries its commit either leads
	 * (no flush running: it commits synchronously and is the flush for the
	 * answers queued before it) or commits without waiting for the flush,
	 * and its answer waits for the next one. */
	bool lead = light && c->durable && (w->commit || unlocked) && durable_lead(c->durable);
	enum stmt st = !light ? S_EVENT_WRITE :
	    c->durable && !lead ? S_EVENT_WRITE_LIGHT_GROUP : S_EVENT_WRITE_LIGHT;
	int np = light ? 12 : 16;
	if (light)
		v[11] = pi64(&pb, w->read_version);
	PGresult *r = NULL;
	bool sent = false;
	if (unlocked && st == S_EVENT_WRITE_LIGHT_GROUP)
		r = pipe_run(c->db, st, np, v, &sent);
	if (!sent)
		r = w->commit && !unlocked ? run_piped(c->db, NULL, st, np, v, "COMMIT", NULL) :
		    run(c->db, st, np, v, NULL);
	if (r && (w->commit || unlocked))
		c->committed = true;
	if (r && st == S_EVENT_WRITE_LIGHT_GROUP)
		c->async_committed = true;	/* even if it wrote nothing: harmless */
	if (lead) {
		/* a flush only if it wrote: a commit with nothing written waits
		 * for nothing */
		bool flushed = r && PQntuples(r) > 0;
		durable_led(c->durable, flushed);
		c->led = flushed;
		c->led_queries = db_queries(c->db);
	}
	free(pl);
	free(nt);
	free(dl);
	json_decref(none);
	if (r == NULL)
		return -1;
	if (PQntuples(r) == 0) {
		/* the light write: the project moved since it was read */
		PQclear(r);
		c->committed = false;
		if (!unlocked) {
			snprintf(c->db->errbuf, sizeof c->db->errbuf,
			    "project %" PRId64 " moved from version %d under its lock", w->id,
			    w->read_version);
			return -1;
		}
		c->retry = RETRY_MOVED;
		metrics_event_retry();
		return -1;
	}
	c->db->opt_only = false;	/* written: what follows only reads */
	w->version = (int)gi64(r, 0, 0);
	w->has_next_check = !gnull(r, 0, 5);
	w->next_check = w->has_next_check ? gi64(r, 0, 5) : 0;
	snprintf(w->hash, sizeof w->hash, "%s", gs(r, 0, 1));
	if (unlocked && w->row) {
		/* committed, and all the light write changed of the row */
		struct pc_patch patch[] = { { PC_VERSION, gs(r, 0, 0) },
			{ PC_NEXT_CHECK, gnull(r, 0, 5) ? NULL : gs(r, 0, 5) },
			{ PC_LAST_SEQ, pi64(&pb, w->seq) }, { PC_LAST_HASH, w->hash },
			{ PC_UPDATED_AT, pi64(&pb, c->now) } };
		pc_put(w->row, 0, patch, (int)(sizeof patch / sizeof patch[0]));
	} else {
		pc_drop(w->id);	/* to be read again when it has committed */
	}
	/* the light write's outbox rows are all there when its row is */
	w->outbox_rows = light ? (int64_t)json_array_size(w->notices) : gi64(r, 0, 2);
	if (gi64(r, 0, 4) > 0)
		log_warn("project %" PRId64 ": no working-day calendar for %d; incident raised",
		    w->id, w->uncovered_year);
	PQclear(r);
	return 0;
}

bool
store_commit_flush(struct db *db)
{
	PGresult *r = run(db, S_COMMIT_FLUSH, 0, NULL, NULL);
	PQclear(r);
	return r != NULL;
}

static json_t *
event_json(struct req_ctx *c, int seq, const char *ev, const char *from, const char *to,
    const char *actor, usec_t at, json_t *payload, const char *prev, const char *hash)
{
	/* built member by member: every event answer and history row passes
	 * here, and json_pack spent a third of its time reading its format */
	json_t *o = json_object();
	json_object_set_new_nocheck(o, "seq", json_integer(seq));
	json_object_set_new_nocheck(o, "event", json_string(ev));
	json_object_set_new_nocheck(o, "from", json_string(from));
	json_object_set_new_nocheck(o, "to", json_string(to));
	json_object_set_new_nocheck(o, "actor", json_string(actor));
	json_object_set_new_nocheck(o, "at", jtime(c, at));
	json_object_set_new_nocheck(o, "payload", payload);
	json_object_set_new_nocheck(o, "prev_hash", json_string(prev));
	json_object_set_new_nocheck(o, "hash", json_string(hash));
	return o;
}

static int
get_str(const json_t *o, const char *k, const char **out)
{
	json_t *v = json_object_get(o, k);
	*out = json_is_string(v) ? json_string_value(v) : NULL;
	return *out ? 0 : -1;
}

static int
get_i64(const json_t *o, const char *k, int64_t *out)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_integer(v))
		return -1;
	*out = json_integer_value(v);
	return 0;
}

/* Check BODY's members against FIELDS: unknown → 400 unknown_field; wrong
 * type → 400 invalid_field; missing required → 422 payload_required. */
static json_t *
invalid(struct req_ctx *c, const char *field, const char *msg)
{
	return fail(c, 400, "invalid_field", json_pack("{s:s}", "field", field), msg);
}

json_t *
store_project_create(struct req_ctx *c, const json_t *b)
{
	struct pbuf pb = { .n = 0 };
	const char *agency, *s;
	int64_t year = 0, budget = -1;
	int32_t d;
	char st[6];

	if (!(c->u->roles & ROLE_OFFICER))
		return fail(c, 403, "forbidden", NULL, "only an officer creates projects");
	get_str(b, "agency", &agency);
	get_i64(b, "fiscal_year", &year);
	if (year < 2000 || year > 2100)
		return invalid(c, "fiscal_year", "fiscal_year must be between 2000 and 2100");
	if (!get_i64(b, "budget_fen", &budget) && budget < 0)
		return invalid(c, "budget_fen", "budget_fen must not be negative");
	if (!get_str(b, "funding_source", &s) && funding_parse(s) < 0)
		return invalid(c, "funding_source",
		    "funding_source must be special_funds, work_funds or lottery_funds");
	if (!get_str(b, "method", &s) && method_parse(s) < 0)
		return invalid(c, "method", "method must be public_tender, invited_tender, "
		    "competitive_negotiation, competitive_consultation or single_source");
	if (!get_str(b, "service_start", &s) && date_parse(s, &d))
		return invalid(c, "service_start", "service_start must be a date YYYY-MM-DD");
	if (!get_str(b, "service_end", &s) && date_parse(s, &d))
		return invalid(c, "service_end", "service_end must be a date YYYY-MM-DD");
	json_t *items = json_object_get(b, "catalog_items");
	size_t ix;
	json_t *it;
	json_array_foreach(items, ix, it) {
		if (!json_is_string(it))
			return invalid(c, "catalog_items", "catalog_items must be a list of codes");
	}

	/* the agency must exist and be in the officer's scope */
	const char *va[1] = { agency };
	PGresult *r = run(c->db, S_AGENCY_BY_CODE, 1, va, NULL);
	if (r == NULL)
		return dbfail(c, "reading an agency");
	bool seen = PQntuples(r) == 1 && user_sees(c->u, gs(r, 0, 4));
	PQclear(r);
	if (!seen)
		return fail(c, 404, "not_found", json_pack("{s:s}", "field", "agency"),
		    "no such agency in your scope");

	char *items_s = items ? dump(items) : xstrdup("[]");
	const char *txt[6];
	const char *keys[6] = { "title", "funding_source", "method", "quantity", "quality_standard",
		"service_start" };
	for (int k = 0; k < 6; k++)
		txt[k] = get_str(b, keys[k], &s) ? NULL : s;
	const char *send = NULL;
	get_str(b, "service_end", &send);
	const char *v[14] = { agency, pi64(&pb, year), txt[0], items_s,
		budget >= 0 ? pi64(&pb, budget) : NULL, txt[1], txt[2], txt[3] ? txt[3] : "",
		txt[4] ? txt[4] : "", txt[5], send, pi64(&pb, c->u->id), pi64(&pb, c->now), NULL };
	json_t *out = NULL;
	if (tx(c->db, "BEGIN"))
		goto dberr;
	r = run(c->db, S_PROJECT_CREATE, 14, v, st);
	if (r == NULL)
		goto dberr;
	int64_t id = gi64(r, 0, 0);
	PQclear(r);
	struct ev_write w = { .id = id, .seq = 1, .last_hash = "", .ev = "create", .from = "",
		.to = "draft", .payload = b };
	if (event_write(c, &w) || commit(c->db))
		goto dberr;
	log_info("project %" PRId64 ": created in draft by %s (agency %s)", id, c->u->name, agency);
	free(items_s);
	return store_project_get(c, id);
dberr:
	free(items_s);
	return out ? out : dbfail(c, "creating a project");
}

/* ------------------------------------------------------------------------ */
/* Lifecycle events: one transaction each                                   */

static int
load_needs(struct req_ctx *c, unsigned needs, const PGresult *pr, const struct lc_project *p,
    struct lc_loaded *l)
{
	struct pbuf pb = { .n = 0 };
	PGresult *r;

	if (needs & NEED_CATALOG) {
		const char *v[1] = { gs(pr, 0, PC_ITEMS) };
		if ((r = run(c->db, S_CATALOG_STATUS, 1, v, NULL)) == NULL)
			return -1;
		for (int i = 0; i < PQntuples(r) && l->n_items < LC_MAX_ITEMS; i++) {
			struct lc_catalog_item *it = &l->items[l->n_items++];
			snprintf(it->code, sizeof it->code, "%s", gs(r, i, 0));
			it->exists = gbool(r, i, 1);
			it->approved = gbool(r, i, 2);
			it->purchasable = gbool(r, i, 3);
		}
		PQclear(r);
	}
	if (needs & NEED_BUDGET) {
		const char *v[3] = { gs(pr, 0, PC_AGENCY), gs(pr, 0, PC_YEAR), gs(pr, 0, PC_ID) };
		if ((r = run(c->db, S_BUDGET_FOR_UPDATE, 2, v, NULL)) == NULL)
			return -1;
		l->has_budget = PQntuples(r) == 1;
		if (l->has_budget) {
			l->special_funds_fen = gi64(r, 0, 0);
			int64_t by_source[FUNDING__COUNT] = { gi64(r, 0, 0), gi64(r, 0, 1), gi64(r, 0, 2) };
			l->source_funds_fen = p->funding >= 0 ? by_source[p->funding] : 0;
			l->cap_bp = (int)gi64(r, 0, 3);
		}
		PQclear(r);
		if ((r = run(c->db, S_SPECIAL_COMMITTED, 3, v, NULL)) == NULL)
			return -1;
		l->special_committed_fen = gi64(r, 0, 0);
		PQclear(r);
	}
	if (needs & NEED_BIDS) {
		const char *v[4] = { gs(pr, 0, PC_ID), gs(pr, 0, PC_ROUND), gs(pr, 0, PC_YEAR),
			pi64(&pb, c->rc->past_performance_years) };
		if ((r = run(c->db, S_BIDS_FOR_RANKING, 4, v, NULL)) == NULL)
			return -1;
		for (int i = 0; i < PQntuples(r) && l->n_bids < LC_MAX_BIDS; i++) {
			struct rank_bid *b = &l->bids[l->n_bids++];
			memset(b, 0, sizeof *b);
			b->bid_id = gi64(r, i, 0);
			b->contractor_id = gi64(r, i, 1);
			b->price_fen = gi64(r, i, 2);
			b->n_sheets = (int)gi64(r, i, 4);
			b->sheet_quality_sum = strtod(gs(r, i, 5), NULL);
			b->past_composite = gnull(r, i, 6) ? -1 : strtod(gs(r, i, 6), NULL);
			b->eligible = !gbool(r, i, 3) && gbool(r, i, 7) && !gbool(r, i, 8);
		}
		PQclear(r);
	}
	if (needs & NEED_CHALLENGES) {
		const char *v[1] = { gs(pr, 0, PC_ID) };
		if ((r = run(c->db, S_CHALLENGES, 1, v, NULL)) == NULL)
			return -1;
		for (int i = 0; i < PQntuples(r) && l->n_challenges < LC_MAX_CHALLENGES; i++) {
			struct lc_challenge *ch = &l->challenges[l->n_challenges++];
			ch->id = gi64(r, i, 0);
			ch->open = gbool(r, i, 1);
			ch->answer_due = gi64(r, i, 2);
		}
		PQclear(r);
	}
	if (needs & NEED_CONTRACTOR) {
		int32_t today = calendar_local_day(c->cal, c->now);
		const char *v[2] = { pi64(&pb, p->award_contractor_id), pdate(&pb, today) };
		if ((r = run(c->db, S_CONTRACTOR_BANNED_ON, 2, v, NULL)) == NULL)
			return -1;
		l->contractor_banned = gbool(r, 0, 0);
		l->contractor_qualified = true;
		PQclear(r);
	}
	return 0;
}

/* The successor project of a contractor's exit, its creation event, the
 * link both ways and, for breach or fraud, the ban. */
static int
takeover_effects(struct req_ctx *c, const PGresult *pr, const struct lc_project *p,
    const char *reason, json_t *result)
{
	struct pbuf pb = { .n = 0 };
	int32_t today = calendar_local_day(c->cal, c->now);
	const char *v[5] = { pi64(&pb, p->id), "（接续）", pdate(&pb, today),
		actor_id_param(&pb, c->u) ? actor_id_param(&pb, c->u) : gs(pr, 0, PC_CREATED_BY),
		pi64(&pb, c->now) };
	PGresult *r = run(c->db, S_SUCCESSOR_CREATE, 5, v, NULL);
	if (r == NULL)
		return -1;
	int64_t sid = gi64(r, 0, 0);
	PQclear(r);
	const char *v2[2] = { pi64(&pb, p->id), pi64(&pb, sid) };
	if (run0(c->db, S_SET_SUCCESSOR, 2, v2, NULL))
		return -1;
	json_t *spl = json_pack("{s:I,s:s}", "predecessor_id", (json_int_t)p->id, "reason", reason);
	struct ev_write w = { .id = sid, .seq = 1, .last_hash = "", .ev = "create", .from = "",
		.to = "draft", .payload = spl };
	int rc = event_write(c, &w);
	json_decref(spl);
	if (rc)
		return -1;
	json_object_set_new(result, "successor_id", json_integer(sid));
	if (!strcmp(reason, "breach") || !strcmp(reason, "fraud")) {
		int32_t end = rules_ban_end(today, c->rc->ban_years);
		const char *v3[6] = { pi64(&pb, p->award_contractor_id), reason, pdate(&pb, today),
			pdate(&pb, end), pi64(&pb, p->id), pi64(&pb, c->now) };
		if (run0(c->db, S_BAN_ADD, 6, v3, NULL))
			return -1;
		char b1[16], b2[16];
		json_object_set_new(result, "ban", json_pack("{s:I,s:s,s:s,s:s}", "contractor_id",
		    (json_int_t)p->award_contractor_id, "reason", reason, "starts",
		    date_format(today, b1, sizeof b1), "ends", date_format(end, b2, sizeof b2)));
	}
	return 0;
}

/* What the event changes beyond state and history. RESULT collects the
 * figures the guard or the effect computed, for the history and the answer.
 * Returns 0, -1 on a database error. */
static int
apply_effects(struct req_ctx *c, enum lc_event ev, const PGresult *pr, const struct lc_project *p,
    const struct lc_result *res, const json_t *pl, json_t *result)
{
	struct pbuf pb = { .n = 0 };
	const char *id = gs(pr, 0, PC_ID), *s = NULL;
	int64_t n = 0;
	usec_t t = 0;

	switch (ev) {
	case EV_SUBMIT: {
		const char *v[2] = { id, pi64(&pb, c->u->id) };
		return run0(c->db, S_SET_SUBMITTED, 2, v, NULL);
	}
	case EV_APPROVE_BUDGET: {
		const char *v[2] = { id, "true" };
		return run0(c->db, S_SET_BUDGET_APPROVED, 2, v, NULL);
	}
	case EV_PUBLISH: {
		get_str(pl, "bid_deadline", &s);
		time_parse(s, &t);
		get_str(pl, "requirements", &s);
		get_i64(pl, "evaluators_required", &n);
		char *crit = dump(json_object_get(pl, "criteria"));
		const char *v[6] = { id, pi64(&pb, c->now), pi64(&pb, t), s, pi64(&pb, n), crit };
		int rc = run0(c->db, S_SET_PUBLISHED, 6, v, NULL);
		free(crit);
		return rc;
	}
	case EV_RETENDER: {
		get_str(pl, "bid_deadline", &s);
		time_parse(s, &t);
		const char *v[3] = { id, pi64(&pb, c->now), pi64(&pb, t) };
		return run0(c->db, S_SET_ROUND, 3, v, NULL);
	}
	case EV_CHANGE_METHOD: {
		get_str(pl, "method", &s);
		const char *v[2] = { id, s };
		return run0(c->db, S_SET_METHOD, 2, v, NULL);
	}
	case EV_CLOSE_BIDDING:
		json_object_set_new(result, "eligible_bids", json_integer(res->n_eligible_bids));
		return 0;
	case EV_DECLINE_AWARD: {
		const char *v[1] = { pi64(&pb, p->award_bid_id) };
		if (run0(c->db, S_BID_DECLINE, 1, v, NULL))
			return -1;
		json_object_set_new(result, "declined_bid_id", json_integer(p->award_bid_id));
	}
		/* the award passes to the next bid, or to none */
		__attribute__((fallthrough));
	case EV_AWARD: {
		bool any = res->award_bid_id > 0;
		const char *v[5] = { id, any ? pi64(&pb, res->award_bid_id) : NULL,
			any ? pi64(&pb, res->award_contractor_id) : NULL,
			any ? pi64(&pb, res->award_price_fen) : NULL, any ? pi64(&pb, c->now) : NULL };
		if (any)
			json_object_set_new(result, "award", json_pack("{s:I,s:I,s:I}", "bid_id",
			    (json_int_t)res->award_bid_id, "contractor_id",
			    (json_int_t)res->award_contractor_id, "price_fen",
			    (json_int_t)res->award_price_fen));
		return run0(c->db, S_SET_AWARD, 5, v, NULL);
	}
	case EV_CHALLENGE: {
		const char *sup, *txt;
		get_str(pl, "supplier", &sup);
		get_str(pl, "text", &txt);
		const char *v[5] = { id, sup, txt, pi64(&pb, c->now), pi64(&pb, res->due) };
		PGresult *r = run(c->db, S_CHALLENGE_OPEN, 5, v, NULL);
		if (r == NULL)
			return -1;
		json_object_set_new(result, "challenge_id", json_integer(gi64(r, 0, 0)));
		json_object_set_new(result, "answer_due", jtime(c, res->due));
		PQclear(r);
		return 0;
	}
	case EV_ANSWER_CHALLENGE: {
		get_str(pl, "answer", &s);
		const char *v[4] = { pi64(&pb, res->challenge_id), id, s, pi64(&pb, c->now) };
		return run0(c->db, S_CHALLENGE_ANSWER, 4, v, NULL);
	}
	case EV_SIGN_CONTRACT: {
		json_t *ct = json_pack("{s:O,s:O,s:O,s:o}", "contract_no",
		    json_object_get(pl, "contract_no"), "amount_fen", json_object_get(pl, "amount_fen"),
		    "takeover_plan", json_object_get(pl, "takeover_plan"), "signed_at", jtime(c, c->now));
		char *cs = dump(ct);
		json_decref(ct);
		const char *v[2] = { id, cs };
		int rc = run0(c->db, S_SET_CONTRACT, 2, v, NULL);
		free(cs);
		return rc;
	}
	case EV_COMPLETE_SERVICE: {
		const char *v[2] = { id, pi64(&pb, c->u->id) };
		return run0(c->db, S_SET_COMPLETED, 2, v, NULL);
	}
	case EV_CONFIRM_PAYMENT: {
		get_i64(pl, "amount_fen", &n);
		const char *v[2] = { id, pi64(&pb, n) };
		return run0(c->db, S_SET_PAID, 2, v, NULL);
	}
	case EV_EVALUATE: {
		json_t *sc[3] = { json_object_get(pl, "purchaser_score"),
			json_object_get(pl, "recipient_satisfaction"),
			json_object_get(pl, "third_party_score") };
		json_t *e = json_pack("{s:O,s:O,s:O,s:f,s:I,s:o}", "purchaser_score", sc[0],
		    "recipient_satisfaction", sc[1], "third_party_score", sc[2], "composite",
		    res->composite, "contractor_id", (json_int_t)p->award_contractor_id,
		    "published_at", jtime(c, c->now));
		char *es = dump(e);
		json_decref(e);
		char n1[32], n2[32], n3[32], n4[32];
		snprintf(n1, sizeof n1, "%.17g", json_number_value(sc[0]));
		snprintf(n2, sizeof n2, "%.17g", json_number_value(sc[1]));
		snprintf(n3, sizeof n3, "%.17g", json_number_value(sc[2]));
		snprintf(n4, sizeof n4, "%.17g", res->composite);
		const char *v[2] = { id, es };
		const char *v2[9] = { id, pi64(&pb, p->award_contractor_id), gs(pr, 0, PC_AGENCY),
			gs(pr, 0, PC_YEAR), n1, n2, n3, n4, pi64(&pb, c->now) };
		int rc = run0(c->db, S_SET_EVALUATION, 2, v, NULL) ||
		    run0(c->db, S_EVALUATION_ADD, 9, v2, NULL);
		free(es);
		json_object_set_new(result, "composite", json_real(res->composite));
		return rc ? -1 : 0;
	}
	case EV_CONTRACTOR_EXIT:
		get_str(pl, "reason", &s);
		return takeover_effects(c, pr, p, s, result);
	case EV_REPORT_SUBCONTRACTING:
		/* subcontracting is forbidden (001 §2.7): an exit for breach */
		return takeover_effects(c, pr, p, "breach", result);
	default:
		return 0;
	}
}

/* Events whose effects change the project beyond state, version and time:
 * the answer then reads the row again. */
static bool
changes_row(enum lc_event ev)
{
	switch (ev) {
	case EV_SUBMIT: case EV_APPROVE_BUDGET: case EV_PUBLISH: case EV_RETENDER:
	case EV_CHANGE_METHOD: case EV_AWARD: case EV_DECLINE_AWARD: case EV_SIGN_CONTRACT:
	case EV_COMPLETE_SERVICE: case EV_CONFIRM_PAYMENT: case EV_EVALUATE:
	case EV_CONTRACTOR_EXIT: case EV_REPORT_SUBCONTRACTING:
		return true;
	default:
		return false;
	}
}

static json_t *
refuse(struct req_ctx *c, int64_t id, const char *ev, struct lc_result *res)
{
	json_t *details = res->err.details;
	res->err.details = NULL;
	if (res->err.rule[0]) {
		if (details == NULL)
			details = json_object();
		if (json_is_object(details) && json_object_get(details, "rule") == NULL)
			json_object_set_new(details, "rule", json_string(res->err.rule));
	}
	log_info("project %" PRId64 ": %s by %s refused: %s%s%s", id, ev, c->u->name, res->code,
	    res->err.rule[0] ? " " : "", res->err.rule);
	apierr_set(c->err, res->status, res->code, details, "%s",
	    res->err.message[0] ? res->err.message : res->code);
	return NULL;
}

static void
add_deadlines(json_t *arr, enum lc_state st, const struct deadline_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char per[40];
		json_array_append_new(arr, json_pack("{s:s,s:s,s:i,s:s,s:I,s:I,s:o,s:o}", "state",
		    lc_state_name(st), "kind", rows[i].kind, "level", rows[i].level, "event",
		    lc_event_name(rows[i].event), "due", (json_int_t)rows[i].due, "fire",
		    (json_int_t)rows[i].fire, "origin", rows[i].origin ?
		    json_integer(rows[i].origin) : json_null(), "period", rows[i].origin ?
		    json_string(period_format(rows[i].period, per, sizeof per)) : json_null()));
	}
}

static void
publish_add(json_t *arr, const json_t *answer_event, int64_t pid)
{
	static const char *const keys[] = { "seq", "event", "from", "to", "at" };
	if (arr == NULL || answer_event == NULL)
		return;
	/* the message as the PUB socket sends it (DESIGN.md, version 1): built
	 * whole here, so the relay thread only reads it */
	json_t *p = json_object();
	json_object_set_new_nocheck(p, "project_id", json_integer((json_int_t)pid));
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		json_object_set_nocheck(p, keys[i], json_object_get(answer_event, keys[i]));
	json_object_set_new_nocheck(p, "v", json_integer(1));
	json_array_append_new(arr, p);
}

/* What guards of events that need nothing see (lifecycle_needs() == 0):
 * const, so a guard that wrote to it without declaring the need would fault
 * in the tests rather than share state between requests. */
static const struct lc_loaded nothing_loaded;

/* Decide and apply EV on the project in PR, which this transaction holds
 * locked. FIRED is the deadline this event fires (0 when a person acts).
 * Returns the answer (the project as GET shows it plus "event") when
 * WANT_ANSWER, else a JSON true; NULL with c->err set when refused or on a
 * database error. Never commits nor rolls back: the caller does. */
static json_t *
event_locked(struct req_ctx *c, const PGresult *pr, enum lc_event ev, const char *ev_name,
    const json_t *payload, int64_t fired, bool want_answer)
{
	struct lc_result res;
	struct lc_project p;
	struct lc_loaded *l = NULL;
	json_t *out = NULL, *result = NULL, *stored = NULL, *notices = NULL, *dl = NULL;
	int64_t id = gi64(pr, 0, PC_ID);

	memset(&res, 0, sizeof res);
	project_decode(pr, 0, &p, c->rc);
	/* a guard reads only what its event needs: an event that needs nothing
	 * (most of them) gets the empty set, read-only, rather than 8.7 kB
	 * allocated and zeroed per event */
	unsigned needs = lifecycle_needs(p.state, ev);
	l = needs ? xcalloc(1, sizeof *l) : (struct lc_loaded *)&nothing_loaded;
	if (load_needs(c, needs, pr, &p, l)) {
		dbfail(c, "loading what the guard needs");
		goto done;
	}
	struct lc_ctx ctx = { .rc = c->rc, .cal = c->cal, .now = c->now,
		.actor = { c->u->id, c->u->roles }, .p = &p, .l = l, .payload = payload };
	lifecycle_decide(&ctx, ev, &res);
	if (res.status != 0 && c->row_kept) {
		c->retry = RETRY_READ;	/* refused on what may be stale: read, decide again */
		goto done;
	}
	if (res.status != 0) {
		refuse(c, id, ev_name, &res);
		goto done;
	}
	result = json_object();
	if (apply_effects(c, ev, pr, &p, &res, payload, result)) {
		dbfail(c, "applying an event");
		goto done;
	}
	stored = json_deep_copy(payload);
	if (json_object_size(result))
		json_object_set(stored, "result", result);

	/* deadlines: the new state's, a challenge's answer, or none */
	struct deadline_row rows[DEADLINE_MAX];
	struct ev_write w = { .id = id, .seq = (int)gi64(pr, 0, PC_LAST_SEQ) + 1,
		.last_hash = gs(pr, 0, PC_LAST_HASH), .ev = ev_name, .from = lc_state_name(p.state),
		.to = lc_state_name(res.to), .payload = stored, .leave_state = res.to != p.state,
		.fired_deadline = fired, .uncovered_year = res.uncovered_year,
		.read_version = (int)gi64(pr, 0, PC_VERSION), .row = pr };
	char kind[40];
	dl = json_array();
	if (w.leave_state) {
		struct lc_project np = p;
		const char *t;
		if ((ev == EV_PUBLISH || ev == EV_RETENDER) && !get_str(payload, "bid_deadline", &t))
			time_parse(t, &np.bid_deadline);
		size_t n = deadline_plan(c->dc, c->cal, res.to, &np, c->now,
		    ev == EV_REJECT_ACCEPTANCE ? res.due : 0, rows, &w.uncovered_year);
		add_deadlines(dl, res.to, rows, n);
	}
	if (ev == EV_CHALLENGE) {
		snprintf(kind, sizeof kind, "challenge:%" JSON_INTEGER_FORMAT,
		    json_integer_value(json_object_get(result, "challenge_id")));
		size_t n = deadline_plan_period(c->dc, c->cal, kind, c->now, c->rc->challenge_answer,
		    rows, &w.uncovered_year);
		add_deadlines(dl, p.state, rows, n);
	} else if (ev == EV_ANSWER_CHALLENGE) {
		snprintf(kind, sizeof kind, "challenge:%" PRId64, res.challenge_id);
		w.cancel_kind = kind;
	}
	w.deadlines = dl;

	json_t *plan = NULL;
	if (!gnull(pr, 0, PC_CONTRACT)) {
		json_t *ct = json_loads(gs(pr, 0, PC_CONTRACT), 0, NULL);
		plan = json_incref(json_object_get(ct, "takeover_plan"));
		json_decref(ct);
	}
	struct agency_info ai;
	if (agency_info(c->db, gs(pr, 0, PC_AGENCY), &ai)) {
		json_decref(plan);
		dbfail(c, "reading a project's agency");
		goto done;
	}
	struct notice_ctx nc = { ev, ev_name, p.state, res.to, gs(pr, 0, PC_AGENCY),
		ai.has_parent ? ai.parent : NULL, id, gs(pr, 0, PC_TITLE),
		c->u->name, stored, plan, ai.lang, ai.parent_lang };
	notices = notice_rows(&nc);
	json_decref(plan);
	w.notices = notices;
	/* an answer that must read the project again reads it before the
	 * COMMIT, in the event's transaction: a failed read then leaves nothing
	 * committed, and the answer shows this event's row, not a later one */
	bool reread = changes_row(ev) || w.leave_state || json_array_size(dl) || w.cancel_kind;
	w.commit = c->commit_on_write && !(want_answer && reread);
	if (event_write(c, &w)) {
		if (!c->retry)
			dbfail(c, "writing an event");
		goto done;
	}
	if (w.outbox_rows > 0 && c->outbox_written)
		*c->outbox_written = true;
	{
		/* every change of state is logged; events within a state (supervision
		 * records, escalations) only at debug: the history has them all */
		char roles[128];
		(w.leave_state ? log_info : log_debug)("project %" PRId64 ": %s -> %s (%s by %s/%s)",
		    id, w.from, w.to, ev_name, user_role_list(c->u->roles, roles, sizeof roles),
		    c->u->name);
	}
	if (!want_answer) {
		out = json_true();
		goto done;
	}
	if (reread) {
		PGresult *again = project_fetch(c, id, false);
		if (again == NULL)
			goto done;
		out = project_json(c, again, 0);
		PQclear(again);
	} else if (c->commit_on_write) {
		/* no answer to keep for an Idempotency-Key (the hot path): it is
		 * written as text straight from the row (no tree of forty values to
		 * build, print and free); the caller gets the event alone */
		struct project_after after = { w.version, w.has_next_check, w.next_check, c->now };
		json_t *e = event_json(c, w.seq, ev_name, w.from, w.to, c->u->name, c->now,
		    json_incref(stored), w.last_hash, w.hash);
		struct jsonw jw;
		jsonw_init(&jw);
		jsonw_open(&jw);
		project_text(&jw, c, pr, 0, &after);
		jsonw_key(&jw, "event");
		jsonw_value(&jw, e);
		jsonw_close(&jw);
		if ((c->answer_text = jsonw_finish(&jw, NULL)) == NULL)
			abort();	/* only out of memory */
		out = json_pack("{s:o}", "event", e);
		goto done;
	} else {
		out = project_json(c, pr, 0);
		json_object_set_new(out, "version", json_integer(w.version));
		json_object_set_new(out, "next_check",
		    w.has_next_check ? jtime(c, w.next_check) : json_null());
		json_object_set_new(out, "updated_at", jtime(c, c->now));
	}
	json_object_set_new(out, "event", event_json(c, w.seq, ev_name, w.from, w.to, c->u->name,
	    c->now, json_incref(stored), w.last_hash, w.hash));
done:
	lc_result_clear(&res);
	json_decref(result);
	json_decref(stored);
	json_decref(notices);
	json_decref(dl);
	if (l != &nothing_loaded)
		free(l);
	return out;
}

json_t *
store_event_apply(struct req_ctx *c, int64_t id, const char *ev_name, int64_t expected_version,
    const json_t *payload, const char *idem_key, const char *raw_body, int *status)
{
	struct pbuf pb = { .n = 0 };
	PGresult *pr = NULL, *r;
	json_t *out = NULL;

	*status = 200;
	int evi = lc_event_parse(ev_name);
	if (evi < 0)
		return fail(c, 400, "invalid_field", json_pack("{s:s}", "field", "event"),
		    "unknown event");
	/* An event that stays in its state and needs nothing but the project
	 * row (lifecycle_stays: supervision records) is decided on the row read
	 * without a lock and written only while the project is still at the
	 * version read, in one statement that is its own transaction: no
	 * BEGIN, no row lock. When the project moved meanwhile it is read and
	 * decided again; after two such misses, or when the decision needs more
	 * than that light write, with the row locked, as every other event. */
	int unlocked = idem_key == NULL && lifecycle_stays((enum lc_event)evi) ? 2 : 0;
	/* The first decision may be taken on the row as this process last read
	 * or wrote it (the project cache): the write finds out whether it still
	 * is. Whatever that row would refuse (a version, a guard) is read again
	 * first, as is the row after a write that found it moved. */
	bool use_kept = true, kept;
again:
	kept = false;
	if ((pr = unlocked ? project_read(c, id, use_kept ? &kept : NULL) :
	    project_fetch_tx(c, id, true, true)) == NULL)
		return NULL;
	use_kept = false;
	if (idem_key) {
		/* checked under the project's lock: a concurrent retry waits for
		 * the first answer's commit and then finds it */
		const char *v[3] = { pi64(&pb, c->u->id), idem_key, raw_body };
		if ((r = run(c->db, S_IDEM_GET, 3, v, NULL)) == NULL)
			goto dberr;
		if (PQntuples(r) == 1) {
			bool same = gbool(r, 0, 2) && gi64(r, 0, 3) == id;
			if (same) {
				*status = (int)gi64(r, 0, 0);
				out = json_loads(gs(r, 0, 1), 0, NULL);
			}
			PQclear(r);
			PQclear(pr);
			if (!same)
				return fail(c, 422, "rule_violation",
				    json_pack("{s:s}", "rule", "idempotency_key_reused"),
				    "this Idempotency-Key was used for a different request");
			rollback(c->db);
			return out;
		}
		PQclear(r);
	}
	int version = (int)gi64(pr, 0, PC_VERSION);
	if (expected_version >= 0 && expected_version != version && kept) {
		PQclear(pr);
		goto again;
	}
	if (expected_version >= 0 && expected_version != version) {
		char msg[128];
		snprintf(msg, sizeof msg, "the project is at version %d, not %" PRId64, version,
		    expected_version);
		PQclear(pr);
		return fail(c, 409, "version_conflict", json_pack("{s:I,s:i}", "expected",
		    (json_int_t)expected_version, "actual", version), msg);
	}
	/* without an idempotent answer to store, the write carries the COMMIT */
	c->commit_on_write = idem_key == NULL;
	c->committed = false;
	c->db->opt_only = unlocked > 0;
	c->retry = RETRY_NONE;
	c->row_kept = kept;
	out = event_locked(c, pr, (enum lc_event)evi, ev_name, payload, 0, true);
	c->commit_on_write = c->db->opt_only = c->db->opt_blocked = c->row_kept = false;
	PQclear(pr);
	pr = NULL;	/* the error paths below clear it again */
	if (out == NULL && c->retry != RETRY_NONE && !c->committed) {
		/* a kept row found stale costs a read, not one of the two tries */
		if (c->retry == RETRY_LOCK)
			unlocked = 0;
		else if (c->retry == RETRY_MOVED && !kept)
			unlocked--;
		c->retry = RETRY_NONE;
		goto again;
	}
	if (out == NULL) {
		rollback(c->db);
		return NULL;
	}
	if (c->committed)
		goto committed;
	if (idem_key) {
		char *body = dump(out);
		const char *v[7] = { pi64(&pb, c->u->id), idem_key, pi64(&pb, id), raw_body, "200",
			body, pi64(&pb, c->now) };
		int rc = run0(c->db, S_IDEM_PUT, 7, v, NULL);
		free(body);
		if (rc)
			goto dberr;
	}
	if (commit(c->db))
		goto dberr;
committed:
	/* a fresh event, not an answer replayed for its Idempotency-Key */
	metrics_event_applied(ev_name);
	publish_add(c->published, json_object_get(out, "event"), id);
	return out;
dberr:
	PQclear(pr);
	json_decref(out);
	return dbfail(c, "applying an event");
}

json_t *
store_event_list(struct req_ctx *c, int64_t id)
{
	PGresult *pr = project_fetch(c, id, false);
	if (pr == NULL)
		return NULL;
	PQclear(pr);
	struct pbuf pb = { .n = 0 };
	const char *v[1] = { pi64(&pb, id) };
	PGresult *r = run(c->db, S_EVENT_LIST, 1, v, NULL);
	if (r == NULL)
		return dbfail(c, "reading the history");
	json_t *items = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, event_json(c, (int)gi64(r, i, 0), gs(r, i, 1),
		    gs(r, i, 2), gs(r, i, 3), gs(r, i, 4), gi64(r, i, 5), jjson_col(r, i, 6),
		    gs(r, i, 7), gs(r, i, 8)));
	PQclear(r);
	return json_pack("{s:o,s:n}", "items", items, "next");
}

/* ------------------------------------------------------------------------ */
/* Agencies, budgets, catalogue                                             */

static json_t *
agency_json(const PGresult *r, int i, struct req_ctx *c)
{
	return json_pack("{s:s,s:s,s:s,s:o,s:s,s:o}", "code", gs(r, i, 0), "name", gs(r, i, 1), "level",
	    gs(r, i, 2), "parent", jstr_col(r, i, 3), "lang", gs(r, i, 6), "created_at",
	    jtime_col(c, r, i, 5));
}

/* The agency CODE if the user sees it: a result row, or NULL with 404. */
static PGresult *
agency_fetch(struct req_ctx *c, const char *code)
{
	const char *v[1] = { code };
	PGresult *r = run(c->db, S_AGENCY_BY_CODE, 1, v, NULL);
	if (r == NULL) {
		dbfail(c, "reading an agency");
		return NULL;
	}
	if (PQntuples(r) != 1 || !user_sees(c->u, gs(r, 0, 4))) {
		PQclear(r);
		fail(c, 404, "not_found", NULL, "no such agency");
		return NULL;
	}
	return r;
}

json_t *
store_agency_add(struct req_ctx *c, const char *code, const char *name, const char *level,
    const char *parent, const char *lang)
{
	struct pbuf pb = { .n = 0 };
	char st[6];

	if (parent) {
		const char *vp[1] = { parent };
		PGresult *pr = run(c->db, S_AGENCY_BY_CODE, 1, vp, NULL);
		if (pr == NULL)
			return dbfail(c, "reading an agency");
		bool seen = PQntuples(pr) == 1 && user_sees(c->u, gs(pr, 0, 4));
		PQclear(pr);
		if (!seen)
			return fail(c, 404, "not_found", json_pack("{s:s}", "field", "parent"),
			    "no such parent agency in your scope");
	} else if (strcmp(c->u->path, "/") != 0) {
		/* a top-level agency would be outside the admin's own scope:
		 * those are made with procurctl */
		return fail(c, 422, "rule_violation",
		    json_pack("{s:s,s:s}", "rule", "parent_required", "field", "parent"),
		    "a new agency needs a parent agency in your scope");
	}
	const char *v[6] = { code, name, level, parent, pi64(&pb, c->now), lang };
	PGresult *r = run(c->db, S_AGENCY_ADD, 6, v, st);
	if (r == NULL) {
		if (!strcmp(st, "23505"))
			return fail(c, 409, "conflict", json_pack("{s:s}", "field", "code"),
			    "an agency with this code exists");
		if (!strcmp(st, "23514"))
			return fail(c, 400, "invalid_field", json_pack("{s:s}", "field", "code"),
			    "code must be 1-32 letters, digits, '-' or '_'; lang zh or en");
		return dbfail(c, "adding an agency");
	}
	PQclear(r);
	const char *v2[1] = { code };
	r = run(c->db, S_AGENCY_BY_CODE, 1, v2, NULL);
	if (r == NULL)
		return dbfail(c, "reading an agency");
	json_t *o = agency_json(r, 0, c);
	PQclear(r);
	return o;
}

json_t *
store_agency_get(struct req_ctx *c, const char *code)
{
	PGresult *r = agency_fetch(c, code);
	if (r == NULL)
		return NULL;
	json_t *o = agency_json(r, 0, c);
	PQclear(r);
	return o;
}

json_t *
store_budget_put(struct req_ctx *c, const char *agency, int year, const json_t *b)
{
	struct pbuf pb = { .n = 0 };
	const char *names[3] = { "special_funds_fen", "work_funds_fen", "lottery_funds_fen" };
	int64_t amt[3];

	for (int i = 0; i < 3; i++) {
		get_i64(b, names[i], &amt[i]);
		if (amt[i] < 0)
			return invalid(c, names[i], "amounts must not be negative");
	}
	int cap_bp = c->rc->cap_bp_default;
	json_t *cp = json_object_get(b, "cap_percent");
	if (json_is_number(cp)) {
		double d = json_number_value(cp);
		if (d < 0 || d > 100)
			return invalid(c, "cap_percent", "cap_percent must be between 0 and 100");
		cap_bp = (int)(d * 100 + 0.5);
	}
	PGresult *ar = agency_fetch(c, agency);
	if (ar == NULL)
		return NULL;
	PQclear(ar);
	const char *v[7] = { agency, pi64(&pb, year), pi64(&pb, amt[0]), pi64(&pb, amt[1]),
		pi64(&pb, amt[2]), pi64(&pb, cap_bp), pi64(&pb, c->now) };
	if (run0(c->db, S_BUDGET_PUT, 7, v, NULL))
		return dbfail(c, "writing a budget");
	log_info("budget %s/%d: special %" PRId64 " work %" PRId64 " lottery %" PRId64
	    " fen, cap %d bp, by %s", agency, year, amt[0], amt[1], amt[2], cap_bp, c->u->name);
	return store_budget_get(c, agency, year);
}

json_t *
store_budget_get(struct req_ctx *c, const char *agency, int year)
{
	struct pbuf pb = { .n = 0 };
	PGresult *ar = agency_fetch(c, agency);
	if (ar == NULL)
		return NULL;
	PQclear(ar);
	const char *v[2] = { agency, pi64(&pb, year) };
	PGresult *r = run(c->db, S_BUDGET_GET, 2, v, NULL);
	if (r == NULL)
		return dbfail(c, "reading a budget");
	if (PQntuples(r) != 1) {
		PQclear(r);
		return fail(c, 404, "not_found", NULL, "no budget recorded for that year");
	}
	int64_t special = gi64(r, 0, 0), committed = gi64(r, 0, 4);
	int cap_bp = (int)gi64(r, 0, 3);
	int64_t cap = rules_cap_fen(special, cap_bp);
	json_t *o = json_pack("{s:s,s:i,s:I,s:I,s:I,s:f,s:I,s:I,s:I,s:o}", "agency", agency,
	    "fiscal_year", year, "special_funds_fen", (json_int_t)special, "work_funds_fen",
	    (json_int_t)gi64(r, 0, 1), "lottery_funds_fen", (json_int_t)gi64(r, 0, 2), "cap_percent",
	    cap_bp / 100.0, "special_cap_fen", (json_int_t)cap, "special_committed_fen",
	    (json_int_t)committed, "special_remaining_fen", (json_int_t)(cap - committed),
	    "updated_at", jtime_col(c, r, 0, 5));
	PQclear(r);
	return o;
}

static json_t *
catalog_json(const PGresult *r, int i)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:b,s:b,s:b}", "code", gs(r, i, 0), "name", gs(r, i, 1),
	    "category", gs(r, i, 2), "level", gs(r, i, 3), "approved", gbool(r, i, 4),
	    "purchasable", gbool(r, i, 5), "restricted", gbool(r, i, 6));
}

/* Catalogue items are approved by the province (000 §3.3, 003 §1.2): a
 * county's admin may list an item, not approve it. */
static bool
may_approve(const struct user *u)
{
	return u->id == 0 || strcmp(u->level, "province") == 0;
}

json_t *
store_catalog_add(struct req_ctx *c, const json_t *b)
{
	struct pbuf pb = { .n = 0 };
	const char *code, *name, *cat, *level = "county";
	char st[6];

	get_str(b, "code", &code);
	get_str(b, "name", &name);
	get_str(b, "category", &cat);
	get_str(b, "level", &level);
	if (level == NULL)
		level = "county";
	bool approved = json_is_true(json_object_get(b, "approved"));
	bool purchasable = json_is_true(json_object_get(b, "purchasable"));
	bool restricted = json_is_true(json_object_get(b, "restricted"));
	if (approved && !may_approve(c->u))
		return fail(c, 403, "forbidden", json_pack("{s:s}", "field", "approved"),
		    "only a provincial admin approves catalogue items (000 §3.3)");
	if (restricted && purchasable)
		return fail(c, 422, "rule_violation", json_pack("{s:s,s:s}", "rule",
		    "restricted_not_purchasable", "code", code),
		    "administrative functions and confidential matters can never be purchasable "
		    "(001 §2.2, 000 §4.1)");
	const char *v[8] = { code, name, cat, level, approved ? "true" : "false",
		purchasable ? "true" : "false", restricted ? "true" : "false", pi64(&pb, c->now) };
	if (run0(c->db, S_CATALOG_ADD, 8, v, st)) {
		if (!strcmp(st, "23505"))
			return fail(c, 409, "conflict", json_pack("{s:s}", "field", "code"),
			    "a catalogue item with this code exists");
		if (!strcmp(st, "23514"))
			return fail(c, 400, "invalid_field", json_pack("{s:s}", "field", "code"),
			    "code or level is not valid (levels: province, city, county, township, village)");
		return dbfail(c, "adding a catalogue item");
	}
	return json_pack("{s:s,s:s,s:s,s:s,s:b,s:b,s:b}", "code", code, "name", name, "category", cat,
	    "level", level, "approved", approved, "purchasable", purchasable, "restricted", restricted);
}

json_t *
store_catalog_update(struct req_ctx *c, const char *code, const json_t *b)
{
	const char *v[7] = { code };
	const char *txt[3] = { "name", "category", "level" };
	const char *flags[3] = { "approved", "purchasable", "restricted" };
	char st[6];

	if (json_object_get(b, "approved") && !may_approve(c->u))
		return fail(c, 403, "forbidden", json_pack("{s:s}", "field", "approved"),
		    "only a provincial admin approves catalogue items (000 §3.3)");
	for (int i = 0; i < 3; i++) {
		const char *sv = NULL;
		get_str(b, txt[i], &sv);
		v[1 + i] = sv;
		json_t *fl = json_object_get(b, flags[i]);
		v[4 + i] = json_is_boolean(fl) ? (json_is_true(fl) ? "true" : "false") : NULL;
	}
	PGresult *r = run(c->db, S_CATALOG_UPDATE, 7, v, st);
	if (r == NULL) {
		if (!strcmp(st, "23514"))
			return fail(c, 422, "rule_violation", json_pack("{s:s,s:s}", "rule",
			    "restricted_not_purchasable", "code", code),
			    "administrative functions and confidential matters can never be purchasable "
			    "(001 §2.2, 000 §4.1); or the level is not valid");
		return dbfail(c, "updating a catalogue item");
	}
	if (PQntuples(r) != 1) {
		PQclear(r);
		return fail(c, 404, "not_found", NULL, "no such catalogue item");
	}
	json_t *o = catalog_json(r, 0);
	PQclear(r);
	log_info("catalogue: %s updated by %s", code, c->u->name);
	return o;
}

json_t *
store_catalog_list(struct req_ctx *c)
{
	PGresult *r = run(c->db, S_CATALOG_LIST, 0, NULL, NULL);
	if (r == NULL)
		return dbfail(c, "listing the catalogue");
	json_t *items = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, catalog_json(r, i));
	PQclear(r);
	return json_pack("{s:o,s:n}", "items", items, "next");
}

/* ------------------------------------------------------------------------ */
/* Contractors                                                              */

static const char *const qual_cols[QUAL__COUNT] = {
	"independent_liability", "facilities", "staff", "professional_capability", "governance",
	"financial_management",
};

json_t *
store_contractor_add(struct req_ctx *c, const json_t *b)
{
	struct pbuf pb = { .n = 0 };
	const char *name, *kind, *code;
	char why[200], st[6];

	if (!(c->u->roles & ROLE_OFFICER))
		return fail(c, 403, "forbidden", NULL, "only an officer registers contractors");
	get_str(b, "name", &name);
	get_str(b, "kind", &kind);
	get_str(b, "credit_code", &code);
	if (contractor_kind_parse(kind) < 0)
		return invalid(c, "kind",
		    "kind must be social_organization, public_institution or enterprise (001 §2.3)");
	if (rules_credit_code_check(code, why, sizeof why)) {
		char msg[300];
		snprintf(msg, sizeof msg, "credit_code: %s", why);
		return invalid(c, "credit_code", msg);
	}
	const char *v[11] = { name, kind, code };
	for (int i = 0; i < QUAL__COUNT; i++)
		v[3 + i] = json_is_true(json_object_get(b, qual_cols[i])) ? "true" : "false";
	v[9] = c->u->agency;
	v[10] = pi64(&pb, c->now);
	PGresult *r = run(c->db, S_CONTRACTOR_ADD, 11, v, st);
	if (r == NULL) {
		if (!strcmp(st, "23505"))
			return fail(c, 409, "conflict", json_pack("{s:s}", "field", "credit_code"),
			    "a contractor with this credit code exists");
		return dbfail(c, "adding a contractor");
	}
	int64_t id = gi64(r, 0, 0);
	PQclear(r);
	return store_contractor_get(c, id);
}

json_t *
store_contractor_get(struct req_ctx *c, int64_t id)
{
	struct pbuf pb = { .n = 0 };
	const char *v[1] = { pi64(&pb, id) };
	PGresult *r = run(c->db, S_CONTRACTOR_GET, 1, v, NULL);
	if (r == NULL)
		return dbfail(c, "reading a contractor");
	if (PQntuples(r) != 1) {
		PQclear(r);
		return fail(c, 404, "not_found", NULL, "no such contractor");
	}
	json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:o}", "id", (json_int_t)id, "name", gs(r, 0, 1),
	    "kind", gs(r, 0, 2), "credit_code", gs(r, 0, 3), "created_at", jtime_col(c, r, 0, 10));
	bool qualified = true;
	for (int i = 0; i < QUAL__COUNT; i++) {
		json_object_set_new(o, qual_cols[i], json_boolean(gbool(r, 0, 4 + i)));
		qualified = qualified && gbool(r, 0, 4 + i);
	}
	json_object_set_new(o, "qualified", json_boolean(qualified));
	PQclear(r);

	if ((r = run(c->db, S_CONTRACTOR_BANS, 1, v, NULL)) == NULL) {
		json_decref(o);
		return dbfail(c, "reading bans");
	}
	int32_t today = calendar_local_day(c->cal, c->now);
	json_t *bans = json_array();
	bool banned = false;
	for (int i = 0; i < PQntuples(r); i++) {
		int32_t s = 0, e = 0;
		date_parse(gs(r, i, 1), &s);
		date_parse(gs(r, i, 2), &e);
		bool active = rules_banned_on(s, e, today);
		banned = banned || active;
		json_array_append_new(bans, json_pack("{s:s,s:s,s:s,s:I,s:b}", "reason", gs(r, i, 0),
		    "starts", gs(r, i, 1), "ends", gs(r, i, 2), "project_id",
		    (json_int_t)gi64(r, i, 3), "active", active));
	}
	PQclear(r);
	json_object_set_new(o, "bans", bans);
	json_object_set_new(o, "banned", json_boolean(banned));

	if ((r = run(c->db, S_CONTRACTOR_EVALS, 1, v, NULL)) == NULL) {
		json_decref(o);
		return dbfail(c, "reading evaluations");
	}
	json_t *evals = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		json_array_append_new(evals, json_pack("{s:I,s:I,s:s,s:f,s:f,s:f,s:f,s:o}", "project_id",
		    (json_int_t)gi64(r, i, 0), "fiscal_year", (json_int_t)gi64(r, i, 1), "agency",
		    gs(r, i, 2), "purchaser_score", strtod(gs(r, i, 3), NULL), "recipient_satisfaction",
		    strtod(gs(r, i, 4), NULL), "third_party_score", strtod(gs(r, i, 5), NULL),
		    "composite", strtod(gs(r, i, 6), NULL), "published_at", jtime_col(c, r, i, 7)));
	PQclear(r);
	json_object_set_new(o, "evaluations", evals);
	return o;
}

/* ------------------------------------------------------------------------ */
/* Bids, scores and ranking                                                 */

static json_t *
bid_json(struct req_ctx *c, const PGresult *r, int i)
{
	return json_pack("{s:I,s:I,s:s,s:I,s:I,s:b,s:o,s:I}", "id", (json_int_t)gi64(r, i, 0),
	    "contractor_id", (json_int_t)gi64(r, i, 1), "contractor_name", gs(r, i, 2), "price_fen",
	    (json_int_t)gi64(r, i, 3), "round", (json_int_t)gi64(r, i, 4), "declined",
	    gbool(r, i, 5), "created_at", jtime_col(c, r, i, 6), "sheets",
	    (json_int_t)gi64(r, i, 7));
}

json_t *
store_bid_add(struct req_ctx *c, int64_t pid, const json_t *b)
{
	struct pbuf pb = { .n = 0 };
	int64_t cid = 0, price = 0;
	char st[6];

	if (!(c->u->roles & ROLE_OFFICER))
		return fail(c, 403, "forbidden", NULL, "only an officer records bids");
	get_i64(b, "contractor_id", &cid);
	get_i64(b, "price_fen", &price);
	if (price <= 0)
		return invalid(c, "price_fen", "price_fen must be positive");
	if (tx(c->db, "BEGIN"))
		return dbfail(c, "starting a transaction");
	/* the project's lock orders bids against close_bidding */
	PGresult *pr = project_fetch(c, pid, true);
	if (pr == NULL)
		return NULL;
	enum lc_state state = (enum lc_state)lc_state_parse(gs(pr, 0, PC_STATE));
	usec_t deadline = gi64(pr, 0, PC_BID_DEADLINE);
	const char *round = gs(pr, 0, PC_ROUND);
	char rbuf[16];
	snprintf(rbuf, sizeof rbuf, "%s", round);
	PQclear(pr);
	if (state != ST_ANNOUNCED)
		return fail(c, 409, "invalid_transition", json_pack("{s:s}", "state", lc_state_name(state)),
		    "bids are taken only while the project is announced");
	if (c->now >= deadline) {
		char d[64];
		return fail(c, 422, "rule_violation", json_pack("{s:s,s:s}", "rule", "bid_deadline_passed",
		    "bid_deadline", time_format(deadline, c->cal->utc_offset_s, d, sizeof d)),
		    "the bid deadline has passed");
	}
	/* the contractor: exists, qualified (000 §3.2), not banned today */
	const char *vc[1] = { pi64(&pb, cid) };
	PGresult *r = run(c->db, S_CONTRACTOR_GET, 1, vc, NULL);
	if (r == NULL)
		return dbfail(c, "reading a contractor");
	if (PQntuples(r) != 1) {
		PQclear(r);
		return fail(c, 404, "not_found", json_pack("{s:s}", "field", "contractor_id"),
		    "no such contractor");
	}
	json_t *missing = json_array();
	for (int i = 0; i < QUAL__COUNT; i++)
		if (!gbool(r, 0, 4 + i))
			json_array_append_new(missing, json_string(qual_cols[i]));
	PQclear(r);
	if (json_array_size(missing))
		return fail(c, 422, "rule_violation", json_pack("{s:s,s:I,s:o}", "rule",
		    "contractor_unqualified", "contractor_id", (json_int_t)cid, "missing", missing),
		    "the contractor lacks a required qualification (000 §3.2)");
	json_decref(missing);
	int32_t today = calendar_local_day(c->cal, c->now);
	const char *vb[2] = { pi64(&pb, cid), pdate(&pb, today) };
	if ((r = run(c->db, S_CONTRACTOR_BANNED_ON, 2, vb, NULL)) == NULL)
		return dbfail(c, "reading bans");
	bool banned = gbool(r, 0, 0);
	PQclear(r);
	if (banned)
		return fail(c, 422, "rule_violation", json_pack("{s:s,s:I,s:s}", "rule",
		    "contractor_banned", "contractor_id", (json_int_t)cid, "on", vb[1]),
		    "the contractor is banned from government purchase of services (001 §2.7)");
	const char *v[6] = { pi64(&pb, pid), pi64(&pb, cid), pi64(&pb, price), rbuf,
		pi64(&pb, c->u->id), pi64(&pb, c->now) };
	if ((r = run(c->db, S_BID_ADD, 6, v, st)) == NULL) {
		if (!strcmp(st, "23505"))
			return fail(c, 409, "conflict", json_pack("{s:s}", "field", "contractor_id"),
			    "this contractor has already bid in this round");
		return dbfail(c, "recording a bid");
	}
	int64_t bid = gi64(r, 0, 0);
	PQclear(r);
	if (commit(c->db))
		return dbfail(c, "recording a bid");
	log_info("project %" PRId64 ": bid %" PRId64 " from contractor %" PRId64 " at %" PRId64
	    " fen, by %s", pid, bid, cid, price, c->u->name);
	return json_pack("{s:I,s:I,s:I,s:I,s:i,s:b,s:o}", "id", (json_int_t)bid, "project_id",
	    (json_int_t)pid, "contractor_id", (json_int_t)cid, "price_fen", (json_int_t)price,
	    "round", atoi(rbuf), "declined", 0, "created_at", jtime(c, c->now));
}

json_t *
store_bid_list(struct req_ctx *c, int64_t pid)
{
	PGresult *pr = project_fetch(c, pid, false);
	if (pr == NULL)
		return NULL;
	PQclear(pr);
	struct pbuf pb = { .n = 0 };
	const char *v[1] = { pi64(&pb, pid) };
	PGresult *r = run(c->db, S_BID_LIST, 1, v, NULL);
	if (r == NULL)
		return dbfail(c, "listing bids");
	json_t *items = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, bid_json(c, r, i));
	PQclear(r);
	return json_pack("{s:o,s:n}", "items", items, "next");
}

json_t *
store_score_add(struct req_ctx *c, int64_t pid, int64_t bid, const json_t *body)
{
	struct pbuf pb = { .n = 0 };
	struct lc_project p;
	char st[6];

	if (!(c->u->roles & ROLE_EVALUATOR))
		return fail(c, 403, "forbidden", NULL, "only an evaluator scores bids");
	PGresult *pr = project_fetch(c, pid, false);
	if (pr == NULL)
		return NULL;
	project_decode(pr, 0, &p, c->rc);
	char round[16];
	snprintf(round, sizeof round, "%s", gs(pr, 0, PC_ROUND));
	PQclear(pr);
	if (p.state != ST_SCORING)
		return fail(c, 409, "invalid_transition", json_pack("{s:s}", "state",
		    lc_state_name(p.state)), "bids are scored only while the project is in scoring");
	const char *vb[2] = { pi64(&pb, bid), pi64(&pb, pid) };
	PGresult *r = run(c->db, S_BID_GET, 2, vb, NULL);
	if (r == NULL)
		return dbfail(c, "reading a bid");
	bool found = PQntuples(r) == 1 && !strcmp(gs(r, 0, 3), round);
	PQclear(r);
	if (!found)
		return fail(c, 404, "not_found", NULL, "no such bid in this project's current round");
	struct rule_error e = { .details = NULL };
	double qsum = 0;
	const json_t *scores = json_object_get(body, "scores");
	if (rules_check_sheet(p.criteria, p.n_criteria, scores, &qsum, &e)) {
		json_t *d = e.details ? e.details : json_object();
		e.details = NULL;
		json_object_set_new(d, "rule", json_string(e.rule));
		char msg[256];
		snprintf(msg, sizeof msg, "%s", e.message);
		rule_error_clear(&e);
		return fail(c, 422, "rule_violation", d, msg);
	}
	char *ss = dump(scores), qs[32];
	snprintf(qs, sizeof qs, "%.17g", qsum);
	const char *v[5] = { pi64(&pb, bid), pi64(&pb, c->u->id), ss, qs, pi64(&pb, c->now) };
	int rc = run0(c->db, S_SCORE_ADD, 5, v, st);
	free(ss);
	if (rc) {
		if (!strcmp(st, "23505"))
			return fail(c, 409, "conflict", NULL,
			    "you have already scored this bid: one sheet per evaluator and bid");
		return dbfail(c, "recording a score sheet");
	}
	return json_pack("{s:I,s:I,s:s,s:O,s:f,s:o}", "bid_id", (json_int_t)bid, "project_id",
	    (json_int_t)pid, "evaluator", c->u->name, "scores", scores, "quality_sum", qsum,
	    "created_at", jtime(c, c->now));
}

json_t *
store_ranking(struct req_ctx *c, int64_t pid)
{
	struct lc_project p;
	struct pbuf pb = { .n = 0 };
	PGresult *pr = project_fetch(c, pid, false);
	if (pr == NULL)
		return NULL;
	project_decode(pr, 0, &p, c->rc);
	if (p.n_criteria == 0) {
		PQclear(pr);
		return fail(c, 409, "invalid_transition", NULL,
		    "the project has not been published with evaluation criteria");
	}
	struct lc_loaded *l = xcalloc(1, sizeof *l);
	if (load_needs(c, NEED_BIDS, pr, &p, l)) {
		PQclear(pr);
		free(l);
		return dbfail(c, "reading bids");
	}
	PQclear(pr);
	(void)pb;
	rules_rank(c->rc, p.criteria, p.n_criteria, l->bids, l->n_bids);
	bool has_past = false;
	for (size_t i = 0; i < p.n_criteria; i++)
		if (p.criteria[i].kind == CRIT_QUALITY && !strcmp(p.criteria[i].name, PAST_PERFORMANCE))
			has_past = true;
	json_t *items = json_array();
	for (size_t i = 0; i < l->n_bids; i++) {
		const struct rank_bid *b = &l->bids[i];
		json_t *o = json_pack("{s:i,s:I,s:I,s:I,s:f,s:f,s:f,s:i,s:b}", "rank", b->rank,
		    "bid_id", (json_int_t)b->bid_id, "contractor_id", (json_int_t)b->contractor_id,
		    "price_fen", (json_int_t)b->price_fen, "quality_score", b->quality_score,
		    "price_score", b->price_score, "total", b->total, "sheets", b->n_sheets,
		    "eligible", b->eligible);
		json_t *src = json_pack("{s:s,s:s}", "quality_score",
		    "mean of the evaluators' sheets", "price_score",
		    "lowest valid price / this price x price weight");
		if (has_past) {
			json_object_set_new(o, "past_performance", json_pack("{s:f,s:s,s:o}", "points",
			    b->past_points, "source", b->past_neutral ? "neutral" : "evaluations",
			    "composite", b->past_neutral ? json_null() : json_real(b->past_composite)));
			json_object_set_new(src, "past_performance", json_string(b->past_neutral ?
			    "no published evaluation in the period: the configured neutral value" :
			    "mean composite of the contractor's published evaluations"));
		}
		json_object_set_new(o, "sources", src);
		json_array_append_new(items, o);
	}
	free(l);
	return json_pack("{s:o}", "items", items);
}

json_t *
store_evaluation_list(struct req_ctx *c, int year)
{
	struct pbuf pb = { .n = 0 };
	const char *v[1] = { pi64(&pb, year) };
	PGresult *r = run(c->db, S_EVALUATION_LIST, 1, v, NULL);
	if (r == NULL)
		return dbfail(c, "listing evaluations");
	json_t *items = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, json_pack("{s:I,s:I,s:s,s:s,s:I,s:f,s:f,s:f,s:f,s:o,s:s}",
		    "project_id", (json_int_t)gi64(r, i, 0), "contractor_id", (json_int_t)gi64(r, i, 1),
		    "contractor_name", gs(r, i, 2), "agency", gs(r, i, 3), "fiscal_year",
		    (json_int_t)gi64(r, i, 4), "purchaser_score", strtod(gs(r, i, 5), NULL),
		    "recipient_satisfaction", strtod(gs(r, i, 6), NULL), "third_party_score",
		    strtod(gs(r, i, 7), NULL), "composite", strtod(gs(r, i, 8), NULL), "published_at",
		    jtime_col(c, r, i, 9), "title", gs(r, i, 10)));
	PQclear(r);
	return json_pack("{s:o,s:n}", "items", items, "next");
}

int
store_metrics_gauges(struct req_ctx *c, struct metrics_gauges *g)
{
	PGresult *r = run(c->db, S_GAUGES, 0, NULL, NULL);
	if (r == NULL) {
		dbfail(c, "reading gauges");
		return -1;
	}
	for (int i = 0; i < 3; i++)
		g->notifications[i] = gi64(r, 0, i);
	g->outbox_backlog = g->notifications[0];
	usec_t oldest = gi64(r, 0, 3);
	g->outbox_oldest_age_s = oldest ? (double)(c->now - oldest) / 1e6 : 0;
	PQclear(r);
	if ((r = run(c->db, S_INCIDENTS_OPEN, 0, NULL, NULL)) == NULL) {
		dbfail(c, "reading gauges");
		return -1;
	}
	g->incidents_open = gi64(r, 0, 0);
	PQclear(r);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The daemon's own events: due deadlines                                   */

static const struct user daemon_user = { .id = 0, .name = "daemon", .roles = ROLE_DAEMON,
	.agency = "", .path = "/" };

int
store_next_due(struct db *db, usec_t *t)
{
	PGresult *r = run(db, S_NEXT_DUE, 0, NULL, NULL);
	if (r == NULL)
		return -1;
	*t = gnull(r, 0, 0) ? 0 : gi64(r, 0, 0);
	PQclear(r);
	return 0;
}

/* Fire the due deadlines of project PID (locked by this transaction). */
static int
fire_project(struct req_ctx *c, int64_t pid, json_t *published, int *fired)
{
	struct pbuf pb = { .n = 0 };
	const char *v[2] = { pi64(&pb, pid), pi64(&pb, c->now) };
	PGresult *dr = run(c->db, S_DUE_DEADLINES, 2, v, NULL);
	if (dr == NULL)
		return -1;
	int n = PQntuples(dr), rc = 0;
	if (n == 0) {
		/* next_check said due but nothing is: heal it */
		const char *v2[2] = { v[0], NULL };
		PQclear(dr);
		return run0(c->db, S_DEADLINE_DROP, 2, v2, NULL);
	}
	for (int i = 0; i < n && rc == 0; i++) {
		int64_t did = gi64(dr, i, 0);
		int level = (int)gi64(dr, i, 2);
		int evi = lc_event_parse(gs(dr, i, 3));
		usec_t due = gi64(dr, i, 4), fire = gi64(dr, i, 5);
		PGresult *pr = project_fetch(c, pid, true);
		if (pr == NULL) {
			PQclear(dr);
			return -1;
		}
		const char *state_before = gs(pr, 0, PC_STATE);
		char before[32];
		snprintf(before, sizeof before, "%s", state_before);
		json_t *payload = evi == EV_ESCALATE ?
		    json_pack("{s:i,s:s,s:o}", "level", level, "deadline", gs(dr, i, 1), "due",
			jtime(c, due)) : json_object();
		apierr_clear(c->err);
		json_t *out = evi < 0 ? NULL :
		    event_locked(c, pr, (enum lc_event)evi, gs(dr, i, 3), payload, did, true);
		json_decref(payload);
		if (out == NULL && c->err->status >= 500) {
			PQclear(pr);
			rc = -1;
			break;
		}
		if (out == NULL) {
			/* refused: the state moved on in a way the plan did not expect */
			log_warn("project %" PRId64 ": deadline %" PRId64 " (%s) dropped: %s", pid, did,
			    gs(dr, i, 3), c->err->message);
			const char *v3[2] = { v[0], pi64(&pb, did) };
			rc = run0(c->db, S_DEADLINE_DROP, 2, v3, NULL);
			PQclear(pr);
			continue;
		}
		(*fired)++;
		metrics_event_applied(gs(dr, i, 3));
		metrics_deadline_fired(level);
		metrics_deadline_lag(c->now - fire);
		publish_add(published, json_object_get(out, "event"), pid);
		bool moved = strcmp(before, json_string_value(json_object_get(out, "state")) ?
		    json_string_value(json_object_get(out, "state")) : before) != 0;
		json_decref(out);
		PQclear(pr);
		if (moved)
			break;	/* the old state's other firings were cancelled with it */
	}
	PQclear(dr);
	return rc;
}

int
store_fire_due(struct req_ctx *c, int batch, bool *more, json_t *published)
{
	struct pbuf pb = { .n = 0 };
	int fired = 0;
	const struct user *saved = c->u;
	json_t *pending = json_array();

	*more = false;
	c->u = &daemon_user;
	if (tx(c->db, "BEGIN"))
		goto dberr;
	const char *v[2] = { pi64(&pb, c->now), pi64(&pb, batch) };
	PGresult *r = run(c->db, S_DUE_CLAIM, 2, v, NULL);
	if (r == NULL)
		goto dberr;
	int n = PQntuples(r);
	for (int i = 0; i < n; i++)
		if (fire_project(c, gi64(r, i, 0), pending, &fired)) {
			PQclear(r);
			goto dberr;
		}
	PQclear(r);
	if (commit(c->db))
		goto dberr;
	*more = n == batch;
	json_array_extend(published, pending);
	json_decref(pending);
	c->u = saved;
	return fired;
dberr:
	json_decref(pending);
	c->u = saved;
	log_error("deadlines: batch failed: %s", db_error(c->db));
	rollback(c->db);
	return -1;
}

/* ------------------------------------------------------------------------ */
/* Deadlines and incidents for people                                       */

json_t *
store_deadline_list(struct req_ctx *c, usec_t due_before, int64_t after, int limit)
{
	struct pbuf pb = { .n = 0 };
	const char *v[4] = { c->u->path, due_before ? pi64(&pb, due_before) : NULL,
		pi64(&pb, after), pi64(&pb, limit + 1) };
	PGresult *r = run(c->db, S_DEADLINE_LIST, 4, v, NULL);
	if (r == NULL)
		return dbfail(c, "listing deadlines");
	json_t *items = json_array();
	int n = PQntuples(r);
	for (int i = 0; i < n && i < limit; i++)
		json_array_append_new(items, json_pack("{s:I,s:I,s:s,s:s,s:i,s:s,s:o,s:o,s:s,s:s}",
		    "id", (json_int_t)gi64(r, i, 0), "project_id", (json_int_t)gi64(r, i, 1), "state",
		    gs(r, i, 2), "kind", gs(r, i, 3), "level", (int)gi64(r, i, 4), "event", gs(r, i, 5),
		    "due", jtime_col(c, r, i, 6), "fire_at", jtime_col(c, r, i, 7), "agency",
		    gs(r, i, 8), "title", gs(r, i, 9)));
	json_t *next = n > limit ? json_sprintf("%" PRId64, gi64(r, limit - 1, 0)) : json_null();
	PQclear(r);
	return json_pack("{s:o,s:o}", "items", items, "next", next);
}

json_t *
store_incident_list(struct req_ctx *c, bool all)
{
	const char *v[2] = { c->u->path, all ? "true" : "false" };
	PGresult *r = run(c->db, S_INCIDENT_LIST, 2, v, NULL);
	if (r == NULL)
		return dbfail(c, "listing incidents");
	json_t *items = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, json_pack("{s:I,s:s,s:o,s:o,s:o,s:s,s:o,s:o}", "id",
		    (json_int_t)gi64(r, i, 0), "kind", gs(r, i, 1), "project_id", ji64_col(r, i, 2),
		    "year", ji64_col(r, i, 3), "outbox_id", ji64_col(r, i, 4), "detail", gs(r, i, 5),
		    "created_at", jtime_col(c, r, i, 6), "resolved_at", jtime_col(c, r, i, 7)));
	PQclear(r);
	return json_pack("{s:o,s:n}", "items", items, "next");
}

/* ------------------------------------------------------------------------ */
/* The outbox relay                                                         */

int
store_outbox_claim(struct db *db, usec_t now, int limit, usec_t lease, usec_t backoff,
    int max_attempts, json_t **jobs, int *dead)
{
	struct pbuf pb = { .n = 0 };
	const char *vd[2] = { pi64(&pb, now), pi64(&pb, max_attempts) };
	PGresult *r = run(db, S_OUTBOX_DEAD, 2, vd, NULL);
	if (r == NULL)
		return -1;
	*dead = PQntuples(r);
	for (int i = 0; i < *dead; i++)
		log_warn("outbox: notification %s is dead after %d attempts", gs(r, i, 0), max_attempts);
	PQclear(r);
	const char *v[4] = { pi64(&pb, now), pi64(&pb, limit), pi64(&pb, lease), pi64(&pb, backoff) };
	if ((r = run(db, S_OUTBOX_CLAIM, 4, v, NULL)) == NULL)
		return -1;
	json_t *a = json_array();
	for (int i = 0; i < PQntuples(r); i++) {
		json_t *data = jjson_col(r, i, 6);
		json_array_append_new(a, json_pack("{s:i,s:I,s:s,s:s,s:s,s:s,s:o,s:o,s:I}", "v", 1,
		    "id", (json_int_t)gi64(r, i, 0), "channel", gs(r, i, 1), "recipient", gs(r, i, 2),
		    "template", gs(r, i, 3), "lang", gs(r, i, 4), "project_id", ji64_col(r, i, 5),
		    "data", data, "attempt", (json_int_t)gi64(r, i, 7)));
	}
	PQclear(r);
	*jobs = a;
	return 0;
}

static char *
id_array(const int64_t *ids, size_t n)
{
	size_t cap = 2 + n * 21;
	char *s = xmalloc(cap), *p = s;
	*p++ = '{';
	for (size_t i = 0; i < n; i++)
		p += snprintf(p, cap - (size_t)(p - s), "%s%" PRId64, i ? "," : "", ids[i]);
	snprintf(p, cap - (size_t)(p - s), "}");
	return s;
}

/* Statement S over a set of outbox ids and one time. */
static int
run_ids(struct db *db, enum stmt st, const int64_t *ids, size_t n, usec_t t)
{
	struct pbuf pb = { .n = 0 };
	char *arr = id_array(ids, n);
	const char *v[2] = { arr, pi64(&pb, t) };
	int rc = run0(db, st, 2, v, NULL);
	free(arr);
	return rc;
}

int
store_outbox_unsend(struct db *db, const int64_t *ids, size_t n, usec_t retry_at)
{
	return run_ids(db, S_OUTBOX_UNSEND, ids, n, retry_at);
}

int
store_outbox_delivered(struct db *db, const int64_t *ids, size_t n, usec_t now)
{
	return run_ids(db, S_OUTBOX_DELIVERED, ids, n, now);
}

int
store_outbox_failed(struct db *db, int64_t id, const char *error, usec_t now, usec_t backoff)
{
	struct pbuf pb = { .n = 0 };
	const char *v[4] = { pi64(&pb, id), error, pi64(&pb, now), pi64(&pb, backoff) };
	return run0(db, S_OUTBOX_FAILED, 4, v, NULL);
}

int
store_outbox_next(struct db *db, usec_t *t)
{
	PGresult *r = run(db, S_OUTBOX_NEXT, 0, NULL, NULL);
	if (r == NULL)
		return -1;
	*t = gnull(r, 0, 0) ? 0 : gi64(r, 0, 0);
	PQclear(r);
	return 0;
}

json_t *
store_outbox_list(struct req_ctx *c, const char *status, int64_t after, int limit)
{
	struct pbuf pb = { .n = 0 };
	const char *v[4] = { c->u->path, status, pi64(&pb, after), pi64(&pb, limit + 1) };
	PGresult *r = run(c->db, S_OUTBOX_LIST, 4, v, NULL);
	if (r == NULL)
		return dbfail(c, "listing notifications");
	json_t *items = json_array();
	int n = PQntuples(r);
	for (int i = 0; i < n && i < limit; i++)
		json_array_append_new(items, json_pack("{s:I,s:o,s:s,s:s,s:s,s:s,s:I,s:o,s:o,s:o,s:o}",
		    "id", (json_int_t)gi64(r, i, 0), "project_id", ji64_col(r, i, 1), "channel",
		    gs(r, i, 2), "recipient", gs(r, i, 3), "template", gs(r, i, 4), "status", gs(r, i, 5),
		    "attempts", (json_int_t)gi64(r, i, 6), "next_attempt_at", jtime_col(c, r, i, 7),
		    "last_error", jstr_col(r, i, 8), "created_at", jtime_col(c, r, i, 9),
		    "delivered_at", jtime_col(c, r, i, 10)));
	json_t *next = n > limit ? json_sprintf("%" PRId64, gi64(r, limit - 1, 0)) : json_null();
	PQclear(r);
	return json_pack("{s:o,s:o}", "items", items, "next", next);
}

json_t *
store_outbox_resend(struct req_ctx *c, int64_t id)
{
	struct pbuf pb = { .n = 0 };
	const char *v[3] = { pi64(&pb, id), pi64(&pb, c->now), c->u->path };
	PGresult *r = run(c->db, S_OUTBOX_RESEND, 3, v, NULL);
	if (r == NULL)
		return dbfail(c, "resending");
	bool found = !gnull(r, 0, 0), resent = gi64(r, 0, 1) == 1;
	PQclear(r);
	if (!found)
		return fail(c, 404, "not_found", NULL, "no such notification");
	if (!resent)
		return fail(c, 409, "invalid_transition", NULL, "only a dead notification is resent");
	log_info("outbox: notification %" PRId64 " resent by %s", id, c->u->name);
	return json_pack("{s:I,s:s}", "id", (json_int_t)id, "status", "pending");
}

/* ------------------------------------------------------------------------ */
/* A calendar arrived                                                       */

int
store_calendar_recount(struct req_ctx *c)
{
	struct pbuf pb = { .n = 0 };
	char years[1024] = "{";
	for (size_t i = 0; i < c->cal->n_years; i++) {
		size_t n = strlen(years);
		snprintf(years + n, sizeof years - n, "%s%d", i ? "," : "", c->cal->years[i]);
	}
	strncat(years, "}", sizeof years - strlen(years) - 1);
	if (tx(c->db, "BEGIN"))
		goto dberr;
	const char *v[1] = { years };
	PGresult *r = run(c->db, S_CAL_INCIDENTS, 1, v, NULL);
	if (r == NULL)
		goto dberr;
	int done = 0;
	for (int i = 0; i < PQntuples(r); i++) {
		const char *vp[1] = { gs(r, i, 1) };
		PGresult *d = run(c->db, S_CAL_DEADLINES, 1, vp, NULL);
		if (d == NULL) {
			PQclear(r);
			goto dberr;
		}
		for (int k = 0; k < PQntuples(d); k++) {
			struct period per;
			usec_t due, fire;
			if (period_parse(gs(d, k, 3), &per))
				continue;
			deadline_recount(c->dc, c->cal, gi64(d, k, 2), per, (int)gi64(d, k, 1), &due,
			    &fire, NULL);
			pb.n = 0;
			const char *vs[3] = { gs(d, k, 0), pi64(&pb, due), pi64(&pb, fire) };
			if (run0(c->db, S_CAL_DEADLINE_SET, 3, vs, NULL)) {
				PQclear(d);
				PQclear(r);
				goto dberr;
			}
		}
		PQclear(d);
		pb.n = 0;
		const char *vr[3] = { gs(r, i, 0), gs(r, i, 1), pi64(&pb, c->now) };
		if (run0(c->db, S_CAL_RESOLVE, 3, vr, NULL)) {
			PQclear(r);
			goto dberr;
		}
		log_info("project %s: deadlines counted again with the %s calendar; incident resolved",
		    gs(r, i, 1), gs(r, i, 2));
		done++;
	}
	PQclear(r);
	if (commit(c->db))
		goto dberr;
	return done;
dberr:
	log_error("calendar: recount failed: %s", db_error(c->db));
	rollback(c->db);
	return -1;
}

int
db_set(struct db *db, const char *name, const char *value)
{
	free(db->set_name);
	free(db->set_value);
	db->set_name = xstrdup(name);
	db->set_value = xstrdup(value);
	const char *v[2] = { name, value };
	return run0(db, S_SET_CONFIG, 2, v, NULL);
}
