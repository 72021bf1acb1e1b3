/* Database worker threads: each owns one PostgreSQL connection and runs jobs
 * handed over by the event loop, so a slow commit never stalls the loop. */
#ifndef PROCURD_POOL_H
#define PROCURD_POOL_H

#include <event2/event.h>

struct db;
struct pool;

/* A unit of work. RUN executes on a pool thread with that thread's
 * connection; DONE then runs on the event-loop thread. The job's owner frees
 * it in DONE. */
struct pool_job {
	void (*run)(struct pool_job *job, struct db *db);
	void (*done)(struct pool_job *job);
	struct pool_job *next;
};

/* Start N threads, each connecting with CONNINFO. The pool is usable even
 * when the database is down: jobs then see a db whose queries fail, and the
 * thread reconnects before its next job. Caller frees with pool_free(). */
struct pool *pool_new(struct event_base *base, const char *conninfo, int n);
void pool_submit(struct pool *p, struct pool_job *job);
/* Jobs queued or running. */
int pool_busy(const struct pool *p);
/* Finish queued jobs, stop and join the threads, close connections. */
void pool_free(struct pool *p);

#endif
