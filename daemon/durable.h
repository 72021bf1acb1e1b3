/* Group commit: answers leave only once what they report is on disk.
 *
 * With PostgreSQL's own synchronous commit every event's backend waits for
 * its WAL flush, and the eight or so backends in flight queue on the WAL
 * write lock, each woken in turn: on a small machine that dance costs about
 * a sixth of PostgreSQL's CPU per event. Under group commit:
 *
 * - a supervision record's light write when nothing is in flight (no flush,
 *   no other leader, nobody waiting) *leads*: it commits synchronously, as
 *   without group commit, so a lone request costs one synchronous commit;
 * - one that comes while something is in flight commits without waiting
 *   (synchronous_commit off for that transaction alone), and its answer
 *   queues for the next flush: one small synchronous commit, on a
 *   connection kept for it, for every answer queued before it started, one
 *   flush at a time.
 *
 * A commit flushes the WAL up to its own record, so every commit made before
 * it started is then durable: the same promise as before, paid once per
 * batch. The rule for an answer: it leaves when a flush that started after
 * its job ended has succeeded on a connection made before its job ended. A
 * connection made later may be to a server that restarted in between and
 * lost what was not yet flushed: the outcome is then unknown and the answer
 * is 503 (a retry with the same Idempotency-Key tells). While some
 * commit of this daemon is not yet known durable, every other answer that
 * read the database waits too, so that nothing it shows can vanish in a
 * crash. Loop thread only. */
#ifndef PROCURD_DURABLE_H
#define PROCURD_DURABLE_H

#include <event2/event.h>
#include <stdbool.h>
#include "util.h"

struct durable;

struct durable_waiter {
	struct durable_waiter *next;
	usec_t since;			/* set by durable_wait() */
	/* DURABLE: false when the flush failed or its outcome is unknown */
	void (*done)(struct durable_waiter *w, bool durable);
};

/* One connection with CONNINFO, nonblocking on BASE. */
struct durable *durable_new(struct event_base *base, const char *conninfo, int timeout_s);
void durable_free(struct durable *d);
/* The database is back: make the flush connection again now (pool_revive). */
void durable_revive(struct durable *d);
/* A commit that did not wait for its flush has just completed. */
void durable_committed(struct durable *d);
/* Some such commit is not yet known to be durable. */
bool durable_pending(const struct durable *d);
/* Call W->done once a flush started after now has ended. */
void durable_wait(struct durable *d, struct durable_waiter *w);
/* An event is about to send a write that carries its commit: true when
 * nothing is in flight, and then it leads: it commits synchronously, and
 * calls durable_led() after, with whether it wrote (a commit that wrote
 * nothing flushes nothing). */
bool durable_lead(struct durable *d);
void durable_led(struct durable *d, bool flushed);
/* Answers waiting, or a flush or a leader's commit running. */
int durable_busy(const struct durable *d);

#endif
