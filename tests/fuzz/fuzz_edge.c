/* Fuzz target: the HTTP request edge. The input is the parts of a request
 * separated by NUL bytes: method, path, query, Idempotency-Key,
 * Authorization, body; each goes through edge.c and the route table. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sys/queue.h>
#include "api.h"
#include "edge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int methods[] = { EVHTTP_REQ_GET, EVHTTP_REQ_POST, EVHTTP_REQ_PUT, EVHTTP_REQ_HEAD,
	EVHTTP_REQ_DELETE, EVHTTP_REQ_OPTIONS, EVHTTP_REQ_PATCH };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *part[6] = { "", "", "", "", "", "" };
	size_t plen[6] = { 0 };
	memcpy(copy, data, size);
	copy[size] = '\0';
	size_t at = 0;
	for (int i = 0; i < 6 && at <= size; i++) {
		part[i] = copy + at;
		plen[i] = i == 5 ? size - at : strnlen(copy + at, size - at);
		at += plen[i] + 1;
	}
	struct edge_err e;
	struct api_request r;
	memset(&r, 0, sizeof r);
	TAILQ_INIT(&r.args);
	r.method = methods[(plen[0] ? (unsigned char)part[0][0] : 0) % 7];
	char *path;
	if (edge_path(part[1], &path, &e) == 0) {
		r.path = path;
		if (edge_query(part[2], &r.args, &e) == 0 && api_route(&r, &e) == API_FOUND) {
			char allow[64];
			api_allow(&r, allow, sizeof allow);
			(void)api_route_name(r.route);
		}
		for (int i = 0; i < API_MAX_PARAMS; i++)
			free(r.params[i]);
		free(path);
	}
	evhttp_clear_headers(&r.args);
	(void)edge_idem_key(plen[3] ? part[3] : NULL, &e);
	(void)edge_auth_ok(part[4]);
	/* the same part as a Cookie header and as a CSRF token */
	free(edge_cookie(part[4], "procurd_session"));
	free(edge_csrf(part[4]));
	json_t *j;
	if (edge_body(part[5], plen[5], &j, &e) == 0)
		json_decref(j);
	free(copy);
	return 0;
}
