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
#include "lifecycle.h"
#include "projectrow.h"

/* Put up to LIMIT projects not in a final state with ids above AFTER into
 * the project cache, in id order; *LAST is the last id. The number read, or
 * -1 (db_error()). */
int project_warm(struct db *db, int64_t after, int limit, int64_t *last);

/* The API's routes: the project's row (render_project()), or NULL with
 * c->err set; a list's up to LIMIT + 1 rows (one more tells there is a
 * next page). The caller frees them (rows_free()). */
struct rows *project_get(struct req_ctx *c, int64_t id);
struct rows *project_list(struct req_ctx *c, const char *state, const char *agency, int overdue,
    int limit, int64_t after);
struct rows *project_create(struct req_ctx *c, const json_t *body);

/* The user's tasks: projects in scope in one of STATES (a text array
 * literal, "{draft,announced}"), optionally of STATE and AGENCY, overdue
 * only; most urgent first, up to LIMIT + 1 after the cursor (AFTER_DUE
 * NULL: a project without deadline, or the start when AFTER_ID is 0):
 * id, title, agency, state, version, due (µs, or NULL). And how many per
 * state. NULL with c->err set. */
struct rows *project_tasks(struct req_ctx *c, const char *states, const char *state,
    const char *agency, bool overdue, const usec_t *after_due, int64_t after_id, int limit);
struct rows *project_task_counts(struct req_ctx *c, const char *states, const char *agency,
    bool overdue);
/* Folds the per-state count deltas (migration 014); the scheduler's
 * periodic look runs it once a minute. 0, or -1 when the database failed. */
int project_count_fold(struct db *db);

/* Inside the store: the row as the guards see it. */
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
