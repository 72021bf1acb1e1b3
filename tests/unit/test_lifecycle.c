/* Unit tests of the lifecycle (daemon/lifecycle.c): the table row by row from
 * tests/unit/lifecycle_cases.txt, every guard at its edges, the payloads, and
 * docs/lifecycle.md against the table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lifecycle.h"

static char srcdir[1024] = ".";
static char cases_path[1200];

/* --- the calendar, loaded from data/calendar/cn.txt ------------------------ */

#define MAX_DAYS 256
static int32_t rest_days[MAX_DAYS], work_days[MAX_DAYS];
static int cal_years[16];
static struct calendar cal;
static struct rules_config rc;

static int
load_calendar(const char *path, struct calendar *c)
{
	FILE *f = fopen(path, "r");
	char line[256];
	size_t nr = 0, nw = 0, ny = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		char kw[8], val[16];
		char *hash = strchr(line, '#');
		int32_t d;
		if (hash != NULL)
			*hash = '\0';
		if (sscanf(line, "%7s %15s", kw, val) != 2)
			continue;
		if (strcmp(kw, "year") == 0 && ny < 16)
			cal_years[ny++] = atoi(val);
		else if (strcmp(kw, "rest") == 0 && nr < MAX_DAYS && date_parse(val, &d) == 0)
			rest_days[nr++] = d;
		else if (strcmp(kw, "work") == 0 && nw < MAX_DAYS && date_parse(val, &d) == 0)
			work_days[nw++] = d;
		else {
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	*c = (struct calendar){ 28800, rest_days, nr, work_days, nw, cal_years, ny };
	return 0;
}

static usec_t
T(const char *s)
{
	usec_t t;
	if (time_parse(s, &t) != 0)
		fail_msg("bad time %s", s);
	return t;
}

static json_t *
J(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);
	if (v == NULL)
		fail_msg("bad JSON in test: %s (%s)", text, e.text);
	return v;
}

/* --- a world in which every guard passes ---------------------------------- */

#define NOW "2026-03-02T10:00:00+08:00"		/* a Monday */
#define AWARDED_AT "2026-02-27T10:00:00+08:00"	/* a Friday */
#define SUBMITTER 7
#define COMPLETER 8
#define ACTOR 9

struct fx {
	struct lc_project p;
	struct lc_loaded l;
	json_t *payload;
	struct lc_ctx ctx;
	struct lc_result out;
};

static const char *
good_payload(enum lc_event ev)
{
	switch (ev) {
	case EV_RETURN_NEEDS:
	case EV_RETURN_BUDGET:
	case EV_REJECT_BUDGET:
	case EV_CANCEL:
	case EV_DECLINE_AWARD:
		return "{\"reason\": \"the plan needs another look\"}";
	case EV_PUBLISH:
		return "{\"bid_deadline\": \"2026-04-01T09:00:00+08:00\","
		    " \"requirements\": \"registered social organisation, 3 years of casework\","
		    " \"evaluators_required\": 3,"
		    " \"criteria\": [{\"name\": \"service_plan\", \"kind\": \"quality\", \"weight\": 50},"
		    " {\"name\": \"staff\", \"kind\": \"quality\", \"weight\": 20},"
		    " {\"name\": \"past_performance\", \"kind\": \"quality\", \"weight\": 10},"
		    " {\"name\": \"price\", \"kind\": \"price\", \"weight\": 20}]}";
	case EV_RETENDER:
		return "{\"bid_deadline\": \"2026-04-01T09:00:00+08:00\"}";
	case EV_CHANGE_METHOD:
		return "{\"method\": \"competitive_consultation\"}";
	case EV_CHALLENGE:
		return "{\"supplier\": \"Harmony Social Work Centre\", \"text\": \"scoring of staff\"}";
	case EV_ANSWER_CHALLENGE:
		return "{\"challenge_id\": 5, \"answer\": \"the staff score stands\"}";
	case EV_SIGN_CONTRACT:
		return "{\"contract_no\": \"HT-2026-042\", \"amount_fen\": 900000,"
		    " \"takeover_plan\": {\"interim_provider\": \"in_house\", \"handover_days\": 3,"
		    " \"contacts\": [\"Li Ming 13800000000\", {\"name\": \"Wang Fang\"}]}}";
	case EV_RECORD_SUPERVISION:
		return "{\"inspection\": \"visited 4 townships\", \"finding\": \"ok\"}";
	case EV_ACCEPT:
		return "{\"report\": \"all 12 caseworkers in post\"}";
	case EV_REJECT_ACCEPTANCE:
		return "{\"reason\": \"files incomplete\", \"rectify_by\": \"2026-03-20T17:00:00+08:00\"}";
	case EV_CONFIRM_PAYMENT:
		return "{\"voucher_no\": \"GK-2026-0001\", \"amount_fen\": 900000}";
	case EV_EVALUATE:
		return "{\"purchaser_score\": 80, \"recipient_satisfaction\": 90,"
		    " \"third_party_score\": 70}";
	case EV_CONTRACTOR_EXIT:
		return "{\"reason\": \"breach\", \"detail\": \"staff withdrawn\"}";
	case EV_REPORT_SUBCONTRACTING:
		return "{\"evidence\": \"the work is done by another company\"}";
	case EV_ESCALATE:
		return "{\"level\": 1, \"deadline\": \"acceptance\","
		    " \"due\": \"2026-03-01T00:00:00+08:00\"}";
	default:
		return "{}";
	}
}

static struct rank_bid
mkbid(int64_t id, int64_t price, int sheets, double mean, double past)
{
	return (struct rank_bid){ .bid_id = id, .contractor_id = id + 400, .price_fen = price,
		.eligible = true, .n_sheets = sheets, .sheet_quality_sum = mean * sheets,
		.past_composite = past };
}

static void
fx_init(struct fx *f, enum lc_state s, enum lc_event ev, unsigned roles)
{
	static const struct criterion crit[] = {
		{ "service_plan", CRIT_QUALITY, 50 },
		{ "staff", CRIT_QUALITY, 20 },
		{ "past_performance", CRIT_QUALITY, 10 },
		{ "price", CRIT_PRICE, 20 },
	};
	struct lc_project *p = &f->p;
	struct lc_loaded *l = &f->l;

	memset(f, 0, sizeof *f);
	p->id = 42;
	p->state = s;
	p->version = 3;
	p->fiscal_year = 2026;
	p->method = METHOD_PUBLIC_TENDER;
	p->funding = FUNDING_SPECIAL;
	p->budget_fen = 1000000;
	p->has_title = p->has_quantity = p->has_quality_standard = true;
	p->service_start = days_from_civil(2026, 4, 1);
	p->service_end = days_from_civil(2026, 12, 31);
	p->n_items = 2;
	p->submitted_by = SUBMITTER;
	p->completed_by = COMPLETER;
	p->bid_deadline = T(NOW) - 3600 * USEC_PER_SEC;
	p->evaluators_required = 3;
	memcpy(p->criteria, crit, sizeof crit);
	p->n_criteria = 4;
	p->award_bid_id = 101;
	p->award_contractor_id = 501;
	p->award_price_fen = 900000;
	p->awarded_at = T(AWARDED_AT);
	p->contract_amount_fen = 900000;
	p->has_takeover_plan = true;
	p->successor_id = 43;

	l->items[0] = (struct lc_catalog_item){ "MZ-01", true, true, true };
	l->items[1] = (struct lc_catalog_item){ "MZ-02", true, true, true };
	l->n_items = 2;
	l->has_budget = true;
	l->source_funds_fen = 100000000;
	l->special_funds_fen = 100000000;
	l->cap_bp = 200;
	l->special_committed_fen = 500000;
	l->bids[0] = mkbid(101, 900000, 3, 65, 80);
	l->bids[1] = mkbid(102, 950000, 3, 60, -1);
	l->bids[2] = mkbid(103, 800000, 3, 50, 70);
	l->n_bids = 3;
	l->challenges[0] = (struct lc_challenge){ 5, ev != EV_SIGN_CONTRACT, 0 };
	l->challenges[1] = (struct lc_challenge){ 6, false, 0 };
	l->n_challenges = 2;
	l->contractor_qualified = true;

	f->payload = J(good_payload(ev));
	f->ctx = (struct lc_ctx){ .rc = &rc, .cal = &cal, .now = T(NOW),
		.actor = { roles == ROLE_DAEMON ? 0 : ACTOR, roles }, .p = &f->p, .l = &f->l,
		.payload = f->payload };
}

static void
fx_payload(struct fx *f, const char *text)
{
	json_decref(f->payload);
	f->payload = J(text);
	f->ctx.payload = f->payload;
}

static void
fx_decide(struct fx *f, enum lc_event ev)
{
	lc_result_clear(&f->out);
	lifecycle_decide(&f->ctx, ev, &f->out);
}

static void
fx_free(struct fx *f)
{
	lc_result_clear(&f->out);
	json_decref(f->payload);
	f->payload = NULL;
}

/* One decision from a fresh world with the payload TEXT (NULL: the good one). */
static void
decide1(struct fx *f, enum lc_state s, enum lc_event ev, unsigned roles, const char *text)
{
	fx_init(f, s, ev, roles);
	if (text != NULL)
		fx_payload(f, text);
	fx_decide(f, ev);
}

static void
expect_ok(struct fx *f, enum lc_state to)
{
	if (f->out.status != 0)
		fail_msg("from %s, wanted %s: %d %s %s: %s", lc_state_name(f->p.state),
		    lc_state_name(to), f->out.status, f->out.code, f->out.err.rule,
		    f->out.err.message);
	assert_string_equal(lc_state_name(f->out.to), lc_state_name(to));
}

static void
expect_err(struct fx *f, int status, const char *code, const char *rule)
{
	if (f->out.status != status)
		fail_msg("status %d (%s %s: %s), wanted %d %s", f->out.status,
		    f->out.code ? f->out.code : "-", f->out.err.rule, f->out.err.message, status,
		    rule ? rule : code);
	assert_string_equal(f->out.code, code);
	if (rule != NULL)
		assert_string_equal(f->out.err.rule, rule);
	/* A refused event changes nothing. */
	assert_int_equal(f->out.to, f->p.state);
}

static json_int_t
detail_int(const struct fx *f, const char *key)
{
	const json_t *v = json_object_get(f->out.err.details, key);
	if (!json_is_integer(v))
		fail_msg("details.%s is not an integer", key);
	return json_integer_value(v);
}

static const char *
detail_str(const struct fx *f, const char *key)
{
	const char *s = json_string_value(json_object_get(f->out.err.details, key));
	if (s == NULL)
		fail_msg("details.%s is not a string", key);
	return s;
}

static void
assert_time(usec_t got, const char *want)
{
	char buf[48];
	time_format(got, 28800, buf, sizeof buf);
	assert_string_equal(buf, want);
}

/* --- names ---------------------------------------------------------------- */

static void
test_names(void **state)
{
	unsigned mask = 0;
	(void)state;

	for (int i = 0; i < ST__COUNT; i++)
		assert_int_equal(lc_state_parse(lc_state_name((enum lc_state)i)), i);
	for (int i = 0; i < EV__COUNT; i++)
		assert_int_equal(lc_event_parse(lc_event_name((enum lc_event)i)), i);
	for (int i = 0; i < ROLE__COUNT; i++)
		assert_int_equal(role_parse(role_name(1u << i)), (int)(1u << i));
	assert_string_equal(lc_state_name(ST_YEAR_END_REVIEW), "year_end_review");
	assert_string_equal(lc_event_name(EV_REPORT_SUBCONTRACTING), "report_subcontracting");
	assert_string_equal(role_name(ROLE_FINANCE), "finance");
	assert_string_equal(role_name(ROLE_DAEMON), "daemon");
	assert_int_equal(lc_state_parse("open"), -1);
	assert_int_equal(lc_event_parse(""), -1);
	assert_int_equal(role_parse("root"), -1);

	assert_int_equal(roles_parse_list("officer,reviewer", &mask), 0);
	assert_int_equal(mask, ROLE_OFFICER | ROLE_REVIEWER);
	assert_int_equal(roles_parse_list(" finance , admin ", &mask), 0);
	assert_int_equal(mask, ROLE_FINANCE | ROLE_ADMIN);
	assert_int_equal(roles_parse_list("auditor", &mask), 0);
	assert_int_equal(mask, ROLE_AUDITOR);
	mask = 99;
	assert_int_equal(roles_parse_list("", &mask), -1);
	assert_int_equal(roles_parse_list("officer,", &mask), -1);
	assert_int_equal(roles_parse_list("officer,,reviewer", &mask), -1);
	assert_int_equal(roles_parse_list("officer,boss", &mask), -1);
	assert_int_equal(mask, 99);

	for (int i = 0; i < ST__COUNT; i++)
		assert_int_equal(lc_state_is_final((enum lc_state)i),
		    i == ST_CLOSED || i == ST_TERMINATED || i == ST_CANCELLED);
}

static void
test_table_shape(void **state)
{
	size_t n;
	const struct lc_transition *t = lifecycle_table(&n);
	(void)state;

	assert_int_equal(n, 50);
	for (size_t i = 0; i < n; i++) {
		/* One row per (from, event), and lifecycle_find returns it. */
		assert_ptr_equal(lifecycle_find(t[i].from, t[i].event), &t[i]);
		/* admin and auditor take part in nothing. */
		assert_int_equal(t[i].roles & (ROLE_ADMIN | ROLE_AUDITOR | ROLE_EVALUATOR), 0);
		assert_false(lc_state_is_final(t[i].from));
	}
	/* Every non-final state can escalate, by the daemon only, staying put. */
	for (int s = 0; s < ST__COUNT; s++) {
		const struct lc_transition *r = lifecycle_find((enum lc_state)s, EV_ESCALATE);
		if (lc_state_is_final((enum lc_state)s)) {
			assert_null(r);
			continue;
		}
		assert_non_null(r);
		assert_int_equal(r->to, -1);
		assert_int_equal(r->roles, ROLE_DAEMON);
	}
	assert_int_equal(lifecycle_find(ST_ANNOUNCED, EV_CLOSE_BIDDING)->alt, ST_TENDER_FAILED);
	assert_int_equal(lifecycle_find(ST_AWARDED, EV_DECLINE_AWARD)->alt, ST_TENDER_FAILED);
	assert_int_equal(lifecycle_find(ST_AWARDED, EV_DECLINE_AWARD)->to, ST_AWARDED);

	assert_int_equal(lifecycle_needs(ST_DRAFT, EV_SUBMIT), NEED_CATALOG | NEED_POSITIONS);
	assert_int_equal(lifecycle_needs(ST_BUDGET_REVIEW, EV_APPROVE_BUDGET), NEED_BUDGET);
	assert_int_equal(lifecycle_needs(ST_ANNOUNCED, EV_CLOSE_BIDDING), NEED_BIDS);
	assert_int_equal(lifecycle_needs(ST_SCORING, EV_AWARD), NEED_BIDS);
	assert_int_equal(lifecycle_needs(ST_AWARDED, EV_DECLINE_AWARD), NEED_BIDS);
	assert_int_equal(lifecycle_needs(ST_AWARDED, EV_CHALLENGE), NEED_CHALLENGES);
	assert_int_equal(lifecycle_needs(ST_AWARDED, EV_ANSWER_CHALLENGE), NEED_CHALLENGES);
	assert_int_equal(lifecycle_needs(ST_AWARDED, EV_SIGN_CONTRACT),
	    NEED_CHALLENGES | NEED_CONTRACTOR);
	assert_int_equal(lifecycle_needs(ST_DRAFT, EV_CANCEL), 0);
	assert_int_equal(lifecycle_needs(ST_IN_SERVICE, EV_RECORD_SUPERVISION), 0);
	/* Not allowed from there: what the event needs anywhere. */
	assert_int_equal(lifecycle_needs(ST_DRAFT, EV_SIGN_CONTRACT),
	    NEED_CHALLENGES | NEED_CONTRACTOR);

	/* Decided on the row alone, without a lock: exactly the events that
	 * stay put and load nothing wherever they are allowed. */
	for (int e = 0; e < EV__COUNT; e++)
		assert_int_equal(lifecycle_stays((enum lc_event)e),
		    e == EV_RECORD_SUPERVISION || e == EV_ESCALATE);

	/* Every event takes an optional comment. */
	for (int e = 0; e < EV__COUNT; e++) {
		size_t nf;
		const struct lc_field *f = lifecycle_fields((enum lc_event)e, &nf);
		bool comment = false, documents = false;
		for (size_t i = 0; i < nf; i++) {
			if (strcmp(f[i].name, "comment") == 0)
				comment = f[i].type == FT_STRING && !f[i].required;
			if (strcmp(f[i].name, "documents") == 0)
				documents = f[i].type == FT_ARRAY && !f[i].required;
		}
		/* every event may carry a comment and name documents */
		assert_true(comment);
		assert_true(documents);
	}
	size_t nf;
	const struct lc_field *f = lifecycle_fields(EV_PUBLISH, &nf);
	assert_int_equal(nf, 6);
	assert_string_equal(f[0].name, "bid_deadline");
	assert_int_equal(f[0].type, FT_TIME);
	assert_true(f[0].required);
}

/* --- the table, row by row from the cases file ----------------------------- */

static void
test_cases_file(void **state)
{
	FILE *fp = fopen(cases_path, "r");
	char line[256];
	static bool seen[ST__COUNT][EV__COUNT][ROLE__COUNT];
	int n = 0, lineno = 0, failures = 0;
	(void)state;

	if (fp == NULL)
		fail_msg("cannot open %s", cases_path);
	memset(seen, 0, sizeof seen);
	while (fgets(line, sizeof line, fp) != NULL) {
		char s[32], e[32], r[32], arrow[4], want[32];
		struct fx f;

		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%31s %31s %31s %3s %31s", s, e, r, arrow, want) != 5 ||
		    strcmp(arrow, "->") != 0)
			fail_msg("%s:%d: malformed", cases_path, lineno);
		int st = lc_state_parse(s), ev = lc_event_parse(e), role = role_parse(r);
		if (st < 0 || ev < 0 || role < 0)
			fail_msg("%s:%d: unknown name", cases_path, lineno);
		int ri = __builtin_ctz((unsigned)role);
		if (seen[st][ev][ri])
			fail_msg("%s:%d: duplicate case", cases_path, lineno);
		seen[st][ev][ri] = true;

		decide1(&f, (enum lc_state)st, (enum lc_event)ev, (unsigned)role, NULL);
		char got[64];
		if (f.out.status != 0)
			snprintf(got, sizeof got, "%d", f.out.status);
		else if (f.out.to == (enum lc_state)st && strcmp(want, s) != 0)
			snprintf(got, sizeof got, "same");
		else
			snprintf(got, sizeof got, "%s", lc_state_name(f.out.to));
		if (strcmp(got, want) != 0) {
			print_error("%s:%d: %s %s %s -> %s, got %s (%s %s)\n", cases_path, lineno, s,
			    e, r, want, got, f.out.err.rule, f.out.err.message);
			failures++;
		}
		fx_free(&f);
		n++;
	}
	fclose(fp);
	assert_int_equal(failures, 0);
	/* All 17 states × 27 events × 7 roles. */
	assert_int_equal(n, ST__COUNT * EV__COUNT * ROLE__COUNT);
}

/* A 409 comes before the role check; details name the state and event. */
static void
test_invalid_transition(void **state)
{
	struct fx f;
	(void)state;

	decide1(&f, ST_CLOSED, EV_ESCALATE, ROLE_DAEMON, NULL);
	expect_err(&f, 409, "invalid_transition", NULL);
	assert_non_null(strstr(f.out.err.message, "escalate"));
	assert_non_null(strstr(f.out.err.message, "closed"));
	assert_string_equal(detail_str(&f, "state"), "closed");
	assert_string_equal(detail_str(&f, "event"), "escalate");
	fx_free(&f);
	decide1(&f, ST_DRAFT, EV_PUBLISH, ROLE_AUDITOR, NULL);
	expect_err(&f, 409, "invalid_transition", NULL);
	fx_free(&f);
	/* The role is checked before the payload. */
	decide1(&f, ST_DRAFT, EV_SUBMIT, ROLE_FINANCE, "{\"bogus\": 1}");
	expect_err(&f, 403, "forbidden", NULL);
	fx_free(&f);
	/* A user holding several roles acts with any of them. */
	decide1(&f, ST_BUDGET_REVIEW, EV_APPROVE_BUDGET, ROLE_OFFICER | ROLE_FINANCE, NULL);
	expect_ok(&f, ST_APPROVED);
	fx_free(&f);
}

/* --- payloads -------------------------------------------------------------- */

static void
test_payload_fields(void **state)
{
	struct fx f;
	(void)state;

	/* Unknown field. */
	decide1(&f, ST_DRAFT, EV_SUBMIT, ROLE_OFFICER, "{\"title\": \"x\"}");
	expect_err(&f, 400, "unknown_field", NULL);
	assert_string_equal(detail_str(&f, "field"), "title");
	fx_free(&f);
	decide1(&f, ST_AWARDED, EV_SIGN_CONTRACT, ROLE_OFFICER,
	    "{\"contract_no\": \"HT-1\", \"amount_fen\": 1, \"takeover_plan\": {},"
	    " \"amount\": 1}");
	expect_err(&f, 400, "unknown_field", NULL);
	assert_string_equal(detail_str(&f, "field"), "amount");
	fx_free(&f);

	/* Comments everywhere, null as absent. */
	decide1(&f, ST_DRAFT, EV_SUBMIT, ROLE_OFFICER, "{\"comment\": \"first version\"}");
	expect_ok(&f, ST_NEEDS_REVIEW);
	fx_free(&f);
	decide1(&f, ST_DRAFT, EV_SUBMIT, ROLE_OFFICER, "{\"comment\": null}");
	expect_ok(&f, ST_NEEDS_REVIEW);
	fx_free(&f);
	decide1(&f, ST_DRAFT, EV_SUBMIT, ROLE_OFFICER, "{\"comment\": 5}");
	expect_err(&f, 400, "invalid_field", NULL);
	assert_string_equal(detail_str(&f, "field"), "comment");
	fx_free(&f);

	/* Missing and blank required fields. */
	decide1(&f, ST_NEEDS_REVIEW, EV_RETURN_NEEDS, ROLE_REVIEWER, "{}");
	expect_err(&f, 422, "rule_violation", "payload_required");
	assert_string_equal(detail_str(&f, "field"), "reason");
	fx_free(&f);
	decide1(&f, ST_NEEDS_REVIEW, EV_RETURN_NEEDS, ROLE_REVIEWER, "{\"reason\": \" \\t\\n\"}");
	expect_err(&f, 422, "rule_violation", "payload_required");
	fx_free(&f);
	decide1(&f, ST_NEEDS_REVIEW, EV_RETURN_NEEDS, ROLE_REVIEWER, "{\"reason\": null}");
	expect_err(&f, 422, "rule_violation", "payload_required");
	fx_free(&f);
	decide1(&f, ST_APPROVED, EV_PUBLISH, ROLE_OFFICER,
	    "{\"bid_deadline\": \"2026-04-01T09:00:00+08:00\", \"requirements\": \"x\","
	    " \"criteria\": []}");
	expect_err(&f, 422, "rule_violation", "payload_required");
	assert_string_equal(detail_str(&f, "field"), "evaluators_required");
	fx_free(&f);
	/* A type error is reported before a missing field. */
	decide1(&f, ST_PAYMENT, EV_CONFIRM_PAYMENT, ROLE_FINANCE, "{\"amount_fen\": \"900000\"}");
	expect_err(&f, 400, "invalid_field", NULL);
	assert_string_equal(detail_str(&f, "field"), "amount_fen");
	fx_free(&f);

	/* Mistyped. */
	decide1(&f, ST_PAYMENT, EV_CONFIRM_PAYMENT, ROLE_FINANCE,
	    "{\"voucher_no\": \"GK-1\", \"amount_fen\": 9000.5}");
	expect_err(&f, 400, "invalid_field", NULL);
	assert_string_equal(detail_str(&f, "field"), "amount_fen");
	fx_free(&f);
	decide1(&f, ST_TENDER_FAILED, EV_RETENDER, ROLE_OFFICER,
	    "{\"bid_deadline\": \"2026-04-01 nine o'clock\"}");
	expect_err(&f, 400, "invalid_field", NULL);
	assert_string_equal(detail_str(&f, "field"), "bid_deadline");
	fx_free(&f);
	decide1(&f, ST_TENDER_FAILED, EV_RETENDER, ROLE_OFFICER,
	    "{\"bid_deadline\": \"2026-04-01T09:00:00\"}");	/* no offset */
	expect_err(&f, 400, "invalid_field", NULL);
	fx_free(&f);
	decide1(&f, ST_APPROVED, EV_PUBLISH, ROLE_OFFICER,
	    "{\"bid_deadline\": \"2026-04-01T09:00:00+08:00\", \"requirements\": \"x\","
	    " \"evaluators_required\": 3, \"criteria\": {}}");
	expect_err(&f, 400, "invalid_field", NULL);
	assert_string_equal(detail_str(&f, "field"), "criteria");
	fx_free(&f);
	decide1(&f, ST_YEAR_END_REVIEW, EV_EVALUATE, ROLE_REVIEWER,
	    "{\"purchaser_score\": \"80\", \"recipient_satisfaction\": 90,"
	    " \"third_party_score\": 70}");
	expect_err(&f, 400, "invalid_field", NULL);
	fx_free(&f);
	decide1(&f, ST_AWARDED, EV_SIGN_CONTRACT, ROLE_OFFICER,
	    "{\"contract_no\": \"HT-1\", \"amount_fen\": 1, \"takeover_plan\": \"in_house\"}");
	expect_err(&f, 400, "invalid_field", NULL);
	assert_string_equal(detail_str(&f, "field"), "takeover_plan");
	fx_free(&f);
	decide1(&f, ST_DRAFT, EV_SUBMIT, ROLE_OFFICER, "[]");
	expect_err(&f, 400, "invalid_field", NULL);
	assert_string_equal(detail_str(&f, "field"), "payload");
	fx_free(&f);

	/* Values outside an enumeration. */
	decide1(&f, ST_IN_SERVICE, EV_RECORD_SUPERVISION, ROLE_OFFICER,
	    "{\"inspection\": \"visit\", \"finding\": \"fine\"}");
	expect_err(&f, 400, "invalid_field", NULL);
	assert_string_equal(detail_str(&f, "field"), "finding");
	fx_free(&f);
	decide1(&f, ST_IN_SERVICE, EV_RECORD_SUPERVISION, ROLE_OFFICER,
	    "{\"inspection\": \"visit\", \"finding\": \"issue\"}");
	expect_ok(&f, ST_IN_SERVICE);
	fx_free(&f);
	decide1(&f, ST_CONTRACTED, EV_CONTRACTOR_EXIT, ROLE_OFFICER, "{\"reason\": \"tired\"}");
	expect_err(&f, 400, "invalid_field", NULL);
	assert_string_equal(detail_str(&f, "field"), "reason");
	fx_free(&f);
	const char *reasons[] = { "withdrawal", "bankruptcy", "breach", "fraud" };
	for (int i = 0; i < 4; i++) {
		char text[64];
		snprintf(text, sizeof text, "{\"reason\": \"%s\"}", reasons[i]);
		decide1(&f, ST_ACCEPTANCE, EV_CONTRACTOR_EXIT, ROLE_OFFICER, text);
		expect_ok(&f, ST_TAKEOVER);
		fx_free(&f);
	}
	decide1(&f, ST_TENDER_FAILED, EV_CHANGE_METHOD, ROLE_OFFICER, "{\"method\": \"auction\"}");
	expect_err(&f, 400, "invalid_field", NULL);
	assert_string_equal(detail_str(&f, "field"), "method");
	fx_free(&f);

	/* escalate: level 1..3. */
	for (int level = 0; level <= 4; level++) {
		char text[32];
		snprintf(text, sizeof text, "{\"level\": %d}", level);
		decide1(&f, ST_SCORING, EV_ESCALATE, ROLE_DAEMON, text);
		if (level >= 1 && level <= 3) {
			expect_ok(&f, ST_SCORING);
		} else {
			expect_err(&f, 400, "invalid_field", NULL);
			assert_string_equal(detail_str(&f, "field"), "level");
		}
		fx_free(&f);
	}
	decide1(&f, ST_SCORING, EV_ESCALATE, ROLE_DAEMON, "{\"level\": 2, \"due\": \"soon\"}");
	expect_err(&f, 400, "invalid_field", NULL);
	assert_string_equal(detail_str(&f, "field"), "due");
	fx_free(&f);
}

/* --- guards ----------------------------------------------------------------- */

static void
test_submit(void **state)
{
	struct fx f;
	(void)state;

	fx_init(&f, ST_DRAFT, EV_SUBMIT, ROLE_OFFICER);
	f.p.has_title = false;
	f.p.budget_fen = 0;
	f.p.method = -1;
	f.p.service_end = -1;
	f.p.n_items = 0;
	fx_decide(&f, EV_SUBMIT);
	expect_err(&f, 422, "rule_violation", "needs_incomplete");
	char *missing = json_dumps(json_object_get(f.out.err.details, "missing"), JSON_COMPACT);
	assert_string_equal(missing,
	    "[\"title\",\"budget_fen\",\"method\",\"service_end\",\"catalog_items\"]");
	free(missing);
	fx_free(&f);

	fx_init(&f, ST_DRAFT, EV_SUBMIT, ROLE_OFFICER);
	f.p.funding = -1;
	f.p.has_quantity = f.p.has_quality_standard = false;
	f.p.service_start = -1;
	fx_decide(&f, EV_SUBMIT);
	missing = json_dumps(json_object_get(f.out.err.details, "missing"), JSON_COMPACT);
	assert_string_equal(missing,
	    "[\"funding_source\",\"quantity\",\"quality_standard\",\"service_start\"]");
	free(missing);
	fx_free(&f);

	/* Service period backwards; one day is fine. */
	fx_init(&f, ST_DRAFT, EV_SUBMIT, ROLE_OFFICER);
	f.p.service_end = f.p.service_start - 1;
	fx_decide(&f, EV_SUBMIT);
	expect_err(&f, 422, "rule_violation", "needs_incomplete");
	assert_non_null(json_object_get(f.out.err.details, "service_period"));
	f.p.service_end = f.p.service_start;
	fx_decide(&f, EV_SUBMIT);
	expect_ok(&f, ST_NEEDS_REVIEW);
	fx_free(&f);

	/* Catalogue items. */
	fx_init(&f, ST_DRAFT, EV_SUBMIT, ROLE_OFFICER);
	f.l.items[1].purchasable = false;
	f.l.items[2] = (struct lc_catalog_item){ "MZ-99", false, false, false };
	f.l.items[3] = (struct lc_catalog_item){ "MZ-03", true, false, true };
	f.l.n_items = 4;
	f.p.n_items = 4;
	fx_decide(&f, EV_SUBMIT);
	expect_err(&f, 422, "rule_violation", "catalog_item_not_purchasable");
	char *items = json_dumps(json_object_get(f.out.err.details, "items"),
	    JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(items, "[{\"code\":\"MZ-02\",\"reason\":\"not_purchasable\"},"
	    "{\"code\":\"MZ-99\",\"reason\":\"unknown\"},"
	    "{\"code\":\"MZ-03\",\"reason\":\"not_approved\"}]");
	free(items);
	fx_free(&f);
}

static void
test_separation_of_duties(void **state)
{
	struct fx f;
	(void)state;

	/* A section chief holding officer and reviewer submitted the needs: the
	 * reviewer role does not let the same user approve them. */
	fx_init(&f, ST_NEEDS_REVIEW, EV_APPROVE_NEEDS, ROLE_OFFICER | ROLE_REVIEWER);
	f.ctx.actor.user_id = SUBMITTER;
	fx_decide(&f, EV_APPROVE_NEEDS);
	expect_err(&f, 403, "separation_of_duties", NULL);
	/* Returning them is not approval. */
	fx_payload(&f, good_payload(EV_RETURN_NEEDS));
	fx_decide(&f, EV_RETURN_NEEDS);
	expect_ok(&f, ST_DRAFT);
	/* Another user may approve. */
	fx_payload(&f, "{}");
	f.ctx.actor.user_id = SUBMITTER + 100;
	fx_decide(&f, EV_APPROVE_NEEDS);
	expect_ok(&f, ST_BUDGET_REVIEW);
	/* Duties come after the payload check. */
	f.ctx.actor.user_id = SUBMITTER;
	fx_payload(&f, "{\"x\": 1}");
	fx_decide(&f, EV_APPROVE_NEEDS);
	expect_err(&f, 400, "unknown_field", NULL);
	fx_free(&f);

	fx_init(&f, ST_ACCEPTANCE, EV_ACCEPT, ROLE_OFFICER | ROLE_REVIEWER);
	f.ctx.actor.user_id = COMPLETER;
	fx_decide(&f, EV_ACCEPT);
	expect_err(&f, 403, "separation_of_duties", NULL);
	f.ctx.actor.user_id = SUBMITTER;	/* submitting is not completing */
	fx_decide(&f, EV_ACCEPT);
	expect_ok(&f, ST_PAYMENT);
	fx_free(&f);
}

static void
test_approve_budget(void **state)
{
	struct fx f;
	(void)state;

	fx_init(&f, ST_BUDGET_REVIEW, EV_APPROVE_BUDGET, ROLE_FINANCE);
	f.l.has_budget = false;
	fx_decide(&f, EV_APPROVE_BUDGET);
	expect_err(&f, 422, "rule_violation", "budget_missing");
	assert_int_equal(detail_int(&f, "fiscal_year"), 2026);
	assert_string_equal(detail_str(&f, "funding_source"), "special_funds");
	f.l.has_budget = true;
	f.l.source_funds_fen = 0;
	fx_decide(&f, EV_APPROVE_BUDGET);
	expect_err(&f, 422, "rule_violation", "budget_missing");

	/* Cap: 2 % of 100,000,000 fen = 2,000,000; 500,000 committed. */
	f.l.source_funds_fen = 100000000;
	f.p.budget_fen = 1500000;
	fx_decide(&f, EV_APPROVE_BUDGET);
	expect_ok(&f, ST_APPROVED);
	f.p.budget_fen = 1500001;
	fx_decide(&f, EV_APPROVE_BUDGET);
	expect_err(&f, 422, "rule_violation", "special_funds_cap");
	assert_int_equal(detail_int(&f, "cap_fen"), 2000000);
	assert_int_equal(detail_int(&f, "remaining_fen"), 1500000);
	assert_int_equal(detail_int(&f, "asked_fen"), 1500001);
	/* Work funds are not capped, but bounded by the source. */
	f.p.funding = FUNDING_WORK;
	f.l.source_funds_fen = 1500001;
	fx_decide(&f, EV_APPROVE_BUDGET);
	expect_ok(&f, ST_APPROVED);
	f.l.source_funds_fen = 1500000;
	fx_decide(&f, EV_APPROVE_BUDGET);
	expect_err(&f, 422, "rule_violation", "budget_exceeds_funds");
	assert_int_equal(detail_int(&f, "budget_fen"), 1500001);
	assert_int_equal(detail_int(&f, "source_funds_fen"), 1500000);
	fx_free(&f);
}

static void
test_publish_window(void **state)
{
	struct fx f;
	(void)state;

	/* Public tender: 20 calendar days from Monday 2 March: 22 March. */
	decide1(&f, ST_APPROVED, EV_PUBLISH, ROLE_OFFICER, NULL);
	expect_ok(&f, ST_ANNOUNCED);
	fx_free(&f);
	const char *tmpl = "{\"bid_deadline\": \"%s\", \"requirements\": \"r\","
	    " \"evaluators_required\": 1, \"criteria\": [{\"name\": \"q\", \"kind\": \"quality\","
	    " \"weight\": 70}, {\"name\": \"p\", \"kind\": \"price\", \"weight\": 30}]}";
	char text[512];
	snprintf(text, sizeof text, tmpl, "2026-03-22T00:00:00+08:00");
	decide1(&f, ST_APPROVED, EV_PUBLISH, ROLE_OFFICER, text);
	expect_ok(&f, ST_ANNOUNCED);
	assert_int_equal(f.out.uncovered_year, 0);
	fx_free(&f);
	snprintf(text, sizeof text, tmpl, "2026-03-21T23:59:59+08:00");
	decide1(&f, ST_APPROVED, EV_PUBLISH, ROLE_OFFICER, text);
	expect_err(&f, 422, "rule_violation", "bid_window");
	assert_string_equal(detail_str(&f, "method"), "public_tender");
	assert_string_equal(detail_str(&f, "required"), "20 calendar_days");
	assert_string_equal(detail_str(&f, "earliest"), "2026-03-22T00:00:00+08:00");
	fx_free(&f);

	/* Competitive negotiation, 3 working days, across the 2026 Spring Festival:
	 * from Thursday 12 February they are 13, 14 (调休) and 24 February. */
	snprintf(text, sizeof text, tmpl, "2026-02-24T09:00:00+08:00");
	fx_init(&f, ST_APPROVED, EV_PUBLISH, ROLE_OFFICER);
	fx_payload(&f, text);
	f.p.method = METHOD_COMPETITIVE_NEGOTIATION;
	f.ctx.now = T("2026-02-12T10:00:00+08:00");
	fx_decide(&f, EV_PUBLISH);
	expect_ok(&f, ST_ANNOUNCED);
	snprintf(text, sizeof text, tmpl, "2026-02-23T18:00:00+08:00");
	fx_payload(&f, text);
	fx_decide(&f, EV_PUBLISH);
	expect_err(&f, 422, "rule_violation", "bid_window");
	assert_string_equal(detail_str(&f, "method"), "competitive_negotiation");
	assert_string_equal(detail_str(&f, "required"), "3 working_days");
	assert_string_equal(detail_str(&f, "earliest"), "2026-02-24T00:00:00+08:00");
	/* Counted in calendar days it would have been plenty. */
	f.p.method = METHOD_COMPETITIVE_CONSULTATION;
	fx_decide(&f, EV_PUBLISH);
	expect_ok(&f, ST_ANNOUNCED);

	/* Into an uncovered year: decided with weekends only, and reported. */
	f.p.method = METHOD_COMPETITIVE_NEGOTIATION;
	f.ctx.now = T("2026-12-30T10:00:00+08:00");
	snprintf(text, sizeof text, tmpl, "2027-01-04T09:00:00+08:00");
	fx_payload(&f, text);
	fx_decide(&f, EV_PUBLISH);
	expect_ok(&f, ST_ANNOUNCED);
	assert_int_equal(f.out.uncovered_year, 2027);
	fx_free(&f);

	/* Evaluators and criteria. */
	decide1(&f, ST_APPROVED, EV_PUBLISH, ROLE_OFFICER,
	    "{\"bid_deadline\": \"2026-04-01T09:00:00+08:00\", \"requirements\": \"r\","
	    " \"evaluators_required\": 0, \"criteria\": []}");
	expect_err(&f, 422, "rule_violation", "evaluators_required");
	fx_free(&f);
	decide1(&f, ST_APPROVED, EV_PUBLISH, ROLE_OFFICER,
	    "{\"bid_deadline\": \"2026-04-01T09:00:00+08:00\", \"requirements\": \"r\","
	    " \"evaluators_required\": 5, \"criteria\": [{\"name\": \"q\", \"kind\": \"quality\","
	    " \"weight\": 60}, {\"name\": \"p\", \"kind\": \"price\", \"weight\": 40}]}");
	expect_err(&f, 422, "rule_violation", "price_weight_range");
	assert_int_equal(detail_int(&f, "price_weight"), 40);
	fx_free(&f);
	decide1(&f, ST_APPROVED, EV_PUBLISH, ROLE_OFFICER,
	    "{\"bid_deadline\": \"2026-04-01T09:00:00+08:00\", \"requirements\": \"r\","
	    " \"evaluators_required\": 5, \"criteria\": [{\"name\": \"q\", \"kind\": \"quality\","
	    " \"weight\": 60}, {\"name\": \"p\", \"kind\": \"price\", \"weight\": 20}]}");
	expect_err(&f, 422, "rule_violation", "criteria_weights");
	assert_int_equal(detail_int(&f, "sum"), 80);
	fx_free(&f);
}

static void
test_retender_and_method(void **state)
{
	struct fx f;
	(void)state;

	/* Single source, 5 working days from 12 February 2026: 13, 14, 24, 25, 26. */
	fx_init(&f, ST_TENDER_FAILED, EV_RETENDER, ROLE_OFFICER);
	f.p.method = METHOD_SINGLE_SOURCE;
	f.ctx.now = T("2026-02-12T10:00:00+08:00");
	fx_payload(&f, "{\"bid_deadline\": \"2026-02-26T00:00:00+08:00\"}");
	fx_decide(&f, EV_RETENDER);
	expect_ok(&f, ST_ANNOUNCED);
	fx_payload(&f, "{\"bid_deadline\": \"2026-02-25T23:59:59+08:00\"}");
	fx_decide(&f, EV_RETENDER);
	expect_err(&f, 422, "rule_violation", "bid_window");
	assert_string_equal(detail_str(&f, "required"), "5 working_days");
	assert_string_equal(detail_str(&f, "earliest"), "2026-02-26T00:00:00+08:00");
	fx_free(&f);

	decide1(&f, ST_TENDER_FAILED, EV_CHANGE_METHOD, ROLE_OFFICER,
	    "{\"method\": \"public_tender\"}");
	expect_err(&f, 422, "rule_violation", "method_unchanged");
	fx_free(&f);
	decide1(&f, ST_TENDER_FAILED, EV_CHANGE_METHOD, ROLE_OFFICER,
	    "{\"method\": \"single_source\"}");
	expect_ok(&f, ST_BUDGET_REVIEW);
	fx_free(&f);
}

static void
test_close_bidding(void **state)
{
	struct fx f;
	(void)state;

	/* Three eligible bids: scoring. */
	decide1(&f, ST_ANNOUNCED, EV_CLOSE_BIDDING, ROLE_DAEMON, NULL);
	expect_ok(&f, ST_SCORING);
	assert_int_equal(f.out.n_eligible_bids, 3);
	fx_free(&f);

	/* Three bids, one ineligible: two are too few for a public tender. */
	fx_init(&f, ST_ANNOUNCED, EV_CLOSE_BIDDING, ROLE_OFFICER);
	f.l.bids[1].eligible = false;
	fx_decide(&f, EV_CLOSE_BIDDING);
	expect_ok(&f, ST_TENDER_FAILED);
	assert_int_equal(f.out.n_eligible_bids, 2);
	/* Two bids. */
	f.l.bids[1].eligible = true;
	f.l.n_bids = 2;
	fx_decide(&f, EV_CLOSE_BIDDING);
	expect_ok(&f, ST_TENDER_FAILED);
	assert_int_equal(f.out.n_eligible_bids, 2);
	/* No bids at all. */
	f.l.n_bids = 0;
	fx_decide(&f, EV_CLOSE_BIDDING);
	expect_ok(&f, ST_TENDER_FAILED);
	assert_int_equal(f.out.n_eligible_bids, 0);
	/* Single source needs one. */
	f.p.method = METHOD_SINGLE_SOURCE;
	f.l.n_bids = 1;
	fx_decide(&f, EV_CLOSE_BIDDING);
	expect_ok(&f, ST_SCORING);
	assert_int_equal(f.out.n_eligible_bids, 1);

	/* Not before the deadline, to the microsecond. */
	f.p.bid_deadline = f.ctx.now + 1;
	fx_decide(&f, EV_CLOSE_BIDDING);
	expect_err(&f, 422, "rule_violation", "bid_deadline_not_reached");
	assert_string_equal(detail_str(&f, "bid_deadline"), "2026-03-02T10:00:00.000001+08:00");
	f.p.bid_deadline = f.ctx.now;
	fx_decide(&f, EV_CLOSE_BIDDING);
	expect_ok(&f, ST_SCORING);
	fx_free(&f);
}

static void
test_award(void **state)
{
	struct fx f;
	(void)state;

	/* Criteria: service_plan 50, staff 20, past_performance 10, price 20.
	 * 101: 65 + 8 (past 80) = 73 quality, 800000/900000×20 = 17.78 → 90.78
	 * 102: 60 + 6 (neutral 60) = 66, 16.84 → 82.84
	 * 103: 50 + 7 (past 70) = 57, 20 (cheapest) → 77
	 * The better-quality bid wins over the cheaper one. */
	decide1(&f, ST_SCORING, EV_AWARD, ROLE_OFFICER, NULL);
	expect_ok(&f, ST_AWARDED);
	assert_int_equal(f.out.award_bid_id, 101);
	assert_int_equal(f.out.award_contractor_id, 501);
	assert_int_equal(f.out.award_price_fen, 900000);
	/* The guard ranked the loaded bids in place. */
	assert_int_equal(f.l.bids[0].bid_id, 101);
	assert_true(f.l.bids[0].total == 90.78);
	assert_int_equal(f.l.bids[1].bid_id, 102);
	assert_true(f.l.bids[1].total == 82.84);
	assert_int_equal(f.l.bids[2].bid_id, 103);
	assert_int_equal(f.l.bids[2].rank, 3);
	fx_free(&f);

	/* Missing sheets. */
	fx_init(&f, ST_SCORING, EV_AWARD, ROLE_OFFICER);
	f.l.bids[1].n_sheets = 2;
	fx_decide(&f, EV_AWARD);
	expect_err(&f, 422, "rule_violation", "scores_incomplete");
	assert_int_equal(detail_int(&f, "bid_id"), 102);
	assert_int_equal(detail_int(&f, "sheets"), 2);
	assert_int_equal(detail_int(&f, "required"), 3);
	assert_int_equal(f.out.award_bid_id, 0);
	/* An ineligible bid needs no sheets. */
	f.l.bids[1].eligible = false;
	fx_decide(&f, EV_AWARD);
	expect_ok(&f, ST_AWARDED);
	assert_int_equal(f.out.award_bid_id, 101);
	/* Nothing eligible. */
	for (size_t i = 0; i < f.l.n_bids; i++)
		f.l.bids[i].eligible = false;
	fx_decide(&f, EV_AWARD);
	expect_err(&f, 422, "rule_violation", "no_eligible_bids");
	fx_free(&f);
}

static void
test_decline_award(void **state)
{
	struct fx f;
	(void)state;

	/* Ranking 101, 102, 103 (see test_award). 101 declines: 102. */
	fx_init(&f, ST_AWARDED, EV_DECLINE_AWARD, ROLE_OFFICER);
	fx_decide(&f, EV_DECLINE_AWARD);
	expect_ok(&f, ST_AWARDED);
	assert_int_equal(f.out.award_bid_id, 102);
	assert_int_equal(f.out.award_contractor_id, 502);
	assert_int_equal(f.out.award_price_fen, 950000);
	/* The store records it; 102 declines: 103. */
	f.p.award_bid_id = 102;
	fx_decide(&f, EV_DECLINE_AWARD);
	expect_ok(&f, ST_AWARDED);
	assert_int_equal(f.out.award_bid_id, 103);
	/* 103 declines: nobody is left. */
	f.p.award_bid_id = 103;
	fx_decide(&f, EV_DECLINE_AWARD);
	expect_ok(&f, ST_TENDER_FAILED);
	assert_int_equal(f.out.award_bid_id, 0);
	assert_int_equal(f.out.award_contractor_id, 0);
	for (size_t i = 0; i < f.l.n_bids; i++)
		assert_int_equal(f.l.bids[i].rank, 0);
	fx_free(&f);

	decide1(&f, ST_AWARDED, EV_DECLINE_AWARD, ROLE_OFFICER, "{}");
	expect_err(&f, 422, "rule_violation", "payload_required");
	fx_free(&f);
}

static void
test_challenges(void **state)
{
	struct fx f;
	(void)state;

	/* Awarded Friday 27 February 2026; 7 working days: Sat 28 (调休), 2, 3, 4, 5, 6,
	 * 9 March. The window closes at the end of 9 March. */
	fx_init(&f, ST_AWARDED, EV_CHALLENGE, ROLE_OFFICER);
	f.ctx.now = T("2026-03-10T00:00:00+08:00");
	fx_decide(&f, EV_CHALLENGE);
	expect_ok(&f, ST_AWARDED);
	/* Answer due 7 working days after 10 March: 11 … 19 March. */
	assert_time(f.out.due, "2026-03-20T00:00:00+08:00");
	f.ctx.now = T("2026-03-09T12:00:00+08:00");
	fx_decide(&f, EV_CHALLENGE);
	expect_ok(&f, ST_AWARDED);
	assert_time(f.out.due, "2026-03-19T00:00:00+08:00");
	f.ctx.now = T("2026-03-10T00:00:00+08:00") + 1;
	fx_decide(&f, EV_CHALLENGE);
	expect_err(&f, 422, "rule_violation", "challenge_window");
	assert_string_equal(detail_str(&f, "deadline"), "2026-03-10T00:00:00+08:00");
	/* Awarded Thursday 26 February: 27, Sat 28 (调休), 2, 3, 4, 5, 6 March. Were
	 * the 调休 Saturday a rest day, Monday 9 would still be inside. */
	f.p.awarded_at = T("2026-02-26T10:00:00+08:00");
	f.ctx.now = T("2026-03-06T23:00:00+08:00");
	fx_decide(&f, EV_CHALLENGE);
	expect_ok(&f, ST_AWARDED);
	f.ctx.now = T("2026-03-09T10:00:00+08:00");
	fx_decide(&f, EV_CHALLENGE);
	expect_err(&f, 422, "rule_violation", "challenge_window");
	assert_string_equal(detail_str(&f, "deadline"), "2026-03-07T00:00:00+08:00");
	assert_int_equal(f.out.uncovered_year, 0);
	/* A window running into 2027, which the calendar does not cover. */
	f.p.awarded_at = T("2026-12-28T10:00:00+08:00");
	f.ctx.now = T("2026-12-30T10:00:00+08:00");
	fx_decide(&f, EV_CHALLENGE);
	expect_ok(&f, ST_AWARDED);
	assert_int_equal(f.out.uncovered_year, 2027);
	fx_free(&f);

	/* Answers. */
	decide1(&f, ST_AWARDED, EV_ANSWER_CHALLENGE, ROLE_OFFICER, NULL);
	expect_ok(&f, ST_AWARDED);
	assert_int_equal(f.out.challenge_id, 5);
	fx_free(&f);
	decide1(&f, ST_AWARDED, EV_ANSWER_CHALLENGE, ROLE_OFFICER,
	    "{\"challenge_id\": 6, \"answer\": \"again\"}");
	expect_err(&f, 422, "rule_violation", "challenge_not_open");
	assert_int_equal(detail_int(&f, "challenge_id"), 6);
	assert_int_equal(f.out.challenge_id, 0);
	fx_free(&f);
	decide1(&f, ST_AWARDED, EV_ANSWER_CHALLENGE, ROLE_OFFICER,
	    "{\"challenge_id\": 77, \"answer\": \"who?\"}");
	expect_err(&f, 422, "rule_violation", "challenge_not_open");
	fx_free(&f);
}

static void
sign_with_plan(struct fx *f, const char *plan)
{
	char text[512];
	snprintf(text, sizeof text, "{\"contract_no\": \"HT-2026-042\", \"amount_fen\": 900000,"
	    " \"takeover_plan\": %s}", plan);
	fx_payload(f, text);
	fx_decide(f, EV_SIGN_CONTRACT);
}

static void
test_sign_contract(void **state)
{
	struct fx f;
	(void)state;

	/* Signing window: 30 days from 27 February end on Sunday 29 March,
	 * extended to Monday 30 March. */
	fx_init(&f, ST_AWARDED, EV_SIGN_CONTRACT, ROLE_OFFICER);
	f.ctx.now = T("2026-03-31T00:00:00+08:00");
	fx_decide(&f, EV_SIGN_CONTRACT);
	expect_ok(&f, ST_CONTRACTED);
	f.ctx.now += 1;
	fx_decide(&f, EV_SIGN_CONTRACT);
	expect_err(&f, 422, "rule_violation", "signing_window");
	assert_string_equal(detail_str(&f, "deadline"), "2026-03-31T00:00:00+08:00");
	f.ctx.now = T(NOW);

	/* An open challenge blocks signing. */
	f.l.challenges[1].open = true;
	fx_decide(&f, EV_SIGN_CONTRACT);
	expect_err(&f, 422, "rule_violation", "challenge_open");
	assert_int_equal(detail_int(&f, "challenge_id"), 6);
	f.l.challenges[1].open = false;

	/* The takeover plan. */
	sign_with_plan(&f, "{\"interim_provider\": 17, \"handover_days\": 0,"
	    " \"contacts\": [\"x\"]}");
	expect_ok(&f, ST_CONTRACTED);
	sign_with_plan(&f, "{\"handover_days\": 3, \"contacts\": [\"x\"]}");
	expect_err(&f, 422, "rule_violation", "takeover_plan");
	char *m = json_dumps(json_object_get(f.out.err.details, "missing"), JSON_COMPACT);
	assert_string_equal(m, "[\"interim_provider\"]");
	free(m);
	sign_with_plan(&f, "{\"interim_provider\": 0, \"handover_days\": -1, \"contacts\": []}");
	expect_err(&f, 422, "rule_violation", "takeover_plan");
	m = json_dumps(json_object_get(f.out.err.details, "missing"), JSON_COMPACT);
	assert_string_equal(m, "[\"interim_provider\",\"handover_days\",\"contacts\"]");
	free(m);
	sign_with_plan(&f, "{\"interim_provider\": \"outsourced\", \"handover_days\": 1.5,"
	    " \"contacts\": [\"\", 3]}");
	m = json_dumps(json_object_get(f.out.err.details, "missing"), JSON_COMPACT);
	assert_string_equal(m, "[\"interim_provider\",\"handover_days\",\"contacts\"]");
	free(m);
	sign_with_plan(&f, "{\"interim_provider\": \"in_house\", \"handover_days\": 2,"
	    " \"contacts\": [{\"name\": \"Li\", \"phone\": \"138\"}, 5]}");
	expect_err(&f, 422, "rule_violation", "takeover_plan");

	/* Amount against the budget (1,000,000 fen). */
	fx_payload(&f, "{\"contract_no\": \"HT-1\", \"amount_fen\": 1000000, \"takeover_plan\":"
	    " {\"interim_provider\": \"in_house\", \"handover_days\": 2, \"contacts\": [\"x\"]}}");
	fx_decide(&f, EV_SIGN_CONTRACT);
	expect_ok(&f, ST_CONTRACTED);
	fx_payload(&f, "{\"contract_no\": \"HT-1\", \"amount_fen\": 1000001, \"takeover_plan\":"
	    " {\"interim_provider\": \"in_house\", \"handover_days\": 2, \"contacts\": [\"x\"]}}");
	fx_decide(&f, EV_SIGN_CONTRACT);
	expect_err(&f, 422, "rule_violation", "contract_over_budget");
	assert_int_equal(detail_int(&f, "amount_fen"), 1000001);
	assert_int_equal(detail_int(&f, "budget_fen"), 1000000);
	fx_payload(&f, "{\"contract_no\": \"HT-1\", \"amount_fen\": 0, \"takeover_plan\":"
	    " {\"interim_provider\": \"in_house\", \"handover_days\": 2, \"contacts\": [\"x\"]}}");
	fx_decide(&f, EV_SIGN_CONTRACT);
	expect_err(&f, 422, "rule_violation", "contract_over_budget");

	/* A contractor banned since the award. */
	fx_payload(&f, good_payload(EV_SIGN_CONTRACT));
	f.l.contractor_banned = true;
	fx_decide(&f, EV_SIGN_CONTRACT);
	expect_err(&f, 422, "rule_violation", "contractor_banned");
	f.l.contractor_banned = false;

	/* A blank contract number. */
	fx_payload(&f, "{\"contract_no\": \"  \", \"amount_fen\": 1, \"takeover_plan\": {}}");
	fx_decide(&f, EV_SIGN_CONTRACT);
	expect_err(&f, 422, "rule_violation", "payload_required");
	assert_string_equal(detail_str(&f, "field"), "contract_no");
	fx_free(&f);
}

static void
test_later_guards(void **state)
{
	struct fx f;
	(void)state;

	/* Rectification must be due in the future. */
	fx_init(&f, ST_ACCEPTANCE, EV_REJECT_ACCEPTANCE, ROLE_REVIEWER);
	fx_decide(&f, EV_REJECT_ACCEPTANCE);
	expect_ok(&f, ST_IN_SERVICE);
	assert_time(f.out.due, "2026-03-20T17:00:00+08:00");
	fx_payload(&f, "{\"reason\": \"r\", \"rectify_by\": \"" NOW "\"}");
	fx_decide(&f, EV_REJECT_ACCEPTANCE);
	expect_err(&f, 422, "rule_violation", "rectify_by_past");
	fx_payload(&f, "{\"reason\": \"r\", \"rectify_by\": \"2026-03-02T02:00:01Z\"}");
	fx_decide(&f, EV_REJECT_ACCEPTANCE);
	expect_ok(&f, ST_IN_SERVICE);
	assert_true(f.out.due == T(NOW) + USEC_PER_SEC);
	fx_free(&f);

	/* Payment up to the contract amount (900,000 fen). */
	fx_init(&f, ST_PAYMENT, EV_CONFIRM_PAYMENT, ROLE_FINANCE);
	fx_decide(&f, EV_CONFIRM_PAYMENT);
	expect_ok(&f, ST_YEAR_END_REVIEW);
	fx_payload(&f, "{\"voucher_no\": \"GK-1\", \"amount_fen\": 900001}");
	fx_decide(&f, EV_CONFIRM_PAYMENT);
	expect_err(&f, 422, "rule_violation", "payment_over_contract");
	assert_int_equal(detail_int(&f, "contract_amount_fen"), 900000);
	fx_payload(&f, "{\"voucher_no\": \"GK-1\", \"amount_fen\": 0}");
	fx_decide(&f, EV_CONFIRM_PAYMENT);
	expect_err(&f, 422, "rule_violation", "payment_over_contract");
	fx_payload(&f, "{\"voucher_no\": \"\", \"amount_fen\": 1}");
	fx_decide(&f, EV_CONFIRM_PAYMENT);
	expect_err(&f, 422, "rule_violation", "payload_required");
	fx_free(&f);

	/* The composite: (80×30 + 90×40 + 70×30) / 100 = 81. */
	decide1(&f, ST_YEAR_END_REVIEW, EV_EVALUATE, ROLE_REVIEWER, NULL);
	expect_ok(&f, ST_CLOSED);
	assert_true(f.out.composite == 81);
	fx_free(&f);
	decide1(&f, ST_YEAR_END_REVIEW, EV_EVALUATE, ROLE_REVIEWER,
	    "{\"purchaser_score\": 80.5, \"recipient_satisfaction\": 100,"
	    " \"third_party_score\": 101}");
	expect_err(&f, 422, "rule_violation", "evaluation_score");
	assert_string_equal(detail_str(&f, "field"), "third_party_score");
	assert_true(f.out.composite == 0);
	fx_free(&f);

	/* The takeover ends only with a successor. */
	fx_init(&f, ST_TAKEOVER, EV_COMPLETE_TAKEOVER, ROLE_OFFICER);
	f.p.successor_id = 0;
	fx_decide(&f, EV_COMPLETE_TAKEOVER);
	expect_err(&f, 422, "rule_violation", "successor_missing");
	f.p.successor_id = 43;
	fx_decide(&f, EV_COMPLETE_TAKEOVER);
	expect_ok(&f, ST_TERMINATED);
	fx_free(&f);
}

/* --- docs/lifecycle.md ------------------------------------------------------ */

static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	long n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		free(buf);
		fclose(fp);
		return NULL;
	}
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* "| from | event | to | roles |" as docs/lifecycle.md writes a row. */
static void
row_line(const struct lc_transition *t, char *buf, size_t len)
{
	char to[64], roles[128] = "";

	if (t->to < 0)
		snprintf(to, sizeof to, "same");
	else if (t->alt >= 0)
		snprintf(to, sizeof to, "%s or %s", lc_state_name((enum lc_state)t->to),
		    lc_state_name((enum lc_state)t->alt));
	else
		snprintf(to, sizeof to, "%s", lc_state_name((enum lc_state)t->to));
	for (int i = 0; i < ROLE__COUNT; i++) {
		if (t->roles & (1u << i)) {
			size_t l = strlen(roles);
			snprintf(roles + l, sizeof roles - l, "%s%s", l ? ", " : "",
			    role_name(1u << i));
		}
	}
	snprintf(buf, len, "\n| %s | %s | %s | %s |\n", lc_state_name(t->from),
	    lc_event_name(t->event), to, roles);
}

static void
test_doc_matches_table(void **state)
{
	char path[1100];
	size_t n;
	const struct lc_transition *t = lifecycle_table(&n);
	(void)state;

	snprintf(path, sizeof path, "%s/docs/lifecycle.md", srcdir);
	char *doc = slurp(path);
	if (doc == NULL)
		fail_msg("cannot read %s", path);
	for (size_t i = 0; i < n; i++) {
		char line[256];
		row_line(&t[i], line, sizeof line);
		if (strstr(doc, line) == NULL) {
			line[strlen(line) - 1] = '\0';
			free(doc);
			fail_msg("docs/lifecycle.md lacks the row%s", line);
		}
	}
	/* And nothing more: every table line that starts with a state is a row. */
	size_t rows = 0;
	for (const char *p = doc; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		char first[40];
		if (sscanf(p, "| %39s |", first) == 1 && lc_state_parse(first) >= 0)
			rows++;
	}
	free(doc);
	assert_int_equal(rows, n);
}

int
main(int argc, char **argv)
{
	/* PROCURD_SRCDIR, or PROCURD_ROOT as scripts/check.sh exports it. */
	const char *env = getenv("PROCURD_SRCDIR") ? getenv("PROCURD_SRCDIR") :
	    getenv("PROCURD_ROOT");
	static const char suffix[] = "tests/unit/lifecycle_cases.txt";
	char calpath[1100];

	if (env != NULL)
		snprintf(srcdir, sizeof srcdir, "%s", env);
	if (argc > 1) {
		snprintf(cases_path, sizeof cases_path, "%s", argv[1]);
		/* The source tree is where the cases file lives. */
		size_t l = strlen(argv[1]), sl = strlen(suffix);
		if (env == NULL && l >= sl && strcmp(argv[1] + l - sl, suffix) == 0) {
			snprintf(srcdir, sizeof srcdir, "%.*s", (int)(l - sl), argv[1]);
			if (srcdir[0] == '\0')
				snprintf(srcdir, sizeof srcdir, ".");
		}
	} else {
		snprintf(cases_path, sizeof cases_path, "%s/%s", srcdir, suffix);
	}
	snprintf(calpath, sizeof calpath, "%s/data/calendar/cn.txt", srcdir);
	if (load_calendar(calpath, &cal) != 0) {
		fprintf(stderr, "cannot load %s (run from the repository root or set "
		    "PROCURD_SRCDIR)\n", calpath);
		return 1;
	}
	rules_config_defaults(&rc);

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_table_shape),
		cmocka_unit_test(test_cases_file),
		cmocka_unit_test(test_invalid_transition),
		cmocka_unit_test(test_payload_fields),
		cmocka_unit_test(test_submit),
		cmocka_unit_test(test_separation_of_duties),
		cmocka_unit_test(test_approve_budget),
		cmocka_unit_test(test_publish_window),
		cmocka_unit_test(test_retender_and_method),
		cmocka_unit_test(test_close_bidding),
		cmocka_unit_test(test_award),
		cmocka_unit_test(test_decline_award),
		cmocka_unit_test(test_challenges),
		cmocka_unit_test(test_sign_contract),
		cmocka_unit_test(test_later_guards),
		cmocka_unit_test(test_doc_matches_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
