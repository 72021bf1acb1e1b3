/* What the console asks of the lifecycle: the transition table as the
 * daemon runs it (GET /v1/lifecycle), and what waits for the caller
 * (GET /v1/tasks): the projects where one of their roles can act now, most
 * urgent first, with working days left. */
#ifndef PROCURD_TASKS_H
#define PROCURD_TASKS_H

#include <jansson.h>
#include "request.h"

json_t *tasks_lifecycle(struct api_request *r, struct req_ctx *c, int *status);
json_t *tasks_list(struct api_request *r, struct req_ctx *c, int *status);
/* GET /v1/projects/{id}/verify: the project's hash chain, checked now. */
json_t *tasks_verify(struct api_request *r, struct req_ctx *c, int *status);

#endif
