/* Pipelined writes: group commit's light writes from every job, on a few
 * shared connections in libpq's pipeline mode (pipes.c says why). */
#ifndef PROCURD_PIPES_H
#define PROCURD_PIPES_H

#include <libpq-fe.h>
#include <stdbool.h>

struct db;
struct event_base;
struct stmt;

/* Up to N connections, made as first needed; the loop thread only. A write
 * unanswered for TIMEOUT_S seconds cuts its pipe. Stop them after the jobs
 * have ended. */
void pipes_start(struct event_base *base, const char *conninfo, int n, int timeout_s);
void pipes_stop(void);
/* Statement S (its own transaction) on a pipe, for the job on DB, like
 * db_run(); *SENT false when no pipe could take it (nothing was sent: run
 * it on DB). */
PGresult *pipes_run(struct db *db, struct stmt *s, int n, const char *const *v, bool *sent);

#endif
