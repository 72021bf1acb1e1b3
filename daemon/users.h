/* Administering users (admin role, within the admin's agency scope): the
 * list, a new user (its token and a one-time password, shown once), a
 * password reset to a one-time one, disabling (refused at once) and
 * enabling again. */
#ifndef PROCURD_USERS_H
#define PROCURD_USERS_H

#include <jansson.h>
#include "request.h"

json_t *users_list(struct api_request *r, struct req_ctx *c, int *status);
json_t *users_add(struct api_request *r, struct req_ctx *c, int *status);
json_t *users_reset(struct api_request *r, struct req_ctx *c, int *status);
json_t *users_disable(struct api_request *r, struct req_ctx *c, int *status);
json_t *users_enable(struct api_request *r, struct req_ctx *c, int *status);

#endif
