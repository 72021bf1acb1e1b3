/* Group commit: answers leave only once what they report is on disk.
 *
 * With PostgreSQL's own synchronous commit every event's backend waits for
 * its WAL flush, and the eight or so backends in flight queue on the WAL
 * write lock, each woken in turn: on a small machine that dance costs about
 * a sixth of PostgreSQL's CPU per event. Under group commit one flush at a
 * time runs, for every answer that queued before it started:
 *
 * - when no flush runs, the next supervision record's light write *leads*:
 *   it commits synchronously, as without group commit, and its commit is
 *   the flush for the answers queued so far (a lone request costs exactly
 *   one synchronous commit);
 * - a light write that comes while a flush runs commits without waiting
 *   (synchronous_commit off for that transaction alone) and its answer
 *   queues for the next flush;
 * - answers queued when no request is under way to lead (or none has led
 *   within a millisecond) get a flush of their own: one small synchronous
 *   commit on a connection kept for it.
 *
 * A commit flushes the WAL up to its own record, so every commit made before
 * it started is then durable: the same promise as before, paid once per
 * batch. The rule for an answer: it leaves when a flush that started after
 * its job ended has succeeded on a connection made before its job ended. A
 * connection made later may be to a server that restarted in between and
 * lost what was not yet flushed: after our own flush the outcome is then
 * unknown and the answer is 503 (a retry with the same Idempotency-Key
 * tells); after a leader's the answer waits for the next flush. While some
 * commit of this daemon is not yet known durable, every other answer that
 * read the database waits too, so that nothing it shows can vanish in a
 * crash. Loop thread only. */
#ifndef PROCURD_DURABLE_H
#define PROCURD_DURABLE_H

#include <event2/event.h>
#include <stdbool.h>
#include "pool.h"
#include "util.h"

struct durable;

struct durable_waiter {
	struct durable_waiter *next;
	usec_t since;			/* set by durable_wait() */
	/* DURABLE: false when the flush failed or its outcome is unknown */
	void (*done)(struct durable_waiter *w, bool durable);
};

/* One connection with CONNINFO, nonblocking on BASE; MAIN is the requests'
 * pool (while it has jobs under way, one of them will likely lead). */
struct durable *durable_new(struct event_base *base, const char *conninfo, struct pool *main);
void durable_free(struct durable *d);
/* A commit that did not wait for its flush has just completed. */
void durable_committed(struct durable *d);
/* Some such commit is not yet known to be durable. */
bool durable_pending(const struct durable *d);
/* Call W->done once a flush started after now has ended. */
void durable_wait(struct durable *d, struct durable_waiter *w);
/* A request's job ended without waiting: if answers wait for a leader,
 * flush for them now. */
void durable_poke(struct durable *d);
/* An event is about to send a write that carries its commit: true when no
 * flush runs, and then it leads: it commits synchronously, and is the flush
 * for the answers queued until now. It then calls durable_led() with
 * whether it wrote (a commit that wrote nothing flushes nothing) and when
 * its connection was made. */
bool durable_lead(struct durable *d);
void durable_led(struct durable *d, bool flushed, usec_t connected_at);
/* Answers waiting, or a flush running. */
int durable_busy(const struct durable *d);

/* The rule above: may a flush that succeeded (OK) on a connection made at
 * CONNECTED_AT confirm a waiter that queued at SINCE? */
bool durable_covers(bool ok, usec_t connected_at, usec_t since);

#endif
