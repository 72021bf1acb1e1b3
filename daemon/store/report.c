/* The reports' rows (report.h). */
#include "report.h"

#include <inttypes.h>
#include "log.h"
#include "registry.h"
#include "projectsql.h"
#include "sql.h"

/* Per unit, the year's positions found through the GIN index of
 * migration 017 (projects naming the unit), never a walk of the year. */
static struct stmt q_staffing = STMT(
	"SELECT u.code, u.name, u.level, agency_profile(u.path), agency_region(u.path), "
	"s.households, s.recipients, s.contracted, s.planned, s.lowest, b.special_funds_fen, "
	"b.cap_bp, f.committed, u.parent "
	"FROM agency u LEFT JOIN budget b ON b.agency = u.code AND b.fiscal_year = $2 "
	"CROSS JOIN LATERAL (SELECT "
	"(array_agg(x.households ORDER BY p.id DESC) FILTER (WHERE x.households IS NOT NULL))[1] "
	"AS households, "
	"(array_agg(x.recipients ORDER BY p.id DESC) FILTER (WHERE x.recipients IS NOT NULL))[1] "
	"AS recipients, "
	"coalesce(sum(x.count) FILTER (WHERE p.state IN " UNDER_CONTRACT "), 0) AS contracted, "
	"coalesce(sum(x.count) FILTER (WHERE p.state NOT IN " UNDER_CONTRACT "), 0) AS planned, "
	"min(x.annual_wage_fen) FILTER (WHERE p.state IN " UNDER_CONTRACT ") AS lowest "
	"FROM project p CROSS JOIN LATERAL jsonb_to_recordset(p.positions) AS x(unit text, "
	"count int, annual_wage_fen bigint, households bigint, recipients bigint) "
	"WHERE p.positions @> jsonb_build_array(jsonb_build_object('unit', u.code)) "
	"AND p.fiscal_year = $2 AND x.unit = u.code "
	"AND p.state NOT IN ('cancelled', 'takeover', 'terminated')) s "
	"CROSS JOIN LATERAL (SELECT coalesce(sum(budget_fen), 0) AS committed FROM project "
	"WHERE agency = u.code AND fiscal_year = $2 AND budget_approved "
	"AND funding_source = 'special_funds' AND state <> 'cancelled') f "
	"WHERE starts_with(u.path, $1) AND u.level IN ('county', 'township') ORDER BY u.path");

/* The agency CODE's path when the user sees it; NULL (404, or a database
 * error) otherwise. */
static char *
scope_path(struct req_ctx *c, const char *code)
{
	struct rows *a = registry_agency_get(c, code);
	if (a == NULL)
		return NULL;
	char *path = xstrdup(rows_text(a, 0, 4));
	rows_free(a);
	return path;
}

struct rows *
report_staffing(struct req_ctx *c, const char *agency, int year)
{
	struct pbuf pb = { .n = 0 };
	char *path = scope_path(c, agency);
	if (path == NULL)
		return NULL;
	const char *v[2] = { path, pi64(&pb, year) };
	PGresult *r = db_run(c->db, &q_staffing, 2, v, NULL);
	free(path);
	if (r == NULL)
		return ctx_dbfail(c, "reading the staffing report");
	return rows_of(r);
}

/* One pass over the year's projects of the subtree, grouped by each
 * dimension at once. */
static struct stmt q_spending = STMT(
	"SELECT CASE WHEN GROUPING(p.funding_source) = 0 THEN 'funding_source' "
	"WHEN GROUPING(cat.category) = 0 THEN 'category' WHEN GROUPING(p.method) = 0 THEN 'method' "
	"WHEN GROUPING(p.state) = 0 THEN 'state' ELSE 'total' END, "
	"coalesce(p.funding_source, cat.category, p.method, p.state), count(*), "
	"coalesce(sum(p.budget_fen), 0), coalesce(sum((p.contract->>'amount_fen')::bigint), 0), "
	"coalesce(sum(p.paid_fen), 0) "
	"FROM project p JOIN agency a ON a.code = p.agency "
	"LEFT JOIN LATERAL (SELECT ci.category FROM catalog_item ci "
	"WHERE ci.code = p.catalog_items[1]) cat ON true "
	"WHERE starts_with(a.path, $1) AND p.fiscal_year = $2 "
	"GROUP BY GROUPING SETS ((), (p.funding_source), (cat.category), (p.method), (p.state)) "
	"ORDER BY 1 DESC, 2");

struct rows *
report_spending(struct req_ctx *c, const char *agency, int year)
{
	struct pbuf pb = { .n = 0 };
	char *path = scope_path(c, agency);
	if (path == NULL)
		return NULL;
	const char *v[2] = { path, pi64(&pb, year) };
	PGresult *r = db_run(c->db, &q_spending, 2, v, NULL);
	free(path);
	if (r == NULL)
		return ctx_dbfail(c, "reading the spending report");
	return rows_of(r);
}

static struct stmt q_dibao_put = STMT(
	"INSERT INTO dibao_spending (agency, year, spending_fen, recorded_by, updated_at) "
	"VALUES ($1, $2, $3, $4, us2ts($5)) ON CONFLICT (agency, year) DO UPDATE SET "
	"spending_fen = EXCLUDED.spending_fen, recorded_by = EXCLUDED.recorded_by, "
	"updated_at = EXCLUDED.updated_at");
static struct stmt q_dibao_get = STMT(
	"SELECT agency, year, spending_fen, ts2us(updated_at) FROM dibao_spending "
	"WHERE agency = $1 AND year = $2");

struct rows *
report_dibao_put(struct req_ctx *c, const char *agency, int year, int64_t fen)
{
	struct pbuf pb = { .n = 0 };
	char *path = scope_path(c, agency);
	if (path == NULL)
		return NULL;
	free(path);
	const char *v[5] = { agency, pi64(&pb, year), pi64(&pb, fen), pi64(&pb, c->u->id),
		pi64(&pb, c->now) };
	if (db_run0(c->db, &q_dibao_put, 5, v, NULL))
		return ctx_dbfail(c, "recording dibao spending");
	log_info("dibao spending %s/%d: %" PRId64 " fen, by %s", agency, year, fen, c->u->name);
	return report_dibao_get(c, agency, year);
}

struct rows *
report_dibao_get(struct req_ctx *c, const char *agency, int year)
{
	struct pbuf pb = { .n = 0 };
	char *path = scope_path(c, agency);
	if (path == NULL)
		return NULL;
	free(path);
	const char *v[2] = { agency, pi64(&pb, year) };
	PGresult *r = db_run(c->db, &q_dibao_get, 2, v, NULL);
	if (r == NULL)
		return ctx_dbfail(c, "reading dibao spending");
	if (PQntuples(r) != 1) {
		PQclear(r);
		return ctx_fail(c, 404, "not_found", NULL, "no dibao spending recorded for that year");
	}
	return rows_of(r);
}
