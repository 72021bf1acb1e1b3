/* A document streamed back (download.h). */
#include "download.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "doctype.h"
#include "document.h"
#include "log.h"
#include "pool.h"
#include "util.h"
#include "web.h"

struct stream {
	struct pool_job job;		/* first: the pool hands this back */
	struct pool *pool;
	struct evhttp_request *req;	/* NULL once the client is gone */
	struct evhttp_connection *evcon;
	int64_t id, size, sent;
	int n;				/* the next chunk */
	char *chunk;			/* read by the job, not yet written */
	size_t len;
	int rc;				/* the job's: 1 a chunk, 0 none left, -1 failed */
	bool reading;			/* a job in flight */
};

static void next_chunk(struct stream *s);

static void
chunk_free(const void *data, size_t len, void *extra)
{
	(void)len, (void)extra;
	free((void *)data);
}

static void
stream_free(struct stream *s)
{
	free(s->chunk);
	free(s);
}

/* The connection closes under the stream: a request it has let go of is
 * ours to free; one still attached is the connection's. */
static void
on_close(struct evhttp_connection *evcon, void *arg)
{
	struct stream *s = arg;
	(void)evcon;
	if (s->req && evhttp_request_get_connection(s->req) == NULL)
		evhttp_send_reply_end(s->req);
	s->req = NULL;
	log_info("document %" PRId64 ": the client left after %" PRId64 " of %" PRId64 " bytes",
	    s->id, s->sent, s->size);
	if (!s->reading)
		stream_free(s);
}

static void
finish(struct stream *s)
{
	evhttp_connection_set_closecb(s->evcon, NULL, NULL);
	if (s->rc < 0 || s->sent != s->size) {
		/* the length promised cannot be kept: the connection must end so
		 * the client sees a short body, not a whole one */
		log_error("document %" PRId64 ": streamed %" PRId64 " of %" PRId64 " bytes: %s", s->id,
		    s->sent, s->size, s->rc < 0 ? "the database failed" : "its chunks are short");
		evhttp_connection_free(s->evcon);
	} else
		evhttp_send_reply_end(s->req);
	stream_free(s);
}

static void
on_written(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	next_chunk(arg);
}

static void
job_run(struct pool_job *job, struct db *db)
{
	struct stream *s = (struct stream *)job;
	s->rc = document_chunk(db, s->id, s->n, &s->chunk, &s->len);
}

static void
job_done(struct pool_job *job)
{
	struct stream *s = (struct stream *)job;
	s->reading = false;
	if (s->req == NULL) {	/* the client left meanwhile */
		stream_free(s);
		return;
	}
	if (s->rc <= 0) {
		finish(s);
		return;
	}
	struct evbuffer *b = evbuffer_new();
	/* handed over without a copy: freed with the buffer */
	evbuffer_add_reference(b, s->chunk, s->len, chunk_free, NULL);
	s->chunk = NULL;
	s->sent += (int64_t)s->len;
	s->n++;
	evhttp_send_reply_chunk_with_cb(s->req, b, on_written, s);
	evbuffer_free(b);
}

static void
next_chunk(struct stream *s)
{
	if (s->sent >= s->size) {
		s->rc = 0;
		finish(s);
		return;
	}
	s->reading = true;
	pool_submit(s->pool, &s->job);
}

void
download_start(struct pool *pool, struct evhttp_request *req, int64_t id, int64_t size,
    const char *type, const char *filename)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	char len[24], disp[1200];
	snprintf(len, sizeof len, "%" PRId64, size);
	doctype_attachment(filename, disp, sizeof disp);
	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Content-Length", len);
	evhttp_add_header(h, "Content-Disposition", disp);
	evhttp_add_header(h, "Cache-Control", "private, no-store");
	web_strict_headers(h);
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD || size == 0) {
		evhttp_send_reply(req, 200, "OK", NULL);
		return;
	}
	struct stream *s = xcalloc(1, sizeof *s);
	s->job.run = job_run;
	s->job.done = job_done;
	s->pool = pool;
	s->req = req;
	s->evcon = evhttp_request_get_connection(req);
	s->id = id;
	s->size = size;
	evhttp_connection_set_closecb(s->evcon, on_close, s);
	evhttp_send_reply_start(req, 200, "OK");
	next_chunk(s);
}
