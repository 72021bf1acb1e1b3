/* Inside the store: JSON from a row's columns (times at the calendar's
 * offset) and values read from a request's body. */
#ifndef PROCURD_JSONIO_H
#define PROCURD_JSONIO_H

#include <jansson.h>
#include "ctx.h"
#include "jsonw.h"
#include "sql.h"

/* T as the API shows times: RFC 3339 at the calendar's offset (+08:00). */
static inline const char *
ltime(struct req_ctx *c, usec_t t, char buf[64])
{
	return time_format(t, c->cal ? c->cal->utc_offset_s : 28800, buf, 64);
}

static inline json_t *
jtime(struct req_ctx *c, usec_t t)
{
	char buf[64];
	return json_string(ltime(c, t, buf));
}

static inline json_t *
jtime_col(struct req_ctx *c, const PGresult *r, int row, int col)
{
	if (gnull(r, row, col))
		return json_null();
	return jtime(c, gi64(r, row, col));
}

static inline json_t *
jstr_col(const PGresult *r, int row, int col)
{
	if (gnull(r, row, col))
		return json_null();
	return json_string(gs(r, row, col));
}

static inline json_t *
ji64_col(const PGresult *r, int row, int col)
{
	if (gnull(r, row, col))
		return json_null();
	return json_integer(gi64(r, row, col));
}

static inline json_t *
jjson_col(const PGresult *r, int row, int col)
{
	if (gnull(r, row, col))
		return json_null();
	json_t *j = json_loads(gs(r, row, col), JSON_DECODE_ANY, NULL);
	return j ? j : json_null();
}

/* J as compact text (free()). */
static inline char *
json_text(const json_t *j)
{
	char *s = jsonw_dump(j, NULL);
	if (s == NULL)
		abort();	/* only out of memory */
	return s;
}

/* Member K of a body, when it is a string (*OUT, else NULL) or an integer:
 * 0, or -1 when it is absent or of another type. The edge checked types. */
static inline int
body_str(const json_t *o, const char *k, const char **out)
{
	json_t *v = json_object_get(o, k);
	*out = json_is_string(v) ? json_string_value(v) : NULL;
	return *out ? 0 : -1;
}

static inline int
body_i64(const json_t *o, const char *k, int64_t *out)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_integer(v))
		return -1;
	*out = json_integer_value(v);
	return 0;
}

#endif
