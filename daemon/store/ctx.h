/* A request as the store sees it: the connection, the user, the clock and
 * the rules in force, where errors go, and what the event's write reports
 * back to the API. Every reading and writing function of the store takes
 * one. */
#ifndef PROCURD_CTX_H
#define PROCURD_CTX_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "apierr.h"
#include "calendar.h"
#include "deadline.h"
#include "rules.h"
#include "user.h"
#include "util.h"

struct db;
struct profile_set;

/* Group commit as the event write uses it (durable.h: the API passes its
 * durable_lead() and durable_led(), so the store never includes a layer
 * above it). LEAD: nothing is in flight, this write commits synchronously
 * and is the flush for the answers queued before it; LED then says whether
 * it wrote. */
struct group_commit {
	bool (*lead)(void *arg);
	void (*led)(void *arg, bool flushed);
	void *arg;
};

/* What the write of an event tells the API about its answer. */
struct write_outcome {
	/* committed without waiting for the WAL flush: the answer waits for
	 * durable_wait() */
	bool async_committed;
	/* the connection's query count just after a commit of this job that
	 * wrote and waited for the WAL flush (it led, see struct group_commit,
	 * or it is an event's own synchronous commit), 0 when none: if that
	 * is the job's last query, the flush covered every commit the answer
	 * can show, and the answer needs no other */
	uint64_t flushed_queries;
	/* an event's answer written as text (no Idempotency-Key): then this
	 * (free()) is the answer and the JSON returned is only {"event": …} */
	char *answer_text;
};

/* NOW is the daemon's clock; U the authenticated user. Functions return the
 * JSON to answer (a new reference), or NULL with *ERR set. */
struct req_ctx {
	struct db *db;
	const struct user *u;
	usec_t now;
	const struct rules_config *rc;
	const struct profile_set *profiles;	/* policy profiles; NULL: none read */
	/* the kinds of document each event requires (config.h), NULL: none */
	const char *(*doc_required)(const void *arg, int ev);
	const void *doc_arg;
	const struct calendar *cal;
	struct apierr *err;
	const struct deadline_config *dc;
	bool *outbox_written;		/* set when an event queued notifications */
	const struct group_commit *group;	/* NULL: every commit waits for its flush */
	json_t *published;		/* NULL, or where committed events go for the PUB socket */
	struct write_outcome out;
};

/* The calendar's offset east of UTC, as answers show times (+08:00). */
static inline int
ctx_offset(const struct req_ctx *c)
{
	return c->cal ? c->cal->utc_offset_s : 28800;
}

/* A database failure seen by a request: 503 when the connection is gone
 * (details.outcome says whether anything may have been recorded), 500
 * otherwise (logged: our bug or an operator's problem). Rolls back; NULL
 * (of whatever the caller returns).
 * Sets nothing when the statement was refused for want of the project's
 * lock (db_state()->blocked): the event then decides again, locked. */
void *ctx_dbfail(struct req_ctx *c, const char *what);
/* What ctx_fail() and ctx_dbfail() return, for a caller that returns -1. */
static inline int
ctx_int(void *null)
{
	(void)null;
	return -1;
}

/* Refuse with STATUS and CODE; rolls back; NULL (of whatever the caller
 * returns). */
void *ctx_fail(struct req_ctx *c, int status, const char *code, json_t *details,
    const char *msg);
/* 400 invalid_field naming FIELD: a query's parameter refused. */
static inline void *
ctx_bad_field(struct req_ctx *c, const char *field, const char *msg)
{
	return ctx_fail(c, 400, "invalid_field", json_pack("{s:s}", "field", field), msg);
}

#endif
