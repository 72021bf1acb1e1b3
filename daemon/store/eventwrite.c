/* The event's one write: history row, project, deadlines and notifications in a statement. */
#include "eventwrite.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cache.h"
#include "db.h"
#include "jsonio.h"
#include "log.h"
#include "metrics.h"
#include "pipes.h"
#include "projectrow.h"
#include "projectsql.h"
#include "sql.h"

/* One statement writes the audit event (hash-chained to the previous
 * one), moves the project and queues its notifications: EVENT_WRITE(RET,
 * ANSWER), with RET more of the project's UPDATE to return and ANSWER the
 * final SELECT, in two forms below. */
#define EVENT_WRITE(ret, answer) \
	"WITH e AS (INSERT INTO project_event (project_id, seq, event, from_state, to_state, " \
	"actor, actor_id, at, payload, prev_hash, hash) SELECT $1, $2::int, $3, $4, $5, $6, $7, v.at, " \
	"v.pl, v.prev, event_hash(v.prev, $1, $2, $3, $4, $5, $6, v.at, v.pl) FROM (SELECT " \
	"$9::jsonb AS pl, us2ts($8) AS at, decode($10, 'hex') AS prev) v RETURNING hash), " \
	/* leaving a state cancels its deadlines; a firing marks its own */ \
	"dc AS (UPDATE deadline SET status = CASE WHEN id = $13::bigint THEN 'fired' ELSE 'cancelled' END, " \
	"fired_at = CASE WHEN id = $13 THEN us2ts($8) END WHERE project_id = $1 " \
	"AND status = 'pending' AND ($12::boolean OR id = $13::bigint OR kind = $15::text) RETURNING id), " \
	"dn AS (INSERT INTO deadline (project_id, state, kind, level, event, due_at, fire_at, " \
	"created_at, origin_at, period) SELECT $1, x.state, x.kind, x.level, x.event, " \
	"us2ts(x.due), us2ts(x.fire), us2ts($8), us2ts(x.origin), x.period " \
	"FROM jsonb_to_recordset($14::jsonb) AS x(state text, kind text, level int, " \
	"event text, due bigint, fire bigint, origin bigint, period text) " \
	"RETURNING fire_at, due_at, state, kind), " \
	/* the statement sees the deadlines as they were before it: the \
	 * next check is what stays pending plus what is new */ \
	"nc AS (SELECT min(t) AS t FROM (SELECT fire_at AS t FROM deadline WHERE project_id = $1 " \
	"AND status = 'pending' AND NOT $12::boolean AND id IS DISTINCT FROM $13::bigint " \
	"AND kind IS DISTINCT FROM $15::text UNION ALL SELECT fire_at FROM dn) s), " \
	"old AS (SELECT next_check AS t FROM project WHERE id = $1), " \
	/* entering a state: the inbox's due time is its deadlines' earliest */ \
	"pu AS (UPDATE project SET state = $5, version = version + 1, last_seq = $2, " \
	"last_hash = e.hash, updated_at = us2ts($8), next_check = nc.t, due_at = CASE WHEN " \
	"$12::boolean THEN (SELECT min(due_at) FROM dn WHERE dn.state = $5 AND dn.kind NOT LIKE " \
	"'challenge:%') ELSE project.due_at END FROM e, nc WHERE id = $1 " \
	"RETURNING version, next_check" ret "), " \
	/* wake the timers of every daemon only when the next check moved earlier */ \
	"n AS (SELECT pg_notify('procurd_deadline', '') FROM pu, old WHERE pu.next_check IS NOT NULL " \
	"AND (old.t IS NULL OR pu.next_check < old.t)), " \
	"i AS (INSERT INTO incident (kind, project_id, year, detail, created_at) " \
	"SELECT 'calendar_missing', $1, $16::int, 'no working-day calendar for ' || $16::int || " \
	"': its deadlines run in calendar days until one is loaded', us2ts($8) " \
	"WHERE $16::int IS NOT NULL ON CONFLICT DO NOTHING RETURNING id), " \
	"o AS (INSERT INTO outbox (project_id, event_seq, channel, recipient, template, lang, " \
	"data, next_attempt_at, created_at) SELECT $1, $2, x->>'channel', x->>'recipient', " \
	"x->>'template', coalesce(x->>'lang', 'zh'), x->'data', us2ts($8), us2ts($8) " \
	"FROM jsonb_array_elements($11::jsonb) AS x RETURNING id) " answer
/* the write's own figures, as the light write returns them */
#define EVENT_WRITE_FIGURES(pu) \
	pu ".version, encode((SELECT hash FROM e), 'hex'), (SELECT count(*) FROM o), " \
	"(SELECT count(*) FROM n), (SELECT count(*) FROM i), ts2us(" pu ".next_check), " \
	"(SELECT count(*) FROM dc)"

static struct stmt q_event_write = STMT(EVENT_WRITE("",
	"SELECT " EVENT_WRITE_FIGURES("pu") " FROM pu"));

/* The same answering first the project as the write left it (what the
 * event's effects set earlier in its transaction too), for the event's
 * answer: no read of the row between the write and its COMMIT. */
static struct stmt q_event_write_row = STMT(EVENT_WRITE(", project AS r",
	"SELECT " PROJECT_COLS ", " EVENT_WRITE_FIGURES("p") " FROM (SELECT (r).* FROM pu) p"));

/* The light event write (q_event_write_light), with EXTRA CTEs after
 * its own and EXTRA_FROM joined to its answer. */
#define EVENT_WRITE_LIGHT(extra, extra_from) \
	"WITH p AS (UPDATE project SET version = version + 1, last_seq = $2, " \
	"last_hash = event_hash(decode($10, 'hex'), $1, $2, $3, $4, $5, $6, us2ts($8), $9::jsonb), " \
	"updated_at = us2ts($8) WHERE id = $1 AND version = $12 " \
	"RETURNING version, next_check, last_hash), " \
	"e AS (INSERT INTO project_event (project_id, seq, event, from_state, to_state, " \
	"actor, actor_id, at, payload, prev_hash, hash) SELECT $1, $2::int, $3, $4, $5, $6, $7, " \
	"us2ts($8), $9::jsonb, decode($10, 'hex'), p.last_hash FROM p), " \
	"o AS (INSERT INTO outbox (project_id, event_seq, channel, recipient, template, lang, " \
	"data, next_attempt_at, created_at) SELECT $1, $2, x->>'channel', x->>'recipient', " \
	"x->>'template', coalesce(x->>'lang', 'zh'), x->'data', us2ts($8), us2ts($8) " \
	"FROM p, jsonb_array_elements($11::jsonb) AS x)" extra " " \
	"SELECT p.version, encode(p.last_hash, 'hex'), 0, 0, 0, ts2us(p.next_check), 0 FROM p" extra_from

/* The same without deadline work, for an event that stays in its state
 * and plans no deadline (supervision records, escalations of other
 * deadlines): it applies only while the project is still at the version
 * the event was decided on ($12), and then all of it. An event decided on
 * a row read without a lock (lifecycle_stays) sends it alone, its own
 * transaction: no row back means the project moved meanwhile, nothing was
 * written, and the caller decides again. Under the lock it always
 * applies. The UPDATE comes first and computes the hash; the history and
 * outbox rows take theirs from its one row (no CTE is read twice, so none
 * is materialised). */
static struct stmt q_event_write_light = STMT_UNLOCKED(EVENT_WRITE_LIGHT("", ""));

/* The same under group commit (durable.h): its transaction commits
 * without waiting for the WAL flush, and its answer waits for a flush
 * that started after it instead. */
static struct stmt q_event_write_light_group = STMT_UNLOCKED(EVENT_WRITE_LIGHT(
	", a AS (SELECT set_config('synchronous_commit', 'off', true))", ", a"));


const char *
eventwrite_actor(struct pbuf *pb, const struct user *u)
{
	return u->id > 0 ? pi64(pb, u->id) : NULL;
}

int
eventwrite_run(struct req_ctx *c, struct event_tx *tx, struct eventwrite *w)
{
	struct pbuf pb = { .n = 0 };
	bool unlocked = db_state(c->db)->unlocked;	/* its own transaction, no COMMIT to send */
	bool light = !w->leave_state && !w->fired_deadline && !w->cancel_kind &&
	    !w->uncovered_year && json_array_size(w->deadlines) == 0 && !w->want_row;
	json_t *none = json_array();
	char *pl = json_text(w->payload), *nt = json_text(w->notices ? w->notices : none);
	char *dl = light ? NULL : json_text(w->deadlines ? w->deadlines : none);
	const char *v[16] = { pi64(&pb, w->id), pi64(&pb, w->seq), w->ev, w->from, w->to,
		c->u->name, eventwrite_actor(&pb, c->u), pi64(&pb, c->now), pl, w->last_hash, nt,
		w->leave_state ? "true" : "false",
		w->fired_deadline ? pi64(&pb, w->fired_deadline) : NULL, dl, w->cancel_kind,
		w->uncovered_year ? pi64(&pb, w->uncovered_year) : NULL };
	/* Group commit: a light write that carries its commit either leads
	 * (no flush running: it commits synchronously and is the flush for the
	 * answers queued before it) or commits without waiting for the flush,
	 * and its answer waits for the next one. */
	bool lead = light && c->group && (w->commit || unlocked) && c->group->lead(c->group->arg);
	struct stmt *st = !light ? (w->want_row ? &q_event_write_row : &q_event_write) :
	    c->group && !lead ? &q_event_write_light_group : &q_event_write_light;
	int np = light ? 12 : 16;
	if (light)
		v[11] = pi64(&pb, w->read_version);
	PGresult *r = NULL;
	bool sent = false;
	if (unlocked && st == &q_event_write_light_group)
		r = pipes_run(c->db, st, np, v, &sent);
	if (!sent)
		r = w->commit && !unlocked ? db_run_piped(c->db, NULL, st, np, v, "COMMIT", NULL) :
		    db_run(c->db, st, np, v, NULL);
	if (r && (w->commit || unlocked) && tx)
		tx->committed = true;
	if (r && st == &q_event_write_light_group)
		c->out.async_committed = true;	/* even if it wrote nothing: harmless */
	/* a flush only if it wrote: a commit with nothing written waits for
	 * nothing */
	bool wrote = r && PQntuples(r) > 0;
	if (lead)
		c->group->led(c->group->arg, wrote);
	/* A commit at the session's synchronous_commit (never lowered but by
	 * the group's statement) flushed the WAL up to its own record, past
	 * every commit this job read: its answer is durable as it stands. */
	if (wrote && (w->commit || unlocked) && st != &q_event_write_light_group)
		c->out.flushed_queries = db_queries(c->db);
	free(pl);
	free(nt);
	free(dl);
	json_decref(none);
	if (r == NULL)
		return -1;
	if (PQntuples(r) == 0) {
		/* the light write: the project moved since it was read */
		PQclear(r);
		if (tx)
			tx->committed = false;
		if (!unlocked || tx == NULL) {
			char m[128];
			snprintf(m, sizeof m, "project %" PRId64 " moved from version %d under its lock",
			    w->id, w->read_version);
			db_set_errtext(c->db, m, "");
			return -1;
		}
		tx->retry = RETRY_MOVED;
		metrics_event_retry();
		return -1;
	}
	db_state(c->db)->unlocked = false;	/* written: what follows only reads */
	/* the write's figures: after the project's row when it was asked for */
	int b = st == &q_event_write_row ? PC__COUNT : 0;
	w->version = (int)gi64(r, 0, b);
	w->has_next_check = !gnull(r, 0, b + 5);
	w->next_check = w->has_next_check ? gi64(r, 0, b + 5) : 0;
	snprintf(w->hash, sizeof w->hash, "%s", gs(r, 0, b + 1));
	if (st == &q_event_write_row && w->commit) {
		/* committed with the write: the row it returned is the project's */
		cache_project_put(r, 0, NULL, 0);
	} else if (unlocked && w->row) {
		/* committed, and all the light write changed of the row */
		struct cache_patch patch[] = { { PC_VERSION, gs(r, 0, 0) },
			{ PC_NEXT_CHECK, gnull(r, 0, 5) ? NULL : gs(r, 0, 5) },
			{ PC_LAST_SEQ, pi64(&pb, w->seq) }, { PC_LAST_HASH, w->hash },
			{ PC_UPDATED_AT, pi64(&pb, c->now) } };
		cache_project_put(w->row, 0, patch, (int)(sizeof patch / sizeof patch[0]));
	} else {
		cache_project_drop(w->id);	/* to be read again when it has committed */
	}
	/* the light write's outbox rows are all there when its row is */
	w->outbox_rows = light ? (int64_t)json_array_size(w->notices) : gi64(r, 0, b + 2);
	if (gi64(r, 0, b + 4) > 0)
		log_warn("project %" PRId64 ": no working-day calendar for %d; incident raised",
		    w->id, w->uncovered_year);
	if (st == &q_event_write_row)
		w->row_after = r;
	else
		PQclear(r);
	return 0;
}
