/* Next year's funding plan of an agency (003 §3.5): computed on reading,
 * reported by its officer, confirmed or returned by the finance bureau at
 * its level, escalated by the daemon when not reported in time. */
#ifndef PROCURD_FUNDING_H
#define PROCURD_FUNDING_H

#include <jansson.h>
#include "request.h"

json_t *funding_plan_get(struct api_request *r, struct req_ctx *c, int *status);
json_t *funding_plan_event(struct api_request *r, struct req_ctx *c, int *status);

#endif
