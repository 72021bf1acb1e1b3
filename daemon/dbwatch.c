/* The database watch (see dbwatch.h). */
#include "dbwatch.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "clock.h"
#include "outage.h"
#include "util.h"

#define TICK_MS 250
/* a connection or a probe not answered in this long is an outage: with
 * one tick before it, the watch says so within a second */
#define PATIENCE (USEC_PER_SEC * 7 / 10)

enum step { IDLE, CONNECTING, WAITING };

struct dbwatch {
	struct event_base *base;
	char *conninfo;
	PGconn *conn;
	struct event *tick;
	struct event *io;		/* one-shot, on the socket of the step */
	enum step step;
	usec_t started;			/* of the step, monotonic */
	void (*back)(void *arg);
	void (*notified)(void *arg, const char *payload);
	void *arg;
	char *listen;			/* "LISTEN channel", sent first on each connection */
	bool listening;			/* it was, on this connection */
	bool lost;			/* the watch itself failed since it last answered */
};

/* The database answered: after an outage (which another connection may
 * have ended already), tell. */
static void
answered(struct dbwatch *w)
{
	bool was_out = w->lost || outage_active();
	w->lost = false;
	outage_end();
	if (was_out && w->back)
		w->back(w->arg);
}

static void on_io(evutil_socket_t fd, short what, void *arg);
static void start_connect(struct dbwatch *w);

static void
drop(struct dbwatch *w)
{
	if (w->io) {
		event_free(w->io);
		w->io = NULL;
	}
	PQfinish(w->conn);
	w->conn = NULL;
	w->step = IDLE;
}

static void
failed(struct dbwatch *w, const char *why)
{
	w->lost = true;
	outage_begin(why);
	drop(w);
}

/* The connection is gone (the server ended it, or this one backend was
 * terminated): that alone is no outage when it had been answering. Connect
 * again at once; only if that fails is the database unreachable. A
 * connection that never answered its LISTEN (a standby refuses it) is a
 * failure, retried at the next tick: no storm of connections. */
static void
lost(struct dbwatch *w, const char *why)
{
	if (!w->listening) {
		failed(w, why);
		return;
	}
	drop(w);
	w->started = clock_monotonic();
	start_connect(w);
}

static void
await(struct dbwatch *w, bool write)
{
	if (w->io)
		event_free(w->io);
	w->io = event_new(w->base, PQsocket(w->conn), write ? EV_WRITE : EV_READ, on_io, w);
	if (w->io == NULL || event_add(w->io, NULL) != 0)
		failed(w, "cannot wait on the watch's socket");
}

static void
connect_poll(struct dbwatch *w)
{
	switch (PQconnectPoll(w->conn)) {
	case PGRES_POLLING_OK:
		PQsetnonblocking(w->conn, 1);
		/* the first round trip LISTENs; it answers for the probe too */
		w->listening = false;
		if (!PQsendQuery(w->conn, w->listen) || PQflush(w->conn) != 0) {
			failed(w, PQerrorMessage(w->conn));
			return;
		}
		w->step = WAITING;
		await(w, false);
		return;
	case PGRES_POLLING_FAILED:
		failed(w, PQerrorMessage(w->conn));
		return;
	case PGRES_POLLING_WRITING:
		await(w, true);
		return;
	default:
		await(w, false);
		return;
	}
}

static void
probe_read(struct dbwatch *w)
{
	if (!PQconsumeInput(w->conn)) {
		lost(w, PQerrorMessage(w->conn));
		return;
	}
	/* the payloads are few and known (the store's): each told once */
	char told[4][32];
	int ntold = 0;
	PGnotify *n;
	while ((n = PQnotifies(w->conn)) != NULL) {
		bool seen = false;
		for (int i = 0; i < ntold && !seen; i++)
			seen = strcmp(told[i], n->extra) == 0;
		if (!seen && w->notified) {
			if (ntold < 4)
				snprintf(told[ntold++], sizeof told[0], "%s", n->extra);
			w->notified(w->arg, n->extra);
		}
		PQfreemem(n);
	}
	if (w->step == IDLE) {
		if (PQstatus(w->conn) != CONNECTION_OK)
			lost(w, PQerrorMessage(w->conn));
		else
			await(w, false);
		return;
	}
	while (!PQisBusy(w->conn)) {
		PGresult *r = PQgetResult(w->conn);
		if (r == NULL) {
			w->step = IDLE;
			if (PQstatus(w->conn) != CONNECTION_OK) {
				lost(w, PQerrorMessage(w->conn));
				return;
			}
			answered(w);
			if (!w->listening) {
				/* listening from now: look for what came before */
				w->listening = true;
				if (w->notified)
					w->notified(w->arg, NULL);
			}
			if (w->conn)
				await(w, false);	/* idle: a NOTIFY, or the server leaving */
			return;
		}
		bool bad = PQresultStatus(r) == PGRES_FATAL_ERROR;
		PQclear(r);
		if (bad) {
			lost(w, PQerrorMessage(w->conn));
			return;
		}
	}
	await(w, false);
}

static void
on_io(evutil_socket_t fd, short what, void *arg)
{
	struct dbwatch *w = arg;
	(void)fd;
	(void)what;
	if (w->step == CONNECTING)
		connect_poll(w);
	else
		probe_read(w);	/* an answer, or while idle a NOTIFY */
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct dbwatch *w = arg;
	(void)fd;
	(void)what;
	if (w->step != IDLE) {
		if (clock_monotonic() - w->started > PATIENCE)
			failed(w, w->step == CONNECTING ? "no connection within 0.7 s" :
			    "no answer within 0.7 s");
		return;
	}
	w->started = clock_monotonic();
	if (w->conn == NULL || PQstatus(w->conn) != CONNECTION_OK) {
		drop(w);
		start_connect(w);
		return;
	}
	/* an empty query: the server answers EmptyQueryResponse, no SQL run */
	if (!PQsendQuery(w->conn, "") || PQflush(w->conn) != 0) {
		lost(w, PQerrorMessage(w->conn));
		return;
	}
	w->step = WAITING;
	await(w, false);
}

static void
start_connect(struct dbwatch *w)
{
	/* the conninfo as configured, named for pg_stat_activity */
	static const char *const keys[] = { "dbname", "application_name", NULL };
	const char *values[] = { w->conninfo, "procurd watch", NULL };
	w->conn = PQconnectStartParams(keys, values, 1);
	if (w->conn == NULL || PQstatus(w->conn) == CONNECTION_BAD) {
		failed(w, w->conn ? PQerrorMessage(w->conn) : "out of memory");
		return;
	}
	w->step = CONNECTING;
	await(w, true);
}

struct dbwatch *
dbwatch_start(struct event_base *base, const char *conninfo, const char *channel,
    void (*back)(void *arg), void (*notified)(void *arg, const char *payload), void *arg)
{
	struct dbwatch *w = xcalloc(1, sizeof *w);
	w->base = base;
	w->back = back;
	w->notified = notified;
	w->arg = arg;
	w->listen = xasprintf("LISTEN %s", channel);
	w->conninfo = xstrdup(conninfo ? conninfo : "");
	w->tick = event_new(base, -1, EV_PERSIST, on_tick, w);
	struct timeval tv = { 0, TICK_MS * 1000 };
	event_add(w->tick, &tv);
	return w;
}

void
dbwatch_free(struct dbwatch *w)
{
	if (w == NULL)
		return;
	drop(w);
	event_free(w->tick);
	free(w->listen);
	free(w->conninfo);
	free(w);
}
