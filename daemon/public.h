/* The routes open to all, without a token: the public register
 * (GET /v1/public/…), OCDS releases and records (GET /v1/ocds/…), and the
 * API's OpenAPI description. Rate-limited per address and cacheable
 * (http.c, for routes flagged R_OPEN in api.c). */
#ifndef PROCURD_PUBLIC_H
#define PROCURD_PUBLIC_H

#include <jansson.h>
#include "ctx.h"
#include "request.h"

json_t *public_projects(struct api_request *r, struct req_ctx *c, int *status);
json_t *public_project_get(struct api_request *r, struct req_ctx *c, int *status);
json_t *public_document(struct api_request *r, struct req_ctx *c, int *status);
json_t *public_evaluations(struct api_request *r, struct req_ctx *c, int *status);
json_t *public_ocds_feed(struct api_request *r, struct req_ctx *c, int *status);
json_t *public_ocds_process(struct api_request *r, struct req_ctx *c, int *status);
json_t *public_ocds_record(struct api_request *r, struct req_ctx *c, int *status);
/* GET /v1/openapi.json: the document WEB_ROOT/openapi.json holds (read once
 * by public_openapi_load() at start; public_openapi_free() at exit). */
json_t *public_openapi(struct api_request *r, struct req_ctx *c, int *status);
void public_openapi_load(const char *web_root);
void public_openapi_free(void);

#endif
