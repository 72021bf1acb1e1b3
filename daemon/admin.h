/* The registry's routes: the agency tree in scope, agencies and their
 * budgets, the catalogue, and the working-day calendar's years. */
#ifndef PROCURD_ADMIN_H
#define PROCURD_ADMIN_H

#include <jansson.h>
#include "request.h"

json_t *admin_agencies(struct api_request *r, struct req_ctx *c, int *status);
json_t *admin_calendar(struct api_request *r, struct req_ctx *c, int *status);
json_t *admin_agency_add(struct api_request *r, struct req_ctx *c, int *status);
json_t *admin_agency_get(struct api_request *r, struct req_ctx *c, int *status);
json_t *admin_budget_put(struct api_request *r, struct req_ctx *c, int *status);
json_t *admin_budget_get(struct api_request *r, struct req_ctx *c, int *status);
json_t *admin_catalog_add(struct api_request *r, struct req_ctx *c, int *status);
json_t *admin_catalog_list(struct api_request *r, struct req_ctx *c, int *status);
json_t *admin_catalog_put(struct api_request *r, struct req_ctx *c, int *status);

#endif
