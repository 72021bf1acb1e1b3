/* The request edge: each text a request brings is checked here once. */
#include "edge.h"

#include "apierr.h"

#include <event2/http.h>
#include <sys/queue.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"

/* Deeper than any payload of the contract (a takeover plan's contacts are
 * four levels down): the rest of the daemon walks bodies recursively. */
#define EDGE_BODY_DEPTH 16

static int
refuse(struct edge_err *e, int status, const char *code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
refuse(struct edge_err *e, int status, const char *code, const char *field, const char *fmt, ...)
{
	va_list ap;
	e->status = status;
	e->code = code;
	e->rule = NULL;
	utf8_copy(e->field, sizeof e->field, field ? field : "");
	/* a message may quote the input (jansson's error text does) */
	va_start(ap, fmt);
	utf8_vformat(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
	return -1;
}

int
edge_path(const char *raw, char **out, struct edge_err *e)
{
	size_t len = 0;
	*out = NULL;
	if (raw == NULL || raw[0] != '/')
		return refuse(e, 400, "malformed", "path", "the request target is malformed");
	char *d = evhttp_uridecode(raw, 0, &len);
	if (d == NULL)
		return refuse(e, 400, "malformed", "path", "the request target is malformed");
	if (strlen(d) != len) {
		free(d);
		return refuse(e, 400, "malformed", "path", "the path contains a NUL byte");
	}
	if (len > EDGE_PATH_MAX) {
		free(d);
		return refuse(e, 400, "malformed", "path", "the path is longer than %d bytes",
		    EDGE_PATH_MAX);
	}
	*out = d;
	return 0;
}

/* What a query parameter is called in an error: its own name when that is
 * text, else the query as a whole. */
static const char *
arg_field(const char *key)
{
	size_t n = strlen(key);
	return n > 0 && n < 64 && text_plain(key, n) ? key : "query";
}

int
edge_query(const char *raw, struct evkeyvalq *args, struct edge_err *e)
{
	if (raw == NULL || *raw == '\0')
		return 0;
	if (strlen(raw) > EDGE_QUERY_MAX)
		return refuse(e, 400, "malformed", "query", "the query is longer than %d bytes",
		    EDGE_QUERY_MAX);
	/* evhttp's parser decodes each key and value into a C string, where a
	 * %00 would silently cut it: decode the whole first to see one */
	size_t len = 0;
	char *d = evhttp_uridecode(raw, 1, &len);
	bool nul = d == NULL || strlen(d) != len;
	free(d);
	if (nul)
		return refuse(e, 400, "malformed", "query", "the query contains a NUL byte");
	if (evhttp_parse_query_str(raw, args) != 0)
		return refuse(e, 400, "malformed", "query", "the query string is malformed");
	const struct evkeyval *kv;
	TAILQ_FOREACH(kv, args, next) {
		const char *f = arg_field(kv->key);
		if (!text_plain(kv->key, strlen(kv->key)))
			return refuse(e, 400, "invalid_field", "query",
			    "a query parameter's name must be UTF-8 text without control characters");
		size_t vl = strlen(kv->value);
		if (vl > EDGE_ARG_MAX)
			return refuse(e, 400, "invalid_field", f,
			    "%s is longer than %d bytes", f, EDGE_ARG_MAX);
		if (!text_plain(kv->value, vl))
			return refuse(e, 400, "invalid_field", f,
			    "%s must be UTF-8 text without control characters", f);
	}
	return 0;
}

int
edge_param(const char *name, const char *value, struct edge_err *e)
{
	size_t n = strlen(value);
	if (n > EDGE_PARAM_MAX)
		return refuse(e, 400, "invalid_field", name, "%s is longer than %d bytes", name,
		    EDGE_PARAM_MAX);
	if (!text_plain(value, n))
		return refuse(e, 400, "invalid_field", name,
		    "%s must be UTF-8 text without control characters", name);
	return 0;
}

int
edge_header_text(const char *name, const char *value, struct edge_err *e)
{
	if (value == NULL)
		return 0;
	size_t n = strlen(value);
	if (n > 1024 || !text_plain(value, n))
		return refuse(e, 400, "invalid_field", name,
		    "%s must be at most 1,024 bytes of UTF-8 text without control characters", name);
	return 0;
}

int
edge_idem_key(const char *value, struct edge_err *e)
{
	if (value == NULL)
		return 0;
	size_t n = strlen(value);
	if (n == 0 || n > EDGE_IDEM_KEY_MAX || !text_plain(value, n))
		return refuse(e, 400, "invalid_field", "Idempotency-Key",
		    "Idempotency-Key must be 1 to %d bytes of UTF-8 text without control characters",
		    EDGE_IDEM_KEY_MAX);
	return 0;
}

/* Whether S is 64 lowercase hex digits, ended by END or NUL. */
static bool
hex64(const char *s, char end)
{
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[64] == '\0' || s[64] == end;
}

char *
edge_cookie(const char *header, const char *name)
{
	size_t n = strlen(name);
	if (header == NULL || strlen(header) > 4096)
		return NULL;
	for (const char *p = header; *p;) {
		while (*p == ' ' || *p == ';')
			p++;
		if (!strncmp(p, name, n) && p[n] == '=')
			return hex64(p + n + 1, ';') ? xstrndup(p + n + 1, 64) : NULL;
		p += strcspn(p, ";");
	}
	return NULL;
}

char *
edge_csrf(const char *value)
{
	return value && strlen(value) == 64 && hex64(value, '\0') ? xstrdup(value) : NULL;
}

bool
edge_auth_ok(const char *value)
{
	size_t n = strlen(value);
	if (n > EDGE_AUTH_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)value[i] < 0x20 || (unsigned char)value[i] > 0x7e)
			return false;
	return true;
}

bool
edge_host_ok(const char *value)
{
	size_t n = strlen(value);
	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]",
		    value[i]))
			return false;
	return true;
}

/* Text as a body may hold it: multi-line, but no other control character. */
static bool
text_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
			return false;
	}
	return true;	/* UTF-8 already: jansson checked */
}

/* Walk V (under the key FIELD, or "body"): 0, or -1 with E set. */
static int
walk(const json_t *v, int depth, const char *field, struct edge_err *e)
{
	const char *k;
	json_t *x;
	size_t i;
	if (depth > EDGE_BODY_DEPTH)
		return refuse(e, 400, "malformed", NULL, "the body is nested deeper than %d levels",
		    EDGE_BODY_DEPTH);
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, x) {
			size_t kl = strlen(k);
			if (kl > EDGE_KEY_MAX || !text_plain(k, kl))
				return refuse(e, 400, "unknown_field", "body",
				    "a field's name must be text of at most %d bytes", EDGE_KEY_MAX);
			if (walk(x, depth + 1, k, e))
				return -1;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			if (walk(x, depth + 1, field, e))
				return -1;
	} else if (json_is_string(v)) {
		size_t n = json_string_length(v);
		if (n > EDGE_TEXT_MAX)
			return refuse(e, 400, "invalid_field", field,
			    "a text is longer than %d bytes", EDGE_TEXT_MAX);
		if (!text_ok(json_string_value(v), n))
			return refuse(e, 400, "invalid_field", field,
			    "a text holds a control character (only tab and line breaks may stand in text)");
	}
	return 0;
}

int
edge_body(const char *body, size_t len, json_t **out, struct edge_err *e)
{
	json_error_t je;
	*out = NULL;
	if (memchr(body, '\0', len))
		return refuse(e, 400, "malformed", NULL, "the body contains a NUL byte");
	/* jansson refuses what is not UTF-8 and, without JSON_ALLOW_NUL, \u0000 */
	json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL || !json_is_object(j)) {
		if (j)
			refuse(e, 400, "malformed", NULL,
			    "the body must be a JSON object: got another JSON value");
		else
			refuse(e, 400, "malformed", NULL, "the body must be a JSON object: %s",
			    je.text);
		json_decref(j);
		return -1;
	}
	if (walk(j, 0, "body", e)) {
		json_decref(j);
		return -1;
	}
	*out = j;
	return 0;
}

void
edge_apierr(const struct edge_err *e, struct apierr *out)
{
	json_t *details = json_object();
	if (e->rule)
		json_object_set_new(details, "rule", json_string(e->rule));
	if (e->field[0])
		json_object_set_new(details, "field", json_string(e->field));
	apierr_set(out, e->status, e->code, details, "%s", e->message);
}
