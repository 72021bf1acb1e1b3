/* Unit tests of the procurement rules (daemon/rules.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "rules.h"

static struct rules_config rc;

static int
setup(void **state)
{
	(void)state;
	rules_config_defaults(&rc);
	return 0;
}

static json_t *
J(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
	if (v == NULL)
		fail_msg("bad JSON in test: %s", text);
	return v;
}

static json_int_t
detail_int(const struct rule_error *e, const char *key)
{
	const json_t *v = json_object_get(e->details, key);
	if (!json_is_integer(v))
		fail_msg("details.%s is not an integer", key);
	return json_integer_value(v);
}

static const char *
detail_str(const struct rule_error *e, const char *key)
{
	const char *s = json_string_value(json_object_get(e->details, key));
	if (s == NULL)
		fail_msg("details.%s is not a string", key);
	return s;
}

static void
test_names(void **state)
{
	(void)state;
	for (int i = 0; i < METHOD__COUNT; i++)
		assert_int_equal(method_parse(method_name((enum method)i)), i);
	for (int i = 0; i < FUNDING__COUNT; i++)
		assert_int_equal(funding_parse(funding_name((enum funding)i)), i);
	for (int i = 0; i < KIND__COUNT; i++)
		assert_int_equal(contractor_kind_parse(contractor_kind_name(
		    (enum contractor_kind)i)), i);
	assert_string_equal(method_name(METHOD_COMPETITIVE_NEGOTIATION), "competitive_negotiation");
	assert_string_equal(method_name(METHOD_SINGLE_SOURCE), "single_source");
	assert_string_equal(funding_name(FUNDING_SPECIAL), "special_funds");
	assert_string_equal(funding_name(FUNDING_LOTTERY), "lottery_funds");
	assert_string_equal(contractor_kind_name(KIND_PUBLIC_INSTITUTION), "public_institution");
	assert_string_equal(qual_flag_name(QUAL_INDEPENDENT_LIABILITY), "independent_liability");
	assert_string_equal(qual_flag_name(QUAL_FINANCIAL_MANAGEMENT), "financial_management");
	assert_int_equal(method_parse("auction"), -1);
	assert_int_equal(method_parse(NULL), -1);
	assert_int_equal(funding_parse("Special_funds"), -1);
	assert_int_equal(contractor_kind_parse(""), -1);
}

static void
test_defaults(void **state)
{
	(void)state;
	assert_int_equal(rc.bid_window[METHOD_PUBLIC_TENDER].n, 20);
	assert_int_equal(rc.bid_window[METHOD_PUBLIC_TENDER].unit, UNIT_CALENDAR_DAYS);
	assert_int_equal(rc.bid_window[METHOD_INVITED_TENDER].n, 20);
	assert_int_equal(rc.bid_window[METHOD_COMPETITIVE_CONSULTATION].n, 10);
	assert_int_equal(rc.bid_window[METHOD_COMPETITIVE_CONSULTATION].unit, UNIT_CALENDAR_DAYS);
	assert_int_equal(rc.bid_window[METHOD_COMPETITIVE_NEGOTIATION].n, 3);
	assert_int_equal(rc.bid_window[METHOD_COMPETITIVE_NEGOTIATION].unit, UNIT_WORKING_DAYS);
	assert_int_equal(rc.bid_window[METHOD_SINGLE_SOURCE].n, 5);
	assert_int_equal(rc.bid_window[METHOD_SINGLE_SOURCE].unit, UNIT_WORKING_DAYS);
	for (int m = 0; m < METHOD__COUNT; m++)
		assert_int_equal(rc.min_bids[m], m == METHOD_SINGLE_SOURCE ? 1 : 3);
	assert_int_equal(rc.price_weight_min, 10);
	assert_int_equal(rc.price_weight_max, 30);
	assert_int_equal(rc.cap_bp_default, 200);
	assert_int_equal(rc.challenge_window.n, 7);
	assert_int_equal(rc.challenge_window.unit, UNIT_WORKING_DAYS);
	assert_int_equal(rc.challenge_answer.n, 7);
	assert_int_equal(rc.challenge_answer.unit, UNIT_WORKING_DAYS);
	assert_int_equal(rc.signing_window.n, 30);
	assert_int_equal(rc.signing_window.unit, UNIT_CALENDAR_DAYS);
	assert_int_equal(rc.ban_years, 3);
	assert_int_equal(rc.eval_weight_purchaser, 30);
	assert_int_equal(rc.eval_weight_recipient, 40);
	assert_int_equal(rc.eval_weight_third_party, 30);
	assert_int_equal(rc.past_performance_neutral, 60);
	assert_int_equal(rc.past_performance_years, 3);
}

/* --- the cap -------------------------------------------------------------- */

static void
test_cap(void **state)
{
	struct rule_error e = { 0 };
	(void)state;

	/* 1,000,000 yuan of special funds: 2 % is 20,000 yuan. */
	assert_true(rules_cap_fen(100000000, 200) == 2000000);
	/* Floor, never round up: 2 % of 999.99 yuan is 19.9998 yuan. */
	assert_true(rules_cap_fen(99999, 200) == 1999);
	assert_true(rules_cap_fen(0, 200) == 0);
	assert_true(rules_cap_fen(100000000, 0) == 0);
	/* No overflow at the top of int64: 200 bp is exactly 1/50. */
	assert_true(rules_cap_fen(INT64_MAX, 200) == INT64_MAX / 50);

	/* Exactly at the cap. */
	assert_int_equal(rules_check_cap(100000000, 200, 1500000, 500000, &e), 0);
	assert_null(e.details);
	/* One fen over. */
	assert_int_equal(rules_check_cap(100000000, 200, 1500000, 500001, &e), -1);
	assert_string_equal(e.rule, "special_funds_cap");
	assert_true(detail_int(&e, "special_funds_fen") == 100000000);
	assert_true(detail_int(&e, "cap_fen") == 2000000);
	assert_true(detail_int(&e, "committed_fen") == 1500000);
	assert_true(detail_int(&e, "asked_fen") == 500001);
	assert_true(detail_int(&e, "remaining_fen") == 500000);
	const json_t *pct = json_object_get(e.details, "cap_percent");
	assert_true(json_is_number(pct));
	assert_true(json_number_value(pct) == 2.0);
	assert_non_null(strstr(e.message, "2%"));
	rule_error_clear(&e);
	assert_null(e.details);
	assert_string_equal(e.rule, "");

	/* A 3.5 % cap and nothing committed. */
	assert_int_equal(rules_check_cap(100000000, 350, 0, 3500000, &e), 0);
	assert_int_equal(rules_check_cap(100000000, 350, 0, 3500001, &e), -1);
	assert_true(json_number_value(json_object_get(e.details, "cap_percent")) == 3.5);
	rule_error_clear(&e);

	/* Already over-committed: nothing remains, the figure does not go negative. */
	assert_int_equal(rules_check_cap(100000000, 200, 2500000, 1, &e), -1);
	assert_true(detail_int(&e, "remaining_fen") == 0);
	rule_error_clear(&e);

	/* committed + asked would overflow int64: still refused, no UB. */
	assert_int_equal(rules_check_cap(INT64_MAX, 10000, INT64_MAX, 1, &e), -1);
	rule_error_clear(&e);
	/* A NULL error is allowed. */
	assert_int_equal(rules_check_cap(100, 200, 0, 3, NULL), -1);
}

/* --- credit codes --------------------------------------------------------- */

static void
check_code(const char *code, int want, const char *why_want)
{
	char why[128] = "";
	assert_int_equal(rules_credit_code_check(code, why, sizeof why), want);
	if (why_want != NULL)
		assert_string_equal(why, why_want);
}

static void
test_credit_code(void **state)
{
	(void)state;
	check_code("91350100M000100Y43", 0, NULL);
	check_code("91110000600037341L", 0, NULL);
	check_code("12100000400000000W", 0, NULL);
	/* Check character 0: (31 - 0) % 31. */
	check_code("000000000000000000", 0, NULL);

	check_code("91350100M000100Y4", -1, "wrong length: 17 characters, a credit code has 18");
	check_code("91350100M000100Y433", -1,
	    "wrong length: 19 characters, a credit code has 18");
	check_code("", -1, "wrong length: 0 characters, a credit code has 18");
	check_code(NULL, -1, "wrong length: 0 characters, a credit code has 18");
	check_code("91350100I000100Y43", -1, "character 'I' at position 9 is not allowed");
	check_code("91350100M000100O43", -1, "character 'O' at position 16 is not allowed");
	check_code("91350100m000100Y43", -1, "character 'm' at position 9 is not allowed");
	check_code("9135010 M000100Y43", -1, "character ' ' at position 8 is not allowed");
	check_code("91350100M000100Y4S", -1, "character 'S' at position 18 is not allowed");
	check_code("91350100M000100Y44", -1, "wrong check character '4', expected '3'");
	check_code("91110000600037341M", -1, "wrong check character 'M', expected 'L'");
	/* Two transposed digits change the check character. */
	check_code("19350100M000100Y43", -1, NULL);
}

/* --- bans ----------------------------------------------------------------- */

static void
test_bans(void **state)
{
	int32_t today = days_from_civil(2026, 3, 2);
	(void)state;

	assert_int_equal(rules_ban_end(days_from_civil(2026, 3, 1), 3), days_from_civil(2029, 3, 1));
	assert_int_equal(rules_ban_end(days_from_civil(2024, 2, 29), 3), days_from_civil(2027, 3, 1));
	assert_int_equal(rules_ban_end(days_from_civil(2024, 2, 29), 4), days_from_civil(2028, 2, 29));
	assert_int_equal(rules_ban_end(days_from_civil(2025, 12, 31), 1), days_from_civil(2026, 12, 31));

	/* A ban that ended yesterday, ends today, ends tomorrow. */
	int32_t start = days_from_civil(2023, 3, 2);
	assert_false(rules_banned_on(start, today - 1, today));
	assert_false(rules_banned_on(start, today, today));
	assert_true(rules_banned_on(start, today + 1, today));
	/* A ban that started yesterday, starts today, starts tomorrow. */
	int32_t end = rules_ban_end(today, 3);
	assert_true(rules_banned_on(today - 1, end, today));
	assert_true(rules_banned_on(today, end, today));
	assert_false(rules_banned_on(today + 1, end, today));
}

/* --- criteria ------------------------------------------------------------- */

static void
criteria_fail(const char *text, const char *rule)
{
	struct criterion c[CRITERIA_MAX];
	size_t n = 99;
	struct rule_error e = { 0 };
	json_t *a = J(text);

	if (rules_parse_criteria(&rc, a, c, &n, &e) != -1)
		fail_msg("accepted %s", text);
	if (strcmp(e.rule, rule) != 0)
		fail_msg("%s: rule %s, wanted %s (%s)", text, e.rule, rule, e.message);
	assert_int_equal(n, 0);
	rule_error_clear(&e);
	json_decref(a);
}

static void
test_criteria(void **state)
{
	struct criterion c[CRITERIA_MAX];
	size_t n = 0;
	struct rule_error e = { 0 };
	(void)state;

	json_t *a = J("[{\"name\":\"service_plan\",\"kind\":\"quality\",\"weight\":50},"
	    "{\"name\":\"past_performance\",\"kind\":\"quality\",\"weight\":20},"
	    "{\"name\":\"price\",\"kind\":\"price\",\"weight\":30}]");
	assert_int_equal(rules_parse_criteria(&rc, a, c, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_string_equal(c[0].name, "service_plan");
	assert_int_equal(c[0].kind, CRIT_QUALITY);
	assert_int_equal(c[0].weight, 50);
	assert_string_equal(c[2].name, "price");
	assert_int_equal(c[2].kind, CRIT_PRICE);
	assert_int_equal(c[2].weight, 30);
	json_decref(a);

	/* The price weight at both ends of 10..30. */
	a = J("[{\"name\":\"q\",\"kind\":\"quality\",\"weight\":90},"
	    "{\"name\":\"p\",\"kind\":\"price\",\"weight\":10}]");
	assert_int_equal(rules_parse_criteria(&rc, a, c, &n, &e), 0);
	json_decref(a);

	criteria_fail("{}", "criteria_malformed");
	criteria_fail("[1]", "criteria_malformed");
	criteria_fail("[{\"name\":\"q\",\"kind\":\"quality\"}]", "criteria_malformed");
	criteria_fail("[{\"name\":\"q\",\"kind\":\"quality\",\"weight\":80,\"x\":1},"
	    "{\"name\":\"p\",\"kind\":\"price\",\"weight\":20}]", "criteria_malformed");
	criteria_fail("[{\"name\":\"\",\"kind\":\"quality\",\"weight\":80},"
	    "{\"name\":\"p\",\"kind\":\"price\",\"weight\":20}]", "criteria_malformed");
	criteria_fail("[{\"name\":\"0123456789012345678901234567890123456789012345678901234567890123\","
	    "\"kind\":\"quality\",\"weight\":80},{\"name\":\"p\",\"kind\":\"price\",\"weight\":20}]",
	    "criteria_malformed");
	criteria_fail("[{\"name\":5,\"kind\":\"quality\",\"weight\":80},"
	    "{\"name\":\"p\",\"kind\":\"price\",\"weight\":20}]", "criteria_malformed");
	criteria_fail("[{\"name\":\"q\",\"kind\":\"looks\",\"weight\":80},"
	    "{\"name\":\"p\",\"kind\":\"price\",\"weight\":20}]", "criteria_malformed");
	criteria_fail("[{\"name\":\"q\",\"kind\":\"quality\",\"weight\":0},"
	    "{\"name\":\"p\",\"kind\":\"price\",\"weight\":20}]", "criteria_malformed");
	criteria_fail("[{\"name\":\"q\",\"kind\":\"quality\",\"weight\":79.5},"
	    "{\"name\":\"p\",\"kind\":\"price\",\"weight\":20.5}]", "criteria_malformed");
	criteria_fail("[{\"name\":\"q\",\"kind\":\"quality\",\"weight\":\"80\"},"
	    "{\"name\":\"p\",\"kind\":\"price\",\"weight\":20}]", "criteria_malformed");
	criteria_fail("[{\"name\":\"q\",\"kind\":\"quality\",\"weight\":40},"
	    "{\"name\":\"q\",\"kind\":\"quality\",\"weight\":40},"
	    "{\"name\":\"p\",\"kind\":\"price\",\"weight\":20}]", "criteria_duplicate");
	criteria_fail("[{\"name\":\"q\",\"kind\":\"quality\",\"weight\":100}]",
	    "criteria_price_count");
	criteria_fail("[]", "criteria_price_count");
	criteria_fail("[{\"name\":\"q\",\"kind\":\"quality\",\"weight\":60},"
	    "{\"name\":\"p1\",\"kind\":\"price\",\"weight\":20},"
	    "{\"name\":\"p2\",\"kind\":\"price\",\"weight\":20}]", "criteria_price_count");

	/* The figures in the details. */
	a = J("[{\"name\":\"q\",\"kind\":\"quality\",\"weight\":70},"
	    "{\"name\":\"p\",\"kind\":\"price\",\"weight\":20}]");
	assert_int_equal(rules_parse_criteria(&rc, a, c, &n, &e), -1);
	assert_string_equal(e.rule, "criteria_weights");
	assert_int_equal(detail_int(&e, "sum"), 90);
	rule_error_clear(&e);
	json_decref(a);
	a = J("[{\"name\":\"q\",\"kind\":\"quality\",\"weight\":65},"
	    "{\"name\":\"p\",\"kind\":\"price\",\"weight\":35}]");
	assert_int_equal(rules_parse_criteria(&rc, a, c, &n, &e), -1);
	assert_string_equal(e.rule, "price_weight_range");
	assert_int_equal(detail_int(&e, "price_weight"), 35);
	assert_int_equal(detail_int(&e, "min"), 10);
	assert_int_equal(detail_int(&e, "max"), 30);
	rule_error_clear(&e);
	json_decref(a);
	a = J("[{\"name\":\"q\",\"kind\":\"quality\",\"weight\":91},"
	    "{\"name\":\"p\",\"kind\":\"price\",\"weight\":9}]");
	assert_int_equal(rules_parse_criteria(&rc, a, c, &n, &e), -1);
	assert_string_equal(e.rule, "price_weight_range");
	assert_int_equal(detail_int(&e, "price_weight"), 9);
	rule_error_clear(&e);
	json_decref(a);
	a = J("[{\"name\":\"q\",\"kind\":\"quality\",\"weight\":40},"
	    "{\"name\":\"q\",\"kind\":\"quality\",\"weight\":40},"
	    "{\"name\":\"p\",\"kind\":\"price\",\"weight\":20}]");
	assert_int_equal(rules_parse_criteria(&rc, a, c, &n, &e), -1);
	assert_string_equal(detail_str(&e, "name"), "q");
	rule_error_clear(&e);
	json_decref(a);
}

static const struct criterion crit3[] = {
	{ "service_plan", CRIT_QUALITY, 50 },
	{ "staff", CRIT_QUALITY, 20 },
	{ "past_performance", CRIT_QUALITY, 10 },
	{ "price", CRIT_PRICE, 20 },
};

static void
sheet_fail(const char *text, const char *criterion)
{
	struct rule_error e = { 0 };
	double sum = -1;
	json_t *s = J(text);

	if (rules_check_sheet(crit3, 4, s, &sum, &e) != -1)
		fail_msg("accepted %s", text);
	assert_string_equal(e.rule, "score_sheet");
	if (criterion != NULL)
		assert_string_equal(detail_str(&e, "criterion"), criterion);
	rule_error_clear(&e);
	json_decref(s);
}

static void
test_sheet(void **state)
{
	struct rule_error e = { 0 };
	double sum = 0;
	(void)state;

	json_t *s = J("{\"service_plan\": 42.5, \"staff\": 20}");
	assert_int_equal(rules_check_sheet(crit3, 4, s, &sum, &e), 0);
	assert_true(sum == 62.5);
	json_decref(s);
	s = J("{\"service_plan\": 0, \"staff\": 0}");
	assert_int_equal(rules_check_sheet(crit3, 4, s, &sum, &e), 0);
	assert_true(sum == 0);
	json_decref(s);

	sheet_fail("[]", NULL);
	sheet_fail("{\"service_plan\": 40}", "staff");
	sheet_fail("{\"service_plan\": 50.5, \"staff\": 20}", "service_plan");
	sheet_fail("{\"service_plan\": 40, \"staff\": -1}", "staff");
	sheet_fail("{\"service_plan\": \"40\", \"staff\": 10}", "service_plan");
	sheet_fail("{\"service_plan\": 40, \"staff\": 10, \"price\": 20}", "price");
	sheet_fail("{\"service_plan\": 40, \"staff\": 10, \"past_performance\": 5}",
	    "past_performance");
	sheet_fail("{\"service_plan\": 40, \"staff\": 10, \"charm\": 5}", "charm");
}

/* --- ranking -------------------------------------------------------------- */

static const struct criterion crit_q80[] = {
	{ "service_plan", CRIT_QUALITY, 80 },
	{ "price", CRIT_PRICE, 20 },
};

static struct rank_bid
bid(int64_t id, int64_t price, int sheets, double mean, double past)
{
	return (struct rank_bid){ .bid_id = id, .contractor_id = id + 1000, .price_fen = price,
		.eligible = true, .n_sheets = sheets, .sheet_quality_sum = mean * sheets,
		.past_composite = past };
}

static void
test_rank_price_formula(void **state)
{
	struct rank_bid b[3];
	(void)state;

	/* Quality first: 70 points at 1,000 yuan beat 60 points at 800 yuan. */
	b[0] = bid(1, 80000, 3, 60, -1);
	b[1] = bid(2, 100000, 3, 70, -1);
	b[2] = bid(3, 120000, 2, 50, -1);
	rules_rank(&rc, crit_q80, 2, b, 3);
	assert_int_equal(b[0].bid_id, 2);
	assert_int_equal(b[0].rank, 1);
	assert_true(b[0].quality_score == 70);
	assert_true(b[0].price_score == 16);	/* 80000 / 100000 × 20 */
	assert_true(b[0].total == 86);
	assert_int_equal(b[1].bid_id, 1);
	assert_int_equal(b[1].rank, 2);
	assert_true(b[1].price_score == 20);	/* the lowest price scores the full weight */
	assert_true(b[1].total == 80);
	assert_int_equal(b[2].bid_id, 3);
	assert_int_equal(b[2].rank, 3);
	assert_true(b[2].price_score == 13.33);	/* 80000 / 120000 × 20 = 13.333… */
	assert_true(b[2].total == 63.33);
	/* No past_performance criterion: no past points. */
	assert_true(b[0].past_points == 0);
	assert_false(b[0].past_neutral);
}

static void
test_rank_ties(void **state)
{
	struct rank_bid b[4];
	(void)state;

	/* Equal totals (86): the higher quality wins. */
	b[0] = bid(1, 80000, 1, 66, -1);	/* 66 + 20 = 86 */
	b[1] = bid(2, 100000, 1, 70, -1);	/* 70 + 16 = 86 */
	rules_rank(&rc, crit_q80, 2, b, 2);
	assert_true(b[0].total == b[1].total);
	assert_int_equal(b[0].bid_id, 2);
	assert_int_equal(b[1].bid_id, 1);

	/* Everything equal: the lower bid id. */
	b[0] = bid(9, 100000, 2, 70, -1);
	b[1] = bid(3, 100000, 2, 70, -1);
	b[2] = bid(5, 100000, 2, 70, -1);
	rules_rank(&rc, crit_q80, 2, b, 3);
	assert_int_equal(b[0].bid_id, 3);
	assert_int_equal(b[1].bid_id, 5);
	assert_int_equal(b[2].bid_id, 9);
	assert_int_equal(b[2].rank, 3);

	/* Ranking is on unrounded scores: 70.004 vs 70.001 both show 70.00
	 * but keep their order, whatever the input order. */
	b[0] = bid(1, 100000, 1, 70.001, -1);
	b[1] = bid(2, 100000, 1, 70.004, -1);
	rules_rank(&rc, crit_q80, 2, b, 2);
	assert_int_equal(b[0].bid_id, 2);
	assert_true(b[0].quality_score == 70.0 && b[1].quality_score == 70.0);

	/* Ineligible bids come last with rank 0, in their original order. */
	b[0] = bid(1, 50000, 3, 80, -1);
	b[0].eligible = false;
	b[1] = bid(2, 100000, 3, 60, -1);
	b[2] = bid(3, 90000, 3, 10, -1);
	b[2].eligible = false;
	b[3] = bid(4, 110000, 3, 70, -1);
	rules_rank(&rc, crit_q80, 2, b, 4);
	assert_int_equal(b[0].bid_id, 4);
	assert_int_equal(b[0].rank, 1);
	assert_int_equal(b[1].bid_id, 2);
	assert_int_equal(b[1].rank, 2);
	/* The lowest price is the lowest eligible one (100000). */
	assert_true(b[1].price_score == 20);
	assert_int_equal(b[2].bid_id, 1);
	assert_int_equal(b[2].rank, 0);
	assert_int_equal(b[3].bid_id, 3);
	assert_int_equal(b[3].rank, 0);
	assert_true(b[3].total == 0);
}

static void
test_rank_past_performance(void **state)
{
	static const struct criterion crit[] = {
		{ "service_plan", CRIT_QUALITY, 60 },
		{ "past_performance", CRIT_QUALITY, 20 },
		{ "price", CRIT_PRICE, 20 },
	};
	struct rank_bid b[3];
	(void)state;

	b[0] = bid(1, 100000, 3, 50, -1);	/* neutral 60 → 12 points */
	b[1] = bid(2, 100000, 3, 50, 90);	/* 90 → 18 points */
	b[2] = bid(3, 100000, 0, 0, 85.555);	/* no sheets: past points only */
	rules_rank(&rc, crit, 3, b, 3);
	assert_int_equal(b[0].bid_id, 2);
	assert_true(b[0].past_points == 18);
	assert_false(b[0].past_neutral);
	assert_true(b[0].quality_score == 68);
	assert_true(b[0].total == 88);
	assert_int_equal(b[1].bid_id, 1);
	assert_true(b[1].past_points == 12);
	assert_true(b[1].past_neutral);
	assert_true(b[1].quality_score == 62);
	assert_int_equal(b[2].bid_id, 3);
	assert_true(b[2].past_points == 17.11);	/* 20 × 85.555 / 100 = 17.111 */
	assert_true(b[2].quality_score == 17.11);
	assert_true(b[2].total == 37.11);

	/* A past composite of exactly 0 is history, not absence. */
	b[0] = bid(1, 100000, 1, 50, 0);
	rules_rank(&rc, crit, 3, b, 1);
	assert_true(b[0].past_points == 0);
	assert_false(b[0].past_neutral);
}

static void
test_rank_rounding(void **state)
{
	struct rank_bid b[1];
	(void)state;

	/* Mean of 200 over 3 sheets = 66.666…: shown as 66.67. */
	b[0] = bid(1, 100000, 3, 0, -1);
	b[0].sheet_quality_sum = 200;
	rules_rank(&rc, crit_q80, 2, b, 1);
	assert_true(b[0].quality_score == 66.67);
	assert_true(b[0].total == 86.67);
	/* Half away from zero: 80.125 → 80.13. */
	b[0] = bid(1, 100000, 8, 0, -1);
	b[0].sheet_quality_sum = 641;	/* 80.125 */
	rules_rank(&rc, crit_q80, 2, b, 1);
	assert_true(b[0].quality_score == 80.13);
}

/* --- evaluation ----------------------------------------------------------- */

static void
test_composite(void **state)
{
	struct rule_error e = { 0 };
	double c = -1;
	(void)state;

	assert_int_equal(rules_composite(&rc, 80, 90, 70, &c, &e), 0);
	assert_true(c == 81);
	/* (85.5×30 + 92.25×40 + 77.125×30) / 100 = 85.6875 → 85.69 */
	assert_int_equal(rules_composite(&rc, 85.5, 92.25, 77.125, &c, &e), 0);
	assert_true(c == 85.69);
	assert_int_equal(rules_composite(&rc, 0, 0, 0, &c, &e), 0);
	assert_true(c == 0);
	assert_int_equal(rules_composite(&rc, 100, 100, 100, &c, &e), 0);
	assert_true(c == 100);
	/* The recipients weigh most: the same scores in other places differ. */
	double a, b;
	assert_int_equal(rules_composite(&rc, 100, 0, 0, &a, &e), 0);
	assert_int_equal(rules_composite(&rc, 0, 100, 0, &b, &e), 0);
	assert_true(a == 30 && b == 40);

	assert_int_equal(rules_composite(&rc, 80, 100.5, 70, &c, &e), -1);
	assert_string_equal(e.rule, "evaluation_score");
	assert_string_equal(detail_str(&e, "field"), "recipient_satisfaction");
	rule_error_clear(&e);
	assert_int_equal(rules_composite(&rc, -0.1, 50, 70, &c, &e), -1);
	assert_string_equal(detail_str(&e, "field"), "purchaser_score");
	rule_error_clear(&e);
	assert_int_equal(rules_composite(&rc, 50, 50, 101, &c, &e), -1);
	assert_string_equal(detail_str(&e, "field"), "third_party_score");
	rule_error_clear(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_credit_code),
		cmocka_unit_test(test_bans),
		cmocka_unit_test(test_criteria),
		cmocka_unit_test(test_sheet),
		cmocka_unit_test(test_rank_price_formula),
		cmocka_unit_test(test_rank_ties),
		cmocka_unit_test(test_rank_past_performance),
		cmocka_unit_test(test_rank_rounding),
		cmocka_unit_test(test_composite),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
