/* Projects: one read in the user's scope, lists, creation, the guards' view of the row. */
#include "project.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cache.h"
#include "db.h"
#include "eventwrite.h"
#include "jsonio.h"
#include "jsonw.h"
#include "log.h"
#include "registry.h"
#include "projectsql.h"
#include "sql.h"


/* The row as the guards see it. */
void
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

static PGresult *project_scoped(struct req_ctx *c, PGresult *r);

static struct stmt q_project_get = STMT("SELECT " PROJECT_COLS PROJECT_FROM "WHERE p.id = $1");

static struct stmt q_project_lock = STMT(
	"SELECT " PROJECT_COLS PROJECT_FROM
	"WHERE p.id = $1 FOR UPDATE OF p");

PGresult *
project_fetch_tx(struct req_ctx *c, int64_t id, bool lock, bool begin_too)
{
	struct pbuf pb = { .n = 0 };
	const char *v[1] = { pi64(&pb, id) };
	PGresult *r = begin_too ? db_run_piped(c->db, "BEGIN", &q_project_lock, 1, v, NULL, NULL) :
	    db_run(c->db, lock ? &q_project_lock : &q_project_get, 1, v, NULL);
	if (r == NULL) {
		ctx_dbfail(c, "reading a project");
		return NULL;
	}
	return project_scoped(c, r);
}

/* R (a project read, or nothing) if the user sees it; else NULL, 404. */
static PGresult *
project_scoped(struct req_ctx *c, PGresult *r)
{
	struct cache_agency ai;
	if (PQntuples(r) == 1 && cache_agency(c->db, gs(r, 0, PC_AGENCY), &ai)) {
		PQclear(r);
		ctx_dbfail(c, "reading a project's agency");
		return NULL;
	}
	if (PQntuples(r) != 1 || !user_sees(c->u, ai.path)) {
		/* 404, not 403, outside the scope: ids cannot be probed */
		PQclear(r);
		ctx_fail(c, 404, "not_found", NULL, "no such project");
		return NULL;
	}
	return r;
}

PGresult *
project_fetch(struct req_ctx *c, int64_t id, bool lock)
{
	return project_fetch_tx(c, id, lock, false);
}

/* Project ID read outside a transaction: committed, so it is kept. KEPT
 * NULL: from the database; else from the cache when it is there, and then
 * *KEPT. */
PGresult *
project_read(struct req_ctx *c, int64_t id, bool *kept)
{
	PGresult *r = kept ? cache_project_get(id) : NULL;
	if (kept)
		*kept = r != NULL;
	if (r)
		return project_scoped(c, r);
	if ((r = project_fetch(c, id, false)) != NULL)
		cache_project_put(r, 0, NULL, 0);
	return r;
}

struct rows *
project_get(struct req_ctx *c, int64_t id)
{
	PGresult *r = project_read(c, id, NULL);
	return r ? rows_of(r) : NULL;
}

/* Keyset pagination over id; the scope is the user's agency path. Planned
 * for the values each time (STMT_CUSTOM): a state or agency few projects
 * have walks its index, a common one the ids. Overdue is the inbox's (past
 * the due time of its state's deadlines, migration 013); that filter has
 * its own statement, a walk of the live projects alone (migration 021). */
#define PROJECT_DUE "coalesce(p.due_at, 'infinity'::timestamptz)"
/* as migration 021's indexes say it (a final state has no due time) */
#define PROJECT_LIVE "p.state NOT IN ('closed', 'terminated', 'cancelled')"
#define PROJECT_LIST(overdue) \
	"SELECT " PROJECT_COLS PROJECT_FROM "JOIN agency a ON a.code = p.agency " \
	"WHERE starts_with(a.path, $1) AND ($2::text IS NULL OR p.state = $2) " \
	"AND ($3::text IS NULL OR p.agency = $3) AND p.id > $4 AND " overdue " " \
	"ORDER BY p.id LIMIT $7"
static struct stmt q_project_list = STMT_CUSTOM(PROJECT_LIST(
	"($5::boolean IS NULL OR " PROJECT_DUE " > us2ts($6))"));
/* (p.due_at, not PROJECT_DUE: the same rows, but no index ranges over it,
 * so the plan cannot take project_due_idx's 17,000 overdue rows and sort
 * them, which a statistics sample made look cheap after an ANALYZE in a
 * 10-minute bench-mix: 253 ms at p99 against 11) */
static struct stmt q_project_list_overdue = STMT_CUSTOM(PROJECT_LIST(
	"$5::boolean AND " PROJECT_LIVE " AND p.due_at <= us2ts($6)"));

struct rows *
project_list(struct req_ctx *c, const char *state, const char *agency, int overdue,
    int limit, int64_t after)
{
	struct pbuf pb = { .n = 0 };
	const char *v[7] = { c->u->path, state, agency, pi64(&pb, after),
		overdue < 0 ? NULL : overdue ? "true" : "false", pi64(&pb, c->now),
		pi64(&pb, limit + 1) };
	PGresult *r = db_run(c->db, overdue > 0 ? &q_project_list_overdue : &q_project_list, 7, v,
	    NULL);
	if (r == NULL) {
		ctx_dbfail(c, "listing projects");
		return NULL;
	}
	return rows_of(r);
}

static struct stmt q_project_create = STMT(
	"INSERT INTO project (agency, fiscal_year, title, catalog_items, budget_fen, funding_source, "
	"method, quantity, quality_standard, service_start, service_end, created_by, created_at, "
	"updated_at, predecessor_id, positions) VALUES ($1, $2, $3, "
	"ARRAY(SELECT jsonb_array_elements_text($4::jsonb)), $5, $6, $7, $8, $9, $10::date, "
	"$11::date, $12, us2ts($13), us2ts($13), $14, $15::jsonb) RETURNING id");

/* The units of positions that are not a county-level or township agency
 * at or below the project's agency ($2): each with why. */
static struct stmt q_position_units = STMT(
	"SELECT x.unit, CASE WHEN a.code IS NULL THEN 'unknown' "
	"WHEN NOT starts_with(a.path, pa.path) THEN 'outside_agency' "
	"WHEN a.level NOT IN ('county', 'township') THEN 'not_county_or_township' END "
	"FROM jsonb_to_recordset($1::jsonb) AS x(unit text) LEFT JOIN agency a ON a.code = x.unit "
	"JOIN agency pa ON pa.code = $2 "
	"WHERE a.code IS NULL OR NOT starts_with(a.path, pa.path) "
	"OR a.level NOT IN ('county', 'township')");

/* Positions as the edge let them in, each with the keys it gave: text
 * for the row, or NULL with none; -1 on a unit out of place (C's error
 * set) or a database error. */
static int
positions_checked(struct req_ctx *c, const char *agency, const json_t *pos, char **out)
{
	*out = NULL;
	if (pos == NULL || json_is_null(pos))
		return 0;
	*out = json_text(pos);
	const char *v[2] = { *out, agency };
	PGresult *r = db_run(c->db, &q_position_units, 2, v, NULL);
	if (r == NULL) {
		ctx_dbfail(c, "checking the units of positions");
		return -1;
	}
	if (PQntuples(r) > 0) {
		json_t *units = json_array();
		for (int i = 0; i < PQntuples(r); i++)
			json_array_append_new(units, json_pack("{s:s,s:s}", "unit", gs(r, i, 0),
			    "reason", gs(r, i, 1)));
		PQclear(r);
		ctx_fail(c, 422, "rule_violation", json_pack("{s:s,s:o}", "rule", "position_unit",
		    "units", units), "positions serve a county-level or township agency at or "
		    "below the project's agency");
		return -1;
	}
	PQclear(r);
	return 0;
}

struct rows *
project_create(struct req_ctx *c, const json_t *b)
{
	struct pbuf pb = { .n = 0 };
	const char *agency, *s;
	int64_t year = 0, budget = -1;
	char st[6];

	/* the edge checked every value (payload.c) */
	body_str(b, "agency", &agency);
	body_i64(b, "fiscal_year", &year);
	body_i64(b, "budget_fen", &budget);
	json_t *items = json_object_get(b, "catalog_items");

	/* the agency must exist and be in the officer's scope */
	int seen = registry_agency_seen(c, agency);
	if (seen < 0)
		return NULL;
	if (!seen) {
		ctx_fail(c, 404, "not_found", json_pack("{s:s}", "field", "agency"),
		    "no such agency in your scope");
		return NULL;
	}

	char *pos_s = NULL;
	if (positions_checked(c, agency, json_object_get(b, "positions"), &pos_s)) {
		free(pos_s);
		return NULL;
	}
	char *items_s = items ? json_text(items) : xstrdup("[]");
	const char *txt[6];
	const char *keys[6] = { "title", "funding_source", "method", "quantity", "quality_standard",
		"service_start" };
	for (int k = 0; k < 6; k++)
		txt[k] = body_str(b, keys[k], &s) ? NULL : s;
	const char *send = NULL;
	body_str(b, "service_end", &send);
	const char *v[15] = { agency, pi64(&pb, year), txt[0], items_s,
		budget >= 0 ? pi64(&pb, budget) : NULL, txt[1], txt[2], txt[3] ? txt[3] : "",
		txt[4] ? txt[4] : "", txt[5], send, pi64(&pb, c->u->id), pi64(&pb, c->now), NULL,
		pos_s };
	/* two round trips: BEGIN with the row, the creation event with its
	 * COMMIT, which answers the project as it wrote it */
	PGresult *r = db_run_piped(c->db, "BEGIN", &q_project_create, 15, v, NULL, st);
	if (r == NULL)
		goto dberr;
	int64_t id = gi64(r, 0, 0);
	PQclear(r);
	struct eventwrite w = { .id = id, .seq = 1, .last_hash = "", .ev = "create", .from = "",
		.to = "draft", .payload = b, .commit = true, .want_row = true };
	if (eventwrite_run(c, NULL, &w))
		goto dberr;
	log_info("project %" PRId64 ": created in draft by %s (agency %s)", id, c->u->name, agency);
	free(items_s);
	free(pos_s);
	return rows_of(w.row_after);
dberr:
	free(items_s);
	free(pos_s);
	ctx_dbfail(c, "creating a project");
	return NULL;
}

/* the project cache's start: the projects in a state where a person may
 * send an event that stays (lifecycle_stays: a supervision record; the
 * daemon's escalations are fired on the locked row, not from the cache),
 * the only ones the light write decides on a kept row; a page at a time */
static struct stmt q_project_warm = STMT(
	"SELECT " PROJECT_COLS PROJECT_FROM "WHERE p.id > $1 AND p.state = ANY($2::text[]) "
	"ORDER BY p.id LIMIT $3");

int
project_warm(struct db *db, int64_t after, int limit, int64_t *last)
{
	char states[512] = "{", *f = states + 1;
	size_t nt;
	const struct lc_transition *t = lifecycle_table(&nt);
	bool seen[ST__COUNT] = { false };
	for (size_t i = 0; i < nt; i++)
		if (lifecycle_stays(t[i].event) && (t[i].roles & ~(unsigned)ROLE_DAEMON) &&
		    !seen[t[i].from]) {
			seen[t[i].from] = true;
			f += snprintf(f, (size_t)(states + sizeof states - f), "%s%s",
			    f > states + 1 ? "," : "", lc_state_name(t[i].from));
		}
	snprintf(f, (size_t)(states + sizeof states - f), "}");
	struct pbuf pb = { .n = 0 };
	const char *v[3] = { pi64(&pb, after), states, pi64(&pb, limit) };
	PGresult *r = db_run(db, &q_project_warm, 3, v, NULL);
	if (r == NULL)
		return -1;
	int n = PQntuples(r);
	for (int i = 0; i < n; i++)
		cache_project_put(r, i, NULL, 0);
	*last = n ? gi64(r, n - 1, PC_ID) : after;
	PQclear(r);
	return n;
}

/* What waits for a user: projects in scope whose state lets one of the
 * user's roles act ($2, the states), with the earliest due time of the
 * current state's deadlines (project.due_at, migration 013: fired ones
 * count, a project stays overdue after its escalations); most urgent first
 * (none last), a page after the cursor ($7 due in µs or NULL for none, $8
 * id). Each agency in scope gives its first page from project_live_idx
 * (migration 021: live projects only, in due order), and the pages are
 * merged: a county reads a page, a province a page per agency (99 at
 * 1,000,000 projects: 11 ms), never the closed years. */
static struct stmt q_project_tasks = STMT_CUSTOM(
	"SELECT p.id, p.title, p.agency, p.state, p.version, ts2us(p.due_at) "
	"FROM agency a CROSS JOIN LATERAL (SELECT p.id, p.title, p.agency, p.state, p.version, "
	"p.due_at FROM project p WHERE p.agency = a.code AND " PROJECT_LIVE " "
	/* not "state = ANY($2)": the planner took that for 5 % of the rows
	 * (the whole table's share) and sorted all the agency's live rows
	 * from a bitmap of the state index; among live projects a role's
	 * states are about half, and the walk in due order stops at a page */
	"AND array_position($2::text[], p.state::text) IS NOT NULL "
	"AND ($3::text IS NULL OR p.state = $3) "
	"AND (NOT $5::boolean OR p.due_at <= us2ts($6)) "
	"AND (" PROJECT_DUE ", p.id) > "
	"(coalesce(us2ts($7::bigint), CASE WHEN $8::bigint = 0 THEN '-infinity'::timestamptz "
	"ELSE 'infinity' END), $8::bigint) "
	"ORDER BY " PROJECT_DUE ", p.id LIMIT $9) p "
	"WHERE starts_with(a.path, $1) AND ($4::text IS NULL OR a.code = $4) "
	"ORDER BY " PROJECT_DUE ", p.id LIMIT $9");

struct rows *
project_tasks(struct req_ctx *c, const char *states, const char *state, const char *agency,
    bool overdue, const usec_t *after_due, int64_t after_id, int limit)
{
	struct pbuf pb = { .n = 0 };
	const char *v[9] = { c->u->path, states, state, agency, overdue ? "true" : "false",
		pi64(&pb, c->now), after_due ? pi64(&pb, *after_due) : NULL, pi64(&pb, after_id),
		pi64(&pb, limit + 1) };
	PGresult *r = db_run(c->db, &q_project_tasks, 9, v, NULL);
	if (r == NULL)
		return ctx_dbfail(c, "listing tasks");
	return rows_of(r);
}

/* The count per state: the deltas of migration 014 summed over the
 * agencies in scope (a few rows each), or, for the overdue filter, a walk
 * of project_due_idx over what is overdue only. */
static struct stmt q_project_task_counts = STMT(
	"SELECT c.state, sum(c.n) FROM project_count c JOIN agency a ON a.code = c.agency "
	"WHERE starts_with(a.path, $1) AND c.state = ANY($2::text[]) "
	"AND ($3::text IS NULL OR c.agency = $3) "
	"GROUP BY c.state HAVING sum(c.n) > 0 ORDER BY c.state");

static struct stmt q_project_task_counts_overdue = STMT_CUSTOM(
	"SELECT p.state, count(*) FROM project p JOIN agency a ON a.code = p.agency "
	"WHERE coalesce(p.due_at, 'infinity'::timestamptz) <= us2ts($4) "
	"AND starts_with(a.path, $1) AND p.state = ANY($2::text[]) "
	"AND ($3::text IS NULL OR p.agency = $3) "
	"GROUP BY p.state ORDER BY p.state");

struct rows *
project_task_counts(struct req_ctx *c, const char *states, const char *agency, bool overdue)
{
	struct pbuf pb = { .n = 0 };
	const char *v[4] = { c->u->path, states, agency, pi64(&pb, c->now) };
	PGresult *r = overdue ? db_run(c->db, &q_project_task_counts_overdue, 4, v, NULL)
			      : db_run(c->db, &q_project_task_counts, 3, v, NULL);
	if (r == NULL)
		return ctx_dbfail(c, "counting tasks");
	return rows_of(r);
}

/* Folds the count deltas into one row per agency and state, for the groups
 * that have more than one. Rows appended meanwhile are not in the DELETE's
 * snapshot and stay; a second daemon folding at once finds the rows gone
 * and leaves its sums out, so no count is lost or doubled. */
static struct stmt q_project_count_fold = STMT(
	"WITH gone AS (DELETE FROM project_count WHERE (agency, state) IN "
	"(SELECT agency, state FROM project_count GROUP BY agency, state HAVING count(*) > 1) "
	"RETURNING agency, state, n) "
	"INSERT INTO project_count (agency, state, n) "
	"SELECT agency, state, sum(n) FROM gone GROUP BY agency, state HAVING sum(n) <> 0");

int
project_count_fold(struct db *db)
{
	return db_run0(db, &q_project_count_fold, 0, NULL, NULL);
}
