/* Request bodies: the fields each route takes, their JSON types and which
 * are required, checked at the edge before a handler or the store sees the
 * body (see payload.h). */
#include "payload.h"

#include <stdio.h>
#include <string.h>
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
	{ "service_end", JSON_STRING, false },
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

#define SPEC(k, t) [k] = { t, sizeof t / sizeof t[0] }
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
