/* Group commit: one flush for every answer that queued meanwhile (durable.h). */
#include "durable.h"

#include <inttypes.h>
#include <stdlib.h>
#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "store.h"

/* How long answers wait for an event to lead their flush before our own
 * connection runs one (libevent's timers have a millisecond's grain). */
#define LEADER_WAIT_USEC 1000

struct durable {
	struct pool_job job;		/* first: the pool hands it back */
	struct pool *pool;		/* one connection, for our own flushes */
	struct pool *main;		/* the requests': is a leader likely? */
	struct event *led;		/* a leader's commit ended: settle its batch */
	struct event *fallback;		/* no leader came: flush ourselves */
	struct durable_waiter *head, *tail;	/* queued for the next flush */
	struct durable_waiter *batch;	/* the running flush's */
	bool running;			/* a flush runs: ours or a leader's */
	bool leading;			/* it is a leader's */
	int waiting;			/* queued and in the batch */
	bool named;			/* application_name set */
	/* commits that did not wait for their flush, counted; MARK is the count
	 * when the running flush started, CONFIRMED the last flushed one's */
	uint64_t committed, mark, confirmed;
	/* what the running flush found */
	bool ok;
	usec_t connected_at;
};

bool
durable_covers(bool ok, usec_t connected_at, usec_t since)
{
	return ok && connected_at < since;
}

static void flush_start(struct durable *d);

/* Answers queue and nothing runs: a request under way will most likely
 * reach its write soon and lead; if none is, or none does in time, flush. */
static void
flush_next(struct durable *d)
{
	if (d->head == NULL || d->running)
		return;
	if (pool_busy(d->main) == 0) {
		flush_start(d);
		return;
	}
	if (!evtimer_pending(d->fallback, NULL)) {
		struct timeval tv = { 0, LEADER_WAIT_USEC };
		evtimer_add(d->fallback, &tv);
	}
}

/* The running flush ended: answer its batch. A waiter it cannot confirm
 * (it failed, or ran on a connection made after the waiter queued) is
 * answered 503 when the flush was our own; after a leader's, it waits for
 * the next flush, which may be on an older connection. */
static void
settle(struct durable *d)
{
	struct durable_waiter *w = d->batch, *next, *done = NULL, **done_end = &done;
	struct durable_waiter *again = NULL, *again_last = NULL;
	bool leader = d->leading;
	int n = 0, unknown = 0;

	d->batch = NULL;
	d->running = false;
	d->leading = false;
	/* Once a flush has succeeded, whatever this daemon committed before it
	 * started is durable, or was lost in a restart that no later read can
	 * see: later answers need not wait for it. */
	if (d->ok)
		d->confirmed = d->mark;
	for (; w; w = next) {
		next = w->next;
		w->next = NULL;
		if (leader && !durable_covers(d->ok, d->connected_at, w->since)) {
			if (again_last)
				again_last->next = w;
			else
				again = w;
			again_last = w;
			continue;
		}
		*done_end = w;
		done_end = &w->next;
		n++;
		if (!durable_covers(d->ok, d->connected_at, w->since))
			unknown++;
	}
	if (again) {
		again_last->next = d->head;	/* first in line */
		if (d->head == NULL)
			d->tail = again_last;
		d->head = again;
	}
	if (unknown) {
		/* the server may have lost rows the project cache holds */
		store_project_cache_forget();
		log_warn("group commit: %d answer(s) of %d cannot be confirmed durable (%s); "
		    "they are answered 503", unknown, n,
		    d->ok ? "the flush ran on a connection made after them" : "the flush failed");
	}
	if (n || !leader)
		metrics_commit_flush(d->ok, n, unknown, leader);
	d->waiting -= n;
	for (w = done; w; w = next) {
		next = w->next;	/* done() may free W */
		w->done(w, durable_covers(d->ok, d->connected_at, w->since));
	}
	flush_next(d);
}

static void
flush_run(struct pool_job *job, struct db *db)
{
	struct durable *d = (struct durable *)job;
	if (!d->named && db_set(db, "application_name", "procurd group commit") == 0)
		d->named = true;	/* kept across reconnects; for pg_stat_activity */
	d->ok = store_commit_flush(db);
	d->connected_at = db_connected_at(db);
	if (!d->ok)
		log_warn("group commit: the flush failed: %s", db_error(db));
}

static void
flush_done(struct pool_job *job)
{
	settle((struct durable *)job);
}

static void
flush_start(struct durable *d)
{
	d->batch = d->head;
	d->head = d->tail = NULL;
	d->mark = d->committed;
	d->running = true;
	d->leading = false;
	d->job.run = flush_run;
	d->job.done = flush_done;
	pool_submit(d->pool, &d->job);
}

static void
on_led(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	settle(arg);
}

static void
on_fallback(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	durable_poke(arg);
}

struct durable *
durable_new(struct event_base *base, const char *conninfo, struct pool *main)
{
	struct durable *d = xcalloc(1, sizeof *d);
	d->pool = pool_new(base, conninfo, 1);
	d->main = main;
	d->led = event_new(base, -1, 0, on_led, d);
	d->fallback = evtimer_new(base, on_fallback, d);
	return d;
}

void
durable_free(struct durable *d)
{
	if (d == NULL)
		return;
	if (d->waiting)
		log_warn("group commit: %d answer(s) still waiting at exit", d->waiting);
	pool_free(d->pool);
	event_free(d->led);
	event_free(d->fallback);
	free(d);
}

void
durable_committed(struct durable *d)
{
	d->committed++;
}

bool
durable_pending(const struct durable *d)
{
	return d->committed > d->confirmed;
}

void
durable_wait(struct durable *d, struct durable_waiter *w)
{
	w->next = NULL;
	w->since = clock_monotonic();
	if (d->tail)
		d->tail->next = w;
	else
		d->head = w;
	d->tail = w;
	d->waiting++;
	flush_next(d);
}

void
durable_poke(struct durable *d)
{
	if (d->head && !d->running)
		flush_start(d);
}

bool
durable_lead(struct durable *d)
{
	if (d->running)
		return false;
	d->running = true;
	d->leading = true;
	d->batch = d->head;
	d->head = d->tail = NULL;
	d->mark = d->committed;
	return true;
}

void
durable_led(struct durable *d, bool flushed, usec_t connected_at)
{
	d->ok = flushed;
	d->connected_at = connected_at;
	/* settled on the loop's own stack, not in the leader's coroutine */
	event_active(d->led, EV_READ, 0);
}

int
durable_busy(const struct durable *d)
{
	return d->waiting + (d->running ? 1 : 0);
}
