/* Time as the daemon keeps it: the working-day calendar tables and the adjustable clock. */
#include "timebase.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include "db.h"
#include "sql.h"

static struct stmt q_cal_year = STMT(
	"INSERT INTO calendar_year (year, source, loaded_at) VALUES ($1, $2, us2ts($3)) "
	"ON CONFLICT (year) DO UPDATE SET source = EXCLUDED.source, loaded_at = EXCLUDED.loaded_at");

static struct stmt q_cal_del_year = STMT(
	"DELETE FROM calendar_day WHERE day >= make_date($1, 1, 1) AND day < make_date($1 + 1, 1, 1)");

static struct stmt q_cal_day = STMT(
	"INSERT INTO calendar_day (day, kind, note) VALUES ($1::date, $2, $3) "
	"ON CONFLICT (day) DO UPDATE SET kind = EXCLUDED.kind, note = EXCLUDED.note");

int
timebase_calendar_load(struct db *db, const char *path, usec_t now, struct apierr *err)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int lineno = 0, years = 0, cur_year = 0;
	struct pbuf pb = { .n = 0 };

	if (f == NULL) {
		apierr_set(err, 400, "invalid_field", NULL, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	if (db_begin(db))
		goto dberr;
	while (fgets(line, sizeof line, f)) {
		struct cal_line cl;
		char why[200];
		lineno++;
		if (calendar_line_parse(line, cur_year, &cl, why, sizeof why)) {
			apierr_set(err, 400, "invalid_field", NULL, "%s:%d: %s", path, lineno, why);
			goto bad;
		}
		if (cl.kind == CAL_YEAR) {
			pb.n = 0;
			const char *v[3] = { pi64(&pb, cl.year), path, pi64(&pb, now) };
			if (db_run0(db, &q_cal_year, 3, v, NULL) || db_run0(db, &q_cal_del_year, 1, v, NULL))
				goto dberr;
			cur_year = cl.year;
			years++;
		} else if (cl.kind == CAL_DAY) {
			const char *v[3] = { cl.day, cl.rest ? "rest" : "work", cl.note };
			if (db_run0(db, &q_cal_day, 3, v, NULL))
				goto dberr;
		}
	}
	fclose(f);
	if (db_commit(db))
		goto dberr_closed;
	return years;
dberr:
	fclose(f);
dberr_closed:
	apierr_set(err, 503, "database_unavailable", NULL, "%s", db_error(db));
	db_rollback(db);
	return -1;
bad:
	fclose(f);
	db_rollback(db);
	return -1;
}

static struct stmt q_cal_read_years = STMT("SELECT year FROM calendar_year ORDER BY year");

static struct stmt q_cal_read_days = STMT(
	"SELECT (day - DATE '1970-01-01'), kind FROM calendar_day ORDER BY day");

struct calendar *
timebase_calendar_read(struct db *db, int utc_offset_s)
{
	PGresult *ry = db_run(db, &q_cal_read_years, 0, NULL, NULL);
	PGresult *rd = ry ? db_run(db, &q_cal_read_days, 0, NULL, NULL) : NULL;
	if (rd == NULL) {
		PQclear(ry);
		return NULL;
	}
	struct calendar *c = xcalloc(1, sizeof *c);
	int ny = PQntuples(ry), nd = PQntuples(rd);
	int *years = xcalloc((size_t)ny + 1, sizeof *years);
	int32_t *rest = xcalloc((size_t)nd + 1, sizeof *rest);
	int32_t *work = xcalloc((size_t)nd + 1, sizeof *work);
	for (int i = 0; i < ny; i++)
		years[c->n_years++] = (int)gi64(ry, i, 0);
	for (int i = 0; i < nd; i++) {
		if (gs(rd, i, 1)[0] == 'r')
			rest[c->n_rest++] = (int32_t)gi64(rd, i, 0);
		else
			work[c->n_work++] = (int32_t)gi64(rd, i, 0);
	}
	c->years = years;
	c->rest = rest;
	c->work = work;
	c->utc_offset_s = utc_offset_s;
	PQclear(ry);
	PQclear(rd);
	return c;
}

void
timebase_calendar_free(struct calendar *c)
{
	if (c == NULL)
		return;
	free((void *)c->years);
	free((void *)c->rest);
	free((void *)c->work);
	free(c);
}

static struct stmt q_clock_get = STMT("SELECT offset_us FROM clock_state WHERE id = 1");

int
timebase_clock_get(struct db *db, usec_t *offset)
{
	PGresult *r = db_run(db, &q_clock_get, 0, NULL, NULL);
	if (r == NULL)
		return -1;
	*offset = PQntuples(r) ? gi64(r, 0, 0) : 0;
	PQclear(r);
	return 0;
}

static struct stmt q_clock_set = STMT("UPDATE clock_state SET offset_us = $1 WHERE id = 1");

static struct stmt q_last_event_at = STMT("SELECT ts2us(max(at)) FROM project_event");

int
timebase_clock_set(struct db *db, usec_t offset, usec_t new_now, struct apierr *err)
{
	struct pbuf pb = { .n = 0 };
	PGresult *r = db_run(db, &q_last_event_at, 0, NULL, NULL);
	if (r == NULL)
		goto dberr;
	usec_t last = gnull(r, 0, 0) ? 0 : gi64(r, 0, 0);
	PQclear(r);
	if (last && new_now < last) {
		char b[64];
		apierr_set(err, 422, "rule_violation",
		    json_pack("{s:s,s:s}", "rule", "clock_backwards", "last_event_at",
			time_format(last, 28800, b, sizeof b)),
		    "the clock cannot go back before an event already recorded");
		return -1;
	}
	const char *v[1] = { pi64(&pb, offset) };
	if (db_run0(db, &q_clock_set, 1, v, NULL))
		goto dberr;
	return 0;
dberr:
	apierr_set(err, 503, "database_unavailable", NULL, "%s", db_error(db));
	return -1;
}

/* The calendar's years: those loaded (with their file and time), then the
 * years deadlines needed but no calendar covers (open incidents). */
static struct stmt q_calendar_status = STMT(
	"SELECT year, source, ts2us(loaded_at), 0 FROM calendar_year UNION ALL "
	"SELECT year, NULL, NULL, count(*) FROM incident WHERE kind = 'calendar_missing' "
	"AND resolved_at IS NULL AND year NOT IN (SELECT year FROM calendar_year) "
	"GROUP BY year ORDER BY 1");

struct rows *
timebase_calendar_status(struct db *db)
{
	PGresult *r = db_run(db, &q_calendar_status, 0, NULL, NULL);
	return r ? rows_of(r) : NULL;
}
