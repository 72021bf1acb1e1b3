/* Lifecycle events: one transaction each, decided on the project's row by
 * the pure lifecycle table, applied, answered and published. */
#ifndef PROCURD_EVENT_H
#define PROCURD_EVENT_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include "ctx.h"
#include "lifecycle.h"

struct event_tx;

/* POST /v1/projects/{id}/events: EVENT on project ID, at EXPECTED_VERSION
 * (-1: any). With IDEM_KEY the answer is kept, and a retry with the same
 * key and RAW_BODY gets it again (*STATUS). */
json_t *event_apply(struct req_ctx *c, int64_t id, enum lc_event ev,
    int64_t expected_version, const json_t *payload, const char *idem_key,
    const char *raw_body, int *status);
/* The project's history after sequence AFTER, a row an event
 * (render_history_text()): up to LIMIT and one more, or all with LIMIT < 0;
 * NULL with c->err set. */
struct rows *event_list(struct req_ctx *c, int64_t id, int64_t after, int limit);

/* Inside the store (the daemon's deadlines): decide and apply EV on the
 * project in PR, which this transaction holds locked. FIRED is the deadline
 * this event fires (0 when a person acts). Returns the answer (the project
 * as GET shows it plus "event") when WANT_ANSWER, else only the new
 * "state" and the "event" (no read of the row again); NULL
 * with c->err set when refused or on a database error. Never commits nor
 * rolls back: the caller does. */
json_t *event_apply_locked(struct req_ctx *c, struct event_tx *tx, const PGresult *pr,
    enum lc_event ev, const char *ev_name, const json_t *payload, int64_t fired,
    bool want_answer);
/* Append the PUB socket's message for a committed event's answer to ARR. */
void event_publish(json_t *arr, const json_t *answer_event, int64_t pid);

#endif
