/* Working-day calendar and legal periods, counted the way Chinese law counts.
 * Pure: no I/O, no globals. The data (holidays and 调休 working weekends per
 * year) is loaded by the store from the calendar tables. */
#ifndef PROCURD_CALENDAR_H
#define PROCURD_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util.h"

enum period_unit { UNIT_CALENDAR_DAYS, UNIT_WORKING_DAYS };

struct period {
	int n;
	enum period_unit unit;
};

/* Days are "days since 1970-01-01" in local (China Standard Time) dates. */
struct calendar {
	int utc_offset_s;	/* 28800 for UTC+08:00 */
	const int32_t *rest;	/* official holidays (sorted ascending) */
	size_t n_rest;
	const int32_t *work;	/* weekend days that are working days, 调休 (sorted) */
	size_t n_work;
	const int *years;	/* years the data covers (sorted) */
	size_t n_years;
};

/* Parse "20 calendar_days" / "3 working_days" (also "20d", "3wd"). 0 or -1. */
int period_parse(const char *s, struct period *out);
/* "20 calendar_days" into BUF. */
char *period_format(struct period p, char *buf, size_t len);

bool calendar_covers(const struct calendar *c, int year);
/* Local date of instant T. */
int32_t calendar_local_day(const struct calendar *c, usec_t t);
/* Start of local day D as an instant. */
usec_t calendar_day_start(const struct calendar *c, int32_t day);
/* Weekends are rest days unless listed in work; holidays are rest days. When
 * the year is not covered, only weekends are rest days and *uncovered (if
 * not NULL) is set to that year. */
bool calendar_is_working_day(const struct calendar *c, int32_t day, int *uncovered);

/* When a period of P that starts at START falls due: the first day is not
 * counted; the period ends at the end of its last day (local time); a period
 * whose last day is a rest day ends at the end of the next working day.
 * Returns 0; 1 when a year it had to look at is not covered by the calendar:
 * *uncovered_year is set and the period was counted in calendar days, with no
 * rest-day extension (nothing is guessed), so the caller raises an incident. */
int calendar_due(const struct calendar *c, usec_t start, struct period p, usec_t *due,
    int *uncovered_year);

/* Minimum windows (bid deadlines): true when END is at least P after START,
 * counting whole local days after START's day up to and including END's day
 * (calendar days), or the working days among them (working days). Returns
 * like calendar_due. */
int calendar_window_ok(const struct calendar *c, usec_t start, usec_t end, struct period p,
    bool *ok, int *uncovered_year);

/* The earliest END that calendar_window_ok accepts (start of that local day). */
int calendar_window_earliest(const struct calendar *c, usec_t start, struct period p,
    usec_t *earliest, int *uncovered_year);

/* One line of a calendar file (data/calendar/cn.txt): "year YYYY",
 * "rest YYYY-MM-DD # note" or "work YYYY-MM-DD # note", blank or a comment.
 * CUR_YEAR is the year declared above (0: none yet). Returns 0 with *OUT
 * filled, or -1 with ERR set. Pure: the store writes what it gives. */
enum cal_line_kind { CAL_BLANK, CAL_YEAR, CAL_DAY };
struct cal_line {
	enum cal_line_kind kind;
	int year;		/* CAL_YEAR */
	char day[11];		/* CAL_DAY: YYYY-MM-DD */
	bool rest;		/* CAL_DAY: a rest day (else a working day) */
	char note[256];		/* CAL_DAY: UTF-8 text, maybe empty */
};
int calendar_line_parse(const char *line, int cur_year, struct cal_line *out, char *err,
    size_t errlen);

#endif
