/* Database jobs: each runs as a coroutine on the event-loop thread with a
 * connection of its own, suspended whenever PostgreSQL has not answered yet,
 * so a slow commit never stalls the loop and no request crosses threads. */
#ifndef PROCURD_POOL_H
#define PROCURD_POOL_H

#include <event2/event.h>

struct db;
struct pool;

/* Each job's stack. Deep enough for the store's frames (a few KiB at most),
 * libpq's and log4c's, and for jansson's recursion through a JSON value at
 * the parser's deepest nesting (JSON_PARSER_MAX_DEPTH: a request can carry
 * that much): dumping, copying, parsing and freeing one needs between 512 KiB
 * and 1 MiB; twice that for a margin. test_coro checks it, under
 * AddressSanitizer too. Only the pages a job touches are backed by memory. */
#define POOL_STACK_BYTES (2 * 1024 * 1024)

/* A unit of work. RUN executes in a coroutine with one of the pool's
 * connections (nonblocking: each query suspends RUN until its answer is
 * whole, and other jobs run meanwhile); DONE then runs on the loop's own
 * stack. The job's owner frees it in DONE. RUN must not hold a lock across
 * a query: every job shares the loop's thread. */
struct pool_job {
	void (*run)(struct pool_job *job, struct db *db);
	void (*done)(struct pool_job *job);
	struct pool_job *next;
};

/* N connections with CONNINFO, so at most N jobs run at once; the rest wait
 * in order. The pool is usable even when the database is down: jobs then see
 * a db whose queries fail, and it reconnects before the next job. A wait for
 * PostgreSQL longer than TIMEOUT_S seconds ends it: the connection is cut and
 * the job sees it lost. Caller frees with pool_free(). Loop thread only, like
 * everything below. */
struct pool *pool_new(struct event_base *base, const char *conninfo, int n, int timeout_s);
void pool_submit(struct pool *p, struct pool_job *job);
/* Make again, now, every idle connection that was lost (the database is
 * back): the first jobs after an outage then find them made, and group
 * commit's flush connection is older than any commit it must confirm. */
void pool_revive(struct pool *p);
/* Jobs queued or running. */
int pool_busy(const struct pool *p);
/* Close the connections (after the loop drained: see main.c). */
void pool_free(struct pool *p);

#endif
