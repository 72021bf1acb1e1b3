/* The shipped policy profiles (config/profiles) at every boundary of
 * every floor, each side of it; and a profile that is wrong refused with
 * its file and line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "profile.h"

static void
load(const char *name, struct profile *p)
{
	char path[256], err[300];
	snprintf(path, sizeof path, "config/profiles/%s.conf", name);
	if (profile_load(path, p, err, sizeof err))
		fail_msg("%s", err);
	assert_string_equal(p->name, name);
}

/* Each {count, staff}: the floor at COUNT is STAFF. */
struct point {
	int64_t count;
	int staff;
};

static void
floors(const struct profile *p, enum unit_kind k, const struct point *pts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int got = profile_staff_floor(p, k, pts[i].count);
		if (got != pts[i].staff)
			fail_msg("%s %s at %lld: %d staff, not %d", p->name, unit_kind_name(k),
			    (long long)pts[i].count, got, pts[i].staff);
	}
}

#define N(a) (sizeof (a) / sizeof (a)[0])

/* 002 §2.3: "3000 户以下…2 人，3000 户到 5000 户…4 人，5000 户到 8000 户…
 * 6 人，8000 户以上…10 人"; a count two bands name takes the higher. */
static void
test_guangdong_county(void **state)
{
	(void)state;
	struct profile p;
	load("guangdong", &p);
	static const struct point county[] = { { 0, 2 }, { 1, 2 }, { 2999, 2 }, { 3000, 4 },
		{ 3001, 4 }, { 4999, 4 }, { 5000, 6 }, { 5001, 6 }, { 7999, 6 }, { 8000, 10 },
		{ 8001, 10 }, { 1000000, 10 } };
	floors(&p, UNIT_COUNTY, county, N(county));
	floors(&p, UNIT_DISTRICT, county, N(county));	/* 县（市、区） */
	assert_string_equal(p.staffing[UNIT_COUNTY].cite, "002 §2.3");
}

/* 002 §2.3: "300 户以下…2 人，300 户到 600 户…4 人，600 户以上…6 人". */
static void
test_guangdong_township(void **state)
{
	(void)state;
	struct profile p;
	load("guangdong", &p);
	static const struct point township[] = { { 0, 2 }, { 299, 2 }, { 300, 4 }, { 301, 4 },
		{ 599, 4 }, { 600, 6 }, { 601, 6 }, { 50000, 6 } };
	floors(&p, UNIT_TOWNSHIP, township, N(township));
}

/* 002 §2.4: 80,000 yuan in the Pearl River Delta, 50,000 in the east,
 * west and north; 002 §2.2: work funds 3 % of last year's dibao. */
static void
test_guangdong_money(void **state)
{
	(void)state;
	struct profile p;
	load("guangdong", &p);
	assert_int_equal(profile_wage_floor(&p, REGION_PEARL_RIVER_DELTA), 80000);
	assert_int_equal(profile_wage_floor(&p, REGION_EAST_WEST_NORTH), 50000);
	assert_string_equal(p.wage_cite, "002 §2.4");
	assert_int_equal(p.work_funds_percent, 3);
	assert_string_equal(p.funds_cite, "002 §2.2");
}

/* 003 §4.7: a district 2, one more for every full 5,000 above 5,000
 * (超过 5000: 5,000 itself needs no more); a township one for each 1,000
 * begun, at least 1. */
static void
test_shuangyashan(void **state)
{
	(void)state;
	struct profile p;
	load("heilongjiang-shuangyashan", &p);
	static const struct point district[] = { { 0, 2 }, { 4999, 2 }, { 5000, 2 }, { 5001, 2 },
		{ 9999, 2 }, { 10000, 3 }, { 10001, 3 }, { 14999, 3 }, { 15000, 4 }, { 55000, 12 } };
	floors(&p, UNIT_DISTRICT, district, N(district));
	static const struct point township[] = { { 0, 1 }, { 1, 1 }, { 999, 1 }, { 1000, 1 },
		{ 1001, 2 }, { 1999, 2 }, { 2000, 2 }, { 2001, 3 }, { 10000, 10 } };
	floors(&p, UNIT_TOWNSHIP, township, N(township));
	/* the notice speaks of districts: no county floor */
	assert_int_equal(profile_staff_floor(&p, UNIT_COUNTY, 10000), -1);
	assert_int_equal(profile_wage_floor(&p, REGION_PEARL_RIVER_DELTA), 0);
	assert_string_equal(p.staffing[UNIT_DISTRICT].cite, "003 §4.7");
}

static void
test_national(void **state)
{
	(void)state;
	struct profile p;
	load("national", &p);
	for (int k = 0; k < UNIT__COUNT; k++)
		assert_int_equal(profile_staff_floor(&p, (enum unit_kind)k, 100000), -1);
	assert_int_equal(profile_wage_floor(&p, REGION_EAST_WEST_NORTH), 0);
}

static void
refused(const char *text, const char *want)
{
	char path[] = "/tmp/procurd-profile.XXXXXX", err[300];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct profile p;
	assert_int_equal(profile_load(path, &p, err, sizeof err), -1);
	unlink(path);
	if (strstr(err, want) == NULL)
		fail_msg("wanted \"%s\" in: %s", want, err);
}

static void
test_refused(void **state)
{
	(void)state;
	refused("[profile]\nname = x\n[staffing county]\nmeasure = households\n"
	    "bands = 0:2, 300:1\n", ":5: [staffing county] bands");	/* staff falling */
	refused("[profile]\nname = x\n[staffing county]\nmeasure = households\n"
	    "bands = 10:2\n", ":5: [staffing county] bands");	/* not from 0 */
	refused("[profile]\nname = x\n[staffing village]\nmeasure = households\n",
	    ":4: [staffing village] measure: no such unit");
	refused("[profile]\nname = x\n[wage]\nmars = 1\n", ":4: [wage] mars");
	refused("[profile]\nname = x\n[staffing township]\nmeasure = recipients\n",
	    "needs one of bands, step or per");
	refused("[profile]\nname = x\n[staffing township]\nper = 1000\n", "needs a measure");
	refused("[profile]\ntitle = x\n", "name is required");
	refused("[profile]\nname = x\n[staffing county]\nmeasure = heads\n", ":4:");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guangdong_county),
		cmocka_unit_test(test_guangdong_township),
		cmocka_unit_test(test_guangdong_money),
		cmocka_unit_test(test_shuangyashan),
		cmocka_unit_test(test_national),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
