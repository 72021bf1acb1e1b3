/* Funding plans in the database (plan.h). */
#include "plan.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "cache.h"
#include "jsonio.h"
#include "lifecycle.h"
#include "log.h"
#include "registry.h"
#include "render.h"
#include "projectsql.h"
#include "sql.h"

/* The lines of the plan of $1 for $2 ($3, $4: its first and last day):
 * the share of each contract running into the year by its days in it; the
 * positions of last year's contracts ending before it, a year's wages
 * each, unless a project of the year already names the unit; the
 * projects of the year whose budget is approved (their contract amount
 * once signed). */
static struct stmt q_lines = STMT(
	"SELECT 'running_contracts', p.id, p.title, p.funding_source, "
	"(p.contract->>'amount_fen')::bigint * (least(p.service_end, $4::date) - "
	"greatest(p.service_start, $3::date) + 1) / (p.service_end - p.service_start + 1), "
	"NULL::int, NULL::text, p.service_start::text, p.service_end::text "
	"FROM project p WHERE p.agency = $1 AND p.fiscal_year < $2 AND p.contract IS NOT NULL "
	"AND p.state IN ('contracted', 'in_service', 'acceptance', 'payment') "
	"AND p.service_end >= $3::date AND p.service_start <= $4::date "
	"UNION ALL "
	"SELECT 'positions_to_keep', p.id, p.title, p.funding_source, "
	"x.count::bigint * x.annual_wage_fen, x.count, x.unit, NULL, NULL "
	"FROM project p CROSS JOIN LATERAL jsonb_to_recordset(p.positions) AS x(unit text, "
	"count int, annual_wage_fen bigint) WHERE p.agency = $1 AND p.fiscal_year = $2 - 1 "
	"AND p.positions IS NOT NULL AND p.state IN " UNDER_CONTRACT " AND p.service_end < $3::date "
	"AND NOT EXISTS (SELECT 1 FROM project q WHERE q.agency = $1 AND q.fiscal_year = $2 "
	"AND q.state NOT IN ('cancelled', 'terminated') "
	"AND q.positions @> jsonb_build_array(jsonb_build_object('unit', x.unit))) "
	"UNION ALL "
	"SELECT 'approved_projects', p.id, p.title, p.funding_source, "
	"coalesce((p.contract->>'amount_fen')::bigint, p.budget_fen), NULL, NULL, "
	"p.service_start::text, p.service_end::text FROM project p WHERE p.agency = $1 "
	"AND p.fiscal_year = $2 AND p.budget_approved AND p.state NOT IN ('cancelled', 'terminated') "
	"ORDER BY 1, 2");

/* The cap's basis: the year's budget, else the year before's. */
static struct stmt q_basis = STMT(
	"SELECT fiscal_year, special_funds_fen, cap_bp FROM budget WHERE agency = $1 "
	"AND fiscal_year IN ($2, $2 - 1) ORDER BY fiscal_year DESC LIMIT 1");

static struct stmt q_plan = STMT(
	"SELECT state, version, ts2us(due_at), escalated, coalesce(reported_by, 0), last_seq, "
	"encode(last_hash, 'hex'), reported::text, ts2us(next_check), ts2us(updated_at) "
	"FROM funding_plan WHERE agency = $1 AND year = $2");
static struct stmt q_plan_lock = STMT(
	"SELECT state, version, ts2us(due_at), escalated, coalesce(reported_by, 0), last_seq, "
	"encode(last_hash, 'hex') FROM funding_plan WHERE agency = $1 AND year = $2 FOR UPDATE");
static struct stmt q_plan_open = STMT(
	"INSERT INTO funding_plan (agency, year, due_at, next_check, created_at, updated_at) "
	"VALUES ($1, $2, us2ts($3), us2ts($4), us2ts($5), us2ts($5)) ON CONFLICT DO NOTHING");
static struct stmt q_history = STMT(
	"SELECT seq, event, from_state, to_state, actor, ts2us(at), payload::text, "
	"encode(prev_hash, 'hex'), encode(hash, 'hex') FROM funding_plan_event "
	"WHERE agency = $1 AND year = $2 ORDER BY seq");

/* The event, the plan and the notifications: one statement. */
static struct stmt q_write = STMT(
	"WITH e AS (INSERT INTO funding_plan_event (agency, year, seq, event, from_state, to_state, "
	"actor, actor_id, at, payload, prev_hash, hash) SELECT $1, $2::int, $3::int, $4, $5, $6, $7, "
	"$8::bigint, v.at, v.pl, v.prev, plan_event_hash(v.prev, $1, $2::int, $3::int, $4, $5, $6, "
	"$7, v.at, v.pl) FROM (SELECT $10::jsonb AS pl, us2ts($9) AS at, decode($11, 'hex') AS prev) "
	"v RETURNING hash), "
	"o AS (INSERT INTO outbox (channel, recipient, template, lang, data, next_attempt_at, "
	"created_at) SELECT x->>'channel', x->>'recipient', x->>'template', x->>'lang', x->'data', "
	"us2ts($9), us2ts($9) FROM jsonb_array_elements($12::jsonb) AS x) "
	"UPDATE funding_plan SET state = $6, version = version + 1, last_seq = $3::int, "
	"last_hash = e.hash, escalated = $13::int, next_check = us2ts($14), "
	"reported = CASE WHEN $4 = 'report' THEN $15::jsonb ELSE reported END, "
	"reported_by = CASE WHEN $4 = 'report' THEN $8::bigint ELSE reported_by END, "
	"updated_at = us2ts($9) FROM e WHERE agency = $1 AND year = $2::int");

/* The year's first and last day, as dates. */
static void
year_bounds(int year, char first[11], char last[11])
{
	snprintf(first, 11, "%04d-01-01", year);
	snprintf(last, 11, "%04d-12-31", year);
}

/* The figures of AGENCY's plan for YEAR as they stand: a new object with
 * "lines", or NULL on a database error. */
static json_t *
figures(struct db *db, const char *agency, int year)
{
	struct pbuf pb = { .n = 0 };
	char first[11], last[11];
	year_bounds(year, first, last);
	const char *v[4] = { agency, pi64(&pb, year), first, last };
	PGresult *r = db_run(db, &q_lines, 4, v, NULL);
	if (r == NULL)
		return NULL;
	json_t *lines = json_array();
	for (int i = 0; i < PQntuples(r); i++) {
		json_t *l = json_pack("{s:s,s:I,s:s,s:o,s:I}", "component", gs(r, i, 0), "project_id",
		    (json_int_t)gi64(r, i, 1), "title", gs(r, i, 2), "funding_source",
		    gnull(r, i, 3) ? json_null() : json_string(gs(r, i, 3)), "amount_fen",
		    (json_int_t)gi64(r, i, 4));
		if (!gnull(r, i, 5)) {
			json_object_set_new(l, "count", json_integer(gi64(r, i, 5)));
			json_object_set_new(l, "unit", json_string(gs(r, i, 6)));
		}
		if (!gnull(r, i, 7)) {
			json_object_set_new(l, "service_start", json_string(gs(r, i, 7)));
			json_object_set_new(l, "service_end", json_string(gs(r, i, 8)));
		}
		json_array_append_new(lines, l);
	}
	PQclear(r);
	const char *b[2] = { agency, pi64(&pb, year) };
	if ((r = db_run(db, &q_basis, 2, b, NULL)) == NULL) {
		json_decref(lines);
		return NULL;
	}
	bool has = PQntuples(r) == 1;
	json_t *o = plan_figures(lines, has ? (int)gi64(r, 0, 0) : 0, has ? gi64(r, 0, 1) : 0,
	    has ? (int)gi64(r, 0, 2) : 0);
	PQclear(r);
	json_object_set_new(o, "lines", lines);
	return o;
}

/* The agency CODE when the user sees it: 0, or -1 with c->err. */
static int
in_scope(struct req_ctx *c, const char *code)
{
	struct rows *a = registry_agency_get(c, code);
	rows_free(a);
	return a ? 0 : -1;
}

json_t *
fundplan_get(struct req_ctx *c, const struct plan_config *pc, const char *agency, int year)
{
	struct pbuf pb = { .n = 0 };
	int off = ctx_offset(c);
	if (in_scope(c, agency))
		return NULL;
	json_t *o = figures(c->db, agency, year);
	if (o == NULL)
		return ctx_dbfail(c, "computing a funding plan");
	const char *v[2] = { agency, pi64(&pb, year) };
	PGresult *r = db_run(c->db, &q_plan, 2, v, NULL);
	if (r == NULL) {
		json_decref(o);
		return ctx_dbfail(c, "reading a funding plan");
	}
	bool has = PQntuples(r) == 1;
	json_object_set_new(o, "agency", json_string(agency));
	json_object_set_new(o, "year", json_integer(year));
	json_object_set_new(o, "state", json_string(has ? gs(r, 0, 0) : "open"));
	json_object_set_new(o, "version", json_integer(has ? gi64(r, 0, 1) : 0));
	json_object_set_new(o, "due_at", render_time(has ? gi64(r, 0, 2) : plan_due(pc, year), off));
	json_object_set_new(o, "escalated", json_integer(has ? gi64(r, 0, 3) : 0));
	json_object_set_new(o, "reported", has && !gnull(r, 0, 7) ?
	    json_loads(gs(r, 0, 7), 0, NULL) : json_null());
	json_object_set_new(o, "next_escalation_at", has && !gnull(r, 0, 8) ?
	    render_time(gi64(r, 0, 8), off) : json_null());
	PQclear(r);
	if ((r = db_run(c->db, &q_history, 2, v, NULL)) == NULL) {
		json_decref(o);
		return ctx_dbfail(c, "reading a funding plan's history");
	}
	json_t *h = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		json_array_append_new(h, json_pack("{s:I,s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:s}", "seq",
		    (json_int_t)gi64(r, i, 0), "event", gs(r, i, 1), "from", gs(r, i, 2), "to",
		    gs(r, i, 3), "actor", gs(r, i, 4), "at", render_time(gi64(r, i, 5), off),
		    "payload", json_loads(gs(r, i, 6), 0, NULL), "prev_hash", gs(r, i, 7), "hash",
		    gs(r, i, 8)));
	PQclear(r);
	json_object_set_new(o, "history", h);
	return o;
}

/* Write EV on the plan locked in PR (its columns as q_plan_lock reads
 * them): 0 or -1 (database). */
static int
write_event(struct db *db, const PGresult *pr, const char *agency, int year, enum plan_event ev,
    enum plan_state to, int level, usec_t next_check, const char *actor, int64_t actor_id,
    usec_t now, const json_t *payload, const json_t *notices, const json_t *reported)
{
	struct pbuf pb = { .n = 0 };
	char *pl = json_text(payload), *nt = json_text(notices);
	char *rp = reported ? json_text(reported) : NULL;
	const char *v[15] = { agency, pi64(&pb, year), pi64(&pb, gi64(pr, 0, 5) + 1),
		plan_event_name(ev), gs(pr, 0, 0), plan_state_name(to), actor,
		actor_id ? pi64(&pb, actor_id) : NULL, pi64(&pb, now), pl, gs(pr, 0, 6), nt,
		pi64(&pb, level), next_check ? pi64(&pb, next_check) : NULL, rp };
	int rc = db_run0(db, &q_write, 15, v, NULL);
	free(pl);
	free(nt);
	free(rp);
	return rc;
}

/* The next escalation of a plan open at NOW after LEVEL fired: 0 none. */
static usec_t
next_level_at(const struct plan_config *pc, usec_t due, int level)
{
	return level >= 3 ? 0 : plan_level_at(pc, due, level + 1);
}

json_t *
fundplan_event(struct req_ctx *c, const struct plan_config *pc, const char *agency, int year,
    enum plan_event ev, int expected_version, const json_t *payload)
{
	struct pbuf pb = { .n = 0 };
	struct cache_agency ai;
	json_t *reported = NULL, *notices = NULL, *stored = NULL;
	if (in_scope(c, agency))
		return NULL;
	if (cache_agency(c->db, agency, &ai))
		return ctx_dbfail(c, "reading an agency");
	usec_t due = plan_due(pc, year);
	const char *open[5] = { agency, pi64(&pb, year), pi64(&pb, due),
		pi64(&pb, plan_level_at(pc, due, 1)), pi64(&pb, c->now) };
	const char *key[2] = { agency, pi64(&pb, year) };
	PGresult *pr = NULL;
	if (db_begin(c->db) || db_run0(c->db, &q_plan_open, 5, open, NULL) ||
	    (pr = db_run(c->db, &q_plan_lock, 2, key, NULL)) == NULL || PQntuples(pr) != 1)
		goto dberr;
	enum plan_state from = (enum plan_state)plan_state_parse(gs(pr, 0, 0)), to;
	const char *code, *msg;
	if (expected_version >= 0 && expected_version != (int)gi64(pr, 0, 1)) {
		json_t *d = json_pack("{s:i,s:I,s:s}", "expected", expected_version, "actual",
		    (json_int_t)gi64(pr, 0, 1), "state", gs(pr, 0, 0));
		PQclear(pr);
		db_rollback(c->db);
		return ctx_fail(c, 409, "version_conflict", d, "the plan has changed since it was read");
	}
	int st = plan_decide(from, ev, c->u->roles, !strcmp(c->u->agency, agency), c->u->id,
	    gi64(pr, 0, 4), payload, &to, &code, &msg);
	if (st) {
		PQclear(pr);
		db_rollback(c->db);
		return ctx_fail(c, st, code, json_pack("{s:s,s:s}", "state", plan_state_name(from),
		    "event", plan_event_name(ev)), msg);
	}
	stored = json_deep_copy(payload);
	if (ev == PEV_REPORT) {
		/* the figures as reported: what finance confirms */
		if ((reported = figures(c->db, agency, year)) == NULL)
			goto dberr;
		json_object_set(stored, "result", reported);
	}
	int level = (int)gi64(pr, 0, 3);
	usec_t due_row = gi64(pr, 0, 2);
	/* reported: the deadline is met; returned: the escalations go on */
	usec_t next = to == PLAN_OPEN ? next_level_at(pc, due_row, level) : 0;
	if (next && next < c->now)
		next = c->now;
	notices = plan_notices(ev, level, agency, ai.has_parent ? ai.parent : NULL, ai.lang,
	    ai.parent_lang, year, due_row, c->u->name, payload);
	if (write_event(c->db, pr, agency, year, ev, to, level, next, c->u->name, c->u->id, c->now,
	    stored, notices, reported) || db_commit(c->db))
		goto dberr;
	PQclear(pr);
	if (c->outbox_written && json_array_size(notices))
		*c->outbox_written = true;
	log_info("funding plan %s/%d: %s by %s (%s → %s)", agency, year, plan_event_name(ev),
	    c->u->name, plan_state_name(from), plan_state_name(to));
	json_decref(notices);
	json_decref(stored);
	json_decref(reported);
	return fundplan_get(c, pc, agency, year);
dberr:
	PQclear(pr);
	json_decref(notices);
	json_decref(stored);
	json_decref(reported);
	return ctx_dbfail(c, "writing a funding plan's event");
}

/* Every agency's plan for YEAR, once its reminder time has come. */
static struct stmt q_open_all = STMT(
	"INSERT INTO funding_plan (agency, year, due_at, next_check, created_at, updated_at) "
	"SELECT a.code, $1, us2ts($2), us2ts($3), us2ts($4), us2ts($4) FROM agency a "
	"WHERE NOT EXISTS (SELECT 1 FROM funding_plan f WHERE f.agency = a.code AND f.year = $1) "
	"ON CONFLICT DO NOTHING");
/* One plan whose escalation is due, locked; another daemon's are skipped. */
static struct stmt q_due = STMT(
	"SELECT state, version, ts2us(due_at), escalated, coalesce(reported_by, 0), last_seq, "
	"encode(last_hash, 'hex'), agency, year FROM funding_plan "
	"WHERE next_check <= us2ts($1) AND state = 'open' ORDER BY next_check "
	"LIMIT 1 FOR UPDATE SKIP LOCKED");

int
fundplan_tick(struct db *db, const struct plan_config *pc, usec_t now)
{
	struct pbuf pb = { .n = 0 };
	int64_t day = (now / USEC_PER_SEC + pc->utc_offset_s) / 86400;
	int local_year = 1970 + (int)(day / 366);
	while (days_from_civil(local_year + 1, 1, 1) <= day)
		local_year++;
	for (int y = local_year; y <= local_year + 1; y++) {
		/* from the reminder on; a plan already a month late when first
		 * looked at (a daemon installed in March) is not opened, or every
		 * agency would be escalated at once for a year long begun */
		usec_t due = plan_due(pc, y), remind = plan_level_at(pc, due, 1);
		if (now < remind || now >= due + 31 * 86400 * USEC_PER_SEC)
			continue;
		const char *v[4] = { pi64(&pb, y), pi64(&pb, due), pi64(&pb, remind), pi64(&pb, now) };
		if (db_run0(db, &q_open_all, 4, v, NULL))
			return -1;
	}
	int fired = 0;
	for (; fired < 1000; fired++) {
		const char *v[1] = { pi64(&pb, now) };
		PGresult *pr;
		if (db_begin(db) || (pr = db_run(db, &q_due, 1, v, NULL)) == NULL) {
			db_rollback(db);
			return -1;
		}
		if (PQntuples(pr) == 0) {
			PQclear(pr);
			db_rollback(db);
			break;
		}
		char agency[40];
		snprintf(agency, sizeof agency, "%s", gs(pr, 0, 7));
		int year = (int)gi64(pr, 0, 8), level = (int)gi64(pr, 0, 3) + 1;
		usec_t due = gi64(pr, 0, 2);
		struct cache_agency ai;
		if (cache_agency(db, agency, &ai)) {
			PQclear(pr);
			db_rollback(db);
			return -1;
		}
		char when[40];
		json_t *payload = json_pack("{s:i,s:s}", "level", level, "due",
		    time_format(due, 0, when, sizeof when));
		json_t *notices = plan_notices(PEV_ESCALATE, level, agency,
		    ai.has_parent ? ai.parent : NULL, ai.lang, ai.parent_lang, year, due, "procurd",
		    payload);
		int rc = write_event(db, pr, agency, year, PEV_ESCALATE, PLAN_OPEN, level,
		    next_level_at(pc, due, level), "procurd", 0, now, payload, notices, NULL);
		json_decref(payload);
		json_decref(notices);
		PQclear(pr);
		if (rc || db_commit(db)) {
			db_rollback(db);
			return -1;
		}
		log_info("funding plan %s/%d: escalated, level %d", agency, year, level);
	}
	return fired;
}
