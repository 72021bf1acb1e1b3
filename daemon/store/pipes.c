/* Pipelined writes: group commit's light writes from every job on a few shared connections. */
#include "pipes.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <event2/event.h>
#include "clock.h"
#include "coro.h"
#include "db.h"
#include "log.h"
#include "metrics.h"
#include "outage.h"
#include "sql.h"

/* A light write under group commit (q_event_write_light_group in eventwrite.c: one
 * statement, its own transaction, committed without waiting for the WAL
 * flush) needs nothing of its job's connection. Every such write, from every
 * job, queues instead on one of a few shared connections in libpq's pipeline
 * mode, each statement followed by its Sync (so each is still its own
 * transaction, and an error ends only its own). A backend with writes queued
 * runs them back to back without sleeping between them: the database's work
 * per event drops by a fifth (bench/README.md). Answers come back in the
 * order sent; a persistent read event hands each to the job that waits for
 * it. A lost connection fails every write in flight on it (their outcome is
 * unknown: 503, which says it may or may not be recorded; a request with an
 * Idempotency-Key never comes here, it takes the locked path); the
 * next write that finds no pipe up makes it again (after a failed try, a
 * second later), and until then writes go on their job's own connection as
 * without pipes.
 * Only the loop thread uses them. */
struct pipe_op {
	struct coro *co;
	PGresult *r;			/* the statement's result (first), or NULL */
	bool done;
	bool sending;			/* its coroutine waits to send, not for the answer */
	usec_t sent_at;			/* monotonic: the limit counts from here */
	struct pipe_op *next;
};

struct pipe {
	struct db *db;
	struct event *rd;		/* persistent EV_READ while up */
	enum { PIPE_DOWN, PIPE_CONNECTING, PIPE_UP } state;
	bool stale;			/* its prepared statements are out of date */
	struct pipe_op *head, *tail;	/* in flight, in the order sent */
	int inflight;
	usec_t tried_at;		/* last failed connection attempt, monotonic */
};

static struct {
	struct event_base *base;
	struct pipe *p;
	int n;
	struct event *wake;		/* resumes FAILED's coroutines from the loop */
	struct pipe_op *failed;
	struct event *check;		/* once a second: a write past the limit? */
	usec_t limit;			/* [http] timeout_seconds */
} pipes;

/* A database that stops answering must not hold a pipelined write past the
 * limit: its pipe's socket is shut down, the read event sees it closed, and
 * every write in flight on it is answered as unknown (pipe_down()). */
static void
pipe_check(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	usec_t now = clock_monotonic();
	for (int i = 0; i < pipes.n; i++) {
		struct pipe *p = &pipes.p[i];
		if (p->state != PIPE_UP || p->head == NULL || now - p->head->sent_at < pipes.limit)
			continue;
		outage_begin("a pipelined write got no answer within [http] timeout_seconds");
		shutdown(PQsocket(db_conn(p->db)), SHUT_RDWR);
	}
}

static void
pipe_wake_failed(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	while (pipes.failed) {
		struct pipe_op *o = pipes.failed;
		pipes.failed = o->next;	/* before: the coroutine ends O's life */
		coro_wake(o->co);
	}
}

/* Fail every write in flight on P (the connection broke: what the server
 * did with each is unknown) and take P down; its socket's event goes first,
 * before libpq can close the socket. Called from a coroutine too, so the
 * failed writes' coroutines are resumed from the loop, never from here; one
 * still sending sees DONE when its own wait ends. */
static void
pipe_down(struct pipe *p, const char *why)
{
	if (p->rd) {
		event_free(p->rd);
		p->rd = NULL;
	}
	if (p->state == PIPE_UP && why)
		log_warn("database: a pipelined write connection was lost (%s); %d write(s) in "
		    "flight on it are answered as unknown", why, p->inflight);
	p->state = PIPE_DOWN;
	p->stale = false;
	struct pipe_op *o = p->head, *next;
	p->head = p->tail = NULL;
	p->inflight = 0;
	for (; o; o = next) {
		next = o->next;
		PQclear(o->r);
		o->r = NULL;
		o->done = true;
		if (!o->sending) {
			o->next = pipes.failed;
			pipes.failed = o;
		}
	}
	if (pipes.failed)
		event_active(pipes.wake, EV_READ, 0);
}

static void
pipe_readable(evutil_socket_t fd, short what, void *arg)
{
	struct pipe *p = arg;
	PGconn *conn = db_conn(p->db);
	struct pipe_op *ready = NULL, **rt = &ready;
	int nulls = 0;
	(void)fd;
	(void)what;

	if (!PQconsumeInput(conn) || PQstatus(conn) != CONNECTION_OK) {
		db_set_err(p->db, NULL);
		pipe_down(p, db_error(p->db));
		return;
	}
	/* each write's results, then NULL, then its Sync */
	while (p->head && !PQisBusy(conn)) {
		PGresult *r = PQgetResult(conn);
		if (r == NULL) {
			if (++nulls > 1)
				break;	/* nothing more to read yet */
			continue;
		}
		nulls = 0;
		if (PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
			if (p->head->r == NULL)
				p->head->r = r;	/* the first: a row, or the error */
			else
				PQclear(r);
			continue;
		}
		PQclear(r);
		struct pipe_op *o = p->head;
		if ((p->head = o->next) == NULL)
			p->tail = NULL;
		p->inflight--;
		o->next = NULL;
		*rt = o;
		rt = &o->next;
	}
	/* the jobs are woken last, when nothing of CONN is touched any more:
	 * one may make this pipe again */
	if (PQstatus(conn) != CONNECTION_OK) {
		db_set_err(p->db, NULL);
		pipe_down(p, db_error(p->db));
	} else if (p->stale && p->inflight == 0) {
		pipe_down(p, "prepared statements out of date");
	}
	for (struct pipe_op *o = ready, *next; o; o = next) {
		next = o->next;
		o->done = true;
		coro_wake(o->co);
	}
}

static int
pipe_wait(void *arg, int fd, bool write)
{
	(void)arg;
	return coro_wait_fd(pipes.base, fd, write);
}

/* Connect P (from a coroutine), prepare the writes it carries and enter
 * pipeline mode. */
static bool
pipe_up(struct pipe *p, struct stmt *s)
{
	char name[16];
	p->state = PIPE_CONNECTING;
	db_connect(p->db);
	if (!db_ok(p->db) || !db_prepare(p->db, s, name, NULL) ||
	    !PQenterPipelineMode(db_conn(p->db))) {
		p->state = PIPE_DOWN;
		p->tried_at = clock_monotonic();	/* the next try in a second */
		return false;
	}
	p->rd = event_new(pipes.base, PQsocket(db_conn(p->db)), EV_READ | EV_PERSIST,
	    pipe_readable, p);
	if (p->rd == NULL || event_add(p->rd, NULL) != 0) {
		pipe_down(p, "no event for its socket");
		return false;
	}
	p->state = PIPE_UP;
	return true;
}

/* The pipe to send on: one that is down is made first (at once after a
 * loss, a second after a failed try; this job waits for it); then the least
 * busy one up, or NULL. */
static struct pipe *
pipe_pick(struct stmt *s)
{
	struct pipe *best = NULL;
	usec_t now = clock_monotonic();
	for (int i = 0; i < pipes.n; i++) {
		struct pipe *p = &pipes.p[i];
		if (p->state == PIPE_DOWN && now - p->tried_at >= 1000000 && pipe_up(p, s))
			return p;
	}
	/* after pipe_up()'s waits: the others may have changed meanwhile */
	for (int i = 0; i < pipes.n; i++) {
		struct pipe *p = &pipes.p[i];
		if (p->state == PIPE_UP && !p->stale && (best == NULL || p->inflight < best->inflight))
			best = p;
	}
	return best;
}

/* Statement S on a pipe, like db_run(); *SENT false when no pipe could take it
 * (nothing was sent: the caller runs it on its own connection). */
PGresult *
pipes_run(struct db *db, struct stmt *s, int n, const char *const *v, bool *sent)
{
	char name[16];
	struct pipe *p;

	*sent = false;
	db_state(db)->pipe_lost = false;
	if (pipes.n == 0 || coro_self() == NULL || (p = pipe_pick(s)) == NULL ||
	    !db_prepared(p->db, s) || !db_prepare(p->db, s, name, NULL))
		return NULL;	/* prepare() only names it: pipe_up() prepared it */
	PGconn *conn = db_conn(p->db);
	if (!PQsendQueryPrepared(conn, name, n, v, NULL, NULL, 0))
		return NULL;	/* nothing went */
	*sent = true;
	db_count_query(db);
	struct pipe_op op = { .co = coro_self(), .sending = true, .sent_at = clock_monotonic() };
	if (p->tail)
		p->tail->next = &op;
	else
		p->head = &op;
	p->tail = &op;
	p->inflight++;
	int f = PQpipelineSync(conn) ? PQflush(conn) : -1;
	while (f == 1 && coro_wait_fd(pipes.base, PQsocket(conn), true) == 0 && !op.done)
		f = PQflush(conn);
	if (f < 0 && !op.done) {
		db_set_err(p->db, NULL);
		pipe_down(p, db_error(p->db));	/* OP with the rest: unknown */
	}
	op.sending = false;
	while (!op.done)
		coro_yield();
	ExecStatusType st = PQresultStatus(op.r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		const char *m = op.r ? PQresultErrorMessage(op.r) : NULL;
		const char *code = db_sqlstate(op.r);
		/* no answer, or the server ending the session (57P01 and the
		 * like) or the connection (08…): what it did is unknown */
		db_state(db)->pipe_lost = op.r == NULL || !strncmp(code, "57", 2) ||
		    !strncmp(code, "08", 2);
		db_set_errtext(db, m, "the connection was lost with the write in flight");
		if (!strcmp(code, "0A000") && p->state == PIPE_UP) {
			/* "cached plan must not change result type": a migration
			 * changed a table; made again once its writes are back */
			p->stale = true;
			if (p->inflight == 0)
				pipe_down(p, "prepared statements out of date");
		}
		PQclear(op.r);
		metrics_pipelined_write(false);
		return NULL;
	}
	metrics_pipelined_write(true);
	return op.r;
}

void
pipes_start(struct event_base *base, const char *conninfo, int n, int timeout_s)
{
	struct timeval second = { 1, 0 };
	pipes.base = base;
	pipes.n = n;
	pipes.limit = (usec_t)(timeout_s > 0 ? timeout_s : 30) * USEC_PER_SEC;
	if ((pipes.wake = event_new(base, -1, 0, pipe_wake_failed, NULL)) == NULL ||
	    (pipes.check = event_new(base, -1, EV_PERSIST, pipe_check, NULL)) == NULL ||
	    (n > 0 && event_add(pipes.check, &second) != 0))
		fatal("database: no event for the pipelined writes");
	pipes.p = n > 0 ? xcalloc((size_t)n, sizeof *pipes.p) : NULL;
	for (int i = 0; i < n; i++) {
		struct pipe *p = &pipes.p[i];
		p->db = db_new(conninfo);
		db_keep_setting(p->db, "application_name", "procurd pipelined writes");
		db_set_waiter(p->db, pipe_wait, p);
		p->state = PIPE_DOWN;	/* made by the first write that needs it */
		p->tried_at = clock_monotonic() - 1000000;	/* never tried */
	}
}

void
pipes_stop(void)
{
	for (int i = 0; i < pipes.n; i++) {
		struct pipe *p = &pipes.p[i];
		pipe_down(p, NULL);	/* nothing in flight: the jobs have ended */
		db_close(p->db);
	}
	if (pipes.wake)
		event_free(pipes.wake);
	if (pipes.check)
		event_free(pipes.check);
	free(pipes.p);
	memset(&pipes, 0, sizeof pipes);
}
