/* Working-day calendar and legal periods, counted the way Chinese law counts. */
#include "calendar.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* A calendar whose data marks months on end as rest days is broken; give up
 * looking for a working day after this many days instead of looping forever. */
#define MAX_REST_RUN 400
/* The longest period we parse: a century of days is more than any law asks. */
#define PERIOD_MAX 36600

static bool
in_sorted(const int32_t *a, size_t n, int32_t v)
{
	size_t lo = 0, hi = n;

	if (a == NULL)
		return false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (a[mid] == v)
			return true;
		if (a[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

int
period_parse(const char *s, struct period *out)
{
	long n = 0;
	int nd = 0;

	if (s == NULL)
		return -1;
	while (isspace((unsigned char)*s))
		s++;
	while (isdigit((unsigned char)*s)) {
		n = n * 10 + (*s - '0');
		if (n > PERIOD_MAX)
			return -1;
		s++;
		nd++;
	}
	if (nd == 0)
		return -1;
	while (isspace((unsigned char)*s))
		s++;
	size_t len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;

	enum period_unit unit;
	if ((len == 13 && strncmp(s, "calendar_days", 13) == 0) || (len == 1 && s[0] == 'd'))
		unit = UNIT_CALENDAR_DAYS;
	else if ((len == 12 && strncmp(s, "working_days", 12) == 0) ||
	    (len == 2 && strncmp(s, "wd", 2) == 0))
		unit = UNIT_WORKING_DAYS;
	else
		return -1;
	out->n = (int)n;
	out->unit = unit;
	return 0;
}

char *
period_format(struct period p, char *buf, size_t len)
{
	snprintf(buf, len, "%d %s", p.n,
	    p.unit == UNIT_WORKING_DAYS ? "working_days" : "calendar_days");
	return buf;
}

bool
calendar_covers(const struct calendar *c, int year)
{
	size_t lo = 0, hi = c->n_years;

	if (c->years == NULL)
		return false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->years[mid] == year)
			return true;
		if (c->years[mid] < year)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

int32_t
calendar_local_day(const struct calendar *c, usec_t t)
{
	usec_t local = t + (usec_t)c->utc_offset_s * USEC_PER_SEC;
	int64_t d = local / USEC_PER_DAY;

	if (local % USEC_PER_DAY != 0 && local < 0)
		d--;
	return (int32_t)d;
}

usec_t
calendar_day_start(const struct calendar *c, int32_t day)
{
	return (usec_t)day * USEC_PER_DAY - (usec_t)c->utc_offset_s * USEC_PER_SEC;
}

bool
calendar_is_working_day(const struct calendar *c, int32_t day, int *uncovered)
{
	int y, m, d;
	bool weekend = weekday_of_days(day) >= 5;

	civil_from_days(day, &y, &m, &d);
	if (!calendar_covers(c, y)) {
		if (uncovered != NULL)
			*uncovered = y;
		return !weekend;
	}
	if (in_sorted(c->rest, c->n_rest, day))
		return false;
	if (weekend)
		return in_sorted(c->work, c->n_work, day);
	return true;
}

/* is_working_day that remembers the first uncovered year it met in *U. */
static bool
working(const struct calendar *c, int32_t day, int *u)
{
	int y = 0;
	bool w = calendar_is_working_day(c, day, &y);

	if (y != 0 && *u == 0)
		*u = y;
	return w;
}

static int
finish(int u, int *uncovered_year)
{
	if (uncovered_year != NULL)
		*uncovered_year = u;
	return u != 0;
}

/* The N-th working day after DAY (DAY itself when N is 0). */
static int32_t
nth_working_day_after(const struct calendar *c, int32_t day, int n, int *u)
{
	int run = 0;

	while (n > 0 && run < MAX_REST_RUN) {
		day++;
		if (working(c, day, u)) {
			n--;
			run = 0;
		} else {
			run++;
		}
	}
	return day;
}

int
calendar_due(const struct calendar *c, usec_t start, struct period p, usec_t *due,
    int *uncovered_year)
{
	int u = 0;
	int32_t last = calendar_local_day(c, start);
	int n = p.n > 0 ? p.n : 0;

	if (p.unit == UNIT_WORKING_DAYS)
		last = nth_working_day_after(c, last, n, &u);
	else
		last += n;
	/* A period whose last day is a rest day ends on the next working day. */
	for (int run = 0; !working(c, last, &u) && run < MAX_REST_RUN; run++)
		last++;
	if (u != 0) {
		/* A year without a calendar is not guessed: the period runs in
		 * calendar days (never later than the law allows) until the
		 * calendar arrives, and the caller raises an incident. */
		last = calendar_local_day(c, start) + n;
	}
	*due = calendar_day_start(c, last + 1);
	return finish(u, uncovered_year);
}

int
calendar_window_ok(const struct calendar *c, usec_t start, usec_t end, struct period p,
    bool *ok, int *uncovered_year)
{
	int u = 0;
	int32_t sd = calendar_local_day(c, start);
	int32_t ed = calendar_local_day(c, end);
	int n = p.n > 0 ? p.n : 0;

	if (p.unit == UNIT_CALENDAR_DAYS) {
		*ok = (int64_t)ed - sd >= n;
		return finish(0, uncovered_year);
	}
	/* Count the working days in (sd, ed], stopping once there are enough. */
	int count = 0;
	for (int32_t d = sd + 1; d <= ed && count < n; d++)
		if (working(c, d, &u))
			count++;
	*ok = ed >= sd && count >= n;
	return finish(u, uncovered_year);
}

int
calendar_window_earliest(const struct calendar *c, usec_t start, struct period p,
    usec_t *earliest, int *uncovered_year)
{
	int u = 0;
	int32_t day = calendar_local_day(c, start);
	int n = p.n > 0 ? p.n : 0;

	if (p.unit == UNIT_WORKING_DAYS)
		day = nth_working_day_after(c, day, n, &u);
	else
		day += n;
	*earliest = calendar_day_start(c, day);
	return finish(u, uncovered_year);
}

int
calendar_line_parse(const char *text, int cur_year, struct cal_line *out, char *err,
    size_t errlen)
{
	char line[512], kind[16], day[32], *note, empty[1] = "";
	int32_t d;

	memset(out, 0, sizeof *out);
	snprintf(line, sizeof line, "%s", text);
	if ((note = strchr(line, '#')) != NULL)
		*note++ = '\0';
	else
		note = empty;
	note += strspn(note, " \t");
	note[strcspn(note, "\r\n")] = '\0';
	if (sscanf(line, "%15s", kind) != 1)
		return 0;	/* blank, or a comment */
	if (!strcmp(kind, "year") && sscanf(line, "%*s %d", &out->year) == 1 &&
	    out->year >= 1900 && out->year < TIME_YEAR_MAX) {
		out->kind = CAL_YEAR;
		return 0;
	}
	if ((!strcmp(kind, "rest") || !strcmp(kind, "work")) &&
	    sscanf(line, "%*s %31s", day) == 1 && date_parse(day, &d) == 0) {
		int y, m, dd;
		civil_from_days(d, &y, &m, &dd);
		if (y != cur_year) {
			snprintf(err, errlen, "%s is not in the year declared above it", day);
			return -1;
		}
		if (strlen(note) >= sizeof out->note || !text_plain(note, strlen(note))) {
			snprintf(err, errlen, "the note of %s must be UTF-8 text under %zu bytes", day,
			    sizeof out->note);
			return -1;
		}
		out->kind = CAL_DAY;
		out->rest = kind[0] == 'r';
		date_format(d, out->day, sizeof out->day);
		snprintf(out->note, sizeof out->note, "%s", note);
		return 0;
	}
	snprintf(err, errlen, "expected \"year YYYY\", \"rest YYYY-MM-DD\" or \"work YYYY-MM-DD\"");
	return -1;
}
