/* Request bodies: the fields each route takes, their JSON types and which
 * are required, checked at the edge before a handler or the store sees the
 * body (see payload.h). */
#include "payload.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "rules.h"
#include "staffing.h"
#include "util.h"

struct fspec {
	const char *name;
	json_type type;		/* JSON_STRING, JSON_INTEGER, JSON_REAL (any number), JSON_TRUE (bool), JSON_ARRAY, JSON_OBJECT */
	bool required;
};

static const struct fspec f_project[] = {
	{ "agency", JSON_STRING, true }, { "fiscal_year", JSON_INTEGER, true },
	{ "title", JSON_STRING, true }, { "catalog_items", JSON_ARRAY, false },
	{ "budget_fen", JSON_INTEGER, false }, { "funding_source", JSON_STRING, false },
	{ "method", JSON_STRING, false }, { "quantity", JSON_STRING, false },
	{ "quality_standard", JSON_STRING, false }, { "service_start", JSON_STRING, false },
	{ "service_end", JSON_STRING, false }, { "positions", JSON_ARRAY, false },
};

static const struct fspec f_budget[] = {
	{ "special_funds_fen", JSON_INTEGER, true }, { "work_funds_fen", JSON_INTEGER, true },
	{ "lottery_funds_fen", JSON_INTEGER, true }, { "cap_percent", JSON_REAL, false },
};

static const struct fspec f_catalog_add[] = {
	{ "code", JSON_STRING, true }, { "name", JSON_STRING, true },
	{ "category", JSON_STRING, true }, { "level", JSON_STRING, false },
	{ "approved", JSON_TRUE, false }, { "purchasable", JSON_TRUE, false },
	{ "restricted", JSON_TRUE, false },
};

static const struct fspec f_catalog_put[] = {
	{ "name", JSON_STRING, false }, { "category", JSON_STRING, false },
	{ "level", JSON_STRING, false }, { "approved", JSON_TRUE, false },
	{ "purchasable", JSON_TRUE, false }, { "restricted", JSON_TRUE, false },
};

static const struct fspec f_contractor[] = {
	{ "name", JSON_STRING, true }, { "kind", JSON_STRING, true },
	{ "credit_code", JSON_STRING, true },
	{ "independent_liability", JSON_TRUE, false }, { "facilities", JSON_TRUE, false },
	{ "staff", JSON_TRUE, false }, { "professional_capability", JSON_TRUE, false },
	{ "governance", JSON_TRUE, false }, { "financial_management", JSON_TRUE, false },
};

static const struct fspec f_bid[] = {
	{ "contractor_id", JSON_INTEGER, true }, { "price_fen", JSON_INTEGER, true },
};

static const struct fspec f_scores[] = { { "scores", JSON_OBJECT, true } };

static const struct fspec f_session[] = {
	{ "name", JSON_STRING, true }, { "password", JSON_STRING, true },
};

static const struct fspec f_user[] = {
	{ "name", JSON_STRING, true }, { "roles", JSON_ARRAY, true }, { "agency", JSON_STRING, true },
};

static const struct fspec f_language[] = { { "lang", JSON_STRING, true } };

static const struct fspec f_dibao[] = { { "spending_fen", JSON_INTEGER, true } };

static const struct fspec f_password[] = {
	{ "current", JSON_STRING, true }, { "new", JSON_STRING, true },
};

/* What a value must be, once its type is right: NULL when it is, else the
 * message (WHY holds it when it is built). */
typedef const char *(*value_fn)(const json_t *v, char *why, size_t len);

static const char *
v_year(const json_t *v, char *why, size_t len)
{
	(void)why, (void)len;
	json_int_t y = json_integer_value(v);
	return y < 2000 || y > 2100 ? "fiscal_year must be between 2000 and 2100" : NULL;
}

static const char *
v_budget(const json_t *v, char *why, size_t len)
{
	(void)why, (void)len;
	return json_integer_value(v) < 0 ? "budget_fen must not be negative" : NULL;
}

static const char *
v_funding(const json_t *v, char *why, size_t len)
{
	(void)why, (void)len;
	return funding_parse(json_string_value(v)) < 0 ?
	    "funding_source must be special_funds, work_funds or lottery_funds" : NULL;
}

static const char *
v_method(const json_t *v, char *why, size_t len)
{
	(void)why, (void)len;
	return method_parse(json_string_value(v)) < 0 ? "method must be public_tender, "
	    "invited_tender, competitive_negotiation, competitive_consultation or single_source" :
	    NULL;
}

static const char *
v_date(const json_t *v, char *why, size_t len, const char *name)
{
	int32_t d;
	if (date_parse(json_string_value(v), &d) == 0)
		return NULL;
	snprintf(why, len, "%s must be a date YYYY-MM-DD", name);
	return why;
}

static const char *
v_start(const json_t *v, char *why, size_t len)
{
	return v_date(v, why, len, "service_start");
}

static const char *
v_end(const json_t *v, char *why, size_t len)
{
	return v_date(v, why, len, "service_end");
}

static const char *
v_items(const json_t *v, char *why, size_t len)
{
	size_t i;
	json_t *it;
	(void)why, (void)len;
	json_array_foreach(v, i, it)
		if (!json_is_string(it))
			return "catalog_items must be a list of codes";
	return NULL;
}

/* Positions bought (staffing.h): a list of at most POSITIONS_MAX units,
 * each once, {unit, count, annual_wage_fen, households?, recipients?}. */
static const char *
v_positions(const json_t *v, char *why, size_t len)
{
	static const struct {
		const char *name;
		bool required;
		json_int_t max;
	} keys[] = {
		{ "unit", true, 0 }, { "count", true, 100000 },
		{ "annual_wage_fen", true, 100000000000 }, { "households", false, 1000000000 },
		{ "recipients", false, 1000000000 },
	};
	size_t i, j;
	json_t *pos;
	if (json_array_size(v) > POSITIONS_MAX) {
		snprintf(why, len, "positions: at most %d units", POSITIONS_MAX);
		return why;
	}
	json_array_foreach(v, i, pos) {
		const char *k;
		json_t *f;
		if (!json_is_object(pos))
			return "positions must be a list of objects {unit, count, annual_wage_fen, "
			    "households, recipients}";
		json_object_foreach(pos, k, f) {
			size_t n;
			for (n = 0; n < sizeof keys / sizeof keys[0]; n++)
				if (!strcmp(keys[n].name, k))
					break;
			if (n == sizeof keys / sizeof keys[0])
				return "positions: each takes unit, count, annual_wage_fen, households "
				    "and recipients only";
		}
		for (size_t n = 0; n < sizeof keys / sizeof keys[0]; n++) {
			f = json_object_get(pos, keys[n].name);
			if (f == NULL || json_is_null(f)) {
				if (keys[n].required) {
					snprintf(why, len, "positions[%zu]: %s is required", i, keys[n].name);
					return why;
				}
				continue;
			}
			if (n == 0) {
				const char *u = json_string_value(f);
				size_t ul = u ? strlen(u) : 0;
				bool ok = ul > 0 && ul <= 32;
				for (size_t c = 0; ok && c < ul; c++)
					ok = (u[c] >= '0' && u[c] <= '9') || (u[c] >= 'A' && u[c] <= 'Z') ||
					    (u[c] >= 'a' && u[c] <= 'z') || u[c] == '_' || u[c] == '-';
				if (!ok) {
					snprintf(why, len, "positions[%zu]: unit must be an agency code", i);
					return why;
				}
				continue;
			}
			json_int_t x = json_integer_value(f);
			json_int_t lo = n == 1 ? 1 : 0;
			if (!json_is_integer(f) || x < lo || x > keys[n].max) {
				snprintf(why, len, "positions[%zu]: %s must be a whole number from %"
				    JSON_INTEGER_FORMAT " to %" JSON_INTEGER_FORMAT, i, keys[n].name, lo,
				    keys[n].max);
				return why;
			}
		}
		for (j = 0; j < i; j++)
			if (!strcmp(json_string_value(json_object_get(json_array_get(v, j), "unit")),
			    json_string_value(json_object_get(pos, "unit")))) {
				snprintf(why, len, "positions[%zu]: a unit is named once", i);
				return why;
			}
	}
	return NULL;
}

static const char *
v_amount(const json_t *v, char *why, size_t len)
{
	(void)why, (void)len;
	return json_integer_value(v) < 0 ? "amounts must not be negative" : NULL;
}

static const char *
v_percent(const json_t *v, char *why, size_t len)
{
	(void)why, (void)len;
	double d = json_number_value(v);
	return d < 0 || d > 100 ? "cap_percent must be between 0 and 100" : NULL;
}

static const char *
v_kind(const json_t *v, char *why, size_t len)
{
	(void)why, (void)len;
	return contractor_kind_parse(json_string_value(v)) < 0 ?
	    "kind must be social_organization, public_institution or enterprise (001 §2.3)" : NULL;
}

static const char *
v_credit_code(const json_t *v, char *why, size_t len)
{
	char rule[200];
	if (rules_credit_code_check(json_string_value(v), rule, sizeof rule) == 0)
		return NULL;
	snprintf(why, len, "credit_code: %s", rule);
	return why;
}

static const char *
v_price(const json_t *v, char *why, size_t len)
{
	(void)why, (void)len;
	return json_integer_value(v) <= 0 ? "price_fen must be positive" : NULL;
}

/* Each route's value checks, in the order they are made: the first that
 * fails answers 400 invalid_field naming its field. */
struct vspec {
	const char *name;
	value_fn check;
};

static const struct vspec v_project[] = {
	{ "fiscal_year", v_year }, { "budget_fen", v_budget }, { "funding_source", v_funding },
	{ "method", v_method }, { "service_start", v_start }, { "service_end", v_end },
	{ "catalog_items", v_items }, { "positions", v_positions },
};
static const struct vspec v_budget_put[] = {
	{ "special_funds_fen", v_amount }, { "work_funds_fen", v_amount },
	{ "lottery_funds_fen", v_amount }, { "cap_percent", v_percent },
};
static const struct vspec v_contractor[] = {
	{ "kind", v_kind }, { "credit_code", v_credit_code },
};
static const struct vspec v_bid[] = { { "price_fen", v_price } };
static const struct vspec v_dibao[] = { { "spending_fen", v_amount } };

#define SPEC(k, t) [k] = { t, sizeof t / sizeof t[0] }
#define VSPEC(k, t) [k] = { t, sizeof t / sizeof t[0] }
static const struct {
	const struct vspec *v;
	size_t n;
} vspecs[PAYLOAD__COUNT] = {
	VSPEC(PAYLOAD_PROJECT, v_project),
	VSPEC(PAYLOAD_BUDGET, v_budget_put),
	VSPEC(PAYLOAD_CONTRACTOR, v_contractor),
	VSPEC(PAYLOAD_BID, v_bid),
	VSPEC(PAYLOAD_DIBAO, v_dibao),
};
static const struct {
	const struct fspec *f;
	size_t n;
} specs[PAYLOAD__COUNT] = {
	SPEC(PAYLOAD_PROJECT, f_project),
	SPEC(PAYLOAD_BUDGET, f_budget),
	SPEC(PAYLOAD_CATALOG_ADD, f_catalog_add),
	SPEC(PAYLOAD_CATALOG_PUT, f_catalog_put),
	SPEC(PAYLOAD_CONTRACTOR, f_contractor),
	SPEC(PAYLOAD_BID, f_bid),
	SPEC(PAYLOAD_SCORES, f_scores),
	SPEC(PAYLOAD_SESSION, f_session),
	SPEC(PAYLOAD_PASSWORD, f_password),
	SPEC(PAYLOAD_USER, f_user),
	SPEC(PAYLOAD_LANGUAGE, f_language),
	SPEC(PAYLOAD_DIBAO, f_dibao),
};

static bool
type_ok(const json_t *v, json_type t)
{
	switch (t) {
	case JSON_REAL:
		return json_is_number(v);
	case JSON_TRUE:
		return json_is_boolean(v);
	default:
		return json_typeof(v) == t;
	}
}

static int
refuse(struct edge_err *e, int status, const char *code, const char *rule, const char *field,
    const char *what)
{
	e->status = status;
	e->code = code;
	e->rule = rule;
	utf8_copy(e->field, sizeof e->field, field);
	/* the field's name is text (jansson checked it); the message is cut,
	 * never in the middle of a character: the name is not repeated in it */
	snprintf(e->message, sizeof e->message, "%s (see details.field)", what);
	return -1;
}

int
payload_check(enum payload_kind kind, const json_t *body, struct edge_err *e)
{
	const char *k;
	json_t *v;
	if (kind <= PAYLOAD_NONE || kind >= PAYLOAD__COUNT)
		return 0;
	const struct fspec *f = specs[kind].f;
	size_t n = specs[kind].n;
	json_object_foreach((json_t *)body, k, v) {
		size_t i;
		for (i = 0; i < n; i++)
			if (!strcmp(f[i].name, k))
				break;
		if (i == n)
			return refuse(e, 400, "unknown_field", NULL, k, "unknown field");
		if (!json_is_null(v) && !type_ok(v, f[i].type))
			return refuse(e, 400, "invalid_field", NULL, k, "a field has the wrong type");
	}
	for (size_t i = 0; i < n; i++) {
		json_t *val = json_object_get(body, f[i].name);
		if (f[i].required && (val == NULL || json_is_null(val) ||
		    (json_is_string(val) && json_string_length(val) == 0)))
			return refuse(e, 422, "rule_violation", "payload_required", f[i].name,
			    "a required field is missing");
	}
	return 0;
}

int
payload_values(enum payload_kind kind, const json_t *body, struct edge_err *e)
{
	if (kind <= PAYLOAD_NONE || kind >= PAYLOAD__COUNT)
		return 0;
	for (size_t i = 0; i < vspecs[kind].n; i++) {
		const struct vspec *c = &vspecs[kind].v[i];
		json_t *val = json_object_get(body, c->name);
		char why[sizeof e->message];
		const char *bad = val && !json_is_null(val) ? c->check(val, why, sizeof why) : NULL;
		if (bad) {
			refuse(e, 400, "invalid_field", NULL, c->name, "");
			utf8_copy(e->message, sizeof e->message, bad);
			return -1;
		}
	}
	return 0;
}
