/* HTTP on libevent's evhttp: parse, bound, hand to the pool, answer. The
 * pool runs the handler as a coroutine on this same loop thread; the answer
 * is sent from job_done(), on the loop's own stack. */
#include "http.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <inttypes.h>
#include <stddef.h>
#include <sys/queue.h>
#include <stdlib.h>
#include <string.h>
#include "api.h"
#include "clock.h"
#include "jsonw.h"
#include "log.h"
#include "metrics.h"
#include "relay.h"
#include "scheduler.h"

struct http {
	struct procurd *d;
	struct evhttp *ev;
	struct evhttp_bound_socket *sock;
	int inflight;
};

static void
request_free(struct api_request *r)
{
	free(r->path);
	evhttp_clear_headers(&r->args);
	free(r->authorization);
	free(r->idem_key);
	free(r->body);
	json_decref(r->json);
	for (int i = 0; i < API_MAX_PARAMS; i++)
		free(r->params[i]);
	json_decref(r->reply);
	free(r->reply_text);
	json_decref(r->published);
	apierr_clear(&r->err);
	free(r);
}

static void
send_json(struct evhttp_request *req, int status, const char *reason, const char *body,
    const char *ctype)
{
	struct evbuffer *buf = evbuffer_new();
	evbuffer_add(buf, body, strlen(body));
	evbuffer_add(buf, "\n", 1);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_send_reply(req, status, reason, buf);
	evbuffer_free(buf);
}

static const char *
reason_of(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 422: return "Unprocessable Entity";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "";
	}
}

/* Answer R and free it. Loop thread only. */
static void
reply(struct http *h, struct api_request *r)
{
	struct evhttp_request *req = r->conn;
	int status;
	char *text;

	if (r->reply && r->err.status == 0) {
		status = r->status;
		if (r->text_reply && json_is_string(r->reply)) {
			send_json(req, status, reason_of(status), json_string_value(r->reply),
			    "text/plain; version=0.0.4; charset=utf-8");
			goto sent;
		}
		text = r->reply_text ? r->reply_text : jsonw_dump(r->reply, NULL);
		r->reply_text = NULL;
	} else {
		status = r->err.status ? r->err.status : 500;
		json_t *e = json_pack("{s:{s:s,s:s,s:o}}", "error", "code",
		    r->err.code[0] ? r->err.code : "internal", "message", r->err.message,
		    "details", r->err.details ? json_incref(r->err.details) : json_object());
		text = jsonw_dump(e, NULL);
		json_decref(e);
		if (status >= 500)
			log_warn("http: %s %s: %d %s", api_route_name(r->route), r->path, status,
			    r->err.message);
	}
	send_json(req, status, reason_of(status), text, "application/json; charset=utf-8");
	free(text);
sent:
	metrics_http(api_route_name(r->route), status, clock_monotonic() - r->started);
	h->inflight--;
	request_free(r);
}

static void
fail_now(struct http *h, struct api_request *r, int status, const char *code, const char *msg)
{
	apierr_set(&r->err, status, code, NULL, "%s", msg);
	reply(h, r);
}

static void
job_run(struct pool_job *job, struct db *db)
{
	api_run((struct api_request *)job, db);
}

/* The job's commit is durable (or it wrote nothing): tell and answer. */
static void
finish(struct api_request *r)
{
	/* after the commit: the relay sends, the PUB socket tells, the timer looks */
	if (r->outbox_written)
		relay_wake(r->d->relay);
	relay_publish_all(r->d->relay, r->published);
	if (r->clock_changed)
		scheduler_poke(r->d->sched);
	reply(r->d->http, r);
}

static void
on_durable(struct durable_waiter *w, bool durable)
{
	struct api_request *r = (struct api_request *)((char *)w - offsetof(struct api_request, durable));
	if (!durable) {
		/* the commit may or may not have survived: say so, and tell
		 * nobody else about events that may not exist */
		json_decref(r->reply);
		r->reply = NULL;
		free(r->reply_text);
		r->reply_text = NULL;
		json_decref(r->published);
		r->published = NULL;
		apierr_clear(&r->err);
		apierr_set(&r->err, 503, "database_unavailable", NULL,
		    "the database connection was lost before the write could be confirmed "
		    "durable: it may or may not be recorded; retry with the same Idempotency-Key, "
		    "or read the project to see");
	}
	finish(r);
}

static void
job_done(struct pool_job *job)
{
	struct api_request *r = (struct api_request *)job;
	struct durable *g = r->d->durable;
	if (g && r->async_commit)
		durable_committed(g);
	/* Group commit: an answer leaves once what it reports is durable. Its
	 * own commit did not wait for the flush, or it may have read another's
	 * that did not. */
	if (g && !r->flushed_self && (r->async_commit || durable_pending(g))) {
		r->durable.done = on_durable;
		durable_wait(g, &r->durable);
		return;
	}
	finish(r);
}

static char *
header_copy(struct evhttp_request *req, const char *name)
{
	const char *v = evhttp_find_header(evhttp_request_get_input_headers(req), name);
	return v ? xstrdup(v) : NULL;
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct http *h = arg;
	struct procurd *d = h->d;
	struct api_request *r = xcalloc(1, sizeof *r);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);

	TAILQ_INIT(&r->args);
	r->d = d;
	r->conn = req;
	r->started = clock_monotonic();
	r->method = evhttp_request_get_command(req);
	r->job.run = job_run;
	r->job.done = job_done;
	h->inflight++;

	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
	if (path == NULL || *path == '\0') {
		r->path = xstrdup("/");
		return fail_now(h, r, 400, "malformed", "the request target is malformed");
	}
	char *decoded = evhttp_uridecode(path, 0, NULL);
	r->path = decoded ? decoded : xstrdup(path);
	if (query && evhttp_parse_query_str(query, &r->args) != 0)
		return fail_now(h, r, 400, "malformed", "the query string is malformed");

	switch (api_route(r)) {
	case API_NO_ROUTE:
		return fail_now(h, r, 404, "not_found", "no such route");
	case API_BAD_METHOD:
		return fail_now(h, r, 405, "method_not_allowed", "this method is not allowed here");
	case API_FOUND:
		break;
	}
	if (atomic_load(&d->draining))
		return fail_now(h, r, 503, "shutting_down", "the daemon is stopping; retry elsewhere");

	r->authorization = header_copy(req, "Authorization");
	r->idem_key = header_copy(req, "Idempotency-Key");

	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	if ((int64_t)len > d->cfg->http_max_body_bytes)
		return fail_now(h, r, 413, "body_too_large", "the request body is too large");
	if (api_route_has_body(r->route)) {
		r->body = xmalloc(len + 1);
		evbuffer_copyout(in, r->body, len);
		r->body[len] = '\0';
		if (memchr(r->body, '\0', len))
			return fail_now(h, r, 400, "malformed", "the body contains a NUL byte");
		json_error_t je;
		r->json = json_loadb(r->body, len, JSON_REJECT_DUPLICATES, &je);
		if (r->json == NULL || !json_is_object(r->json)) {
			char msg[300];
			snprintf(msg, sizeof msg, "the body must be a JSON object: %s",
			    r->json ? "got another JSON value" : je.text);
			json_decref(r->json);
			r->json = NULL;
			apierr_set(&r->err, 400, "malformed", NULL, "%s", msg);
			return reply(h, r);
		}
	}
	if (api_route_inline(r->route)) {
		api_run(r, NULL);
		return reply(h, r);
	}
	pool_submit(d->pool, &r->job);
}

struct http *
http_start(struct procurd *d)
{
	char host[256];
	int port;
	const char *listen = d->cfg->http_listen;
	const char *colon = strrchr(listen, ':');

	if (colon == NULL || (size_t)(colon - listen) >= sizeof host ||
	    (port = atoi(colon + 1)) <= 0 || port > 65535) {
		log_error("http: listen must be host:port, not \"%s\"", listen);
		return NULL;
	}
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	if (host[0] == '[') {	/* [::1]:8080 */
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}

	struct http *h = xcalloc(1, sizeof *h);
	h->d = d;
	h->ev = evhttp_new(d->base);
	/* Bodies up to the limit are read and answered 413 in our JSON shape;
	 * far larger ones are cut off by evhttp itself, also with 413. */
	int64_t hard = d->cfg->http_max_body_bytes * 4 + 65536;
	evhttp_set_max_body_size(h->ev, hard);
	evhttp_set_max_headers_size(h->ev, 64 * 1024);
	evhttp_set_timeout(h->ev, d->cfg->http_timeout_seconds);
	evhttp_set_allowed_methods(h->ev, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH | EVHTTP_REQ_HEAD | EVHTTP_REQ_OPTIONS);
	evhttp_set_gencb(h->ev, on_request, h);
	h->sock = evhttp_bind_socket_with_handle(h->ev, host, (ev_uint16_t)port);
	if (h->sock == NULL) {
		log_error("http: cannot listen on %s", listen);
		evhttp_free(h->ev);
		free(h);
		return NULL;
	}
	log_info("http: listening on %s", listen);
	return h;
}

void
http_stop_accepting(struct http *h)
{
	if (h && h->sock) {
		evhttp_del_accept_socket(h->ev, h->sock);
		h->sock = NULL;
	}
}

int
http_inflight(const struct http *h)
{
	return h ? h->inflight : 0;
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	evhttp_free(h->ev);
	free(h);
}
