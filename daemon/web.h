/* The console's files ([http] web_root): read into memory at start, so an
 * answer never waits for the disk on the event loop, and served to GET and
 * HEAD with their types, an ETag (If-None-Match answers 304) and the
 * strict headers every answer of procurd carries (http_headers()). Only
 * the files found there are served: a path names one exactly or nothing. */
#ifndef PROCURD_WEB_H
#define PROCURD_WEB_H

#include <stdbool.h>
#include <event2/http.h>

struct web;

/* Every regular file below ROOT (no dotfiles, none over 1 MiB, 16 MiB in
 * all). A ROOT that cannot be read gives an empty set (logged). */
struct web *web_load(const char *root);
void web_free(struct web *w);
/* Files loaded. */
int web_count(const struct web *w);
/* Answer REQ (GET or HEAD) for PATH ("/" is /index.html) when W has it:
 * true; false leaves REQ unanswered. */
bool web_serve(const struct web *w, struct evhttp_request *req, const char *path);
/* The headers every answer carries: a Content-Security-Policy that allows
 * only this origin's files (no inline script or style, no framing), no
 * sniffing, no referrer beyond this origin. */
void web_strict_headers(struct evkeyvalq *h);

#endif
