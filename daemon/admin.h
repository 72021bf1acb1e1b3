/* What administrators read besides users: the agency tree in scope and
 * the working-day calendar's years, loaded and missing. */
#ifndef PROCURD_ADMIN_H
#define PROCURD_ADMIN_H

#include <jansson.h>
#include "request.h"

json_t *admin_agencies(struct api_request *r, struct req_ctx *c, int *status);
json_t *admin_calendar(struct api_request *r, struct req_ctx *c, int *status);

#endif
