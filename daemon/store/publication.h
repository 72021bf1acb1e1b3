/* What the law makes public, as rows: projects from their first
 * announcement on (public_since, migration 015), their history, bids and contractors, for the public
 * register and OCDS. The rows are raw; publicview.h decides what of them is
 * shown (actors never leave the store: no statement here reads them). */
#ifndef PROCURD_PUBLICATION_H
#define PROCURD_PUBLICATION_H

#include <stdint.h>
#include "projectrow.h"
#include "publicview.h"
#include "rows.h"
#include "util.h"

struct db;

/* The rows of some projects, each set ordered by project id: projects
 * (projectrow.h's columns, then PUB_AGENCY_NAME and PUB_ITEMS), their whole
 * history (PH_*), their bids (PB_*). */
struct pub_batch {
	struct rows *projects, *history, *bids;
};

/* One public project (and its history and bids): 0, 1 when it is not
 * public or does not exist, -1 on a database error. */
int pub_project(struct db *db, int64_t id, struct pub_batch *out);
/* Public projects with ids above AFTER, up to LIMIT, in id order: 0 or -1. */
int pub_projects_after(struct db *db, int64_t after, int limit, struct pub_batch *out);
/* The public projects whose ids are in column COL of rows [0, N) of R
 * (a feed's page): 0 or -1. */
int pub_projects_of(struct db *db, const struct rows *r, int col, int n, struct pub_batch *out);
void pub_batch_free(struct pub_batch *b);

/* The register's list, newest first: id, title, agency, agency name,
 * fiscal_year, state, method, budget_fen, bid_deadline, published_at (µs);
 * filtered by AGENCY, STATE, YEAR (NULL: any) below the id BEFORE (0: from
 * the newest), up to LIMIT + 1 rows. NULL on a database error. */
struct rows *pub_list(struct db *db, const char *agency, const char *state, const char *year,
    int64_t before, int limit);

/* The release feed: the public history rows after the point (AT µs,
 * PROJECT, SEQ) in that order, up to LIMIT: project_id, seq, at (µs),
 * event, to_state.
 * NULL on a database error. */
struct rows *pub_feed(struct db *db, usec_t at, int64_t project, int seq, int limit);

#endif
