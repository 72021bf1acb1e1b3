/* Group commit: one flush for every answer that queued meanwhile (durable.h). */
#include "durable.h"

#include <inttypes.h>
#include <stdlib.h>
#include "cache.h"
#include "clock.h"
#include "db.h"
#include "flush.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"

struct durable {
	struct pool_job job;		/* first: the pool hands it back */
	struct pool *pool;		/* one connection, for the flushes */
	struct durable_waiter *head, *tail;	/* queued for the next flush */
	struct durable_waiter *batch;	/* the running flush's */
	bool running;			/* a flush runs */
	bool leading;			/* a leader's commit runs */
	int waiting;			/* queued and in the batch */
	bool named;			/* application_name set */
	/* commits that did not wait for their flush, counted; MARK is the count
	 * when the running flush started, LEAD_MARK when the running leader did,
	 * CONFIRMED what the last flush or leader made durable */
	uint64_t committed, mark, lead_mark, confirmed;
	/* what the running flush found */
	bool ok;
	usec_t connected_at;
};

/* The rule (durable.h): may a flush that succeeded (OK) on a connection made
 * at CONNECTED_AT confirm a waiter that queued at SINCE? */
static bool
durable_covers(bool ok, usec_t connected_at, usec_t since)
{
	return ok && connected_at < since;
}

static void flush_start(struct durable *d);

/* Answers queue: flush for them unless a flush runs (its end looks again). */
static void
flush_next(struct durable *d)
{
	if (d->head && !d->running)
		flush_start(d);
}

/* The running flush ended: answer its batch. A waiter it cannot confirm (it
 * failed, or ran on a connection made after the waiter queued) is answered
 * 503: its commit may have been lost in a restart. */
static void
settle(struct durable *d)
{
	struct durable_waiter *w = d->batch, *next;
	int n = 0, unknown = 0;

	d->batch = NULL;
	d->running = false;
	/* Once a flush has succeeded, whatever this daemon committed before it
	 * started is durable, or was lost in a restart that no later read can
	 * see: later answers need not wait for it. */
	if (d->ok && d->mark > d->confirmed)
		d->confirmed = d->mark;
	for (struct durable_waiter *x = w; x; x = x->next) {
		n++;
		if (!durable_covers(d->ok, d->connected_at, x->since))
			unknown++;
	}
	if (unknown) {
		/* the server may have lost rows the project cache holds */
		cache_project_forget();
		log_warn("group commit: %d answer(s) of %d cannot be confirmed durable (%s); "
		    "they are answered 503", unknown, n,
		    d->ok ? "the flush ran on a connection made after them" : "the flush failed");
	}
	metrics_commit_flush(d->ok, n, unknown);
	d->waiting -= n;
	for (; w; w = next) {
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
	d->ok = flush_commit(db);
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
	d->job.run = flush_run;
	d->job.done = flush_done;
	pool_submit(d->pool, &d->job);
}

struct durable *
durable_new(struct event_base *base, const char *conninfo, int timeout_s)
{
	struct durable *d = xcalloc(1, sizeof *d);
	d->pool = pool_new(base, conninfo, 1, timeout_s);
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
	free(d);
}

void
durable_revive(struct durable *d)
{
	if (d)
		pool_revive(d->pool);
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

bool
durable_lead(struct durable *d)
{
	if (d->running || d->leading || d->head)
		return false;
	d->leading = true;
	d->lead_mark = d->committed;
	return true;
}

void
durable_led(struct durable *d, bool flushed)
{
	d->leading = false;
	if (flushed && d->lead_mark > d->confirmed)
		d->confirmed = d->lead_mark;	/* as after a flush of ours */
}

int
durable_busy(const struct durable *d)
{
	return d->waiting + (d->running ? 1 : 0) + (d->leading ? 1 : 0);
}
