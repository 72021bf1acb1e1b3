/* The registry's routes: agencies, budgets, the catalogue, the calendar's
 * years (admin.h). */
#include "admin.h"

#include <string.h>
#include "apierr.h"
#include "edge.h"
#include "payload.h"
#include "profile.h"
#include "registry.h"
#include "render.h"
#include "rows.h"
#include "timebase.h"

json_t *
admin_agencies(struct api_request *r, struct req_ctx *c, int *status)
{
	(void)r;
	(void)status;
	struct rows *rows = registry_agency_list(c);
	if (rows == NULL)
		return NULL;
	json_t *o = render_agencies(rows, ctx_offset(c));
	rows_free(rows);
	return o;
}

json_t *
admin_calendar(struct api_request *r, struct req_ctx *c, int *status)
{
	(void)r;
	(void)status;
	struct rows *rows = timebase_calendar_status(c->db);
	if (rows == NULL)
		return ctx_dbfail(c, "reading the calendar's years");
	json_t *o = render_calendar(rows, ctx_offset(c));
	rows_free(rows);
	return o;
}

static json_t *
err(struct req_ctx *c, int status, const char *code, json_t *details, const char *msg)
{
	apierr_set(c->err, status, code, details, "%s", msg);
	return NULL;
}

/* The body's values (payload_values() for KIND): true when one is out of
 * its range, the error then set. */
static bool
bad_values(struct api_request *r, enum payload_kind kind)
{
	struct edge_err e;
	if (payload_values(kind, r->json, &e) == 0)
		return false;
	edge_apierr(&e, &r->err);
	return true;
}

json_t *
admin_agency_add(struct api_request *r, struct req_ctx *c, int *status)
{
	const json_t *b = r->json;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)b, k, v) {
		if (strcmp(k, "code") && strcmp(k, "name") && strcmp(k, "level") && strcmp(k, "parent") &&
		    strcmp(k, "lang") && strcmp(k, "profile") && strcmp(k, "region"))
			return err(c, 400, "unknown_field", json_pack("{s:s}", "field", k),
			    "unknown field");
	}
	json_t *code = json_object_get(b, "code"), *name = json_object_get(b, "name");
	json_t *level = json_object_get(b, "level"), *parent = json_object_get(b, "parent");
	if (!json_is_string(code) || !json_is_string(name) || !json_is_string(level))
		return err(c, 422, "rule_violation", json_pack("{s:s}", "rule", "payload_required"),
		    "code, name and level are required strings");
	if (parent && !json_is_null(parent) && !json_is_string(parent))
		return err(c, 400, "invalid_field", json_pack("{s:s}", "field", "parent"),
		    "parent must be an agency code");
	const char *lv = json_string_value(level);
	if (strcmp(lv, "province") && strcmp(lv, "city") && strcmp(lv, "county") &&
	    strcmp(lv, "township"))
		return err(c, 400, "invalid_field", json_pack("{s:s}", "field", "level"),
		    "level must be province, city, county or township");
	if (json_string_length(name) == 0)
		return err(c, 422, "rule_violation", json_pack("{s:s,s:s}", "rule", "payload_required",
		    "field", "name"), "name is required");
	json_t *lang = json_object_get(b, "lang");
	if (lang && !json_is_null(lang) && (!json_is_string(lang) ||
	    (strcmp(json_string_value(lang), "zh") && strcmp(json_string_value(lang), "en"))))
		return err(c, 400, "invalid_field", json_pack("{s:s}", "field", "lang"),
		    "lang must be zh or en");
	/* the policy it follows: a profile this daemon has, a region it knows */
	json_t *profile = json_object_get(b, "profile"), *region = json_object_get(b, "region");
	if (profile && !json_is_null(profile) && (!json_is_string(profile) ||
	    profile_find(&r->d->profiles, json_string_value(profile)) == NULL))
		return err(c, 400, "invalid_field", json_pack("{s:s}", "field", "profile"),
		    "profile must name a policy profile of config/profiles");
	if (region && !json_is_null(region) && (!json_is_string(region) ||
	    region_parse(json_string_value(region)) < 0))
		return err(c, 400, "invalid_field", json_pack("{s:s}", "field", "region"),
		    "region must be pearl_river_delta or east_west_north");
	(void)status;
	struct rows *rows = registry_agency_add(c, json_string_value(code), json_string_value(name),
	    lv, json_is_string(parent) ? json_string_value(parent) : NULL,
	    json_is_string(lang) ? json_string_value(lang) : NULL,
	    json_is_string(profile) ? json_string_value(profile) : NULL,
	    json_is_string(region) ? json_string_value(region) : NULL);
	json_t *o = rows ? render_agency(rows, 0, ctx_offset(c)) : NULL;
	rows_free(rows);
	return o;
}

json_t *
admin_agency_get(struct api_request *r, struct req_ctx *c, int *status)
{
	(void)status;
	struct rows *rows = registry_agency_get(c, r->params[0]);
	json_t *o = rows ? render_agency(rows, 0, ctx_offset(c)) : NULL;
	rows_free(rows);
	return o;
}

/* The budget, and beside its work funds those the agency's profile
 * expects: Guangdong's 3 % of last year's dibao spending (002 §2.2). */
static json_t *
budget_answer(struct api_request *r, struct req_ctx *c, struct rows *rows, const char *agency,
    int year)
{
	json_t *o = rows ? render_budget(rows, agency, year, ctx_offset(c)) : NULL;
	const struct profile *p = rows ? profile_find(&r->d->profiles, rows_text(rows, 0, 7)) : NULL;
	if (o && p && p->work_funds_percent > 0) {
		const char *spent = rows_text(rows, 0, 6);
		json_t *wf = json_pack("{s:i,s:i,s:s,s:s}", "percent", p->work_funds_percent,
		    "dibao_year", year - 1, "profile", p->name, "cite", p->funds_cite);
		if (spent) {
			int64_t fen = rows_i64(rows, 0, 6);
			json_object_set_new(wf, "dibao_spending_fen", json_integer(fen));
			json_object_set_new(wf, "expected_fen",
			    json_integer(fen * p->work_funds_percent / 100));
		} else {
			json_object_set_new(wf, "dibao_spending_fen", json_null());
			json_object_set_new(wf, "expected_fen", json_null());
		}
		json_object_set_new(o, "expected_work_funds", wf);
	}
	rows_free(rows);
	return o;
}

static json_t *
catalog_answer(struct rows *rows)
{
	json_t *o = rows ? render_catalog_item(rows, 0) : NULL;
	rows_free(rows);
	return o;
}

json_t *
admin_budget_put(struct api_request *r, struct req_ctx *c, int *status)
{
	int year;
	(void)status;
	if (request_year(r, c, 1, &year) || bad_values(r, PAYLOAD_BUDGET))
		return NULL;
	return budget_answer(r, c, registry_budget_put(c, r->params[0], year, r->json),
	    r->params[0], year);
}

json_t *
admin_budget_get(struct api_request *r, struct req_ctx *c, int *status)
{
	int year;
	(void)status;
	if (request_year(r, c, 1, &year))
		return NULL;
	return budget_answer(r, c, registry_budget_get(c, r->params[0], year), r->params[0], year);
}

json_t *
admin_catalog_add(struct api_request *r, struct req_ctx *c, int *status)
{
	(void)status;
	return catalog_answer(registry_catalog_add(c, r->json));
}

json_t *
admin_catalog_list(struct api_request *r, struct req_ctx *c, int *status)
{
	(void)r;
	(void)status;
	struct rows *rows = registry_catalog_list(c);
	json_t *o = rows ? render_catalog(rows) : NULL;
	rows_free(rows);
	return o;
}

json_t *
admin_catalog_put(struct api_request *r, struct req_ctx *c, int *status)
{
	(void)status;
	return catalog_answer(registry_catalog_update(c, r->params[0], r->json));
}

