/* Procurement rules as pure functions: names, the cap, criteria and scoring,
 * credit codes, bans and year-end evaluations. */
#include "rules.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* --- names ---------------------------------------------------------------- */

static const char *const method_names[] = {
	[METHOD_PUBLIC_TENDER] = "public_tender",
	[METHOD_INVITED_TENDER] = "invited_tender",
	[METHOD_COMPETITIVE_NEGOTIATION] = "competitive_negotiation",
	[METHOD_COMPETITIVE_CONSULTATION] = "competitive_consultation",
	[METHOD_SINGLE_SOURCE] = "single_source",
};
_Static_assert(sizeof method_names / sizeof method_names[0] == METHOD__COUNT,
    "method_names out of step with enum method");

static const char *const funding_names[] = {
	[FUNDING_SPECIAL] = "special_funds",
	[FUNDING_WORK] = "work_funds",
	[FUNDING_LOTTERY] = "lottery_funds",
};
_Static_assert(sizeof funding_names / sizeof funding_names[0] == FUNDING__COUNT,
    "funding_names out of step with enum funding");

static const char *const kind_names[] = {
	[KIND_SOCIAL_ORGANIZATION] = "social_organization",
	[KIND_PUBLIC_INSTITUTION] = "public_institution",
	[KIND_ENTERPRISE] = "enterprise",
};
_Static_assert(sizeof kind_names / sizeof kind_names[0] == KIND__COUNT,
    "kind_names out of step with enum contractor_kind");

static const char *const qual_names[] = {
	[QUAL_INDEPENDENT_LIABILITY] = "independent_liability",
	[QUAL_FACILITIES] = "facilities",
	[QUAL_STAFF] = "staff",
	[QUAL_PROFESSIONAL_CAPABILITY] = "professional_capability",
	[QUAL_GOVERNANCE] = "governance",
	[QUAL_FINANCIAL_MANAGEMENT] = "financial_management",
};
_Static_assert(sizeof qual_names / sizeof qual_names[0] == QUAL__COUNT,
    "qual_names out of step with enum qual_flag");

static int
name_parse(const char *const *names, int n, const char *s)
{
	if (s == NULL)
		return -1;
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

const char *
method_name(enum method m)
{
	return (unsigned)m < METHOD__COUNT ? method_names[m] : "unknown";
}

int
method_parse(const char *s)
{
	return name_parse(method_names, METHOD__COUNT, s);
}

const char *
funding_name(enum funding f)
{
	return (unsigned)f < FUNDING__COUNT ? funding_names[f] : "unknown";
}

int
funding_parse(const char *s)
{
	return name_parse(funding_names, FUNDING__COUNT, s);
}

const char *
contractor_kind_name(enum contractor_kind k)
{
	return (unsigned)k < KIND__COUNT ? kind_names[k] : "unknown";
}

int
contractor_kind_parse(const char *s)
{
	return name_parse(kind_names, KIND__COUNT, s);
}

const char *
qual_flag_name(enum qual_flag q)
{
	return (unsigned)q < QUAL__COUNT ? qual_names[q] : "unknown";
}

/* --- configuration and errors -------------------------------------------- */

void
rules_config_defaults(struct rules_config *rc)
{
	memset(rc, 0, sizeof *rc);
	rc->bid_window[METHOD_PUBLIC_TENDER] = (struct period){ 20, UNIT_CALENDAR_DAYS };
	rc->bid_window[METHOD_INVITED_TENDER] = (struct period){ 20, UNIT_CALENDAR_DAYS };
	rc->bid_window[METHOD_COMPETITIVE_NEGOTIATION] = (struct period){ 3, UNIT_WORKING_DAYS };
	rc->bid_window[METHOD_COMPETITIVE_CONSULTATION] = (struct period){ 10, UNIT_CALENDAR_DAYS };
	rc->bid_window[METHOD_SINGLE_SOURCE] = (struct period){ 5, UNIT_WORKING_DAYS };
	for (int m = 0; m < METHOD__COUNT; m++)
		rc->min_bids[m] = 3;
	rc->min_bids[METHOD_SINGLE_SOURCE] = 1;
	rc->price_weight_min = 10;
	rc->price_weight_max = 30;
	rc->cap_bp_default = 200;
	rc->challenge_window = (struct period){ 7, UNIT_WORKING_DAYS };
	rc->challenge_answer = (struct period){ 7, UNIT_WORKING_DAYS };
	rc->signing_window = (struct period){ 30, UNIT_CALENDAR_DAYS };
	rc->ban_years = 3;
	rc->eval_weight_purchaser = 30;
	rc->eval_weight_recipient = 40;
	rc->eval_weight_third_party = 30;
	rc->past_performance_neutral = 60;
	rc->past_performance_years = 3;
}

void
rule_error_clear(struct rule_error *e)
{
	if (e == NULL)
		return;
	json_decref(e->details);
	memset(e, 0, sizeof *e);
}

/* Fill ERR: RULE, a printf message, and DETAILS (stolen, may be NULL). */
__attribute__((format(printf, 4, 5))) static void
fail(struct rule_error *err, const char *rule, json_t *details, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL) {
		json_decref(details);
		return;
	}
	json_decref(err->details);
	snprintf(err->rule, sizeof err->rule, "%s", rule);
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	err->details = details;
}

/* Round half away from zero to 2 decimals. The nudge keeps values such as
 * 80.125 (stored as 80.12499…) rounding the way a person would. */
static double
round2(double x)
{
	return round(x * 100.0 + (x >= 0 ? 1e-7 : -1e-7)) / 100.0;
}

/* --- criteria ------------------------------------------------------------- */

int
rules_parse_criteria(const struct rules_config *rc, const json_t *arr,
    struct criterion *out, size_t *n_out, struct rule_error *err)
{
	size_t n, i, j;
	int sum = 0, n_price = 0, price_weight = 0;

	*n_out = 0;
	if (!json_is_array(arr)) {
		fail(err, "criteria_malformed", NULL, "criteria must be a list");
		return -1;
	}
	n = json_array_size(arr);
	if (n > CRITERIA_MAX) {
		fail(err, "criteria_malformed", json_pack("{s:i}", "max", CRITERIA_MAX),
		    "at most %d criteria", CRITERIA_MAX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const json_t *c = json_array_get(arr, i);
		const json_t *name = json_object_get(c, "name");
		const json_t *kind = json_object_get(c, "kind");
		const json_t *weight = json_object_get(c, "weight");
		const char *what = NULL;

		if (!json_is_object(c))
			what = "not an object";
		else if (json_object_size(c) != 3 || name == NULL || kind == NULL || weight == NULL)
			what = "needs exactly name, kind and weight";
		else if (!json_is_string(name) || json_string_length(name) == 0 ||
		    json_string_length(name) >= CRITERION_NAME_MAX ||
		    strlen(json_string_value(name)) != json_string_length(name))
			what = "name must be a non-empty string of at most 63 bytes";
		else if (!json_is_string(kind) || (strcmp(json_string_value(kind), "quality") != 0 &&
		    strcmp(json_string_value(kind), "price") != 0))
			what = "kind must be \"quality\" or \"price\"";
		/* A single weight above 100 can never sum to 100; refusing it
		 * here also keeps the sum below overflow. */
		else if (!json_is_integer(weight) || json_integer_value(weight) < 1 ||
		    json_integer_value(weight) > 100)
			what = "weight must be an integer from 1 to 100";
		if (what != NULL) {
			fail(err, "criteria_malformed", json_pack("{s:i}", "index", (int)i),
			    "criterion %zu: %s", i, what);
			return -1;
		}
		snprintf(out[i].name, sizeof out[i].name, "%s", json_string_value(name));
		out[i].kind = strcmp(json_string_value(kind), "price") == 0 ? CRIT_PRICE : CRIT_QUALITY;
		out[i].weight = (int)json_integer_value(weight);
		for (j = 0; j < i; j++) {
			if (strcmp(out[j].name, out[i].name) == 0) {
				fail(err, "criteria_duplicate", json_pack("{s:s}", "name", out[i].name),
				    "criterion \"%s\" given twice", out[i].name);
				return -1;
			}
		}
		sum += out[i].weight;
		if (out[i].kind == CRIT_PRICE) {
			n_price++;
			price_weight = out[i].weight;
		}
	}
	if (n_price != 1) {
		fail(err, "criteria_price_count", json_pack("{s:i}", "price_criteria", n_price),
		    "exactly one price criterion is needed, %d given", n_price);
		return -1;
	}
	if (sum != 100) {
		fail(err, "criteria_weights", json_pack("{s:i}", "sum", sum),
		    "criteria weights sum to %d, not 100", sum);
		return -1;
	}
	if (price_weight < rc->price_weight_min || price_weight > rc->price_weight_max) {
		fail(err, "price_weight_range",
		    json_pack("{s:i,s:i,s:i}", "price_weight", price_weight, "min",
			rc->price_weight_min, "max", rc->price_weight_max),
		    "the price weight %d is outside %d..%d", price_weight, rc->price_weight_min,
		    rc->price_weight_max);
		return -1;
	}
	*n_out = n;
	return 0;
}

int
rules_check_sheet(const struct criterion *crit, size_t n_crit, const json_t *scores,
    double *quality_sum, struct rule_error *err)
{
	const char *key;
	json_t *v;
	double sum = 0;
	size_t i;

	*quality_sum = 0;
	if (!json_is_object(scores)) {
		fail(err, "score_sheet", NULL, "scores must be an object {criterion: points}");
		return -1;
	}
	json_object_foreach ((json_t *)scores, key, v) {
		const struct criterion *c = NULL;
		for (i = 0; i < n_crit; i++)
			if (strcmp(crit[i].name, key) == 0)
				c = &crit[i];
		if (c == NULL) {
			fail(err, "score_sheet", json_pack("{s:s,s:s}", "criterion", key, "problem",
			    "unknown"), "no criterion named \"%s\"", key);
			return -1;
		}
		if (c->kind == CRIT_PRICE || strcmp(c->name, PAST_PERFORMANCE) == 0) {
			fail(err, "score_sheet", json_pack("{s:s,s:s}", "criterion", key, "problem",
			    "computed"), "\"%s\" is computed, not scored by evaluators", key);
			return -1;
		}
		if (!json_is_number(v) || json_number_value(v) < 0 ||
		    json_number_value(v) > c->weight) {
			fail(err, "score_sheet", json_pack("{s:s,s:s,s:i,s:i}", "criterion", key,
			    "problem", "out_of_range", "min", 0, "max", c->weight),
			    "\"%s\" must be a number from 0 to %d", key, c->weight);
			return -1;
		}
		sum += json_number_value(v);
	}
	for (i = 0; i < n_crit; i++) {
		if (crit[i].kind != CRIT_QUALITY || strcmp(crit[i].name, PAST_PERFORMANCE) == 0)
			continue;
		if (json_object_get(scores, crit[i].name) == NULL) {
			fail(err, "score_sheet", json_pack("{s:s,s:s}", "criterion", crit[i].name,
			    "problem", "missing"), "\"%s\" is not scored", crit[i].name);
			return -1;
		}
	}
	*quality_sum = sum;
	return 0;
}

/* --- ranking -------------------------------------------------------------- */

/* Totals computed along different paths may differ in the last bits; treat
 * them as equal so the documented tie-breaks decide. */
#define SCORE_EPS 1e-9

/* <0 when A ranks before B. Ineligible bids sort after every eligible one
 * and keep their order (the sort is stable). */
static int
rank_cmp(const struct rank_bid *a, const struct rank_bid *b)
{
	if (a->eligible != b->eligible)
		return a->eligible ? -1 : 1;
	if (!a->eligible)
		return 0;
	if (fabs(a->total - b->total) > SCORE_EPS)
		return a->total > b->total ? -1 : 1;
	if (fabs(a->quality_score - b->quality_score) > SCORE_EPS)
		return a->quality_score > b->quality_score ? -1 : 1;
	if (a->price_fen != b->price_fen)
		return a->price_fen < b->price_fen ? -1 : 1;
	if (a->bid_id != b->bid_id)
		return a->bid_id < b->bid_id ? -1 : 1;
	return 0;
}

void
rules_rank(const struct rules_config *rc, const struct criterion *crit, size_t n_crit,
    struct rank_bid *bids, size_t n_bids)
{
	int price_weight = 0, past_weight = -1;
	int64_t lowest = 0;
	size_t i, j;

	for (i = 0; i < n_crit; i++) {
		if (crit[i].kind == CRIT_PRICE)
			price_weight = crit[i].weight;
		else if (strcmp(crit[i].name, PAST_PERFORMANCE) == 0)
			past_weight = crit[i].weight;
	}
	for (i = 0; i < n_bids; i++)
		if (bids[i].eligible && bids[i].price_fen > 0 &&
		    (lowest == 0 || bids[i].price_fen < lowest))
			lowest = bids[i].price_fen;

	for (i = 0; i < n_bids; i++) {
		struct rank_bid *b = &bids[i];
		b->past_points = b->quality_score = b->price_score = b->total = 0;
		b->past_neutral = false;
		b->rank = 0;
		if (!b->eligible)
			continue;
		if (past_weight >= 0) {
			b->past_neutral = !(b->past_composite >= 0);
			double pc = b->past_neutral ? rc->past_performance_neutral : b->past_composite;
			b->past_points = past_weight * pc / 100.0;
		}
		b->quality_score = (b->n_sheets > 0 ? b->sheet_quality_sum / b->n_sheets : 0) +
		    b->past_points;
		/* A zero price cannot be divided by; it is the lowest possible. */
		b->price_score = b->price_fen > 0 ?
		    (double)lowest / (double)b->price_fen * price_weight : price_weight;
		b->total = b->quality_score + b->price_score;
	}

	/* Insertion sort: stable, and bids per project are few. */
	for (i = 1; i < n_bids; i++) {
		struct rank_bid tmp = bids[i];
		for (j = i; j > 0 && rank_cmp(&tmp, &bids[j - 1]) < 0; j--)
			bids[j] = bids[j - 1];
		bids[j] = tmp;
	}

	for (i = 0; i < n_bids && bids[i].eligible; i++) {
		struct rank_bid *b = &bids[i];
		b->rank = (int)i + 1;
		b->past_points = round2(b->past_points);
		b->quality_score = round2(b->quality_score);
		b->price_score = round2(b->price_score);
		b->total = round2(b->total);
	}
}

/* --- funds ---------------------------------------------------------------- */

int64_t
rules_cap_fen(int64_t special_funds_fen, int cap_bp)
{
	if (special_funds_fen <= 0 || cap_bp <= 0)
		return 0;
	__int128 cap = (__int128)special_funds_fen * cap_bp / 10000;
	return cap > INT64_MAX ? INT64_MAX : (int64_t)cap;
}

int
rules_check_cap(int64_t special_funds_fen, int cap_bp, int64_t committed_fen,
    int64_t asked_fen, struct rule_error *err)
{
	int64_t cap = rules_cap_fen(special_funds_fen, cap_bp);

	if ((__int128)committed_fen + asked_fen <= cap)
		return 0;
	__int128 rem = (__int128)cap - committed_fen;
	int64_t remaining = rem < 0 ? 0 : (int64_t)rem;
	fail(err, "special_funds_cap",
	    json_pack("{s:I,s:f,s:I,s:I,s:I,s:I}", "special_funds_fen", (json_int_t)special_funds_fen,
		"cap_percent", cap_bp / 100.0, "cap_fen", (json_int_t)cap, "committed_fen",
		(json_int_t)committed_fen, "asked_fen", (json_int_t)asked_fen, "remaining_fen",
		(json_int_t)remaining),
	    "special funds may pay at most %g%% (%lld fen); %lld fen are committed, "
	    "%lld fen remain, %lld fen asked", cap_bp / 100.0, (long long)cap,
	    (long long)committed_fen, (long long)remaining, (long long)asked_fen);
	return -1;
}

/* --- contractors ---------------------------------------------------------- */

static const char credit_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
_Static_assert(sizeof credit_alphabet - 1 == 31, "GB 32100 uses 31 characters");

int
rules_credit_code_check(const char *code, char *why, size_t why_len)
{
	static const int weights[17] = { 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10,
		30, 28 };
	size_t len;
	int sum = 0, values[18];

	if (code == NULL || (len = strlen(code)) != 18) {
		snprintf(why, why_len, "wrong length: %zu characters, a credit code has 18",
		    code == NULL ? (size_t)0 : len);
		return -1;
	}
	for (int i = 0; i < 18; i++) {
		const char *p = code[i] ? strchr(credit_alphabet, code[i]) : NULL;
		if (p == NULL) {
			if ((unsigned char)code[i] >= 0x20 && (unsigned char)code[i] < 0x7f)
				snprintf(why, why_len, "character '%c' at position %d is not allowed",
				    code[i], i + 1);
			else
				snprintf(why, why_len, "character at position %d is not allowed",
				    i + 1);
			return -1;
		}
		values[i] = (int)(p - credit_alphabet);
	}
	for (int i = 0; i < 17; i++)
		sum += values[i] * weights[i];
	int check = (31 - sum % 31) % 31;
	if (values[17] != check) {
		snprintf(why, why_len, "wrong check character '%c', expected '%c'", code[17],
		    credit_alphabet[check]);
		return -1;
	}
	return 0;
}

bool
rules_banned_on(int32_t ban_start, int32_t ban_end, int32_t day)
{
	return ban_start <= day && day < ban_end;
}

int32_t
rules_ban_end(int32_t start, int ban_years)
{
	int y, m, d;

	civil_from_days(start, &y, &m, &d);
	y += ban_years;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) {
		m = 3;
		d = 1;
	}
	return days_from_civil(y, m, d);
}

/* --- evaluation ----------------------------------------------------------- */

int
rules_composite(const struct rules_config *rc, double purchaser, double recipient,
    double third_party, double *composite, struct rule_error *err)
{
	const struct {
		const char *name;
		double v;
	} s[3] = {
		{ "purchaser_score", purchaser },
		{ "recipient_satisfaction", recipient },
		{ "third_party_score", third_party },
	};

	*composite = 0;
	for (int i = 0; i < 3; i++) {
		if (!(s[i].v >= 0 && s[i].v <= 100)) {
			fail(err, "evaluation_score", json_pack("{s:s,s:i,s:i}", "field", s[i].name,
			    "min", 0, "max", 100), "%s must be from 0 to 100", s[i].name);
			return -1;
		}
	}
	*composite = round2((purchaser * rc->eval_weight_purchaser +
	    recipient * rc->eval_weight_recipient + third_party * rc->eval_weight_third_party) /
	    100.0);
	return 0;
}
