/* HTTP on libevent's evhttp: parse, bound, hand to the pool, answer. */
#ifndef PROCURD_HTTP_H
#define PROCURD_HTTP_H

#include "procurd.h"

struct http;

/* Listen on D->cfg->http_listen ("host:port"). NULL with a logged reason. */
struct http *http_start(struct procurd *d);
/* Stop accepting connections; requests in flight still get their answer. */
void http_stop_accepting(struct http *h);
/* Requests received and not yet answered. */
int http_inflight(const struct http *h);
void http_free(struct http *h);

#endif
