/* Tendering: bids, evaluators' score sheets, the ranking, and the
 * year-end evaluations. */
#ifndef PROCURD_TENDER_H
#define PROCURD_TENDER_H

#include <jansson.h>
#include <stdint.h>
#include "ctx.h"

json_t *tender_bid_add(struct req_ctx *c, int64_t project_id, const json_t *body);
json_t *tender_bid_list(struct req_ctx *c, int64_t project_id);
json_t *tender_score_add(struct req_ctx *c, int64_t project_id, int64_t bid_id,
    const json_t *body);
json_t *tender_ranking(struct req_ctx *c, int64_t project_id);
json_t *tender_evaluation_list(struct req_ctx *c, int year);

#endif
