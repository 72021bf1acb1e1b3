/* A request as its pool job sees it (api.c, signin.c): copies of what it
 * needs from the evhttp request, and its answer. */
#ifndef PROCURD_REQUEST_H
#define PROCURD_REQUEST_H

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdbool.h>
#include "ctx.h"
#include "durable.h"
#include "pool.h"
#include "procurd.h"

#define API_MAX_PARAMS 3

struct route;

/* One request as its pool job sees it: copies of what it needs from the
 * evhttp request, never the evhttp request itself. */
struct api_request {
	struct pool_job job;		/* first: the pool hands this back */
	struct procurd *d;
	void *conn;			/* the evhttp request: loop thread only */
	int method;			/* enum evhttp_cmd_type */
	char *path;
	struct evkeyvalq args;		/* the query's parameters, parsed once */
	char *authorization;
	char *session;			/* the session cookie's value (64 hex digits), or NULL */
	char *csrf;			/* the X-CSRF-Token header, or NULL */
	char address[64];		/* the client's address, for sign-in limits and logs */
	const char *signed_in_with;	/* "token" or "session", once authenticated */
	bool change_password;		/* signed in with a one-time password */
	char session_csrf[65];		/* the session's CSRF token, for GET /v1/me */
	char *idem_key;
	char *host;			/* the Host header when edge_host_ok(), or NULL */
	char *if_none_match;		/* for a cacheable answer's 304 */
	char *body;			/* NUL-terminated copy, or NULL */
	json_t *json;			/* parsed body, or NULL */
	const struct route *route;
	unsigned allow;			/* methods the path has (EVHTTP_REQ_*) */
	char *params[API_MAX_PARAMS];	/* path parameters in order */
	usec_t started;			/* monotonic */
	/* the answer */
	int status;
	json_t *reply;
	char *reply_text;		/* when set, the JSON text answered instead of REPLY */
	const char *text_type;		/* set: REPLY is a JSON string sent as this type */
	char *disposition;		/* a Content-Disposition header to answer with */
	char *accept;			/* the Accept header, or NULL */
	/* an upload (a route taking a file): its body, moved out of evhttp's
	 * buffer as it is (no copy), and the headers that describe it */
	struct evbuffer *upload;
	char *upload_type;		/* Content-Type */
	char *upload_disposition;	/* Content-Disposition */
	/* a document to stream back (download.c) instead of a JSON answer */
	struct {
		int64_t id, size;
		char type[128];
		char filename[256];
	} stream;
	bool outbox_written;		/* the relay should look at the outbox */
	bool async_commit;		/* committed without waiting for its flush */
	bool flushed_self;		/* its last query was its own synchronous commit */
	struct durable_waiter durable;	/* its answer waits for one (durable.h) */
	bool clock_changed;		/* the scheduler should look again */
	json_t *published;		/* committed events for the PUB socket */
	char *set_cookie;		/* a Set-Cookie header to answer with */
	int retry_after;		/* seconds, for a Retry-After header (0: none) */
	bool cache_public;		/* a public answer: ETag, Cache-Control public, 304 */
	struct apierr err;
};

/* The query's parameter NAME, or NULL. */
static inline const char *
request_query(struct api_request *r, const char *name)
{
	return evhttp_find_header(&r->args, name);
}

/* Refuse with STATUS and CODE, details {"field": FIELD} (FIELD NULL: none):
 * NULL, for a handler to return. */
static inline json_t *
request_fail(struct req_ctx *c, int status, const char *code, const char *field, const char *msg)
{
	apierr_set(c->err, status, code, field ? json_pack("{s:s}", "field", field) : NULL, "%s",
	    msg);
	return NULL;
}

/* Path parameter I as a year (2000 to 2100) into *YEAR: 0, or -1 with 400
 * invalid_field "year". */
static inline int
request_year(struct api_request *r, struct req_ctx *c, int i, int *year)
{
	int64_t y;
	if (parse_int64(r->params[i], &y) || y < 2000 || y > 2100) {
		request_fail(c, 400, "invalid_field", "year", "the year must be between 2000 and 2100");
		return -1;
	}
	*year = (int)y;
	return 0;
}

#endif
