/* The registry: agencies, their budgets, the catalogue of services and the contractors. */
#include "registry.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db.h"
#include "jsonio.h"
#include "log.h"
#include "sql.h"

/* An agency's columns, with the profile and region it follows: its own, or
 * the nearest ancestor's that says (the national profile at the top). */
#define AGENCY_COLS "SELECT a.code, a.name, a.level, a.parent, a.path, ts2us(a.created_at), a.lang, a.profile, " \
	"a.region, agency_profile(a.path), agency_region(a.path) FROM agency a "
static struct stmt q_agency_by_code = STMT(AGENCY_COLS "WHERE a.code = $1");

/* The agency CODE if the user sees it: a result row, or NULL with 404. */
static PGresult *
agency_fetch(struct req_ctx *c, const char *code)
{
	const char *v[1] = { code };
	PGresult *r = db_run(c->db, &q_agency_by_code, 1, v, NULL);
	if (r == NULL) {
		ctx_dbfail(c, "reading an agency");
		return NULL;
	}
	if (PQntuples(r) != 1 || !user_sees(c->u, gs(r, 0, 4))) {
		PQclear(r);
		ctx_fail(c, 404, "not_found", NULL, "no such agency");
		return NULL;
	}
	return r;
}

int
registry_agency_seen(struct req_ctx *c, const char *code)
{
	const char *v[1] = { code };
	PGresult *r = db_run(c->db, &q_agency_by_code, 1, v, NULL);
	if (r == NULL) {
		ctx_dbfail(c, "reading an agency");
		return -1;
	}
	bool seen = PQntuples(r) == 1 && user_sees(c->u, gs(r, 0, 4));
	PQclear(r);
	return seen;
}

static struct stmt q_agency_add = STMT(
	"INSERT INTO agency (code, name, level, parent, path, created_at, lang, profile, region) "
	"VALUES ($1, $2, $3, $4, coalesce((SELECT path FROM agency WHERE code = $4), '/') "
	"|| $1 || '/', us2ts($5), coalesce($6, 'zh'), $7, $8) RETURNING path");

struct rows *
registry_agency_add(struct req_ctx *c, const char *code, const char *name, const char *level,
    const char *parent, const char *lang, const char *profile, const char *region)
{
	struct pbuf pb = { .n = 0 };
	char st[6];

	if (parent) {
		int seen = registry_agency_seen(c, parent);
		if (seen < 0)
			return NULL;
		if (!seen)
			return ctx_fail(c, 404, "not_found", json_pack("{s:s}", "field", "parent"),
			    "no such parent agency in your scope");
	} else if (strcmp(c->u->path, "/") != 0) {
		/* a top-level agency would be outside the admin's own scope:
		 * those are made with procurctl */
		return ctx_fail(c, 422, "rule_violation",
		    json_pack("{s:s,s:s}", "rule", "parent_required", "field", "parent"),
		    "a new agency needs a parent agency in your scope");
	}
	const char *v[8] = { code, name, level, parent, pi64(&pb, c->now), lang, profile, region };
	PGresult *r = db_run(c->db, &q_agency_add, 8, v, st);
	if (r == NULL) {
		if (!strcmp(st, "23505"))
			return ctx_fail(c, 409, "conflict", json_pack("{s:s}", "field", "code"),
			    "an agency with this code exists");
		if (!strcmp(st, "23514"))
			return ctx_fail(c, 400, "invalid_field", json_pack("{s:s}", "field", "code"),
			    "code must be 1-32 letters, digits, '-' or '_'; lang zh or en");
		return ctx_dbfail(c, "adding an agency");
	}
	PQclear(r);
	const char *v2[1] = { code };
	r = db_run(c->db, &q_agency_by_code, 1, v2, NULL);
	if (r == NULL)
		return ctx_dbfail(c, "reading an agency");
	return rows_of(r);
}

/* The policy an agency follows (NULL leaves one as it is; "" inherits
 * again); the code, place and language stay (migration 010). */
static struct stmt q_agency_policy = STMT(
	"UPDATE agency SET profile = CASE WHEN $2::text IS NULL THEN profile "
	"ELSE nullif($2, '') END, region = CASE WHEN $3::text IS NULL THEN region "
	"ELSE nullif($3, '') END WHERE code = $1 RETURNING code");

int
registry_agency_policy(struct db *db, const char *code, const char *profile, const char *region)
{
	const char *v[3] = { code, profile, region };
	PGresult *r = db_run(db, &q_agency_policy, 3, v, NULL);
	if (r == NULL)
		return -1;
	int n = PQntuples(r);
	PQclear(r);
	return n == 1 ? 0 : 1;
}

struct rows *
registry_agency_get(struct req_ctx *c, const char *code)
{
	PGresult *r = agency_fetch(c, code);
	return r ? rows_of(r) : NULL;
}

static struct stmt q_budget_put = STMT(
	"INSERT INTO budget (agency, fiscal_year, special_funds_fen, work_funds_fen, "
	"lottery_funds_fen, cap_bp, updated_at) VALUES ($1, $2, $3, $4, $5, $6, us2ts($7)) "
	"ON CONFLICT (agency, fiscal_year) DO UPDATE SET special_funds_fen = EXCLUDED.special_funds_fen, "
	"work_funds_fen = EXCLUDED.work_funds_fen, lottery_funds_fen = EXCLUDED.lottery_funds_fen, "
	"cap_bp = EXCLUDED.cap_bp, updated_at = EXCLUDED.updated_at");

struct rows *
registry_budget_put(struct req_ctx *c, const char *agency, int year, const json_t *b)
{
	struct pbuf pb = { .n = 0 };
	const char *names[3] = { "special_funds_fen", "work_funds_fen", "lottery_funds_fen" };
	int64_t amt[3];

	/* the edge checked every value (payload.c) */
	for (int i = 0; i < 3; i++)
		body_i64(b, names[i], &amt[i]);
	int cap_bp = c->rc->cap_bp_default;
	json_t *cp = json_object_get(b, "cap_percent");
	if (json_is_number(cp))
		cap_bp = (int)(json_number_value(cp) * 100 + 0.5);
	PGresult *ar = agency_fetch(c, agency);
	if (ar == NULL)
		return NULL;
	PQclear(ar);
	const char *v[7] = { agency, pi64(&pb, year), pi64(&pb, amt[0]), pi64(&pb, amt[1]),
		pi64(&pb, amt[2]), pi64(&pb, cap_bp), pi64(&pb, c->now) };
	if (db_run0(c->db, &q_budget_put, 7, v, NULL))
		return ctx_dbfail(c, "writing a budget");
	log_info("budget %s/%d: special %" PRId64 " work %" PRId64 " lottery %" PRId64
	    " fen, cap %d bp, by %s", agency, year, amt[0], amt[1], amt[2], cap_bp, c->u->name);
	return registry_budget_get(c, agency, year);
}

static struct stmt q_budget_get = STMT(
	"SELECT special_funds_fen, work_funds_fen, lottery_funds_fen, cap_bp, "
	"(SELECT coalesce(sum(budget_fen), 0) FROM project WHERE agency = $1 AND fiscal_year = $2 "
	"AND budget_approved AND funding_source = 'special_funds' AND state <> 'cancelled'), "
	"ts2us(updated_at), (SELECT spending_fen FROM dibao_spending WHERE agency = $1 "
	"AND year = $2 - 1), (SELECT agency_profile(path) FROM agency WHERE code = $1) "
	"FROM budget WHERE agency = $1 AND fiscal_year = $2");

struct rows *
registry_budget_get(struct req_ctx *c, const char *agency, int year)
{
	struct pbuf pb = { .n = 0 };
	PGresult *ar = agency_fetch(c, agency);
	if (ar == NULL)
		return NULL;
	PQclear(ar);
	const char *v[2] = { agency, pi64(&pb, year) };
	PGresult *r = db_run(c->db, &q_budget_get, 2, v, NULL);
	if (r == NULL)
		return ctx_dbfail(c, "reading a budget");
	if (PQntuples(r) != 1) {
		PQclear(r);
		return ctx_fail(c, 404, "not_found", NULL, "no budget recorded for that year");
	}
	return rows_of(r);
}

/* Catalogue items are approved by the province (000 §3.3, 003 §1.2): a
 * county's admin may list an item, not approve it. */
static bool
may_approve(const struct user *u)
{
	return u->id == 0 || strcmp(u->level, "province") == 0;
}

static struct stmt q_catalog_add = STMT(
	"INSERT INTO catalog_item (code, name, category, level, approved, purchasable, restricted, "
	"created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, us2ts($8)) "
	"RETURNING code, name, category, level, approved, purchasable, restricted");

struct rows *
registry_catalog_add(struct req_ctx *c, const json_t *b)
{
	struct pbuf pb = { .n = 0 };
	const char *code, *name, *cat, *level = "county";
	char st[6];

	body_str(b, "code", &code);
	body_str(b, "name", &name);
	body_str(b, "category", &cat);
	body_str(b, "level", &level);
	if (level == NULL)
		level = "county";
	bool approved = json_is_true(json_object_get(b, "approved"));
	bool purchasable = json_is_true(json_object_get(b, "purchasable"));
	bool restricted = json_is_true(json_object_get(b, "restricted"));
	if (approved && !may_approve(c->u))
		return ctx_fail(c, 403, "forbidden", json_pack("{s:s}", "field", "approved"),
		    "only a provincial admin approves catalogue items (000 §3.3)");
	if (restricted && purchasable)
		return ctx_fail(c, 422, "rule_violation", json_pack("{s:s,s:s}", "rule",
		    "restricted_not_purchasable", "code", code),
		    "administrative functions and confidential matters can never be purchasable "
		    "(001 §2.2, 000 §4.1)");
	const char *v[8] = { code, name, cat, level, approved ? "true" : "false",
		purchasable ? "true" : "false", restricted ? "true" : "false", pi64(&pb, c->now) };
	PGresult *r = db_run(c->db, &q_catalog_add, 8, v, st);
	if (r == NULL) {
		if (!strcmp(st, "23505"))
			return ctx_fail(c, 409, "conflict", json_pack("{s:s}", "field", "code"),
			    "a catalogue item with this code exists");
		if (!strcmp(st, "23514"))
			return ctx_fail(c, 400, "invalid_field", json_pack("{s:s}", "field", "code"),
			    "code or level is not valid (levels: province, city, county, township, village)");
		return ctx_dbfail(c, "adding a catalogue item");
	}
	return rows_of(r);
}

static struct stmt q_catalog_update = STMT(
	"UPDATE catalog_item SET name = coalesce($2, name), category = coalesce($3, category), "
	"level = coalesce($4, level), approved = coalesce($5::boolean, approved), "
	"purchasable = coalesce($6::boolean, purchasable), restricted = coalesce($7::boolean, restricted) "
	"WHERE code = $1 RETURNING code, name, category, level, approved, purchasable, restricted");

struct rows *
registry_catalog_update(struct req_ctx *c, const char *code, const json_t *b)
{
	const char *v[7] = { code };
	const char *txt[3] = { "name", "category", "level" };
	const char *flags[3] = { "approved", "purchasable", "restricted" };
	char st[6];

	if (json_object_get(b, "approved") && !may_approve(c->u))
		return ctx_fail(c, 403, "forbidden", json_pack("{s:s}", "field", "approved"),
		    "only a provincial admin approves catalogue items (000 §3.3)");
	for (int i = 0; i < 3; i++) {
		const char *sv = NULL;
		body_str(b, txt[i], &sv);
		v[1 + i] = sv;
		json_t *fl = json_object_get(b, flags[i]);
		v[4 + i] = json_is_boolean(fl) ? (json_is_true(fl) ? "true" : "false") : NULL;
	}
	PGresult *r = db_run(c->db, &q_catalog_update, 7, v, st);
	if (r == NULL) {
		if (!strcmp(st, "23514"))
			return ctx_fail(c, 422, "rule_violation", json_pack("{s:s,s:s}", "rule",
			    "restricted_not_purchasable", "code", code),
			    "administrative functions and confidential matters can never be purchasable "
			    "(001 §2.2, 000 §4.1); or the level is not valid");
		return ctx_dbfail(c, "updating a catalogue item");
	}
	if (PQntuples(r) != 1) {
		PQclear(r);
		return ctx_fail(c, 404, "not_found", NULL, "no such catalogue item");
	}
	log_info("catalogue: %s updated by %s", code, c->u->name);
	return rows_of(r);
}

static struct stmt q_catalog_list = STMT(
	"SELECT code, name, category, level, approved, purchasable, restricted FROM catalog_item "
	"ORDER BY code");

struct rows *
registry_catalog_list(struct req_ctx *c)
{
	PGresult *r = db_run(c->db, &q_catalog_list, 0, NULL, NULL);
	if (r == NULL)
		return ctx_dbfail(c, "listing the catalogue");
	return rows_of(r);
}

static struct stmt q_contractor_add = STMT(
	"INSERT INTO contractor (name, kind, credit_code, independent_liability, facilities, staff, "
	"professional_capability, governance, financial_management, created_by, created_at) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, us2ts($11)) RETURNING id");

static struct stmt q_contractor_banned_on = STMT(
	"SELECT EXISTS (SELECT 1 FROM contractor_ban WHERE contractor_id = $1 "
	"AND starts <= $2::date AND ends > $2::date)");

int
registry_contractor_banned(struct db *db, int64_t id, int32_t day, bool *banned)
{
	struct pbuf pb = { .n = 0 };
	const char *v[2] = { pi64(&pb, id), pdate(&pb, day) };
	PGresult *r = db_run(db, &q_contractor_banned_on, 2, v, NULL);
	if (r == NULL)
		return -1;
	*banned = gbool(r, 0, 0);
	PQclear(r);
	return 0;
}

int
registry_contractor_add(struct req_ctx *c, const json_t *b, struct rows *out[3])
{
	struct pbuf pb = { .n = 0 };
	const char *name, *kind, *code;
	char st[6];

	/* the edge checked every value (payload.c): the kind, the code's checksum */
	body_str(b, "name", &name);
	body_str(b, "kind", &kind);
	body_str(b, "credit_code", &code);
	const char *v[11] = { name, kind, code };
	for (int i = 0; i < QUAL__COUNT; i++)
		v[3 + i] = json_is_true(json_object_get(b, qual_flag_name((enum qual_flag)i))) ? "true" : "false";
	v[9] = c->u->agency;
	v[10] = pi64(&pb, c->now);
	PGresult *r = db_run(c->db, &q_contractor_add, 11, v, st);
	if (r == NULL) {
		if (!strcmp(st, "23505"))
			ctx_fail(c, 409, "conflict", json_pack("{s:s}", "field", "credit_code"),
			    "a contractor with this credit code exists");
		else
			ctx_dbfail(c, "adding a contractor");
		return -1;
	}
	int64_t id = gi64(r, 0, 0);
	PQclear(r);
	return registry_contractor_get(c, id, out);
}


static struct stmt q_contractor_bans = STMT(
	"SELECT reason, starts::text, ends::text, project_id FROM contractor_ban "
	"WHERE contractor_id = $1 ORDER BY starts, id");

static struct stmt q_contractor_evals = STMT(
	"SELECT project_id, fiscal_year, agency, purchaser_score, recipient_satisfaction, "
	"third_party_score, composite, ts2us(published_at) FROM evaluation "
	"WHERE contractor_id = $1 ORDER BY fiscal_year DESC, project_id DESC");

static struct stmt q_contractor_get = STMT(
	"SELECT id, name, kind, credit_code, independent_liability, facilities, staff, "
	"professional_capability, governance, financial_management, ts2us(created_at) "
	"FROM contractor WHERE id = $1");

int
registry_contractor_missing(struct db *db, int64_t id, json_t **missing)
{
	struct pbuf pb = { .n = 0 };
	const char *v[1] = { pi64(&pb, id) };
	PGresult *r = db_run(db, &q_contractor_get, 1, v, NULL);
	if (r == NULL)
		return -1;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return 1;
	}
	*missing = json_array();
	for (int i = 0; i < QUAL__COUNT; i++)
		if (!gbool(r, 0, 4 + i))
			json_array_append_new(*missing, json_string(qual_flag_name((enum qual_flag)i)));
	PQclear(r);
	return 0;
}

int
registry_contractor_get(struct req_ctx *c, int64_t id, struct rows *out[3])
{
	struct pbuf pb = { .n = 0 };
	const char *v[1] = { pi64(&pb, id) };
	static const char *const what[3] = { "reading a contractor", "reading bans",
		"reading evaluations" };
	struct stmt *s[3] = { &q_contractor_get, &q_contractor_bans, &q_contractor_evals };
	memset(out, 0, 3 * sizeof out[0]);
	for (int i = 0; i < 3; i++) {
		PGresult *r = db_run(c->db, s[i], 1, v, NULL);
		if (r == NULL) {
			registry_contractor_free(out);
			ctx_dbfail(c, what[i]);
			return -1;
		}
		out[i] = rows_of(r);
		if (i == 0 && PQntuples(r) != 1) {
			registry_contractor_free(out);
			ctx_fail(c, 404, "not_found", NULL, "no such contractor");
			return -1;
		}
	}
	return 0;
}

void
registry_contractor_free(struct rows *r[3])
{
	for (int i = 0; i < 3; i++) {
		rows_free(r[i]);
		r[i] = NULL;
	}
}

/* Contractors whose name holds Q (any case) or whose credit code is Q: a
 * plain substring, no pattern characters. Whether each is qualified and
 * banned on DAY. */
static struct stmt q_contractor_search = STMT(
	"SELECT c.id, c.name, c.kind, c.credit_code, (c.independent_liability AND c.facilities "
	"AND c.staff AND c.professional_capability AND c.governance AND c.financial_management), "
	"EXISTS (SELECT 1 FROM contractor_ban b WHERE b.contractor_id = c.id AND b.starts <= $2::date "
	"AND b.ends > $2::date), ts2us(c.created_at) FROM contractor c "
	"WHERE strpos(lower(c.name), lower($1)) > 0 OR c.credit_code = upper($1) "
	"ORDER BY c.name, c.id LIMIT $3");

struct rows *
registry_contractor_search(struct req_ctx *c, const char *q, int limit)
{
	struct pbuf pb = { .n = 0 };
	const char *v[3] = { q, pdate(&pb, calendar_local_day(c->cal, c->now)), pi64(&pb, limit) };
	PGresult *r = db_run(c->db, &q_contractor_search, 3, v, NULL);
	if (r == NULL)
		return ctx_dbfail(c, "searching contractors");
	return rows_of(r);
}

/* The agencies within SCOPE, in tree order (a parent before its children). */
static struct stmt q_agency_list = STMT(AGENCY_COLS "WHERE starts_with(a.path, $1) ORDER BY a.path");

struct rows *
registry_agency_list(struct req_ctx *c)
{
	const char *v[1] = { c->u->path };
	PGresult *r = db_run(c->db, &q_agency_list, 1, v, NULL);
	if (r == NULL)
		return ctx_dbfail(c, "listing agencies");
	return rows_of(r);
}
