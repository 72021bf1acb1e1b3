/* Projects: the row (its columns in the order every project statement
 * reads them), how the API shows it, reading one in the user's scope,
 * listing and creating them. */
#ifndef PROCURD_PROJECT_H
#define PROCURD_PROJECT_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include "ctx.h"
#include "jsonw.h"
#include "lifecycle.h"
#include "projectrow.h"

/* The API's routes. */
json_t *project_get(struct req_ctx *c, int64_t id);
json_t *project_list(struct req_ctx *c, const char *state, const char *agency, int overdue,
    int limit, int64_t after);
json_t *project_create(struct req_ctx *c, const json_t *body);

/* Inside the store: row I of R as the API shows it, as a tree or as the
 * members' text into W with AFTER's changes (one table of fields for both);
 * as the guards see it. */
json_t *project_json(struct req_ctx *c, const PGresult *r, int i);
void project_text(struct jsonw *w, struct req_ctx *c, const PGresult *r, int i,
    const struct project_after *after);
void project_decode(const PGresult *r, int i, struct lc_project *p, const struct rules_config *rc);
/* Project ID as the user sees it (its row), or NULL (404 outside the scope,
 * or a database error: c->err says which). LOCK reads it FOR UPDATE;
 * BEGIN_TOO starts the transaction in the same round trip (lock only). */
PGresult *project_fetch_tx(struct req_ctx *c, int64_t id, bool lock, bool begin_too);
PGresult *project_fetch(struct req_ctx *c, int64_t id, bool lock);
/* Read outside a transaction: committed, so it is kept. KEPT NULL: from
 * the database; else from the cache when it is there, and then *KEPT. */
PGresult *project_read(struct req_ctx *c, int64_t id, bool *kept);

#endif
