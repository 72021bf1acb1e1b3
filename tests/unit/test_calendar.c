/* Unit tests of the working-day calendar and legal periods (daemon/calendar.c),
 * against the shipped data/calendar/cn.txt. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "calendar.h"

#define MAX_DAYS 256

static int32_t rest_days[MAX_DAYS], work_days[MAX_DAYS];
static int years[16];
static struct calendar cal;

/* Load data/calendar/cn.txt (the format the store loads), insisting on
 * ascending order so the data file stays sorted. */
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
		if (hash != NULL)
			*hash = '\0';
		if (sscanf(line, "%7s %15s", kw, val) != 2)
			continue;
		int32_t d;
		if (strcmp(kw, "year") == 0 && ny < 16) {
			years[ny++] = atoi(val);
		} else if (strcmp(kw, "rest") == 0 && nr < MAX_DAYS && date_parse(val, &d) == 0 &&
		    (nr == 0 || rest_days[nr - 1] < d)) {
			rest_days[nr++] = d;
		} else if (strcmp(kw, "work") == 0 && nw < MAX_DAYS && date_parse(val, &d) == 0 &&
		    (nw == 0 || work_days[nw - 1] < d)) {
			work_days[nw++] = d;
		} else {
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	*c = (struct calendar){ 28800, rest_days, nr, work_days, nw, years, ny };
	return 0;
}

static int32_t
D(int y, int m, int d)
{
	return days_from_civil(y, m, d);
}

static usec_t
T(const char *s)
{
	usec_t t;
	if (time_parse(s, &t) != 0)
		fail_msg("bad time %s", s);
	return t;
}

static void
assert_time(usec_t got, const char *want)
{
	char buf[48];
	time_format(got, 28800, buf, sizeof buf);
	assert_string_equal(buf, want);
}

static void
test_data_file(void **state)
{
	(void)state;
	assert_int_equal(cal.n_years, 2);
	assert_int_equal(years[0], 2025);
	assert_int_equal(years[1], 2026);
	/* 2025: 1+8+3+5+3+8 = 28 days; 2026: 3+9+3+5+3+3+7 = 33 days. */
	assert_int_equal(cal.n_rest, 61);
	/* 调休 days: 2025: 2+1+2 = 5; 2026: 1+2+1+2 = 6. */
	assert_int_equal(cal.n_work, 11);
	assert_true(calendar_covers(&cal, 2025));
	assert_true(calendar_covers(&cal, 2026));
	assert_false(calendar_covers(&cal, 2024));
	assert_false(calendar_covers(&cal, 2027));
}

static void
test_period_parse(void **state)
{
	struct period p;
	char buf[32];
	(void)state;

	assert_int_equal(period_parse("20 calendar_days", &p), 0);
	assert_int_equal(p.n, 20);
	assert_int_equal(p.unit, UNIT_CALENDAR_DAYS);
	assert_int_equal(period_parse("3 working_days", &p), 0);
	assert_int_equal(p.n, 3);
	assert_int_equal(p.unit, UNIT_WORKING_DAYS);
	assert_int_equal(period_parse("20d", &p), 0);
	assert_int_equal(p.n, 20);
	assert_int_equal(p.unit, UNIT_CALENDAR_DAYS);
	assert_int_equal(period_parse("3wd", &p), 0);
	assert_int_equal(p.n, 3);
	assert_int_equal(p.unit, UNIT_WORKING_DAYS);
	assert_int_equal(period_parse("0d", &p), 0);
	assert_int_equal(p.n, 0);
	assert_int_equal(period_parse(" 7  working_days ", &p), 0);
	assert_int_equal(p.n, 7);

	const char *bad[] = { "", "d", "-1d", "20", "20 days", "20 calendar_day", "3wdx",
		"3 w", "1.5d", "20 calendar_days x", "99999999999d", NULL };
	for (int i = 0; bad[i] != NULL; i++)
		assert_int_equal(period_parse(bad[i], &p), -1);
	assert_int_equal(period_parse(NULL, &p), -1);

	assert_string_equal(period_format((struct period){ 20, UNIT_CALENDAR_DAYS }, buf,
	    sizeof buf), "20 calendar_days");
	assert_string_equal(period_format((struct period){ 3, UNIT_WORKING_DAYS }, buf,
	    sizeof buf), "3 working_days");
}

static void
test_local_day(void **state)
{
	(void)state;
	/* 16:00 UTC is midnight in Beijing. */
	assert_int_equal(calendar_local_day(&cal, T("2026-02-14T15:59:59Z")), D(2026, 2, 14));
	assert_int_equal(calendar_local_day(&cal, T("2026-02-14T16:00:00Z")), D(2026, 2, 15));
	assert_int_equal(calendar_local_day(&cal, T("2026-02-15T00:00:00+08:00")), D(2026, 2, 15));
	assert_true(calendar_day_start(&cal, D(2026, 2, 15)) == T("2026-02-14T16:00:00Z"));
	/* Before the epoch the division must floor. */
	assert_int_equal(calendar_local_day(&cal, T("1969-12-31T15:59:59Z")), -1);
	assert_int_equal(calendar_local_day(&cal, T("1969-12-31T16:00:00Z")), 0);
}

static void
test_working_days(void **state)
{
	int u = 0;
	(void)state;

	assert_true(calendar_is_working_day(&cal, D(2026, 2, 13), &u));	/* Fri */
	assert_true(calendar_is_working_day(&cal, D(2026, 2, 14), &u));	/* Sat, 调休 */
	assert_false(calendar_is_working_day(&cal, D(2026, 2, 15), &u));	/* Sun, 春节 */
	assert_false(calendar_is_working_day(&cal, D(2026, 2, 16), &u));	/* Mon, 除夕 */
	assert_false(calendar_is_working_day(&cal, D(2026, 2, 23), &u));	/* Mon, 春节 */
	assert_true(calendar_is_working_day(&cal, D(2026, 2, 24), &u));	/* Tue */
	assert_true(calendar_is_working_day(&cal, D(2026, 2, 28), &u));	/* Sat, 调休 */
	assert_false(calendar_is_working_day(&cal, D(2026, 3, 1), &u));	/* Sun */
	assert_false(calendar_is_working_day(&cal, D(2026, 3, 7), &u));	/* Sat */
	assert_true(calendar_is_working_day(&cal, D(2025, 1, 26), &u));	/* Sun, 调休 */
	assert_false(calendar_is_working_day(&cal, D(2025, 10, 8), &u));	/* Wed, 国庆 */
	assert_true(calendar_is_working_day(&cal, D(2025, 10, 11), &u));	/* Sat, 调休 */
	assert_int_equal(u, 0);

	/* 2027 is not covered: weekends only, and the year is reported. */
	assert_true(calendar_is_working_day(&cal, D(2027, 1, 1), &u));		/* Fri */
	assert_int_equal(u, 2027);
	u = 0;
	assert_false(calendar_is_working_day(&cal, D(2027, 1, 2), &u));	/* Sat */
	assert_int_equal(u, 2027);
	assert_true(calendar_is_working_day(&cal, D(2024, 12, 31), NULL));	/* Tue */
}

static void
check_due(const char *start, struct period p, const char *want, int want_rc, int want_year)
{
	usec_t due = 0;
	int year = -1;
	assert_int_equal(calendar_due(&cal, T(start), p, &due, &year), want_rc);
	assert_int_equal(year, want_year);
	assert_time(due, want);
}

static const struct period CD3 = { 3, UNIT_CALENDAR_DAYS };
static const struct period CD5 = { 5, UNIT_CALENDAR_DAYS };
static const struct period CD10 = { 10, UNIT_CALENDAR_DAYS };
static const struct period CD30 = { 30, UNIT_CALENDAR_DAYS };
static const struct period WD3 = { 3, UNIT_WORKING_DAYS };
static const struct period WD5 = { 5, UNIT_WORKING_DAYS };
static const struct period WD7 = { 7, UNIT_WORKING_DAYS };

static void
test_due_first_day_not_counted(void **state)
{
	(void)state;
	/* Monday 2 March 2026: three days are Tue, Wed, Thu; due at the end of Thursday,
	 * whatever the hour of the start. */
	check_due("2026-03-02T10:00:00+08:00", CD3, "2026-03-06T00:00:00+08:00", 0, 0);
	check_due("2026-03-02T00:00:00+08:00", CD3, "2026-03-06T00:00:00+08:00", 0, 0);
	check_due("2026-03-02T23:59:59+08:00", CD3, "2026-03-06T00:00:00+08:00", 0, 0);
	/* One second later it is Tuesday: one day more. */
	check_due("2026-03-03T00:00:00+08:00", CD3, "2026-03-07T00:00:00+08:00", 0, 0);
	/* The same instant written in UTC. */
	check_due("2026-03-01T16:00:00Z", CD3, "2026-03-06T00:00:00+08:00", 0, 0);
	/* A zero period ends with the start day. */
	check_due("2026-03-02T10:00:00+08:00", (struct period){ 0, UNIT_CALENDAR_DAYS },
	    "2026-03-03T00:00:00+08:00", 0, 0);
	check_due("2026-03-02T10:00:00+08:00", (struct period){ 0, UNIT_WORKING_DAYS },
	    "2026-03-03T00:00:00+08:00", 0, 0);
}

static void
test_due_rest_day_extension(void **state)
{
	(void)state;
	/* Five days from Monday 2 March end on Saturday 7: extended to Monday 9. */
	check_due("2026-03-02T10:00:00+08:00", CD5, "2026-03-10T00:00:00+08:00", 0, 0);
	/* Ten days from 10 February end on 20 February, inside the Spring Festival:
	 * the next working day is Tuesday 24 February. */
	check_due("2026-02-10T09:00:00+08:00", CD10, "2026-02-25T00:00:00+08:00", 0, 0);
	/* Ending on a 调休 Saturday (14 February) is not extended. */
	check_due("2026-02-04T09:00:00+08:00", CD10, "2026-02-15T00:00:00+08:00", 0, 0);
	/* Thirty days from 27 February end on Sunday 29 March: Monday 30. */
	check_due("2026-02-27T10:00:00+08:00", CD30, "2026-03-31T00:00:00+08:00", 0, 0);
	/* 2025 National Day: 25 September + 10 days = 5 October (holiday) -> 9 October. */
	check_due("2025-09-25T10:00:00+08:00", CD10, "2025-10-10T00:00:00+08:00", 0, 0);
}

static void
test_due_working_days(void **state)
{
	(void)state;
	/* Thursday 12 February 2026: Fri 13, Sat 14 (调休), then the festival until
	 * Monday 23: the third working day is Tuesday 24. */
	check_due("2026-02-12T10:00:00+08:00", WD3, "2026-02-25T00:00:00+08:00", 0, 0);
	/* Seven: 13, 14, 24, 25, 26, 27, Saturday 28 (调休). */
	check_due("2026-02-12T10:00:00+08:00", WD7, "2026-03-01T00:00:00+08:00", 0, 0);
	/* Starting on a rest day: the start day is never counted. */
	check_due("2026-02-15T10:00:00+08:00", WD3, "2026-02-27T00:00:00+08:00", 0, 0);
	/* 2025: Friday 26 September; Sun 28 (调休) 1, 29, 30, festival to 8 October,
	 * 9, 10, Sat 11 (调休) 6, Monday 13 is the seventh. */
	check_due("2025-09-26T10:00:00+08:00", WD7, "2025-10-14T00:00:00+08:00", 0, 0);
	/* An ordinary week: Monday + 5 working days = next Monday. */
	check_due("2026-03-02T10:00:00+08:00", WD5, "2026-03-10T00:00:00+08:00", 0, 0);
}

static void
test_due_uncovered_year(void **state)
{
	(void)state;
	/* 30 December 2026, five working days reaching into 2027, which has no
	 * calendar: nothing is guessed about 2027's holidays; the period runs
	 * in calendar days (31, 1, 2, 3, 4 January) and is reported. */
	check_due("2026-12-30T10:00:00+08:00", WD5, "2027-01-05T00:00:00+08:00", 1, 2027);
	/* Calendar days that end in 2027 look at 2027 too. */
	check_due("2026-12-25T10:00:00+08:00", CD10, "2027-01-05T00:00:00+08:00", 1, 2027);
	/* Entirely inside 2026: covered. */
	check_due("2026-12-01T10:00:00+08:00", CD10, "2026-12-12T00:00:00+08:00", 0, 0);
	/* A NULL uncovered_year is allowed. */
	usec_t due;
	assert_int_equal(calendar_due(&cal, T("2026-12-30T10:00:00+08:00"), WD5, &due, NULL), 1);
}

static void
check_window(const char *start, const char *end, struct period p, bool want)
{
	bool ok = !want;
	int year = -1;
	assert_int_equal(calendar_window_ok(&cal, T(start), T(end), p, &ok, &year), 0);
	assert_int_equal(year, 0);
	if (ok != want)
		fail_msg("window %s -> %s: got %d", start, end, ok);
}

static void
test_window(void **state)
{
	const struct period CD20 = { 20, UNIT_CALENDAR_DAYS };
	usec_t e;
	int year = -1;
	(void)state;

	/* 20 days from Monday 2 March: the bid deadline may fall on 22 March. */
	check_window("2026-03-02T10:00:00+08:00", "2026-03-22T00:00:00+08:00", CD20, true);
	check_window("2026-03-02T10:00:00+08:00", "2026-03-22T09:00:00+08:00", CD20, true);
	check_window("2026-03-02T10:00:00+08:00", "2026-03-21T23:59:59+08:00", CD20, false);
	assert_int_equal(calendar_window_earliest(&cal, T("2026-03-02T10:00:00+08:00"), CD20, &e,
	    &year), 0);
	assert_int_equal(year, 0);
	assert_time(e, "2026-03-22T00:00:00+08:00");

	/* 3 working days across the Spring Festival: 13, 14 (调休), 24. */
	check_window("2026-02-12T10:00:00+08:00", "2026-02-24T00:00:00+08:00", WD3, true);
	check_window("2026-02-12T10:00:00+08:00", "2026-02-23T23:59:59+08:00", WD3, false);
	assert_int_equal(calendar_window_earliest(&cal, T("2026-02-12T10:00:00+08:00"), WD3, &e,
	    &year), 0);
	assert_time(e, "2026-02-24T00:00:00+08:00");
	/* A window is not a deadline: ending on a rest day is fine when enough
	 * working days came before it. */
	check_window("2026-03-02T10:00:00+08:00", "2026-03-07T12:00:00+08:00", WD3, true);

	/* An end before the start never satisfies a window. */
	check_window("2026-03-02T10:00:00+08:00", "2026-03-01T10:00:00+08:00",
	    (struct period){ 0, UNIT_WORKING_DAYS }, false);
	check_window("2026-03-02T10:00:00+08:00", "2026-03-01T10:00:00+08:00",
	    (struct period){ 0, UNIT_CALENDAR_DAYS }, false);

	/* Uncovered: counted with weekends only and reported. */
	bool ok = false;
	assert_int_equal(calendar_window_ok(&cal, T("2026-12-30T10:00:00+08:00"),
	    T("2027-01-06T10:00:00+08:00"), WD5, &ok, &year), 1);
	assert_true(ok);
	assert_int_equal(year, 2027);
	assert_int_equal(calendar_window_earliest(&cal, T("2026-12-30T10:00:00+08:00"), WD5, &e,
	    &year), 1);
	assert_int_equal(year, 2027);
	assert_time(e, "2027-01-06T00:00:00+08:00");
}

/* time_format() writes its digits by hand: the same text as the libc's
 * calendar and printf, over four centuries, offsets either side of UTC. */
static void
test_time_format_matches_libc(void **state)
{
	(void)state;
	uint64_t x = 88172645463325252ULL;
	const int offsets[] = { 0, 28800, -18000, 19800, 3600 * 14, -3600 * 12 - 1800 };
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* 1900..2300, and every tenth exactly on a second */
		int64_t t = (int64_t)(x % (400ULL * 366 * 86400 * 1000000ULL)) -
		    70LL * 365 * 86400 * 1000000LL;
		if (i % 10 == 0)
			t -= t % 1000000;
		int off = offsets[i % 6];
		int64_t local = t + (int64_t)off * 1000000;
		int64_t secs = local >= 0 ? local / 1000000 : -((-local + 999999) / 1000000);
		int us = (int)(local - secs * 1000000);
		time_t tt = (time_t)secs;
		struct tm tm;
		gmtime_r(&tt, &tm);
		char want[64], frac[16] = "", zone[16] = "Z", got[64];
		if (us)
			snprintf(frac, sizeof frac, ".%06d", us);
		if (off)
			snprintf(zone, sizeof zone, "%c%02d:%02d", off < 0 ? '-' : '+',
			    (off < 0 ? -off : off) / 3600, (off < 0 ? -off : off) / 60 % 60);
		snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d%s%s", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac, zone);
		time_format(t, off, got, sizeof got);
		assert_string_equal(got, want);
	}
	/* truncated as snprintf truncates */
	char small[11];
	time_format(0, 0, small, sizeof small);
	assert_string_equal(small, "1970-01-01");
}

int
main(void)
{
	/* PROCURD_SRCDIR, or PROCURD_ROOT as scripts/check.sh exports it. */
	const char *src = getenv("PROCURD_SRCDIR") ? getenv("PROCURD_SRCDIR") :
	    getenv("PROCURD_ROOT");
	char path[1024];

	snprintf(path, sizeof path, "%s/data/calendar/cn.txt", src ? src : ".");
	if (load_calendar(path, &cal) != 0) {
		fprintf(stderr, "cannot load %s (run from the repository root or set "
		    "PROCURD_SRCDIR)\n", path);
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_file),
		cmocka_unit_test(test_time_format_matches_libc),
		cmocka_unit_test(test_period_parse),
		cmocka_unit_test(test_local_day),
		cmocka_unit_test(test_working_days),
		cmocka_unit_test(test_due_first_day_not_counted),
		cmocka_unit_test(test_due_rest_day_extension),
		cmocka_unit_test(test_due_working_days),
		cmocka_unit_test(test_due_uncovered_year),
		cmocka_unit_test(test_window),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
