/* The reports (reports.h): rows from the store, floors from the profiles. */
#include "reports.h"

#include <stdio.h>
#include <string.h>
#include "apierr.h"
#include "csv.h"
#include "profile.h"
#include "render.h"
#include "report.h"
#include "rows.h"
#include "rules.h"
#include "staffing.h"
#include "util.h"

/* ?year= (required) and ?agency= (the user's own when absent). */
static int
report_args(struct api_request *r, struct req_ctx *c, int *year, const char **agency)
{
	const char *s = request_query(r, "year");
	int64_t y;
	if (s == NULL || parse_int64(s, &y) || y < 2000 || y > 2100) {
		request_fail(c, 400, "invalid_field", "year", "year is required, between 2000 and 2100");
		return -1;
	}
	*year = (int)y;
	*agency = request_query(r, "agency");
	if (*agency == NULL)
		*agency = c->u->agency;
	return 0;
}

/* 1: the caller asked for CSV (?format=csv, or Accept naming text/csv
 * before JSON); 0: JSON; -1: a format we do not write (400). */
static int
wants_csv(struct api_request *r, struct req_ctx *c)
{
	const char *f = request_query(r, "format");
	if (f) {
		if (!strcmp(f, "csv"))
			return 1;
		if (!strcmp(f, "json"))
			return 0;
		request_fail(c, 400, "invalid_field", "format", "format must be json or csv");
		return -1;
	}
	const char *a = r->accept, *csv = a ? strstr(a, "text/csv") : NULL;
	const char *json = a ? strstr(a, "application/json") : NULL;
	return csv && (json == NULL || csv < json);
}

/* Answer O as CSV of ITEMS under COLS, named NAME-YEAR.csv: the CSV as a
 * string reply of its own type (O is dropped). */
static json_t *
as_csv(struct api_request *r, json_t *o, const json_t *items, const char *const *cols, size_t n,
    const char *name, int year)
{
	char *text = csv_render(items, cols, n);
	json_t *s = json_string(text);
	free(text);
	json_decref(o);
	char disp[96];
	snprintf(disp, sizeof disp, "attachment; filename=\"%s-%d.csv\"", name, year);
	r->disposition = xstrdup(disp);
	r->text_type = "text/csv; charset=utf-8";
	return s;
}

static json_t *
nullable(const struct rows *rows, int i, int col)
{
	return rows_text(rows, i, col) ? json_integer(rows_i64(rows, i, col)) : json_null();
}

/* One unit's line: its figures, the floor its profile sets, what is short. */
static json_t *
staffing_unit(const struct profile_set *ps, const struct rows *rows, int i, json_t *totals)
{
	const char *pname = rows_text(rows, i, RS_PROFILE);
	const struct profile *p = profile_find(ps, pname);
	if (p == NULL)
		p = profile_find(ps, "national");
	struct position pos = { .township = !strcmp(rows_text(rows, i, RS_LEVEL), "township"),
		.households = rows_text(rows, i, RS_HOUSEHOLDS) ? rows_i64(rows, i, RS_HOUSEHOLDS) : -1,
		.recipients = rows_text(rows, i, RS_RECIPIENTS) ? rows_i64(rows, i, RS_RECIPIENTS) : -1 };
	const char *region = rows_text(rows, i, RS_REGION);
	int reg = region ? region_parse(region) : -1;
	int contracted = (int)rows_i64(rows, i, RS_CONTRACTED);
	enum unit_kind k = staffing_unit_rule(p, pos.township);
	int required = -1;
	if (k != UNIT__COUNT && staffing_measured(p, k, &pos) >= 0)
		required = profile_staff_floor(p, k, staffing_measured(p, k, &pos));
	int64_t wage_floor = reg >= 0 ? profile_wage_floor(p, (enum region)reg) * 100 : 0;
	bool has_budget = rows_text(rows, i, RS_SPECIAL) != NULL;
	int64_t cap = has_budget ? rules_cap_fen(rows_i64(rows, i, RS_SPECIAL),
	    (int)rows_i64(rows, i, RS_CAP_BP)) : 0;
	int64_t committed = rows_i64(rows, i, RS_COMMITTED);

	json_t *u = json_object();
	json_object_set_new(u, "unit", json_string(rows_text(rows, i, RS_CODE)));
	json_object_set_new(u, "name", json_string(rows_text(rows, i, RS_NAME)));
	json_object_set_new(u, "level", json_string(rows_text(rows, i, RS_LEVEL)));
	json_object_set_new(u, "parent", rows_text(rows, i, RS_PARENT) ?
	    json_string(rows_text(rows, i, RS_PARENT)) : json_null());
	json_object_set_new(u, "profile", json_string(p->name));
	json_object_set_new(u, "region", region ? json_string(region) : json_null());
	json_object_set_new(u, "unit_kind", k != UNIT__COUNT ? json_string(unit_kind_name(k)) :
	    json_null());
	json_object_set_new(u, "measure", k == UNIT__COUNT ? json_null() :
	    json_string(p->staffing[k].measure == MEASURE_HOUSEHOLDS ? "households" : "recipients"));
	json_object_set_new(u, "households", nullable(rows, i, RS_HOUSEHOLDS));
	json_object_set_new(u, "recipients", nullable(rows, i, RS_RECIPIENTS));
	json_object_set_new(u, "required", required >= 0 ? json_integer(required) : json_null());
	json_object_set_new(u, "under_contract", json_integer(contracted));
	json_object_set_new(u, "planned", json_integer(rows_i64(rows, i, RS_PLANNED)));
	json_object_set_new(u, "shortfall", required >= 0 ?
	    json_integer(required > contracted ? required - contracted : 0) : json_null());
	json_object_set_new(u, "lowest_wage_fen", nullable(rows, i, RS_LOWEST_WAGE));
	json_object_set_new(u, "wage_floor_fen", wage_floor > 0 ? json_integer(wage_floor) :
	    json_null());
	json_object_set_new(u, "wage_below_floor", json_boolean(wage_floor > 0 &&
	    rows_text(rows, i, RS_LOWEST_WAGE) && rows_i64(rows, i, RS_LOWEST_WAGE) < wage_floor));
	json_object_set_new(u, "special_cap_fen", has_budget ? json_integer(cap) : json_null());
	json_object_set_new(u, "special_committed_fen", json_integer(committed));
	json_object_set_new(u, "cite", json_string(k != UNIT__COUNT ? p->staffing[k].cite : p->cite));

	struct { const char *key; int64_t add; } sums[] = {
		{ "required", required > 0 ? required : 0 }, { "under_contract", contracted },
		{ "shortfall", required > contracted ? required - contracted : 0 },
		{ "special_cap_fen", cap }, { "special_committed_fen", committed },
	};
	for (size_t s = 0; s < sizeof sums / sizeof sums[0]; s++)
		json_object_set_new(totals, sums[s].key, json_integer(
		    json_integer_value(json_object_get(totals, sums[s].key)) + sums[s].add));
	return u;
}

json_t *
reports_staffing(struct api_request *r, struct req_ctx *c, int *status)
{
	static const char *const cols[] = {
		"unit", "name", "level", "parent", "profile", "region", "measure", "households",
		"recipients", "required", "under_contract", "planned", "shortfall",
		"lowest_wage_fen", "wage_floor_fen", "wage_below_floor", "special_cap_fen",
		"special_committed_fen", "cite",
	};
	int year, csv;
	const char *agency;
	(void)status;
	if (report_args(r, c, &year, &agency) || (csv = wants_csv(r, c)) < 0)
		return NULL;
	struct rows *rows = report_staffing(c, agency, year);
	if (rows == NULL)
		return NULL;
	json_t *units = json_array(), *totals = json_object();
	for (int i = 0; i < rows_count(rows); i++)
		json_array_append_new(units, staffing_unit(&r->d->profiles, rows, i, totals));
	rows_free(rows);
	json_t *o = json_pack("{s:s,s:i,s:o,s:o}", "agency", agency, "fiscal_year", year,
	    "units", units, "totals", totals);
	if (csv)
		return as_csv(r, o, units, cols, sizeof cols / sizeof cols[0], "staffing", year);
	return o;
}

json_t *
reports_spending(struct api_request *r, struct req_ctx *c, int *status)
{
	static const char *const cols[] = {
		"dimension", "value", "projects", "budget_fen", "contracted_fen", "paid_fen",
	};
	static const char *const dims[] = { "funding_source", "category", "method", "state" };
	int year, csv;
	const char *agency;
	(void)status;
	if (report_args(r, c, &year, &agency) || (csv = wants_csv(r, c)) < 0)
		return NULL;
	struct rows *rows = report_spending(c, agency, year);
	if (rows == NULL)
		return NULL;
	json_t *flat = json_array(), *o = json_pack("{s:s,s:i}", "agency", agency, "fiscal_year",
	    year);
	json_t *total = json_pack("{s:i,s:i,s:i,s:i}", "projects", 0, "budget_fen", 0,
	    "contracted_fen", 0, "paid_fen", 0);
	for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++) {
		char key[32];
		snprintf(key, sizeof key, "by_%s", dims[d]);
		json_object_set_new(o, key, json_array());
	}
	for (int i = 0; i < rows_count(rows); i++) {
		const char *dim = rows_text(rows, i, RP_DIMENSION), *val = rows_text(rows, i, RP_VALUE);
		json_t *line = json_pack("{s:s,s:o,s:I,s:I,s:I,s:I}", "dimension", dim, "value",
		    val ? json_string(val) : json_null(), "projects",
		    (json_int_t)rows_i64(rows, i, RP_PROJECTS), "budget_fen",
		    (json_int_t)rows_i64(rows, i, RP_BUDGET), "contracted_fen",
		    (json_int_t)rows_i64(rows, i, RP_CONTRACTED), "paid_fen",
		    (json_int_t)rows_i64(rows, i, RP_PAID));
		json_array_append(flat, line);
		if (!strcmp(dim, "total")) {
			json_object_update(total, line);
			json_object_del(total, "dimension");
			json_object_del(total, "value");
		} else {
			char key[32];
			snprintf(key, sizeof key, "by_%s", dim);
			json_t *arr = json_object_get(o, key), *own = json_deep_copy(line);
			json_object_del(own, "dimension");
			if (arr)
				json_array_append(arr, own);
			json_decref(own);
		}
		json_decref(line);
	}
	rows_free(rows);
	json_object_set_new(o, "total", total);
	if (csv) {
		json_t *s = as_csv(r, o, flat, cols, sizeof cols / sizeof cols[0], "spending", year);
		json_decref(flat);
		return s;
	}
	json_decref(flat);
	return o;
}

static json_t *
dibao_answer(struct req_ctx *c, struct rows *rows)
{
	if (rows == NULL)
		return NULL;
	json_t *o = json_pack("{s:s,s:I,s:I,s:o}", "agency", rows_text(rows, 0, 0), "year",
	    (json_int_t)rows_i64(rows, 0, 1), "spending_fen", (json_int_t)rows_i64(rows, 0, 2),
	    "updated_at", render_time(rows_i64(rows, 0, 3), ctx_offset(c)));
	rows_free(rows);
	return o;
}

json_t *
reports_dibao_put(struct api_request *r, struct req_ctx *c, int *status)
{
	int year;
	(void)status;
	json_t *v = json_object_get(r->json, "spending_fen");
	if (request_year(r, c, 1, &year))
		return NULL;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return request_fail(c, 400, "invalid_field", "spending_fen",
		    "spending_fen must be a whole number of fen, not negative");
	return dibao_answer(c, report_dibao_put(c, r->params[0], year, json_integer_value(v)));
}

json_t *
reports_dibao_get(struct api_request *r, struct req_ctx *c, int *status)
{
	int year;
	(void)status;
	if (request_year(r, c, 1, &year))
		return NULL;
	return dibao_answer(c, report_dibao_get(c, r->params[0], year));
}
