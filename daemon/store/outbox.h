/* The outbox: notifications leased to the relay and acknowledged, listed
 * and resent by people, and the gauges /metrics reads. */
#ifndef PROCURD_OUTBOX_H
#define PROCURD_OUTBOX_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include "ctx.h"

struct db;
struct metrics_gauges;

/* The relay's side (relay thread, its own connection). Claim first marks
 * rows past their last attempt dead (*dead, with incidents), then leases up
 * to LIMIT due rows as *JOBS (render_jobs()): id, channel, recipient,
 * template, lang, project_id, data, attempt. */
int outbox_claim(struct db *db, usec_t now, int limit, usec_t lease, usec_t backoff,
    int max_attempts, struct rows **jobs, int *dead);
int outbox_unsend(struct db *db, const int64_t *ids, size_t n, usec_t retry_at);
int outbox_delivered(struct db *db, const int64_t *ids, size_t n, usec_t now);
int outbox_failed(struct db *db, int64_t id, const char *error, usec_t now, usec_t backoff);
/* Earliest next_attempt_at of a pending row (0: none). */
int outbox_next(struct db *db, usec_t *t);
/* Notifications in the user's scope, up to LIMIT + 1 after id AFTER: id,
 * project_id, channel, recipient, template, status, attempts,
 * next_attempt_at, last_error, created_at, delivered_at. NULL with c->err
 * set. */
struct rows *outbox_list(struct req_ctx *c, const char *status, int64_t after, int limit);
/* One project's notifications, the latest 200 (the caller checked the
 * project is in scope). */
struct rows *outbox_of(struct req_ctx *c, int64_t project_id);
/* A dead notification back to pending (its incident resolved): 0, or -1
 * with c->err set (404, or 409 when it is not dead). */
int outbox_resend(struct req_ctx *c, int64_t id);
/* The gauges GET /metrics reads from the database. 0 or -1 (503). */
int outbox_gauges(struct req_ctx *c, struct metrics_gauges *g);
/* Fold the per-status deltas the gauges read (migration 020): 0 or -1. */
int outbox_count_fold(struct db *db);
/* Delete delivered rows delivered before BEFORE, BATCH at a time, at most
 * BATCHES batches (each its own statement, so none holds many locks long):
 * how many went, or -1 (db_error()). */
int64_t outbox_forget_delivered(struct db *db, usec_t before, int batch, int batches);

#endif
