/* Reports as CSV (csv.c), and positions against their floors (staffing.c):
 * what a spreadsheet reads, and each refusal's rule and figures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "csv.h"
#include "staffing.h"

static void
test_csv_fields(void **state)
{
	(void)state;
	static const char *const cols[] = { "name", "n", "paid_fen", "ok", "gone" };
	json_t *items = json_pack("[{s:s,s:i,s:I,s:b},{s:s,s:i,s:I,s:b,s:n}]",
	    "name", "乐从镇, \"东\"", "n", 3, "paid_fen", (json_int_t)123456, "ok", 1,
	    "name", "=HYPERLINK(\"x\")", "n", -1, "paid_fen", (json_int_t)-5, "ok", 0, "gone");
	char *s = csv_render(items, cols, 5);
	assert_string_equal(s,
	    "\xEF\xBB\xBF" "name,n,paid_yuan,ok,gone\r\n"
	    "\"乐从镇, \"\"东\"\"\",3,1234.56,true,\r\n"
	    "\"'=HYPERLINK(\"\"x\"\")\",-1,-0.05,false,\r\n");
	free(s);
	json_decref(items);
	/* no rows: the header alone */
	items = json_array();
	s = csv_render(items, cols, 1);
	assert_string_equal(s, "\xEF\xBB\xBF" "name\r\n");
	free(s);
	json_decref(items);
}

static struct profile_set set;

static struct position
pos(const char *profile, int township, int count, int64_t wage, int64_t hh, int64_t rec,
    int staffed, int region)
{
	struct position p = { .township = township, .count = count, .annual_wage_fen = wage,
		.households = hh, .recipients = rec, .staffed = staffed, .region = region };
	snprintf(p.unit, sizeof p.unit, "U");
	snprintf(p.profile, sizeof p.profile, "%s", profile);
	return p;
}

static const char *
check(struct position p)
{
	static struct rule_error e;
	rule_error_clear(&e);
	memset(&e, 0, sizeof e);
	return staffing_check(&set, &p, 1, &e) ? e.rule : "";
}

static void
test_staffing(void **state)
{
	(void)state;
	/* Guangdong county: 2,999 households 2, 3,000 need 4; staffed count */
	assert_string_equal(check(pos("guangdong", 0, 2, 8000000, 2999, -1, 0, 0)), "");
	assert_string_equal(check(pos("guangdong", 0, 3, 8000000, 3000, -1, 0, 0)), "staffing_floor");
	assert_string_equal(check(pos("guangdong", 0, 1, 8000000, 3000, -1, 3, 0)), "");
	/* measured by households: recipients alone do not do */
	assert_string_equal(check(pos("guangdong", 1, 9, 8000000, -1, 500, 0, 0)),
	    "staffing_count_missing");
	/* wage floors by region; no region, no decision */
	assert_string_equal(check(pos("guangdong", 1, 2, 7999999, 10, -1, 0, 0)), "wage_floor");
	assert_string_equal(check(pos("guangdong", 1, 2, 5000000, 10, -1, 0, 1)), "");
	assert_string_equal(check(pos("guangdong", 1, 2, 4999999, 10, -1, 0, 1)), "wage_floor");
	assert_string_equal(check(pos("guangdong", 1, 2, 9000000, 10, -1, 0, -1)),
	    "wage_region_missing");
	/* Shuangyashan: a county-level unit follows the district rule */
	assert_string_equal(check(pos("heilongjiang-shuangyashan", 0, 2, 1, -1, 10000, 0, -1)),
	    "staffing_floor");
	assert_string_equal(check(pos("heilongjiang-shuangyashan", 0, 3, 1, -1, 10000, 0, -1)), "");
	assert_string_equal(check(pos("heilongjiang-shuangyashan", 1, 1, 1, -1, 1001, 0, -1)),
	    "staffing_floor");
	/* the national profile sets no floor */
	assert_string_equal(check(pos("national", 0, 1, 1, -1, -1, 0, -1)), "");
	/* the figures of a refusal */
	struct position p = pos("guangdong", 0, 5, 8000000, 8000, -1, 1, 0);
	struct rule_error e = { 0 };
	assert_int_equal(staffing_check(&set, &p, 1, &e), -1);
	assert_int_equal(json_integer_value(json_object_get(e.details, "required")), 10);
	assert_int_equal(json_integer_value(json_object_get(e.details, "planned")), 5);
	assert_int_equal(json_integer_value(json_object_get(e.details, "staffed")), 1);
	assert_int_equal(json_integer_value(json_object_get(e.details, "shortfall")), 4);
	assert_string_equal(json_string_value(json_object_get(e.details, "cite")), "002 §2.3");
	rule_error_clear(&e);
}

int
main(void)
{
	char err[256];
	const char *root = getenv("PROCURD_ROOT");
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/config/profiles", root ? root : ".");
	if (profile_set_load(dir, &set, err, sizeof err)) {
		fprintf(stderr, "test_reports: %s\n", err);
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_fields),
		cmocka_unit_test(test_staffing),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	profile_set_free(&set);
	return rc;
}
