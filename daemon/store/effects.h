/* Inside the store: what a lifecycle event reads for its guard and what it
 * changes beyond state and history (effects.c). */
#ifndef PROCURD_EFFECTS_H
#define PROCURD_EFFECTS_H

#include <jansson.h>
#include <libpq-fe.h>
#include "ctx.h"
#include "lifecycle.h"

/* Read what NEEDS (lifecycle_needs()) asks of the project in PR into L.
 * 0, or -1 on a database error (db_error()). */
int effects_load(struct req_ctx *c, unsigned needs, const PGresult *pr, const struct lc_project *p,
    struct lc_loaded *l);
/* Apply EV's changes beyond the project's state: RESULT collects the
 * figures the guard or the effect computed, for the history and the
 * answer. 0, or -1 on a database error. */
int effects_apply(struct req_ctx *c, enum lc_event ev, const PGresult *pr, const struct lc_project *p,
    const struct lc_result *res, const json_t *pl, json_t *result);

#endif
