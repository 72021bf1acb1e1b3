/* Signing in: a name and a password for a session cookie (the console's
 * way in; programs keep their bearer tokens), the CSRF token a cookie's
 * state-changing request must carry, failed sign-ins locked out, and the
 * caller's own account. */
#ifndef PROCURD_SIGNIN_H
#define PROCURD_SIGNIN_H

#include <jansson.h>
#include <stdbool.h>
#include "request.h"

/* Who the session cookie of R signs in, into *U: 0; 1 when it signs in
 * nobody (no session, or it ended); -1 on a database error. A
 * state-changing request must carry the session's CSRF token (else 403,
 * set in r->err, and 2). r->change_password says the password is
 * one-time: then only the routes for the own account are open
 * (signin_open_while_changing()). */
int signin_session(struct api_request *r, struct db *db, struct user *u);

/* POST /v1/sessions: {name, password} → 201 with the user and a
 * csrf_token, and the cookie. */
json_t *signin_open(struct api_request *r, struct req_ctx *c, int *status);
/* DELETE /v1/sessions/current: revoked, the cookie cleared. */
json_t *signin_close(struct api_request *r, struct req_ctx *c, int *status);
/* GET /v1/me */
json_t *signin_me(struct api_request *r, struct req_ctx *c, int *status);
/* PUT /v1/me/password: {current, new}. */
json_t *signin_password(struct api_request *r, struct req_ctx *c, int *status);
json_t *signin_language(struct api_request *r, struct req_ctx *c, int *status);
/* Whether route NAME stays open while the password must be changed. */
bool signin_open_while_changing(const char *route_name);

#endif
