/* Inside the store: an event's one write (eventwrite.c), and the state of
 * the event transaction it reports to (event.c). */
#ifndef PROCURD_EVENTWRITE_H
#define PROCURD_EVENTWRITE_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include "ctx.h"
#include "sql.h"

/* An event transaction's own flags, private to it and its write. */
struct event_tx {
	/* the event's write carries the COMMIT (no idempotent answer to keep),
	 * and COMMITTED once it has */
	bool commit_on_write, committed;
	/* decided on the project cache's row, which no write confirms: a
	 * refusal needs a read */
	bool row_kept;
	/* decide again: the project moved since its row was read without a
	 * lock, or the decision needs the lock, or a refusal was decided on a
	 * kept row */
	enum { RETRY_NONE, RETRY_MOVED, RETRY_LOCK, RETRY_READ } retry;
};

/* One event as the write takes it. */
struct eventwrite {
	int64_t id;
	int seq;
	const char *last_hash;
	const char *ev, *from, *to;
	const json_t *payload;
	const json_t *notices;
	bool leave_state;		/* cancel the old state's deadlines */
	int64_t fired_deadline;		/* 0 none */
	const json_t *deadlines;	/* new ones: [{state, kind, level, event, due, fire}] */
	const char *cancel_kind;	/* NULL none */
	int uncovered_year;		/* 0 none: else an incident */
	int read_version;		/* the light write applies only while still there */
	const PGresult *row;		/* the project as the event was decided on */
	bool commit;			/* the write ends the transaction: COMMIT travels with it */
	bool want_row;			/* keep the project's row as the write left it */
	/* out */
	int version;
	char hash[65];
	int64_t outbox_rows;
	bool has_next_check;
	usec_t next_check;
	/* want_row: the project's row as the write left it (projectrow.h's
	 * columns, then the write's own), for the caller to clear; NULL after
	 * a light write, which changed only what the fields above say */
	PGresult *row_after;
};

/* Write the event (hash-chained to the previous one), move the project,
 * plan its deadlines and queue its notifications: one statement. On a row
 * read without a lock (db_state()->unlocked) only the light write can run, and
 * it applies only while the project is at w->read_version; else -1 with
 * TX->retry set and nothing written. TX may be NULL (a creation). */
int eventwrite_run(struct req_ctx *c, struct event_tx *tx, struct eventwrite *w);
/* The actor's id as a parameter: NULL for the daemon, which has no row. */
const char *eventwrite_actor(struct pbuf *pb, const struct user *u);

#endif
