/* Projects: their row, how the API shows it, reading one in scope, listing and creating them. */
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
#include "sql.h"

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

json_t *
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
void
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

json_t *
project_get(struct req_ctx *c, int64_t id)
{
	PGresult *r = project_read(c, id, NULL);
	if (r == NULL)
		return NULL;
	json_t *o = project_json(c, r, 0);
	PQclear(r);
	return o;
}

/* Keyset pagination over id; the scope is the user's agency path. */
static struct stmt q_project_list = STMT(
	"SELECT " PROJECT_COLS PROJECT_FROM "JOIN agency a ON a.code = p.agency "
	"WHERE starts_with(a.path, $1) AND ($2::text IS NULL OR p.state = $2) "
	"AND ($3::text IS NULL OR p.agency = $3) AND p.id > $4 "
	"AND ($5::boolean IS NULL OR ((p.next_check IS NOT NULL AND p.next_check <= us2ts($6)) = $5)) "
	"ORDER BY p.id LIMIT $7");

json_t *
project_list(struct req_ctx *c, const char *state, const char *agency, int overdue,
    int limit, int64_t after)
{
	struct pbuf pb = { .n = 0 };
	const char *v[7] = { c->u->path, state, agency, pi64(&pb, after),
		overdue < 0 ? NULL : overdue ? "true" : "false", pi64(&pb, c->now),
		pi64(&pb, limit + 1) };
	PGresult *r = db_run(c->db, &q_project_list, 7, v, NULL);
	if (r == NULL)
		return ctx_dbfail(c, "listing projects");
	json_t *items = json_array();
	int n = PQntuples(r);
	for (int i = 0; i < n && i < limit; i++)
		json_array_append_new(items, project_json(c, r, i));
	json_t *next = n > limit ? json_sprintf("%" PRId64, gi64(r, limit - 1, PC_ID)) : json_null();
	PQclear(r);
	return json_pack("{s:o,s:o}", "items", items, "next", next);
}

static struct stmt q_project_create = STMT(
	"INSERT INTO project (agency, fiscal_year, title, catalog_items, budget_fen, funding_source, "
	"method, quantity, quality_standard, service_start, service_end, created_by, created_at, "
	"updated_at, predecessor_id) VALUES ($1, $2, $3, "
	"ARRAY(SELECT jsonb_array_elements_text($4::jsonb)), $5, $6, $7, $8, $9, $10::date, "
	"$11::date, $12, us2ts($13), us2ts($13), $14) RETURNING id");

json_t *
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
	if (!seen)
		return ctx_fail(c, 404, "not_found", json_pack("{s:s}", "field", "agency"),
		    "no such agency in your scope");

	char *items_s = items ? json_text(items) : xstrdup("[]");
	const char *txt[6];
	const char *keys[6] = { "title", "funding_source", "method", "quantity", "quality_standard",
		"service_start" };
	for (int k = 0; k < 6; k++)
		txt[k] = body_str(b, keys[k], &s) ? NULL : s;
	const char *send = NULL;
	body_str(b, "service_end", &send);
	const char *v[14] = { agency, pi64(&pb, year), txt[0], items_s,
		budget >= 0 ? pi64(&pb, budget) : NULL, txt[1], txt[2], txt[3] ? txt[3] : "",
		txt[4] ? txt[4] : "", txt[5], send, pi64(&pb, c->u->id), pi64(&pb, c->now), NULL };
	json_t *out = NULL;
	if (db_begin(c->db))
		goto dberr;
	PGresult *r = db_run(c->db, &q_project_create, 14, v, st);
	if (r == NULL)
		goto dberr;
	int64_t id = gi64(r, 0, 0);
	PQclear(r);
	struct eventwrite w = { .id = id, .seq = 1, .last_hash = "", .ev = "create", .from = "",
		.to = "draft", .payload = b };
	if (eventwrite_run(c, NULL, &w) || db_commit(c->db))
		goto dberr;
	log_info("project %" PRId64 ": created in draft by %s (agency %s)", id, c->u->name, agency);
	free(items_s);
	return project_get(c, id);
dberr:
	free(items_s);
	return out ? out : ctx_dbfail(c, "creating a project");
}
