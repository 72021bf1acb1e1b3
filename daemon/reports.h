/* The reports bureaus send upward (002 §3, 003 §3.5) and the figures they
 * rest on: staffing per county and township against its floors, spending
 * by funding source, category, method and state (JSON, or CSV with
 * Accept: text/csv or ?format=csv), and the dibao spending finance records
 * for Guangdong's work funds. */
#ifndef PROCURD_REPORTS_H
#define PROCURD_REPORTS_H

#include <jansson.h>
#include "request.h"

json_t *reports_staffing(struct api_request *r, struct req_ctx *c, int *status);
json_t *reports_spending(struct api_request *r, struct req_ctx *c, int *status);
json_t *reports_dibao_put(struct api_request *r, struct req_ctx *c, int *status);
json_t *reports_dibao_get(struct api_request *r, struct req_ctx *c, int *status);

#endif
