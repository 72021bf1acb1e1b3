/* The request edge: every text a request brings (path, query, the headers
 * the daemon reads, the body) is checked here once, before anything else
 * sees it: UTF-8, no NUL, no control character where none belongs, within
 * its length. What passes is safe to route, to log and to hand to SQL as
 * text. Pure but for libevent's percent-decoding: fuzzed as it is. */
#ifndef PROCURD_EDGE_H
#define PROCURD_EDGE_H

#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EDGE_PATH_MAX 2048	/* bytes of the decoded path */
#define EDGE_QUERY_MAX 4096	/* bytes of the raw query */
#define EDGE_PARAM_MAX 128	/* a path parameter: an id or a code */
#define EDGE_ARG_MAX 256	/* a query parameter's value */
#define EDGE_IDEM_KEY_MAX 255	/* an Idempotency-Key */
#define EDGE_AUTH_MAX 512	/* an Authorization header */
#define EDGE_TEXT_MAX 32768	/* a string in a body: a page of text is ~3 kB */
#define EDGE_KEY_MAX 128	/* a key in a body */

/* Why a request was refused at the edge: the JSON error's status, code
 * (static), details.field ("" for none) and message. */
struct edge_err {
	int status;
	const char *code;
	const char *rule;	/* details.rule of a 422, or NULL */
	char field[256];	/* cut, if it must be, between characters */
	char message[256];
};

/* Percent-decode the request target's path RAW into *OUT (the caller
 * frees): 0, or -1 with E set (NUL, not UTF-8, a control character, too
 * long). */
int edge_path(const char *raw, char **out, struct edge_err *e);
/* Parse the raw query RAW (may be NULL) into ARGS, every key and value
 * checked: 0, or -1 with E set, ARGS then holding what was parsed. */
int edge_query(const char *raw, struct evkeyvalq *args, struct edge_err *e);
/* A decoded path parameter NAME = VALUE: 0, or -1 with E naming NAME. */
int edge_param(const char *name, const char *value, struct edge_err *e);
/* The Idempotency-Key header (NULL: none): 0, or -1 with E set. */
int edge_idem_key(const char *value, struct edge_err *e);
/* A header NAME's VALUE (NULL: absent, fine) as text: UTF-8 without
 * control characters, at most 1,024 bytes; else 400 naming the header. */
int edge_header_text(const char *name, const char *value, struct edge_err *e);
/* The value of cookie NAME in a Cookie header (NULL: none) when it is a
 * session's (64 lowercase hex digits): a new string, else NULL. */
char *edge_cookie(const char *header, const char *name);
/* An X-CSRF-Token header's value when it is one (64 lowercase hex
 * digits): a new string, else NULL (a change then lacks its token). */
char *edge_csrf(const char *value);
/* Whether an Authorization header is one a token could be in: printable
 * ASCII within its length. Anything else is simply a bad token (401). */
bool edge_auth_ok(const char *value);
/* A Host header fit to name this server in an answer's URLs: a name or an
 * address and a port, nothing else. */
bool edge_host_ok(const char *value);
struct apierr;
/* What E refused as the API's error: its status, code, rule and field. */
void edge_apierr(const struct edge_err *e, struct apierr *out);
/* The body of LEN bytes (not NUL-terminated) as a JSON object into *OUT:
 * 0, or -1 with E set (NUL, not a JSON object, not UTF-8, a duplicate key,
 * nested past any payload's depth; a key over EDGE_KEY_MAX bytes or with a
 * control character; a string over EDGE_TEXT_MAX bytes or with a control
 * character other than tab, line feed and carriage return, naming its
 * field). */
int edge_body(const char *body, size_t len, json_t **out, struct edge_err *e);

#endif
