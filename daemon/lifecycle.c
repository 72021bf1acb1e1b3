/* The lifecycle of a purchase project: the transition table and the pure
 * function that decides one event (roles, payload, duties, guards). */
#include "lifecycle.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* --- names ---------------------------------------------------------------- */

static const char *const state_names[] = {
	[ST_DRAFT] = "draft",
	[ST_NEEDS_REVIEW] = "needs_review",
	[ST_BUDGET_REVIEW] = "budget_review",
	[ST_APPROVED] = "approved",
	[ST_ANNOUNCED] = "announced",
	[ST_TENDER_FAILED] = "tender_failed",
	[ST_SCORING] = "scoring",
	[ST_AWARDED] = "awarded",
	[ST_CONTRACTED] = "contracted",
	[ST_IN_SERVICE] = "in_service",
	[ST_ACCEPTANCE] = "acceptance",
	[ST_PAYMENT] = "payment",
	[ST_YEAR_END_REVIEW] = "year_end_review",
	[ST_CLOSED] = "closed",
	[ST_TAKEOVER] = "takeover",
	[ST_TERMINATED] = "terminated",
	[ST_CANCELLED] = "cancelled",
};
_Static_assert(sizeof state_names / sizeof state_names[0] == ST__COUNT,
    "state_names out of step with enum lc_state");

static const char *const event_names[] = {
	[EV_SUBMIT] = "submit",
	[EV_APPROVE_NEEDS] = "approve_needs",
	[EV_RETURN_NEEDS] = "return_needs",
	[EV_APPROVE_BUDGET] = "approve_budget",
	[EV_RETURN_BUDGET] = "return_budget",
	[EV_REJECT_BUDGET] = "reject_budget",
	[EV_PUBLISH] = "publish",
	[EV_CLOSE_BIDDING] = "close_bidding",
	[EV_RETENDER] = "retender",
	[EV_CHANGE_METHOD] = "change_method",
	[EV_AWARD] = "award",
	[EV_DECLINE_AWARD] = "decline_award",
	[EV_CHALLENGE] = "challenge",
	[EV_ANSWER_CHALLENGE] = "answer_challenge",
	[EV_SIGN_CONTRACT] = "sign_contract",
	[EV_START_SERVICE] = "start_service",
	[EV_RECORD_SUPERVISION] = "record_supervision",
	[EV_COMPLETE_SERVICE] = "complete_service",
	[EV_ACCEPT] = "accept",
	[EV_REJECT_ACCEPTANCE] = "reject_acceptance",
	[EV_CONFIRM_PAYMENT] = "confirm_payment",
	[EV_EVALUATE] = "evaluate",
	[EV_CONTRACTOR_EXIT] = "contractor_exit",
	[EV_REPORT_SUBCONTRACTING] = "report_subcontracting",
	[EV_COMPLETE_TAKEOVER] = "complete_takeover",
	[EV_CANCEL] = "cancel",
	[EV_ESCALATE] = "escalate",
};
_Static_assert(sizeof event_names / sizeof event_names[0] == EV__COUNT,
    "event_names out of step with enum lc_event");

/* Index i names the role bit 1 << i. */
static const char *const role_names[] = {
	"officer", "reviewer", "finance", "evaluator", "auditor", "admin", "daemon",
};
_Static_assert(sizeof role_names / sizeof role_names[0] == ROLE__COUNT,
    "role_names out of step with enum role");
_Static_assert(ROLE_DAEMON == 1u << (ROLE__COUNT - 1), "role bits are 1 << index");

const char *
lc_state_name(enum lc_state s)
{
	return (unsigned)s < ST__COUNT ? state_names[s] : "unknown";
}

int
lc_state_parse(const char *s)
{
	for (int i = 0; s != NULL && i < ST__COUNT; i++)
		if (strcmp(state_names[i], s) == 0)
			return i;
	return -1;
}

const char *
lc_event_name(enum lc_event e)
{
	return (unsigned)e < EV__COUNT ? event_names[e] : "unknown";
}

int
lc_event_parse(const char *s)
{
	for (int i = 0; s != NULL && i < EV__COUNT; i++)
		if (strcmp(event_names[i], s) == 0)
			return i;
	return -1;
}

const char *
role_name(unsigned one_role_bit)
{
	for (int i = 0; i < ROLE__COUNT; i++)
		if (one_role_bit == 1u << i)
			return role_names[i];
	return "unknown";
}

int
role_parse(const char *s)
{
	for (int i = 0; s != NULL && i < ROLE__COUNT; i++)
		if (strcmp(role_names[i], s) == 0)
			return (int)(1u << i);
	return -1;
}

int
roles_parse_list(const char *s, unsigned *mask)
{
	unsigned m = 0;

	if (s == NULL)
		return -1;
	for (;;) {
		char name[32];
		size_t len;

		while (isspace((unsigned char)*s))
			s++;
		len = strcspn(s, ",");
		while (len > 0 && isspace((unsigned char)s[len - 1]))
			len--;
		if (len == 0 || len >= sizeof name)
			return -1;
		memcpy(name, s, len);
		name[len] = '\0';
		int bit = role_parse(name);
		if (bit < 0)
			return -1;
		m |= (unsigned)bit;
		s += strcspn(s, ",");
		if (*s == '\0')
			break;
		s++;
	}
	*mask = m;
	return 0;
}

bool
lc_state_is_final(enum lc_state s)
{
	return s == ST_CLOSED || s == ST_TERMINATED || s == ST_CANCELLED;
}

/* --- the table ------------------------------------------------------------ */

#define OFF ROLE_OFFICER
#define REV ROLE_REVIEWER
#define FIN ROLE_FINANCE
#define DMN ROLE_DAEMON
#define STAY (-1)
#define NONE (-1)

#define ROW(f, e, t, a, r, n) { ST_##f, EV_##e, t, a, r, n }
#define CANCEL(f) ROW(f, CANCEL, ST_CANCELLED, NONE, OFF | REV, 0)
#define ESCALATE(f) ROW(f, ESCALATE, STAY, NONE, DMN, 0)

/* DESIGN.md "The lifecycle", row by row; tests/unit/lifecycle_cases.txt and
 * docs/lifecycle.md are checked against it. */
static const struct lc_transition table[] = {
	ROW(DRAFT, SUBMIT, ST_NEEDS_REVIEW, NONE, OFF, NEED_CATALOG | NEED_POSITIONS),
	CANCEL(DRAFT),
	ESCALATE(DRAFT),

	ROW(NEEDS_REVIEW, APPROVE_NEEDS, ST_BUDGET_REVIEW, NONE, REV, 0),
	ROW(NEEDS_REVIEW, RETURN_NEEDS, ST_DRAFT, NONE, REV, 0),
	CANCEL(NEEDS_REVIEW),
	ESCALATE(NEEDS_REVIEW),

	ROW(BUDGET_REVIEW, APPROVE_BUDGET, ST_APPROVED, NONE, FIN, NEED_BUDGET),
	ROW(BUDGET_REVIEW, RETURN_BUDGET, ST_DRAFT, NONE, FIN, 0),
	ROW(BUDGET_REVIEW, REJECT_BUDGET, ST_CANCELLED, NONE, FIN, 0),
	CANCEL(BUDGET_REVIEW),
	ESCALATE(BUDGET_REVIEW),

	ROW(APPROVED, PUBLISH, ST_ANNOUNCED, NONE, OFF, 0),
	CANCEL(APPROVED),
	ESCALATE(APPROVED),

	ROW(ANNOUNCED, CLOSE_BIDDING, ST_SCORING, ST_TENDER_FAILED, OFF | DMN, NEED_BIDS),
	CANCEL(ANNOUNCED),
	ESCALATE(ANNOUNCED),

	ROW(TENDER_FAILED, RETENDER, ST_ANNOUNCED, NONE, OFF, 0),
	ROW(TENDER_FAILED, CHANGE_METHOD, ST_BUDGET_REVIEW, NONE, OFF, 0),
	CANCEL(TENDER_FAILED),
	ESCALATE(TENDER_FAILED),

	ROW(SCORING, AWARD, ST_AWARDED, NONE, OFF, NEED_BIDS),
	CANCEL(SCORING),
	ESCALATE(SCORING),

	ROW(AWARDED, DECLINE_AWARD, ST_AWARDED, ST_TENDER_FAILED, OFF, NEED_BIDS),
	ROW(AWARDED, CHALLENGE, STAY, NONE, OFF, NEED_CHALLENGES),
	ROW(AWARDED, ANSWER_CHALLENGE, STAY, NONE, OFF, NEED_CHALLENGES),
	ROW(AWARDED, SIGN_CONTRACT, ST_CONTRACTED, NONE, OFF, NEED_CHALLENGES | NEED_CONTRACTOR),
	CANCEL(AWARDED),
	ESCALATE(AWARDED),

	ROW(CONTRACTED, START_SERVICE, ST_IN_SERVICE, NONE, OFF | DMN, 0),
	ROW(CONTRACTED, CONTRACTOR_EXIT, ST_TAKEOVER, NONE, OFF, 0),
	ROW(CONTRACTED, REPORT_SUBCONTRACTING, ST_TAKEOVER, NONE, OFF | REV, 0),
	ESCALATE(CONTRACTED),

	ROW(IN_SERVICE, RECORD_SUPERVISION, STAY, NONE, OFF, 0),
	ROW(IN_SERVICE, COMPLETE_SERVICE, ST_ACCEPTANCE, NONE, OFF, 0),
	ROW(IN_SERVICE, CONTRACTOR_EXIT, ST_TAKEOVER, NONE, OFF, 0),
	ROW(IN_SERVICE, REPORT_SUBCONTRACTING, ST_TAKEOVER, NONE, OFF | REV, 0),
	ESCALATE(IN_SERVICE),

	ROW(ACCEPTANCE, ACCEPT, ST_PAYMENT, NONE, REV, 0),
	ROW(ACCEPTANCE, REJECT_ACCEPTANCE, ST_IN_SERVICE, NONE, REV, 0),
	ROW(ACCEPTANCE, CONTRACTOR_EXIT, ST_TAKEOVER, NONE, OFF, 0),
	ESCALATE(ACCEPTANCE),

	ROW(PAYMENT, CONFIRM_PAYMENT, ST_YEAR_END_REVIEW, NONE, FIN, 0),
	ESCALATE(PAYMENT),

	ROW(YEAR_END_REVIEW, EVALUATE, ST_CLOSED, NONE, REV, 0),
	ESCALATE(YEAR_END_REVIEW),

	ROW(TAKEOVER, COMPLETE_TAKEOVER, ST_TERMINATED, NONE, OFF, 0),
	ESCALATE(TAKEOVER),
};

const struct lc_transition *
lifecycle_table(size_t *n)
{
	*n = sizeof table / sizeof table[0];
	return table;
}

const struct lc_transition *
lifecycle_find(enum lc_state from, enum lc_event ev)
{
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (table[i].from == from && table[i].event == ev)
			return &table[i];
	return NULL;
}

unsigned
lifecycle_needs(enum lc_state from, enum lc_event ev)
{
	const struct lc_transition *row = lifecycle_find(from, ev);
	unsigned needs = 0;

	if (row != NULL)
		return row->needs;
	/* Not allowed from FROM: the union over every state, so a caller that
	 * loads before it knows the state still loads enough. */
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (table[i].event == ev)
			needs |= table[i].needs;
	return needs;
}

/* Whether EV, wherever the table allows it, keeps the project in its state
 * and needs nothing loaded: such an event is decided on the project row
 * alone, so the store may read that row without locking it and make its
 * write conditional on the version it read (DESIGN.md: one transaction). */
bool
lifecycle_stays(enum lc_event ev)
{
	bool any = false;

	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (table[i].event != ev)
			continue;
		if (table[i].to != STAY || table[i].alt != NONE || table[i].needs != 0)
			return false;
		any = true;
	}
	return any;
}

/* --- payload fields ------------------------------------------------------- */

/* every event may carry a comment and name documents uploaded to its
 * project (their ids; the store resolves them into the history) */
#define COMMENT { "comment", FT_STRING, false }, { "documents", FT_ARRAY, false }
#define REQ(name, type) { name, type, true }
#define OPT(name, type) { name, type, false }

static const struct lc_field f_none[] = { COMMENT };
static const struct lc_field f_reason[] = { REQ("reason", FT_STRING), COMMENT };
static const struct lc_field f_publish[] = {
	REQ("bid_deadline", FT_TIME), REQ("requirements", FT_STRING),
	REQ("evaluators_required", FT_INT), REQ("criteria", FT_ARRAY), COMMENT,
};
static const struct lc_field f_retender[] = { REQ("bid_deadline", FT_TIME), COMMENT };
static const struct lc_field f_change_method[] = { REQ("method", FT_STRING), COMMENT };
static const struct lc_field f_challenge[] = {
	REQ("supplier", FT_STRING), REQ("text", FT_STRING), COMMENT,
};
static const struct lc_field f_answer[] = {
	REQ("challenge_id", FT_INT), REQ("answer", FT_STRING), COMMENT,
};
static const struct lc_field f_sign[] = {
	REQ("contract_no", FT_STRING), REQ("amount_fen", FT_INT),
	REQ("takeover_plan", FT_OBJECT), COMMENT,
};
static const struct lc_field f_supervision[] = {
	REQ("inspection", FT_STRING), REQ("finding", FT_STRING), COMMENT,
};
static const struct lc_field f_accept[] = { REQ("report", FT_STRING), COMMENT };
static const struct lc_field f_reject_acceptance[] = {
	REQ("reason", FT_STRING), REQ("rectify_by", FT_TIME), COMMENT,
};
static const struct lc_field f_payment[] = {
	REQ("voucher_no", FT_STRING), REQ("amount_fen", FT_INT), COMMENT,
};
static const struct lc_field f_evaluate[] = {
	REQ("purchaser_score", FT_NUMBER), REQ("recipient_satisfaction", FT_NUMBER),
	REQ("third_party_score", FT_NUMBER), COMMENT,
};
static const struct lc_field f_exit[] = {
	REQ("reason", FT_STRING), OPT("detail", FT_STRING), COMMENT,
};
static const struct lc_field f_subcontracting[] = { REQ("evidence", FT_STRING), COMMENT };
static const struct lc_field f_escalate[] = {
	REQ("level", FT_INT), OPT("deadline", FT_STRING), OPT("due", FT_TIME), COMMENT,
};

#define FIELDS(a) { a, sizeof a / sizeof a[0] }
static const struct {
	const struct lc_field *f;
	size_t n;
} event_fields[] = {
	[EV_SUBMIT] = FIELDS(f_none),
	[EV_APPROVE_NEEDS] = FIELDS(f_none),
	[EV_RETURN_NEEDS] = FIELDS(f_reason),
	[EV_APPROVE_BUDGET] = FIELDS(f_none),
	[EV_RETURN_BUDGET] = FIELDS(f_reason),
	[EV_REJECT_BUDGET] = FIELDS(f_reason),
	[EV_PUBLISH] = FIELDS(f_publish),
	[EV_CLOSE_BIDDING] = FIELDS(f_none),
	[EV_RETENDER] = FIELDS(f_retender),
	[EV_CHANGE_METHOD] = FIELDS(f_change_method),
	[EV_AWARD] = FIELDS(f_none),
	[EV_DECLINE_AWARD] = FIELDS(f_reason),
	[EV_CHALLENGE] = FIELDS(f_challenge),
	[EV_ANSWER_CHALLENGE] = FIELDS(f_answer),
	[EV_SIGN_CONTRACT] = FIELDS(f_sign),
	[EV_START_SERVICE] = FIELDS(f_none),
	[EV_RECORD_SUPERVISION] = FIELDS(f_supervision),
	[EV_COMPLETE_SERVICE] = FIELDS(f_none),
	[EV_ACCEPT] = FIELDS(f_accept),
	[EV_REJECT_ACCEPTANCE] = FIELDS(f_reject_acceptance),
	[EV_CONFIRM_PAYMENT] = FIELDS(f_payment),
	[EV_EVALUATE] = FIELDS(f_evaluate),
	[EV_CONTRACTOR_EXIT] = FIELDS(f_exit),
	[EV_REPORT_SUBCONTRACTING] = FIELDS(f_subcontracting),
	[EV_COMPLETE_TAKEOVER] = FIELDS(f_none),
	[EV_CANCEL] = FIELDS(f_reason),
	[EV_ESCALATE] = FIELDS(f_escalate),
};
_Static_assert(sizeof event_fields / sizeof event_fields[0] == EV__COUNT,
    "event_fields out of step with enum lc_event");

const struct lc_field *
lifecycle_fields(enum lc_event ev, size_t *n)
{
	if ((unsigned)ev >= EV__COUNT) {
		*n = 0;
		return NULL;
	}
	*n = event_fields[ev].n;
	return event_fields[ev].f;
}

/* String fields whose value must be one of a list (400 invalid_field). */
static const char *const finding_values[] = { "ok", "issue", NULL };
static const char *const exit_reason_values[] = {
	"withdrawal", "bankruptcy", "breach", "fraud", NULL,
};
static const char *const method_values[] = {
	"public_tender", "invited_tender", "competitive_negotiation",
	"competitive_consultation", "single_source", NULL,
};
_Static_assert(sizeof method_values / sizeof method_values[0] == METHOD__COUNT + 1,
    "method_values out of step with enum method");

static const char *const *
field_values(enum lc_event ev, const char *field)
{
	if (ev == EV_RECORD_SUPERVISION && strcmp(field, "finding") == 0)
		return finding_values;
	if (ev == EV_CONTRACTOR_EXIT && strcmp(field, "reason") == 0)
		return exit_reason_values;
	if (ev == EV_CHANGE_METHOD && strcmp(field, "method") == 0)
		return method_values;
	return NULL;
}

/* --- deciding ------------------------------------------------------------- */

/* Fill OUT with an error: STATUS, CODE, RULE ("" unless 422), DETAILS
 * (stolen) and a printf message. */
__attribute__((format(printf, 6, 7))) static void
refuse(struct lc_result *out, int status, const char *code, const char *rule,
    json_t *details, const char *fmt, ...)
{
	va_list ap;

	out->status = status;
	out->code = code;
	snprintf(out->err.rule, sizeof out->err.rule, "%s", rule);
	va_start(ap, fmt);
	vsnprintf(out->err.message, sizeof out->err.message, fmt, ap);
	va_end(ap);
	json_decref(out->err.details);
	out->err.details = details;
}

static void
violation(struct lc_result *out, const char *rule, json_t *details, const char *msg)
{
	refuse(out, 422, "rule_violation", rule, details, "%s", msg);
}

static void
bad_field(struct lc_result *out, const char *field, const char *why)
{
	refuse(out, 400, "invalid_field", "", json_pack("{s:s}", "field", field), "%s: %s",
	    field, why);
}

/* A rule_error from rules.c becomes the answer as it is. */
static void
pass_rule_error(struct lc_result *out, struct rule_error *e)
{
	out->status = 422;
	out->code = "rule_violation";
	json_decref(out->err.details);
	out->err = *e;
	memset(e, 0, sizeof *e);
}

static bool
blank(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

static const struct lc_field *
find_field(const struct lc_field *f, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return &f[i];
	return NULL;
}

static bool
type_ok(const json_t *v, enum lc_ftype t)
{
	usec_t when;

	switch (t) {
	case FT_STRING: return json_is_string(v);
	case FT_INT: return json_is_integer(v);
	case FT_NUMBER: return json_is_number(v);
	case FT_TIME: return json_is_string(v) && time_parse(json_string_value(v), &when) == 0;
	case FT_OBJECT: return json_is_object(v);
	case FT_ARRAY: return json_is_array(v);
	case FT_ANY: return true;
	}
	return false;
}

static const char *
type_text(enum lc_ftype t)
{
	switch (t) {
	case FT_STRING: return "must be a string";
	case FT_INT: return "must be an integer";
	case FT_NUMBER: return "must be a number";
	case FT_TIME: return "must be an RFC 3339 time with offset";
	case FT_OBJECT: return "must be an object";
	case FT_ARRAY: return "must be a list";
	case FT_ANY: break;
	}
	return "has the wrong type";
}

/* Unknown fields and types first (400), then missing ones (422). A JSON null
 * counts as absent. Returns 0 or -1 with OUT filled. */
static int
check_payload(enum lc_event ev, const json_t *payload, struct lc_result *out)
{
	size_t n;
	const struct lc_field *f = lifecycle_fields(ev, &n);
	const char *key;
	json_t *v;

	if (!json_is_object(payload)) {
		bad_field(out, "payload", "must be an object");
		return -1;
	}
	json_object_foreach ((json_t *)payload, key, v) {
		const struct lc_field *fd = find_field(f, n, key);
		if (fd == NULL) {
			refuse(out, 400, "unknown_field", "", json_pack("{s:s}", "field", key),
			    "%s does not take a field \"%s\"", lc_event_name(ev), key);
			return -1;
		}
		if (json_is_null(v))
			continue;
		if (!type_ok(v, fd->type)) {
			bad_field(out, key, type_text(fd->type));
			return -1;
		}
		const char *const *values = field_values(ev, key);
		if (values != NULL) {
			bool found = false;
			for (size_t i = 0; values[i] != NULL && !found; i++)
				found = strcmp(values[i], json_string_value(v)) == 0;
			if (!found) {
				char list[160] = "";
				for (size_t i = 0; values[i] != NULL; i++) {
					size_t l = strlen(list);
					snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "",
					    values[i]);
				}
				bad_field(out, key, list);
				snprintf(out->err.message, sizeof out->err.message,
				    "%s must be one of: %s", key, list);
				return -1;
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (!f[i].required)
			continue;
		v = json_object_get(payload, f[i].name);
		if (v == NULL || json_is_null(v) ||
		    (json_is_string(v) && blank(json_string_value(v)))) {
			refuse(out, 422, "rule_violation", "payload_required",
			    json_pack("{s:s}", "field", f[i].name), "%s needs \"%s\"",
			    lc_event_name(ev), f[i].name);
			return -1;
		}
	}
	return 0;
}

static const char *
str_field(const json_t *payload, const char *name)
{
	return json_string_value(json_object_get(payload, name));
}

static usec_t
time_field(const json_t *payload, const char *name)
{
	usec_t t = 0;

	time_parse(json_string_value(json_object_get(payload, name)), &t);
	return t;
}

/* RC and *YEAR as a calendar function returned them; YEAR is a pointer so
 * that it is read after the call it is an argument of. */
static void
note_uncovered(struct lc_result *out, int rc, const int *year)
{
	if (rc == 1 && out->uncovered_year == 0)
		out->uncovered_year = *year;
}

static int
guard_submit(const struct lc_ctx *ctx, struct lc_result *out)
{
	const struct lc_project *p = ctx->p;
	const struct lc_loaded *l = ctx->l;
	json_t *missing = json_array();

	if (!p->has_title)
		json_array_append_new(missing, json_string("title"));
	if (p->budget_fen <= 0)
		json_array_append_new(missing, json_string("budget_fen"));
	if (p->method < 0 || p->method >= METHOD__COUNT)
		json_array_append_new(missing, json_string("method"));
	if (p->funding < 0 || p->funding >= FUNDING__COUNT)
		json_array_append_new(missing, json_string("funding_source"));
	if (!p->has_quantity)
		json_array_append_new(missing, json_string("quantity"));
	if (!p->has_quality_standard)
		json_array_append_new(missing, json_string("quality_standard"));
	if (p->service_start < 0)
		json_array_append_new(missing, json_string("service_start"));
	if (p->service_end < 0)
		json_array_append_new(missing, json_string("service_end"));
	if (p->n_items <= 0)
		json_array_append_new(missing, json_string("catalog_items"));
	bool bad_period = p->service_start >= 0 && p->service_end >= 0 &&
	    p->service_start > p->service_end;
	if (json_array_size(missing) > 0 || bad_period) {
		json_t *d = json_pack("{s:o}", "missing", missing);
		if (bad_period)
			json_object_set_new(d, "service_period",
			    json_string("service_start is after service_end"));
		violation(out, "needs_incomplete", d,
		    bad_period && json_array_size(missing) == 0 ?
		    "the service period ends before it starts" :
		    "the needs are incomplete: title, budget, method, funding, quantity, "
		    "quality standard, service period and catalogue items are required");
		return -1;
	}
	json_decref(missing);

	json_t *bad = json_array();
	for (size_t i = 0; i < l->n_items; i++) {
		const struct lc_catalog_item *it = &l->items[i];
		const char *why = !it->exists ? "unknown" : !it->approved ? "not_approved" :
		    !it->purchasable ? "not_purchasable" : NULL;
		if (why != NULL)
			json_array_append_new(bad, json_pack("{s:s,s:s}", "code", it->code, "reason",
			    why));
	}
	if (json_array_size(bad) > 0) {
		violation(out, "catalog_item_not_purchasable", json_pack("{s:o}", "items", bad),
		    "only approved, purchasable catalogue items may be bought");
		return -1;
	}
	json_decref(bad);
	/* positions bought: the unit's staffing and wage floors (profile) */
	struct rule_error e = { 0 };
	if (ctx->profiles && l->n_positions > 0 &&
	    staffing_check(ctx->profiles, l->positions, l->n_positions, &e)) {
		pass_rule_error(out, &e);
		return -1;
	}
	return 0;
}

static int
guard_approve_budget(const struct lc_ctx *ctx, struct lc_result *out)
{
	const struct lc_project *p = ctx->p;
	const struct lc_loaded *l = ctx->l;
	struct rule_error e = { 0 };

	if (!l->has_budget || l->source_funds_fen <= 0) {
		violation(out, "budget_missing",
		    json_pack("{s:i,s:s}", "fiscal_year", p->fiscal_year, "funding_source",
			funding_name((enum funding)p->funding)),
		    "the agency has no budget of this funding source for the fiscal year");
		return -1;
	}
	if (p->funding == FUNDING_SPECIAL &&
	    rules_check_cap(l->special_funds_fen, l->cap_bp, l->special_committed_fen,
		p->budget_fen, &e) != 0) {
		pass_rule_error(out, &e);
		return -1;
	}
	if (p->budget_fen > l->source_funds_fen) {
		violation(out, "budget_exceeds_funds",
		    json_pack("{s:I,s:I}", "budget_fen", (json_int_t)p->budget_fen,
			"source_funds_fen", (json_int_t)l->source_funds_fen),
		    "the project's budget exceeds the funds of its source");
		return -1;
	}
	return 0;
}

/* The statutory bid window of P's method from now to the bid deadline. */
static int
check_bid_window(const struct lc_ctx *ctx, usec_t deadline, struct lc_result *out)
{
	const struct lc_project *p = ctx->p;
	bool ok = false;
	int year = 0;

	if (p->method < 0 || p->method >= METHOD__COUNT) {
		violation(out, "needs_incomplete", json_pack("{s:[s]}", "missing", "method"),
		    "the project has no procurement method");
		return -1;
	}
	struct period w = ctx->rc->bid_window[p->method];
	note_uncovered(out, calendar_window_ok(ctx->cal, ctx->now, deadline, w, &ok, &year),
	    &year);
	if (ok)
		return 0;

	usec_t earliest = 0;
	char per[48], when[48];
	note_uncovered(out, calendar_window_earliest(ctx->cal, ctx->now, w, &earliest, &year),
	    &year);
	period_format(w, per, sizeof per);
	time_format(earliest, ctx->cal->utc_offset_s, when, sizeof when);
	json_t *d = json_pack("{s:s,s:s,s:s}", "method", method_name((enum method)p->method),
	    "required", per, "earliest", when);
	refuse(out, 422, "rule_violation", "bid_window", d,
	    "%s needs a bid window of %s: the bid deadline may be %s at the earliest",
	    method_name((enum method)p->method), per, when);
	return -1;
}

static int
guard_publish(const struct lc_ctx *ctx, struct lc_result *out)
{
	const json_t *pl = ctx->payload;
	struct criterion crit[CRITERIA_MAX];
	size_t n = 0;
	struct rule_error e = { 0 };

	if (check_bid_window(ctx, time_field(pl, "bid_deadline"), out) != 0)
		return -1;
	json_int_t ev = json_integer_value(json_object_get(pl, "evaluators_required"));
	if (ev < 1) {
		violation(out, "evaluators_required",
		    json_pack("{s:I,s:i}", "evaluators_required", ev, "min", 1),
		    "at least one evaluator is required");
		return -1;
	}
	if (rules_parse_criteria(ctx->rc, json_object_get(pl, "criteria"), crit, &n, &e) != 0) {
		pass_rule_error(out, &e);
		return -1;
	}
	return 0;
}

static int
guard_change_method(const struct lc_ctx *ctx, struct lc_result *out)
{
	int m = method_parse(str_field(ctx->payload, "method"));

	if (m < 0) {
		bad_field(out, "method", "unknown procurement method");
		return -1;
	}
	if (m == ctx->p->method) {
		violation(out, "method_unchanged", json_pack("{s:s}", "method", method_name(m)),
		    "the new method is the current one");
		return -1;
	}
	return 0;
}

static int
count_eligible(const struct lc_loaded *l)
{
	int n = 0;

	for (size_t i = 0; i < l->n_bids; i++)
		if (l->bids[i].eligible)
			n++;
	return n;
}

static int
guard_close_bidding(const struct lc_ctx *ctx, const struct lc_transition *row,
    struct lc_result *out)
{
	const struct lc_project *p = ctx->p;

	if (ctx->now < p->bid_deadline) {
		char when[48];
		time_format(p->bid_deadline, ctx->cal->utc_offset_s, when, sizeof when);
		refuse(out, 422, "rule_violation", "bid_deadline_not_reached",
		    json_pack("{s:s}", "bid_deadline", when),
		    "bidding stays open until %s", when);
		return -1;
	}
	out->n_eligible_bids = count_eligible(ctx->l);
	int need = p->method >= 0 && p->method < METHOD__COUNT ? ctx->rc->min_bids[p->method] : 1;
	if (out->n_eligible_bids < need)
		out->to = (enum lc_state)row->alt;
	return 0;
}

static void
set_award(struct lc_result *out, const struct lc_loaded *l)
{
	if (l->n_bids > 0 && l->bids[0].rank == 1) {
		out->award_bid_id = l->bids[0].bid_id;
		out->award_contractor_id = l->bids[0].contractor_id;
		out->award_price_fen = l->bids[0].price_fen;
	} else {
		out->award_bid_id = out->award_contractor_id = out->award_price_fen = 0;
	}
}

static int
guard_award(const struct lc_ctx *ctx, struct lc_result *out)
{
	const struct lc_project *p = ctx->p;
	struct lc_loaded *l = ctx->l;

	if (count_eligible(l) == 0) {
		violation(out, "no_eligible_bids", NULL, "there is no eligible bid to award");
		return -1;
	}
	for (size_t i = 0; i < l->n_bids; i++) {
		const struct rank_bid *b = &l->bids[i];
		if (b->eligible && b->n_sheets < p->evaluators_required) {
			refuse(out, 422, "rule_violation", "scores_incomplete",
			    json_pack("{s:I,s:i,s:i}", "bid_id", (json_int_t)b->bid_id, "sheets",
				b->n_sheets, "required", p->evaluators_required),
			    "bid %lld has %d of %d score sheets", (long long)b->bid_id,
			    b->n_sheets, p->evaluators_required);
			return -1;
		}
	}
	rules_rank(ctx->rc, p->criteria, p->n_criteria, l->bids, l->n_bids);
	set_award(out, l);
	return 0;
}

static int
guard_decline_award(const struct lc_ctx *ctx, const struct lc_transition *row,
    struct lc_result *out)
{
	const struct lc_project *p = ctx->p;
	struct lc_loaded *l = ctx->l;

	for (size_t i = 0; i < l->n_bids; i++)
		if (l->bids[i].bid_id == p->award_bid_id)
			l->bids[i].eligible = false;
	rules_rank(ctx->rc, p->criteria, p->n_criteria, l->bids, l->n_bids);
	set_award(out, l);
	if (out->award_bid_id == 0)
		out->to = (enum lc_state)row->alt;
	return 0;
}

static int
guard_challenge(const struct lc_ctx *ctx, struct lc_result *out)
{
	const struct lc_project *p = ctx->p;
	usec_t deadline;
	int year = 0;

	note_uncovered(out, calendar_due(ctx->cal, p->awarded_at, ctx->rc->challenge_window,
	    &deadline, &year), &year);
	if (ctx->now > deadline) {
		char when[48];
		time_format(deadline, ctx->cal->utc_offset_s, when, sizeof when);
		refuse(out, 422, "rule_violation", "challenge_window",
		    json_pack("{s:s}", "deadline", when),
		    "challenges had to be made by %s", when);
		return -1;
	}
	note_uncovered(out, calendar_due(ctx->cal, ctx->now, ctx->rc->challenge_answer, &out->due,
	    &year), &year);
	return 0;
}

static int
guard_answer_challenge(const struct lc_ctx *ctx, struct lc_result *out)
{
	json_int_t id = json_integer_value(json_object_get(ctx->payload, "challenge_id"));

	for (size_t i = 0; i < ctx->l->n_challenges; i++) {
		if (ctx->l->challenges[i].id == id && ctx->l->challenges[i].open) {
			out->challenge_id = id;
			return 0;
		}
	}
	refuse(out, 422, "rule_violation", "challenge_not_open",
	    json_pack("{s:I}", "challenge_id", id), "challenge %lld is not open", (long long)id);
	return -1;
}

/* Interim provider, handover days and contacts. Returns what is missing. */
static json_t *
takeover_plan_gaps(const json_t *plan)
{
	json_t *gaps = json_array();
	const json_t *ip = json_object_get(plan, "interim_provider");
	const json_t *hd = json_object_get(plan, "handover_days");
	const json_t *ct = json_object_get(plan, "contacts");

	if (!((json_is_integer(ip) && json_integer_value(ip) > 0) ||
	    (json_is_string(ip) && strcmp(json_string_value(ip), "in_house") == 0)))
		json_array_append_new(gaps, json_string("interim_provider"));
	if (!json_is_integer(hd) || json_integer_value(hd) < 0)
		json_array_append_new(gaps, json_string("handover_days"));
	bool contacts_ok = json_is_array(ct) && json_array_size(ct) > 0;
	for (size_t i = 0; contacts_ok && i < json_array_size(ct); i++) {
		const json_t *c = json_array_get(ct, i);
		contacts_ok = (json_is_string(c) && !blank(json_string_value(c))) ||
		    (json_is_object(c) && json_object_size(c) > 0);
	}
	if (!contacts_ok)
		json_array_append_new(gaps, json_string("contacts"));
	return gaps;
}

static int
guard_sign_contract(const struct lc_ctx *ctx, struct lc_result *out)
{
	const struct lc_project *p = ctx->p;
	const struct lc_loaded *l = ctx->l;
	usec_t deadline;
	int year = 0;

	note_uncovered(out, calendar_due(ctx->cal, p->awarded_at, ctx->rc->signing_window,
	    &deadline, &year), &year);
	if (ctx->now > deadline) {
		char when[48];
		time_format(deadline, ctx->cal->utc_offset_s, when, sizeof when);
		refuse(out, 422, "rule_violation", "signing_window",
		    json_pack("{s:s}", "deadline", when),
		    "the contract had to be signed by %s", when);
		return -1;
	}
	for (size_t i = 0; i < l->n_challenges; i++) {
		if (l->challenges[i].open) {
			refuse(out, 422, "rule_violation", "challenge_open",
			    json_pack("{s:I}", "challenge_id", (json_int_t)l->challenges[i].id),
			    "challenge %lld is still open", (long long)l->challenges[i].id);
			return -1;
		}
	}
	json_t *gaps = takeover_plan_gaps(json_object_get(ctx->payload, "takeover_plan"));
	if (json_array_size(gaps) > 0) {
		violation(out, "takeover_plan", json_pack("{s:o}", "missing", gaps),
		    "the takeover plan needs an interim provider (contractor id or \"in_house\"), "
		    "handover days and contacts");
		return -1;
	}
	json_decref(gaps);
	json_int_t amount = json_integer_value(json_object_get(ctx->payload, "amount_fen"));
	if (amount <= 0 || amount > p->budget_fen) {
		violation(out, "contract_over_budget",
		    json_pack("{s:I,s:I}", "amount_fen", amount, "budget_fen",
			(json_int_t)p->budget_fen),
		    amount <= 0 ? "the contract amount must be positive" :
		    "the contract amount exceeds the budget");
		return -1;
	}
	if (l->contractor_banned) {
		violation(out, "contractor_banned",
		    json_pack("{s:I}", "contractor_id", (json_int_t)p->award_contractor_id),
		    "the awarded contractor is banned from government purchase of services");
		return -1;
	}
	return 0;
}

static int
guard_reject_acceptance(const struct lc_ctx *ctx, struct lc_result *out)
{
	usec_t by = time_field(ctx->payload, "rectify_by");

	if (by <= ctx->now) {
		violation(out, "rectify_by_past",
		    json_pack("{s:s}", "rectify_by", str_field(ctx->payload, "rectify_by")),
		    "the rectification date must be in the future");
		return -1;
	}
	out->due = by;
	return 0;
}

static int
guard_confirm_payment(const struct lc_ctx *ctx, struct lc_result *out)
{
	json_int_t amount = json_integer_value(json_object_get(ctx->payload, "amount_fen"));

	if (amount <= 0 || amount > ctx->p->contract_amount_fen) {
		violation(out, "payment_over_contract",
		    json_pack("{s:I,s:I}", "amount_fen", amount, "contract_amount_fen",
			(json_int_t)ctx->p->contract_amount_fen),
		    amount <= 0 ? "the payment must be positive" :
		    "the payment exceeds the contract amount");
		return -1;
	}
	return 0;
}

static int
guard_evaluate(const struct lc_ctx *ctx, struct lc_result *out)
{
	const json_t *pl = ctx->payload;
	struct rule_error e = { 0 };

	if (rules_composite(ctx->rc, json_number_value(json_object_get(pl, "purchaser_score")),
	    json_number_value(json_object_get(pl, "recipient_satisfaction")),
	    json_number_value(json_object_get(pl, "third_party_score")), &out->composite,
	    &e) != 0) {
		pass_rule_error(out, &e);
		return -1;
	}
	return 0;
}

static int
guard(const struct lc_ctx *ctx, enum lc_event ev, const struct lc_transition *row,
    struct lc_result *out)
{
	switch (ev) {
	case EV_SUBMIT: return guard_submit(ctx, out);
	case EV_APPROVE_BUDGET: return guard_approve_budget(ctx, out);
	case EV_PUBLISH: return guard_publish(ctx, out);
	case EV_RETENDER:
		return check_bid_window(ctx, time_field(ctx->payload, "bid_deadline"), out);
	case EV_CHANGE_METHOD: return guard_change_method(ctx, out);
	case EV_CLOSE_BIDDING: return guard_close_bidding(ctx, row, out);
	case EV_AWARD: return guard_award(ctx, out);
	case EV_DECLINE_AWARD: return guard_decline_award(ctx, row, out);
	case EV_CHALLENGE: return guard_challenge(ctx, out);
	case EV_ANSWER_CHALLENGE: return guard_answer_challenge(ctx, out);
	case EV_SIGN_CONTRACT: return guard_sign_contract(ctx, out);
	case EV_REJECT_ACCEPTANCE: return guard_reject_acceptance(ctx, out);
	case EV_CONFIRM_PAYMENT: return guard_confirm_payment(ctx, out);
	case EV_EVALUATE: return guard_evaluate(ctx, out);
	case EV_COMPLETE_TAKEOVER:
		if (ctx->p->successor_id > 0)
			return 0;
		violation(out, "successor_missing", NULL,
		    "the successor project must exist before the takeover completes");
		return -1;
	case EV_ESCALATE: {
		json_int_t level = json_integer_value(json_object_get(ctx->payload, "level"));
		if (level >= 1 && level <= 3)
			return 0;
		bad_field(out, "level", "must be 1, 2 or 3");
		return -1;
	}
	default:
		return 0;
	}
}

void
lc_result_clear(struct lc_result *r)
{
	if (r == NULL)
		return;
	rule_error_clear(&r->err);
}

void
lifecycle_decide(const struct lc_ctx *ctx, enum lc_event ev, struct lc_result *out)
{
	const struct lc_project *p = ctx->p;
	const struct lc_transition *row;

	memset(out, 0, sizeof *out);
	out->to = p->state;
	row = (unsigned)ev < EV__COUNT ? lifecycle_find(p->state, ev) : NULL;
	if (row == NULL) {
		refuse(out, 409, "invalid_transition", "",
		    json_pack("{s:s,s:s}", "state", lc_state_name(p->state), "event",
			lc_event_name(ev)),
		    "%s is not allowed in state %s", lc_event_name(ev), lc_state_name(p->state));
		return;
	}
	if ((ctx->actor.roles & row->roles) == 0) {
		refuse(out, 403, "forbidden", "", NULL, "%s is not allowed for this role",
		    lc_event_name(ev));
		return;
	}
	if (check_payload(ev, ctx->payload, out) != 0)
		return;
	if ((ev == EV_APPROVE_NEEDS && p->submitted_by != 0 &&
	    ctx->actor.user_id == p->submitted_by) ||
	    (ev == EV_ACCEPT && p->completed_by != 0 && ctx->actor.user_id == p->completed_by)) {
		refuse(out, 403, "separation_of_duties", "", NULL,
		    ev == EV_ACCEPT ? "the user who completed the service may not accept it" :
		    "the user who submitted the needs may not approve them");
		return;
	}
	out->to = row->to == STAY ? p->state : (enum lc_state)row->to;
	if (guard(ctx, ev, row, out) != 0)
		out->to = p->state;
}
