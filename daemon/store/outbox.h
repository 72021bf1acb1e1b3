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
 * to LIMIT due rows as jobs {"v":1,"id",…}. */
int outbox_claim(struct db *db, usec_t now, int limit, usec_t lease, usec_t backoff,
    int max_attempts, json_t **jobs, int *dead);
int outbox_unsend(struct db *db, const int64_t *ids, size_t n, usec_t retry_at);
int outbox_delivered(struct db *db, const int64_t *ids, size_t n, usec_t now);
int outbox_failed(struct db *db, int64_t id, const char *error, usec_t now, usec_t backoff);
/* Earliest next_attempt_at of a pending row (0: none). */
int outbox_next(struct db *db, usec_t *t);
json_t *outbox_list(struct req_ctx *c, const char *status, int64_t after, int limit);
json_t *outbox_resend(struct req_ctx *c, int64_t id);
/* The gauges GET /metrics reads from the database. 0 or -1 (503). */
int outbox_gauges(struct req_ctx *c, struct metrics_gauges *g);

#endif
