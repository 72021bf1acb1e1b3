/* The HTTP API: a table of routes (method, path pattern, roles, handler) and
 * the handlers, which run as pool jobs with their own connection. */
#ifndef PROCURD_API_H
#define PROCURD_API_H

#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdbool.h>
#include "edge.h"
#include "request.h"

enum api_match { API_FOUND, API_NO_ROUTE, API_BAD_METHOD, API_BAD_INPUT };
/* Find the route for r->method (HEAD as GET) and r->path, filling r->route,
 * r->params (each checked at the edge: API_BAD_INPUT with E set) and
 * r->allow (the path's methods, for 405 and OPTIONS). */
enum api_match api_route(struct api_request *r, struct edge_err *e);
/* The Allow header of r->allow into OUT ("GET, HEAD, OPTIONS"). */
void api_allow(const struct api_request *r, char *out, size_t len);
/* True when the route takes a file as its body (documents.c). */
bool api_route_upload(const struct route *rt);
/* True when the route reads a JSON body. */
bool api_route_has_body(const struct route *rt);
/* Answer R with what the edge refused (edge.h, payload.h). */
void api_refuse(struct api_request *r, const struct edge_err *e);
/* True when the route needs neither token nor database (liveness, metrics). */
bool api_route_inline(const struct route *rt);
/* The name of the I-th route of the table, NULL past its end (the OpenAPI
 * document's test walks it). */
const char *api_route_name_at(size_t i);
/* True when the route is open to all (the public register, OCDS): no
 * token, a request budget per address, cacheable answers. */
bool api_route_open(const struct route *rt);
/* The route's name for logs and metrics ("POST /v1/projects/{id}/events"). */
const char *api_route_name(const struct route *rt);
/* Run the request: authentication, then the handler. As a pool job, with
 * DB; inline routes get DB NULL. Sets r->status and r->reply or r->err. */
void api_run(struct api_request *r, struct db *db);

#endif
