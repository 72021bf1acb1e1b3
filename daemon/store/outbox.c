/* The outbox: the relay's leases and acknowledgements, the list, resending, gauges. */
#include "outbox.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db.h"
#include "jsonio.h"
#include "log.h"
#include "metrics.h"
#include "sql.h"

static struct stmt q_incidents_open = STMT("SELECT count(*) FROM incident WHERE resolved_at IS NULL");

/* The pending rows through their own partial index (bounded by the
 * backlog), the delivered and dead ones from their deltas (migration 020). */
static struct stmt q_gauges = STMT(
	"SELECT (SELECT count(*) FROM outbox WHERE status = 'pending'), "
	"coalesce(sum(n) FILTER (WHERE status = 'delivered'), 0), "
	"coalesce(sum(n) FILTER (WHERE status = 'dead'), 0), "
	"coalesce((SELECT ts2us(min(created_at)) FROM outbox WHERE status = 'pending'), 0) "
	"FROM outbox_count");

static struct stmt q_count_fold = STMT(
	"WITH gone AS (DELETE FROM outbox_count WHERE status IN "
	"(SELECT status FROM outbox_count GROUP BY status HAVING count(*) > 1) "
	"RETURNING status, n) "
	"INSERT INTO outbox_count (status, n) "
	"SELECT status, sum(n) FROM gone GROUP BY status HAVING sum(n) <> 0");

/* Delivered rows delivered before $1, a batch of $2, the oldest first. */
static struct stmt q_archive = STMT(
	"WITH gone AS (DELETE FROM outbox WHERE id IN (SELECT id FROM outbox "
	"WHERE status = 'delivered' AND delivered_at < us2ts($1) ORDER BY delivered_at LIMIT $2) "
	"RETURNING 1), c AS (INSERT INTO outbox_count (status, n) SELECT 'delivered', -count(*) "
	"FROM gone HAVING count(*) > 0) SELECT count(*) FROM gone");

int
outbox_count_fold(struct db *db)
{
	return db_run0(db, &q_count_fold, 0, NULL, NULL);
}

int64_t
outbox_forget_delivered(struct db *db, usec_t before, int batch, int batches)
{
	char t[24], b[16];
	int64_t gone = 0;
	snprintf(t, sizeof t, "%" PRId64, before);
	snprintf(b, sizeof b, "%d", batch);
	const char *v[2] = { t, b };
	for (int i = 0; i < batches; i++) {
		PGresult *r = db_run(db, &q_archive, 2, v, NULL);
		if (r == NULL)
			return -1;
		int64_t n = gi64(r, 0, 0);
		PQclear(r);
		gone += n;
		if (n < batch)
			break;
	}
	return gone;
}

int
outbox_gauges(struct req_ctx *c, struct metrics_gauges *g)
{
	PGresult *r = db_run(c->db, &q_gauges, 0, NULL, NULL);
	if (r == NULL) {
		ctx_dbfail(c, "reading gauges");
		return -1;
	}
	for (int i = 0; i < 3; i++)
		g->notifications[i] = gi64(r, 0, i);
	g->outbox_backlog = g->notifications[0];
	usec_t oldest = gi64(r, 0, 3);
	g->outbox_oldest_age_s = oldest ? (double)(c->now - oldest) / 1e6 : 0;
	PQclear(r);
	if ((r = db_run(c->db, &q_incidents_open, 0, NULL, NULL)) == NULL) {
		ctx_dbfail(c, "reading gauges");
		return -1;
	}
	g->incidents_open = gi64(r, 0, 0);
	PQclear(r);
	return 0;
}

/* Notifications past their last attempt are dead, and each is an
 * incident a person must look at. */
static struct stmt q_outbox_dead = STMT(
	"WITH d AS (UPDATE outbox SET status = 'dead', last_error = coalesce(last_error, "
	"'no acknowledgement within the lease') WHERE status = 'pending' AND attempts >= $2 "
	"AND next_attempt_at <= us2ts($1) RETURNING id, project_id, template, recipient, last_error), "
	"c AS (INSERT INTO outbox_count (status, n) SELECT 'dead', count(*) FROM d "
	"HAVING count(*) > 0) "
	"INSERT INTO incident (kind, project_id, outbox_id, detail, created_at) "
	"SELECT 'notification_dead', project_id, id, 'notification ' || id || ' (' || template || "
	"' to ' || recipient || ') is dead: ' || last_error, us2ts($1) FROM d "
	"ON CONFLICT DO NOTHING RETURNING outbox_id");

/* Claim due rows and lease them: not acked by next_attempt_at, they are
 * sent again, each time later (exponential backoff with jitter). */
static struct stmt q_outbox_claim = STMT(
	"UPDATE outbox o SET attempts = o.attempts + 1, next_attempt_at = us2ts($1 + $3 + "
	"(least(power(2, o.attempts), 64) * $4 * (0.8 + random() * 0.4))::bigint) "
	"FROM (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= us2ts($1) "
	"ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED) c WHERE o.id = c.id "
	"RETURNING o.id, o.channel, o.recipient, o.template, o.lang, o.project_id, o.data::text, "
	"o.attempts");

int
outbox_claim(struct db *db, usec_t now, int limit, usec_t lease, usec_t backoff,
    int max_attempts, struct rows **jobs, int *dead)
{
	struct pbuf pb = { .n = 0 };
	const char *vd[2] = { pi64(&pb, now), pi64(&pb, max_attempts) };
	PGresult *r = db_run(db, &q_outbox_dead, 2, vd, NULL);
	if (r == NULL)
		return -1;
	*dead = PQntuples(r);
	for (int i = 0; i < *dead; i++)
		log_warn("outbox: notification %s is dead after %d attempts", gs(r, i, 0), max_attempts);
	PQclear(r);
	const char *v[4] = { pi64(&pb, now), pi64(&pb, limit), pi64(&pb, lease), pi64(&pb, backoff) };
	if ((r = db_run(db, &q_outbox_claim, 4, v, NULL)) == NULL)
		return -1;
	*jobs = rows_of(r);
	return 0;
}

static char *
id_array(const int64_t *ids, size_t n)
{
	size_t cap = 2 + n * 21;
	char *s = xmalloc(cap), *p = s;
	*p++ = '{';
	for (size_t i = 0; i < n; i++)
		p += snprintf(p, cap - (size_t)(p - s), "%s%" PRId64, i ? "," : "", ids[i]);
	snprintf(p, cap - (size_t)(p - s), "}");
	return s;
}

/* Statement S over a set of outbox ids and one time. */
static int
run_ids(struct db *db, struct stmt *st, const int64_t *ids, size_t n, usec_t t)
{
	struct pbuf pb = { .n = 0 };
	char *arr = id_array(ids, n);
	const char *v[2] = { arr, pi64(&pb, t) };
	int rc = db_run0(db, st, 2, v, NULL);
	free(arr);
	return rc;
}

static struct stmt q_outbox_unsend = STMT(
	"UPDATE outbox SET attempts = greatest(attempts - 1, 0), next_attempt_at = us2ts($2) "
	"WHERE id = ANY($1::bigint[]) AND status = 'pending'");

int
outbox_unsend(struct db *db, const int64_t *ids, size_t n, usec_t retry_at)
{
	return run_ids(db, &q_outbox_unsend, ids, n, retry_at);
}

/* with its count (migration 020): one delta for the batch */
static struct stmt q_outbox_delivered = STMT(
	"WITH u AS (UPDATE outbox SET status = 'delivered', delivered_at = us2ts($2), "
	"last_error = NULL WHERE id = ANY($1::bigint[]) AND status = 'pending' RETURNING 1) "
	"INSERT INTO outbox_count (status, n) SELECT 'delivered', count(*) FROM u "
	"HAVING count(*) > 0");

int
outbox_delivered(struct db *db, const int64_t *ids, size_t n, usec_t now)
{
	return run_ids(db, &q_outbox_delivered, ids, n, now);
}

static struct stmt q_outbox_failed = STMT(
	"UPDATE outbox SET last_error = $2, next_attempt_at = us2ts($3 + "
	"(least(power(2, attempts), 64) * $4 * (0.8 + random() * 0.4))::bigint) "
	"WHERE id = $1 AND status = 'pending'");

int
outbox_failed(struct db *db, int64_t id, const char *error, usec_t now, usec_t backoff)
{
	struct pbuf pb = { .n = 0 };
	const char *v[4] = { pi64(&pb, id), error, pi64(&pb, now), pi64(&pb, backoff) };
	return db_run0(db, &q_outbox_failed, 4, v, NULL);
}

static struct stmt q_outbox_next = STMT(
	"SELECT ts2us(min(next_attempt_at)) FROM outbox WHERE status = 'pending'");

int
outbox_next(struct db *db, usec_t *t)
{
	PGresult *r = db_run(db, &q_outbox_next, 0, NULL, NULL);
	if (r == NULL)
		return -1;
	*t = gnull(r, 0, 0) ? 0 : gi64(r, 0, 0);
	PQclear(r);
	return 0;
}

static struct stmt q_outbox_list = STMT_CUSTOM(
	"SELECT o.id, o.project_id, o.channel, o.recipient, o.template, o.status, o.attempts, "
	"ts2us(o.next_attempt_at), o.last_error, ts2us(o.created_at), ts2us(o.delivered_at) "
	"FROM outbox o LEFT JOIN project p ON p.id = o.project_id "
	"LEFT JOIN agency a ON a.code = p.agency WHERE (a.path IS NULL OR starts_with(a.path, $1)) "
	"AND ($2::text IS NULL OR o.status = $2) AND o.id > $3 ORDER BY o.id LIMIT $4");

struct rows *
outbox_list(struct req_ctx *c, const char *status, int64_t after, int limit)
{
	struct pbuf pb = { .n = 0 };
	const char *v[4] = { c->u->path, status, pi64(&pb, after), pi64(&pb, limit + 1) };
	PGresult *r = db_run(c->db, &q_outbox_list, 4, v, NULL);
	if (r == NULL)
		return ctx_dbfail(c, "listing notifications");
	return rows_of(r);
}

/* One statement: the row in the admin's scope (locked), put back to
 * pending when it is dead, its incident resolved; answers what it was. */
static struct stmt q_outbox_resend = STMT(
	"WITH cur AS (SELECT o.id, o.status FROM outbox o LEFT JOIN project p ON p.id = o.project_id "
	"LEFT JOIN agency a ON a.code = p.agency WHERE o.id = $1 "
	"AND (a.path IS NULL OR starts_with(a.path, $3)) FOR UPDATE OF o), "
	"u AS (UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = us2ts($2), "
	"last_error = NULL WHERE id = (SELECT id FROM cur WHERE status = 'dead') RETURNING id), "
	"i AS (UPDATE incident SET resolved_at = us2ts($2) WHERE outbox_id IN (SELECT id FROM u) "
	"AND resolved_at IS NULL), "
	"c AS (INSERT INTO outbox_count (status, n) SELECT 'dead', -count(*) FROM u "
	"HAVING count(*) > 0) "
	"SELECT (SELECT status FROM cur), (SELECT count(*) FROM u)");

int
outbox_resend(struct req_ctx *c, int64_t id)
{
	struct pbuf pb = { .n = 0 };
	const char *v[3] = { pi64(&pb, id), pi64(&pb, c->now), c->u->path };
	PGresult *r = db_run(c->db, &q_outbox_resend, 3, v, NULL);
	if (r == NULL)
		return ctx_int(ctx_dbfail(c, "resending"));
	bool found = !gnull(r, 0, 0), resent = gi64(r, 0, 1) == 1;
	PQclear(r);
	if (!found)
		return ctx_int(ctx_fail(c, 404, "not_found", NULL, "no such notification"));
	if (!resent)
		return ctx_int(ctx_fail(c, 409, "invalid_transition", NULL, "only a dead notification is resent"));
	log_info("outbox: notification %" PRId64 " resent by %s", id, c->u->name);
	return 0;
}

/* One project's notifications, newest first (the caller checked its
 * scope), the same columns as outbox_list(). */
static struct stmt q_outbox_of = STMT(
	"SELECT o.id, o.project_id, o.channel, o.recipient, o.template, o.status, o.attempts, "
	"ts2us(o.next_attempt_at), o.last_error, ts2us(o.created_at), ts2us(o.delivered_at) "
	"FROM outbox o WHERE o.project_id = $1 ORDER BY o.id DESC LIMIT 200");

struct rows *
outbox_of(struct req_ctx *c, int64_t project_id)
{
	struct pbuf pb = { .n = 0 };
	const char *v[1] = { pi64(&pb, project_id) };
	PGresult *r = db_run(c->db, &q_outbox_of, 1, v, NULL);
	if (r == NULL)
		return ctx_dbfail(c, "listing a project's notifications");
	return rows_of(r);
}
