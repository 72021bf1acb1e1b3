/* Deadlines as rows: firing what is due, the lists, counting again for a calendar. */
#include "due.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db.h"
#include "event.h"
#include "eventwrite.h"
#include "jsonio.h"
#include "log.h"
#include "metrics.h"
#include "project.h"
#include "projectsql.h"
#include "render.h"
#include "sql.h"

static const struct user daemon_user = { .id = 0, .name = "daemon", .roles = ROLE_DAEMON,
	.agency = "", .path = "/" };

static struct stmt q_next_due = STMT(
	"SELECT ts2us(min(next_check)) FROM project WHERE next_check IS NOT NULL");

int
due_next(struct db *db, usec_t *t)
{
	PGresult *r = db_run(db, &q_next_due, 0, NULL, NULL);
	if (r == NULL)
		return -1;
	*t = gnull(r, 0, 0) ? 0 : gi64(r, 0, 0);
	PQclear(r);
	return 0;
}

/* The due deadlines of the claimed projects ($1), in the claim's order and
 * each project's firing order. */
static struct stmt q_due_deadlines = STMT(
	"SELECT d.project_id, d.id, d.kind, d.level, d.event, ts2us(d.due_at), ts2us(d.fire_at) "
	"FROM unnest($1::bigint[]) WITH ORDINALITY AS c(id, k) JOIN deadline d ON d.project_id = c.id "
	"WHERE d.status = 'pending' AND d.fire_at <= us2ts($2) "
	"ORDER BY c.k, d.fire_at, d.level, d.id");

/* a firing that cannot happen (its guard refused) is dropped, and the
 * project's next check moves on; with $2 NULL nothing is dropped and
 * only the next check is computed again (it said due, nothing was) */
static struct stmt q_deadline_drop = STMT(
	"WITH d AS (UPDATE deadline SET status = 'cancelled' WHERE project_id = $1 "
	"AND status = 'pending' AND id = $2::bigint RETURNING id) "
	"UPDATE project SET next_check = (SELECT min(fire_at) FROM deadline WHERE project_id = $1 "
	"AND status = 'pending' AND id NOT IN (SELECT id FROM d)) WHERE id = $1");

/* Row I of R as a result of its own, as a read of that one project
 * returns it; NULL when out of memory. */
static PGresult *
row_alone(const PGresult *r, int i)
{
	PGresult *one = PQcopyResult(r, PG_COPYRES_ATTRS);
	for (int col = 0; one && col < PQnfields(r); col++) {
		bool null = PQgetisnull(r, i, col);
		if (!PQsetvalue(one, 0, col, null ? NULL : PQgetvalue(r, i, col),
		    null ? -1 : PQgetlength(r, i, col))) {
			PQclear(one);
			one = NULL;
		}
	}
	return one;
}

/* Fire the due deadlines of the project in row ROW of CLAIMED (locked by
 * this transaction): rows FROM to TO of DR. */
static int
fire_project(struct req_ctx *c, const PGresult *claimed, int row, const PGresult *dr, int from,
    int to, json_t *published, int *fired)
{
	struct pbuf pb = { .n = 0 };
	int64_t pid = gi64(claimed, row, PC_ID);
	const char *v[1] = { pi64(&pb, pid) };
	int rc = 0;
	if (from == to) {
		/* next_check said due but nothing is: heal it */
		const char *v2[2] = { v[0], NULL };
		return db_run0(c->db, &q_deadline_drop, 2, v2, NULL);
	}
	for (int i = from; i < to && rc == 0; i++) {
		int64_t did = gi64(dr, i, 1);
		int level = (int)gi64(dr, i, 3);
		int evi = lc_event_parse(gs(dr, i, 4));
		usec_t due = gi64(dr, i, 5), fire = gi64(dr, i, 6);
		/* the claim read the row; a second firing reads what the first made */
		PGresult *pr = i == from ? row_alone(claimed, row) : project_fetch(c, pid, true);
		if (pr == NULL)
			return -1;
		const char *state_before = gs(pr, 0, PC_STATE);
		char before[32];
		snprintf(before, sizeof before, "%s", state_before);
		json_t *payload = evi == EV_ESCALATE ?
		    json_pack("{s:i,s:s,s:o}", "level", level, "deadline", gs(dr, i, 2), "due",
			render_time(due, ctx_offset(c))) : json_object();
		apierr_clear(c->err);
		struct event_tx tx = { .commit_on_write = false };
		json_t *out = evi < 0 ? NULL :
		    event_apply_locked(c, &tx, pr, (enum lc_event)evi, gs(dr, i, 4), payload, did, false);
		json_decref(payload);
		if (out == NULL && c->err->status >= 500) {
			PQclear(pr);
			rc = -1;
			break;
		}
		if (out == NULL) {
			/* refused: the state moved on in a way the plan did not expect */
			log_warn("project %" PRId64 ": deadline %" PRId64 " (%s) dropped: %s", pid, did,
			    gs(dr, i, 4), c->err->message);
			const char *v3[2] = { v[0], pi64(&pb, did) };
			rc = db_run0(c->db, &q_deadline_drop, 2, v3, NULL);
			PQclear(pr);
			continue;
		}
		(*fired)++;
		metrics_event_applied(gs(dr, i, 4));
		metrics_deadline_fired(level);
		metrics_deadline_lag(c->now - fire);
		event_publish(published, json_object_get(out, "event"), pid);
		bool moved = strcmp(before, json_string_value(json_object_get(out, "state")) ?
		    json_string_value(json_object_get(out, "state")) : before) != 0;
		json_decref(out);
		PQclear(pr);
		if (moved)
			break;	/* the old state's other firings were cancelled with it */
	}
	return rc;
}

/* the daemon's timer: projects with something due, claimed so that two
 * daemons never fire one deadline twice; the rows as a read returns them,
 * so a firing needs no read of its own */
static struct stmt q_due_claim = STMT(
	"SELECT " PROJECT_COLS PROJECT_FROM "WHERE p.next_check <= us2ts($1) ORDER BY p.next_check "
	"LIMIT $2 FOR UPDATE OF p SKIP LOCKED");

int
due_fire(struct req_ctx *c, int batch, bool *more, json_t *published)
{
	struct pbuf pb = { .n = 0 };
	int fired = 0;
	const struct user *saved = c->u;
	json_t *pending = json_array();

	*more = false;
	c->u = &daemon_user;
	if (db_begin(c->db))
		goto dberr;
	const char *v[2] = { pi64(&pb, c->now), pi64(&pb, batch) };
	PGresult *r = db_run(c->db, &q_due_claim, 2, v, NULL);
	if (r == NULL)
		goto dberr;
	int n = PQntuples(r);
	/* their due deadlines, all in one read: "{id,id,…}" */
	char *ids = xmalloc((size_t)n * 21 + 3), *e = ids;
	*e++ = '{';
	for (int i = 0; i < n; i++) {
		if (i)
			*e++ = ',';
		e += i64_dec(e, gi64(r, i, PC_ID));
	}
	*e++ = '}';
	*e = '\0';
	const char *v2[2] = { ids, v[0] };
	PGresult *dr = n ? db_run(c->db, &q_due_deadlines, 2, v2, NULL) : NULL;
	free(ids);
	if (n && dr == NULL) {
		PQclear(r);
		goto dberr;
	}
	for (int i = 0, k = 0; i < n; i++) {
		int from = k;	/* DR follows the claim's order */
		while (k < PQntuples(dr) && gi64(dr, k, 0) == gi64(r, i, PC_ID))
			k++;
		if (fire_project(c, r, i, dr, from, k, pending, &fired)) {
			PQclear(dr);
			PQclear(r);
			goto dberr;
		}
	}
	PQclear(dr);
	PQclear(r);
	if (db_commit(c->db))
		goto dberr;
	*more = n == batch;
	json_array_extend(published, pending);
	json_decref(pending);
	c->u = saved;
	return fired;
dberr:
	json_decref(pending);
	c->u = saved;
	log_error("deadlines: batch failed: %s", db_error(c->db));
	db_rollback(c->db);
	return -1;
}

static struct stmt q_deadline_list = STMT_CUSTOM(
	"SELECT d.id, d.project_id, d.state, d.kind, d.level, d.event, ts2us(d.due_at), "
	"ts2us(d.fire_at), p.agency, p.title FROM deadline d JOIN project p ON p.id = d.project_id "
	"JOIN agency a ON a.code = p.agency WHERE d.status = 'pending' AND starts_with(a.path, $1) "
	"AND ($2::bigint IS NULL OR d.due_at <= us2ts($2)) AND d.id > $3 ORDER BY d.id LIMIT $4");

struct rows *
due_deadline_list(struct req_ctx *c, usec_t due_before, int64_t after, int limit)
{
	struct pbuf pb = { .n = 0 };
	const char *v[4] = { c->u->path, due_before ? pi64(&pb, due_before) : NULL,
		pi64(&pb, after), pi64(&pb, limit + 1) };
	PGresult *r = db_run(c->db, &q_deadline_list, 4, v, NULL);
	if (r == NULL)
		return ctx_dbfail(c, "listing deadlines");
	return rows_of(r);
}

static struct stmt q_incident_list = STMT_CUSTOM(
	"SELECT i.id, i.kind, i.project_id, i.year, i.outbox_id, i.detail, ts2us(i.created_at), "
	"ts2us(i.resolved_at) FROM incident i LEFT JOIN project p ON p.id = i.project_id "
	"LEFT JOIN agency a ON a.code = p.agency WHERE (a.path IS NULL OR starts_with(a.path, $1)) "
	"AND ($2::boolean OR i.resolved_at IS NULL) AND i.id > $3 ORDER BY i.id LIMIT $4");

struct rows *
due_incident_list(struct req_ctx *c, bool all, int64_t after, int limit)
{
	struct pbuf pb = { .n = 0 };
	const char *v[4] = { c->u->path, all ? "true" : "false", pi64(&pb, after),
		pi64(&pb, limit + 1) };
	PGresult *r = db_run(c->db, &q_incident_list, 4, v, NULL);
	if (r == NULL)
		return ctx_dbfail(c, "listing incidents");
	return rows_of(r);
}

/* A calendar arrived: the incidents of the years it covers, and the
 * counted periods of their projects, to count again. */
static struct stmt q_cal_incidents = STMT(
	"SELECT i.id, i.project_id, i.year FROM incident i JOIN project p ON p.id = i.project_id "
	"WHERE i.kind = 'calendar_missing' AND i.resolved_at IS NULL "
	"AND i.year = ANY($1::int[]) ORDER BY i.project_id FOR UPDATE OF i, p");

static struct stmt q_cal_deadlines = STMT(
	"SELECT id, level, ts2us(origin_at), period FROM deadline WHERE project_id = $1 "
	"AND status = 'pending' AND origin_at IS NOT NULL AND period IS NOT NULL");

static struct stmt q_cal_deadline_set = STMT(
	"UPDATE deadline SET due_at = us2ts($2), fire_at = us2ts($3) WHERE id = $1");

static struct stmt q_cal_resolve = STMT(
	"WITH i AS (UPDATE incident SET resolved_at = us2ts($3), detail = detail || "
	"' (counted again when the calendar arrived)' WHERE id = $1 RETURNING id), "
	"p AS (UPDATE project SET next_check = (SELECT min(fire_at) FROM deadline "
	"WHERE project_id = $2 AND status = 'pending'), due_at = (SELECT min(d.due_at) FROM deadline d "
	"WHERE d.project_id = $2 AND d.state = project.state AND d.status <> 'cancelled' "
	"AND d.kind NOT LIKE 'challenge:%') WHERE id = $2 RETURNING next_check) "
	"SELECT pg_notify('procurd_deadline', ''), (SELECT count(*) FROM i), (SELECT count(*) FROM p)");

int
due_recount(struct req_ctx *c)
{
	struct pbuf pb = { .n = 0 };
	char years[1024] = "{";
	for (size_t i = 0; i < c->cal->n_years; i++) {
		size_t n = strlen(years);
		snprintf(years + n, sizeof years - n, "%s%d", i ? "," : "", c->cal->years[i]);
	}
	strncat(years, "}", sizeof years - strlen(years) - 1);
	if (db_begin(c->db))
		goto dberr;
	const char *v[1] = { years };
	PGresult *r = db_run(c->db, &q_cal_incidents, 1, v, NULL);
	if (r == NULL)
		goto dberr;
	int done = 0;
	for (int i = 0; i < PQntuples(r); i++) {
		const char *vp[1] = { gs(r, i, 1) };
		PGresult *d = db_run(c->db, &q_cal_deadlines, 1, vp, NULL);
		if (d == NULL) {
			PQclear(r);
			goto dberr;
		}
		for (int k = 0; k < PQntuples(d); k++) {
			struct period per;
			usec_t due, fire;
			if (period_parse(gs(d, k, 3), &per))
				continue;
			deadline_recount(c->dc, c->cal, gi64(d, k, 2), per, (int)gi64(d, k, 1), &due,
			    &fire, NULL);
			pb.n = 0;
			const char *vs[3] = { gs(d, k, 0), pi64(&pb, due), pi64(&pb, fire) };
			if (db_run0(c->db, &q_cal_deadline_set, 3, vs, NULL)) {
				PQclear(d);
				PQclear(r);
				goto dberr;
			}
		}
		PQclear(d);
		pb.n = 0;
		const char *vr[3] = { gs(r, i, 0), gs(r, i, 1), pi64(&pb, c->now) };
		if (db_run0(c->db, &q_cal_resolve, 3, vr, NULL)) {
			PQclear(r);
			goto dberr;
		}
		log_info("project %s: deadlines counted again with the %s calendar; incident resolved",
		    gs(r, i, 1), gs(r, i, 2));
		done++;
	}
	PQclear(r);
	if (db_commit(c->db))
		goto dberr;
	return done;
dberr:
	log_error("calendar: recount failed: %s", db_error(c->db));
	db_rollback(c->db);
	return -1;
}

/* One project's pending deadlines (the caller checked its scope), the
 * same columns as due_deadline_list(). */
static struct stmt q_deadlines_of = STMT(
	"SELECT d.id, d.project_id, d.state, d.kind, d.level, d.event, ts2us(d.due_at), "
	"ts2us(d.fire_at), p.agency, p.title FROM deadline d JOIN project p ON p.id = d.project_id "
	"WHERE d.project_id = $1 AND d.status = 'pending' ORDER BY d.due_at, d.id");

struct rows *
due_deadlines_of(struct req_ctx *c, int64_t project_id)
{
	struct pbuf pb = { .n = 0 };
	const char *v[1] = { pi64(&pb, project_id) };
	PGresult *r = db_run(c->db, &q_deadlines_of, 1, v, NULL);
	if (r == NULL)
		return ctx_dbfail(c, "listing a project's deadlines");
	return rows_of(r);
}
