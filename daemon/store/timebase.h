/* Time as the daemon keeps it: the working-day calendar's tables and the
 * adjustable clock's offset. */
#ifndef PROCURD_TIMEBASE_H
#define PROCURD_TIMEBASE_H

#include "apierr.h"
#include "calendar.h"
#include "util.h"

struct db;

/* Load a calendar data file into the tables (replacing the years it names).
 * Returns the number of years loaded, or -1 with *err. */
int timebase_calendar_load(struct db *db, const char *path, usec_t now, struct apierr *err);
/* Read the calendar tables into a new struct calendar (timebase_calendar_free()). */
struct calendar *timebase_calendar_read(struct db *db, int utc_offset_s);
void timebase_calendar_free(struct calendar *c);
/* The calendar's years: year, source (NULL when missing), loaded_at, and
 * for a missing year the open incidents of projects that need it. NULL on a
 * database error. */
struct rows;
struct rows *timebase_calendar_status(struct db *db);
/* The adjustable clock's offset; setting it refuses a time before the
 * latest recorded event. */
int timebase_clock_get(struct db *db, usec_t *offset);
int timebase_clock_set(struct db *db, usec_t offset, usec_t new_now, struct apierr *err);

#endif
