/* The API's answers as JSON, from the rows and C values the store returns:
 * one table of fields per resource, times at the calendar's offset. The
 * project's table serves both renderings, a jansson tree and the text the
 * hot event answer writes straight from the row. Pure (no SQL): the event
 * transaction renders with it the answer it keeps for an Idempotency-Key. */
#ifndef PROCURD_RENDER_H
#define PROCURD_RENDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "jsonw.h"
#include "lifecycle.h"
#include "projectrow.h"
#include "rows.h"
#include "rules.h"
#include "util.h"

/* A time as the API shows it: RFC 3339 at OFF seconds east of UTC. */
json_t *render_time(usec_t t, int off);

/* Projects: row I of R (projectrow.h's columns). */
json_t *render_project(const struct rows *r, int i, int off);
/* The members of render_project(), as text into W, with AFTER's changes. */
void render_project_text(struct jsonw *w, const struct rows *r, int i, int off,
    const struct project_after *after);
/* {"items": up to LIMIT projects, "next": the cursor when there are more}. */
json_t *render_project_list(const struct rows *r, int limit, int off);

/* An event of a project's history (PAYLOAD is taken). */
json_t *render_event(int seq, const char *ev, const char *from, const char *to,
    const char *actor, usec_t at, json_t *payload, const char *prev, const char *hash, int off);
/* The history: rows of seq, event, from, to, actor, at, payload, prev_hash, hash. */
json_t *render_history(const struct rows *r, int off);
/* The same as JSON text (free()), up to LIMIT events (all when < 0), "next"
 * the last sequence shown when R has more; NULL when memory ran out. */
char *render_history_text(const struct rows *r, int limit, int off);

/* The registry. */
json_t *render_agency(const struct rows *r, int i, int off);
/* The agencies (registry_agency_list()). */
json_t *render_agencies(const struct rows *r, int off);
/* The calendar's years (timebase_calendar_status()). */
json_t *render_calendar(const struct rows *r, int off);
/* A budget's row: special, work and lottery funds, cap in basis points,
 * special funds committed, updated_at. */
json_t *render_budget(const struct rows *r, const char *agency, int year, int off);
json_t *render_catalog_item(const struct rows *r, int i);
json_t *render_catalog(const struct rows *r);
/* A contractor: its row, its bans (active on TODAY or not) and its
 * published evaluations. */
json_t *render_contractor(const struct rows *c, const struct rows *bans, const struct rows *evals,
    int32_t today, int off);

/* Contractors found (registry_contractor_search()). */
json_t *render_contractors(const struct rows *r, int off);

/* Tendering. */
json_t *render_bids(const struct rows *r, int off);
struct render_bid {
	int64_t id, project_id, contractor_id, price_fen;
	int round;
	usec_t created_at;
};
json_t *render_bid(const struct render_bid *b, int off);
struct render_sheet {
	int64_t bid_id, project_id;
	const char *evaluator;
	const json_t *scores;
	double quality_sum;
	usec_t created_at;
};
json_t *render_sheet(const struct render_sheet *s, int off);
json_t *render_ranking(const struct rank_bid *bids, size_t n, bool has_past);
json_t *render_evaluations(const struct rows *r, int limit, int off);

/* Deadlines, incidents, notifications. */
json_t *render_deadlines(const struct rows *r, int limit, int off);
json_t *render_incidents(const struct rows *r, int limit, int off);
json_t *render_notifications(const struct rows *r, int limit, int off);
/* The users (user_list()'s rows). */
json_t *render_users(const struct rows *r, int off);
/* The relay's jobs (DESIGN.md's job message, version 1). */
json_t *render_jobs(const struct rows *r);

#endif
