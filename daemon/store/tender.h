/* Tendering: bids, evaluators' score sheets, the ranking, and the
 * year-end evaluations. */
#ifndef PROCURD_TENDER_H
#define PROCURD_TENDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "ctx.h"
#include "lifecycle.h"
#include "render.h"

/* A bid, recorded: 0 with *OUT, or -1 with c->err set. */
int tender_bid_add(struct req_ctx *c, int64_t project_id, const json_t *body,
    struct render_bid *out);
/* The project's bids: id, contractor_id, contractor_name, price_fen, round,
 * declined, created_at, sheets. NULL with c->err set. */
struct rows *tender_bid_list(struct req_ctx *c, int64_t project_id);
/* An evaluator's sheet, recorded: 0 with *OUT (its scores point into BODY),
 * or -1 with c->err set. */
int tender_score_add(struct req_ctx *c, int64_t project_id, int64_t bid_id,
    const json_t *body, struct render_sheet *out);
/* The current round's bids, ranked (free()), and whether the criteria
 * count past performance; NULL with c->err set. */
struct lc_loaded *tender_ranking(struct req_ctx *c, int64_t project_id, bool *has_past);
/* The year's published evaluations: project_id, contractor_id,
 * contractor_name, agency, fiscal_year, the three scores, composite,
 * published_at, title. */
/* A page of up to LIMIT (one more read) after project AFTER. */
struct rows *tender_evaluation_list(struct req_ctx *c, int year, int64_t after, int limit);

#endif
