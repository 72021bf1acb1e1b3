/* HTTP on libevent's evhttp: parse, bound, hand to the pool, answer. The
 * pool runs the handler as a coroutine on this same loop thread; the answer
 * is sent from job_done(), on the loop's own stack. */
#include "http.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <errno.h>
#include <malloc.h>
#include <inttypes.h>
#include <stddef.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/uio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api.h"
#include "download.h"
#include "clock.h"
#include "jsonw.h"
#include "log.h"
#include "metrics.h"
#include "outage.h"
#include "ratelimit.h"
#include "relay.h"
#include "scheduler.h"
#include "web.h"

struct http {
	struct procurd *d;
	struct evhttp *ev;
	struct evhttp_bound_socket *sock;
	int inflight;
	struct web *web;	/* the console's files */
	struct ratelimit *open_limit;	/* the routes open to all, per address */
};

/* What a browser's multipart/form-data adds around a file, at most. */
#define UPLOAD_FRAMING 65536

static void
request_free(struct api_request *r)
{
	free(r->path);
	evhttp_clear_headers(&r->args);
	free(r->authorization);
	free(r->session);
	free(r->csrf);
	free(r->set_cookie);
	free(r->idem_key);
	free(r->host);
	free(r->if_none_match);
	free(r->disposition);
	free(r->accept);
	if (r->upload) {
		evbuffer_free(r->upload);
		/* an upload's megabytes go back to the system, not to the heap's
		 * free lists: the daemon's resident size returns to what it was */
		malloc_trim(0);
	}
	free(r->upload_type);
	free(r->upload_disposition);
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

/* The headers an answer of R carries beyond the body's: a session cookie
 * set or cleared, how long to wait before retrying. */
static void
answer_headers(struct api_request *r)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->conn);
	if (r->set_cookie)
		evhttp_add_header(h, "Set-Cookie", r->set_cookie);
	if (r->retry_after > 0) {
		char s[16];
		snprintf(s, sizeof s, "%d", r->retry_after);
		evhttp_add_header(h, "Retry-After", s);
	}
}

/* Answer REQ with BODY and a newline. A HEAD request gets the headers GET
 * would (its Content-Length too) and no body: evhttp writes whatever is in
 * the buffer, whatever the method. */
static void
send_json(struct evhttp_request *req, int status, const char *reason, const char *body,
    const char *ctype, const char *inm)
{
	struct evbuffer *buf = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	size_t len = strlen(body);
	if (inm) {
		/* a public answer: anyone may keep it a minute, and ask again
		 * with its ETag (FNV-1a of the text: these bytes) */
		uint64_t hsh = 14695981039346656037ull;
		for (size_t i = 0; i < len; i++)
			hsh = (hsh ^ (unsigned char)body[i]) * 1099511628211ull;
		char etag[24];
		snprintf(etag, sizeof etag, "\"%016llx\"", (unsigned long long)hsh);
		evhttp_add_header(h, "ETag", etag);
		evhttp_add_header(h, "Cache-Control", "public, max-age=60");
		if (inm[0] && strstr(inm, etag)) {
			web_strict_headers(h);
			evhttp_send_reply(req, 304, "Not Modified", buf);
			evbuffer_free(buf);
			return;
		}
	} else
		evhttp_add_header(h, "Cache-Control", "no-store");
	if (status != 204)	/* no body, no type */
		evhttp_add_header(h, "Content-Type", ctype);
	web_strict_headers(h);
	if (status != 204) {
		/* always framed by its length, a closing connection's answer
		 * too; JSON ends with a line's end, text as it is */
		bool nl = strncmp(ctype, "application/json", 16) == 0;
		char n[24];
		snprintf(n, sizeof n, "%zu", len + nl);
		evhttp_add_header(h, "Content-Length", n);
		if (evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
			evbuffer_add(buf, body, len);
			if (nl)
				evbuffer_add(buf, "\n", 1);
		}
	}
	evhttp_send_reply(req, status, reason, buf);
	evbuffer_free(buf);
}

static const char *
reason_of(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
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

	answer_headers(r);
	if (r->reply && r->err.status == 0 && r->stream.id) {
		/* a document: the file itself, a chunk at a time */
		download_start(r->d->pool, req, r->stream.id, r->stream.size, r->stream.type,
		    r->stream.filename);
		status = 200;
		goto sent;
	}
	if (r->reply && r->err.status == 0) {
		status = r->status;
		if (r->text_type && json_is_string(r->reply)) {
			if (r->disposition)
				evhttp_add_header(evhttp_request_get_output_headers(req),
				    "Content-Disposition", r->disposition);
			send_json(req, status, reason_of(status), json_string_value(r->reply),
			    r->text_type, NULL);
			goto sent;
		}
		text = r->reply_text ? r->reply_text : jsonw_dump(r->reply, NULL);
		r->reply_text = NULL;
	} else {
		status = r->err.status ? r->err.status : 500;
		json_t *e = json_pack("{s:{s:s,s:s,s:o}}", "error", "code",
		    r->err.code[0] ? r->err.code : "internal", "message", r->err.message,
		    "details", r->err.details ? json_incref(r->err.details) : json_object());
		/* apierr_set() keeps messages UTF-8; should anything else slip,
		 * the answer is still an answer */
		text = e ? jsonw_dump(e, NULL) : xstrdup("{\"error\":{\"code\":\"internal\","
		    "\"message\":\"the error could not be written\",\"details\":{}}}");
		json_decref(e);
		/* a 503 in an outage was said once, when it began (outage.c) */
		if (status >= 500 && !(status == 503 && outage_active()))
			log_warn("http: %s %s: %d %s", api_route_name(r->route), r->path, status,
			    r->err.message);
	}
	send_json(req, status, reason_of(status), text, "application/json; charset=utf-8",
	    r->cache_public && status == 200 ? (r->if_none_match ? r->if_none_match : "") : NULL);
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

/* Refused at the edge (edge.h): the error names the field. */
static void
fail_edge(struct http *h, struct api_request *r, const struct edge_err *e)
{
	api_refuse(r, e);
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
		apierr_set(&r->err, 503, "database_unavailable",
		    json_pack("{s:s}", "outcome", "unknown"),
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

/* The client's address as text ("unknown" when the connection has none). */
static void
peer_address(struct evhttp_request *req, char *out, size_t len)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	const char *host = NULL;
	ev_uint16_t port = 0;
	if (conn)
		evhttp_connection_get_peer(conn, (char **)&host, &port);
	snprintf(out, len, "%s", host && *host ? host : "unknown");
}

static char *
header_copy(struct evhttp_request *req, const char *name)
{
	const char *v = evhttp_find_header(evhttp_request_get_input_headers(req), name);
	return v ? xstrdup(v) : NULL;
}

/* The methods of the contract; anything else (CONNECT, TRACE) is refused
 * and its connection closed. */
#define SERVED_METHODS (EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST | EVHTTP_REQ_PUT | \
	EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS)

/* CONNECT: libevent 2.1 keeps a CONNECT's connection open whatever its
 * answer says (it is a tunnel to it), so the answer is written to the
 * socket here, whole (a few hundred bytes into an idle socket), and the
 * connection freed with its request. Safe inside the request's callback:
 * evhttp touches neither after it, and bufferevents are freed deferred. */
static void
refuse_connect(struct evhttp_request *req)
{
	static const char body[] = "{\"error\":{\"code\":\"not_implemented\","
	    "\"message\":\"this method is not served here\",\"details\":{}}}\n";
	char head[256];
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	int n = snprintf(head, sizeof head, "HTTP/1.1 501 Not Implemented\r\n"
	    "Content-Type: application/json; charset=utf-8\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", sizeof body - 1);
	struct iovec iov[2] = { { head, (size_t)n }, { (void *)body, sizeof body - 1 } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	evutil_socket_t fd = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon));
	if (sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("http: CONNECT refused without an answer: %s", strerror(errno));
	evhttp_connection_free(evcon);
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct http *h = arg;
	struct procurd *d = h->d;
	struct api_request *r = xcalloc(1, sizeof *r);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	struct evkeyvalq *out_h = evhttp_request_get_output_headers(req);
	struct edge_err e;
	char allow[64];

	TAILQ_INIT(&r->args);
	r->d = d;
	r->conn = req;
	r->started = clock_monotonic();
	r->method = evhttp_request_get_command(req);
	r->job.run = job_run;
	r->job.done = job_done;
	h->inflight++;

	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	r->path = xstrdup(path && *path ? path : "/");	/* raw until decoded */
	if (r->method == EVHTTP_REQ_CONNECT) {
		refuse_connect(req);
		metrics_http("CONNECT", 501, clock_monotonic() - r->started);
		h->inflight--;
		request_free(r);
		return;
	}
	if (!(r->method & SERVED_METHODS)) {
		evhttp_add_header(out_h, "Connection", "close");
		return fail_now(h, r, 501, "not_implemented", "this method is not served here");
	}
	if (path == NULL || *path == '\0')
		return fail_now(h, r, 400, "malformed", "the request target is malformed");
	char *decoded;
	if (edge_path(path, &decoded, &e))
		return fail_edge(h, r, &e);
	free(r->path);
	r->path = decoded;
	if (edge_query(evhttp_uri_get_query(uri), &r->args, &e))
		return fail_edge(h, r, &e);

	enum api_match m = api_route(r, &e);
	if (m == API_NO_ROUTE && (r->method & (EVHTTP_REQ_GET | EVHTTP_REQ_HEAD)) &&
	    web_serve(h->web, req, r->path)) {
		/* a file of the console (web.h) */
		metrics_http("GET (console)", 200, clock_monotonic() - r->started);
		h->inflight--;
		request_free(r);
		return;
	}
	switch (m) {
	case API_NO_ROUTE:
		return fail_now(h, r, 404, "not_found", "no such route");
	case API_BAD_INPUT:
		return fail_edge(h, r, &e);
	case API_BAD_METHOD:
		api_allow(r, allow, sizeof allow);
		evhttp_add_header(out_h, "Allow", allow);
		if (r->method == EVHTTP_REQ_OPTIONS) {
			r->status = 204;
			r->reply = json_string("");
			r->text_type = "text/plain; charset=utf-8";
			return reply(h, r);
		}
		return fail_now(h, r, 405, "method_not_allowed", "this method is not allowed here");
	case API_FOUND:
		break;
	}
	if (atomic_load(&d->draining))
		return fail_now(h, r, 503, "shutting_down", "the daemon is stopping; retry elsewhere");

	peer_address(req, r->address, sizeof r->address);
	if (api_route_open(r->route)) {
		/* open to all: a budget per address, and what caching needs */
		int retry;
		if (!ratelimit_take(h->open_limit, r->address, clock_monotonic(), &retry)) {
			r->retry_after = retry;
			return fail_now(h, r, 429, "too_many_requests",
			    "too many requests from this address: wait and retry");
		}
		const char *host = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
		if (host && edge_host_ok(host))
			r->host = xstrdup(host);
		r->if_none_match = header_copy(req, "If-None-Match");
	}
	r->authorization = header_copy(req, "Authorization");
	r->accept = header_copy(req, "Accept");
	r->idem_key = header_copy(req, "Idempotency-Key");
	/* a session cookie and its CSRF token: anything but their own shape
	 * is no session at all (edge.c) */
	r->session = edge_cookie(evhttp_find_header(evhttp_request_get_input_headers(req), "Cookie"),
	    "procurd_session");
	r->csrf = edge_csrf(evhttp_find_header(evhttp_request_get_input_headers(req),
	    "X-CSRF-Token"));
	if (r->authorization && !edge_auth_ok(r->authorization))
		return fail_now(h, r, 401, "unauthorized",
		    "a valid bearer token is required (Authorization: Bearer TOKEN)");
	if (edge_idem_key(r->idem_key, &e))
		return fail_edge(h, r, &e);

	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	if (api_route_upload(r->route)) {
		/* a file: its bytes move out of evhttp's buffer as they are (the
		 * chains, not a copy); what describes it is checked as text */
		if ((int64_t)len > d->cfg->doc_max_bytes + UPLOAD_FRAMING)
			return fail_now(h, r, 413, "body_too_large",
			    "the document is larger than [documents] max_bytes");
		r->upload_type = header_copy(req, "Content-Type");
		r->upload_disposition = header_copy(req, "Content-Disposition");
		if (edge_header_text("Content-Type", r->upload_type, &e) ||
		    edge_header_text("Content-Disposition", r->upload_disposition, &e))
			return fail_edge(h, r, &e);
		r->upload = evbuffer_new();
		evbuffer_add_buffer(r->upload, in);
	} else if ((int64_t)len > d->cfg->http_max_body_bytes)
		return fail_now(h, r, 413, "body_too_large", "the request body is too large");
	if (api_route_has_body(r->route)) {
		r->body = xmalloc(len + 1);
		evbuffer_copyout(in, r->body, len);
		r->body[len] = '\0';
		if (edge_body(r->body, len, &r->json, &e))
			return fail_edge(h, r, &e);
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
	if (d->cfg->doc_max_bytes + UPLOAD_FRAMING > hard)
		hard = d->cfg->doc_max_bytes + UPLOAD_FRAMING;	/* a document, and its form's framing */
	evhttp_set_max_body_size(h->ev, hard);
	evhttp_set_max_headers_size(h->ev, 64 * 1024);
	evhttp_set_timeout(h->ev, d->cfg->http_timeout_seconds);
	/* every method reaches on_request, which refuses what it does not
	 * serve with its own answer and closes: evhttp's own 501 for CONNECT
	 * left the connection open */
	evhttp_set_allowed_methods(h->ev, SERVED_METHODS | EVHTTP_REQ_CONNECT | EVHTTP_REQ_TRACE);
	evhttp_set_gencb(h->ev, on_request, h);
	h->sock = evhttp_bind_socket_with_handle(h->ev, host, (ev_uint16_t)port);
	if (h->sock == NULL) {
		log_error("http: cannot listen on %s", listen);
		evhttp_free(h->ev);
		free(h);
		return NULL;
	}
	/* TCP_NODELAY on the listening socket, which Linux hands on to every
	 * connection it accepts: an answer written in more than one segment
	 * (headers, then a body of some kilobytes) must not wait for the
	 * client's delayed ACK under Nagle's algorithm, 40 ms on a keep-alive
	 * connection (the OCDS package's benchmark: p50 104 ms with wrk, 60 ms
	 * with curl, 65 ms with wrk once set) */
	int one = 1;
	if (setsockopt(evhttp_bound_socket_get_fd(h->sock), IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof one))
		log_warn("http: TCP_NODELAY: %s", strerror(errno));
	log_info("http: listening on %s", listen);
	h->web = web_load(d->cfg->http_web_root);
	h->open_limit = ratelimit_new(d->cfg->http_public_per_minute);
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
	web_free(h->web);
	ratelimit_free(h->open_limit);
	free(h);
}
