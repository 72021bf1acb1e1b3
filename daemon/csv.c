/* Reports as CSV (csv.h). */
#include "csv.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"

struct out {
	char *p;
	size_t n, cap;
};

static void
put(struct out *o, const char *s, size_t len)
{
	if (o->n + len + 1 > o->cap) {
		o->cap = (o->n + len + 1) * 2;
		o->p = xrealloc(o->p, o->cap);
	}
	memcpy(o->p + o->n, s, len);
	o->n += len;
	o->p[o->n] = '\0';
}

static void
puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static bool
is_fen(const char *col)
{
	size_t n = strlen(col);
	return n > 4 && strcmp(col + n - 4, "_fen") == 0;
}

static void
text_field(struct out *o, const char *s)
{
	bool formula = strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0';
	bool quote = formula || strpbrk(s, ",\"\r\n") != NULL;
	if (!quote) {
		puts_(o, s);
		return;
	}
	put(o, "\"", 1);
	if (formula)
		put(o, "'", 1);
	for (const char *c = s; *c; c++) {
		if (*c == '"')
			put(o, "\"", 1);
		put(o, c, 1);
	}
	put(o, "\"", 1);
}

static void
field(struct out *o, const char *col, const json_t *v)
{
	char buf[64];
	if (v == NULL || json_is_null(v))
		return;
	if (json_is_integer(v) && is_fen(col)) {
		int64_t f = json_integer_value(v);
		uint64_t a = f < 0 ? (uint64_t)0 - (uint64_t)f : (uint64_t)f;
		snprintf(buf, sizeof buf, "%s%" PRIu64 ".%02" PRIu64, f < 0 ? "-" : "", a / 100, a % 100);
		puts_(o, buf);
	} else if (json_is_integer(v)) {
		snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		puts_(o, buf);
	} else if (json_is_real(v)) {
		snprintf(buf, sizeof buf, "%.2f", json_real_value(v));
		puts_(o, buf);
	} else if (json_is_boolean(v)) {
		puts_(o, json_is_true(v) ? "true" : "false");
	} else if (json_is_string(v)) {
		text_field(o, json_string_value(v));
	}
}

char *
csv_render(const json_t *items, const char *const *cols, size_t n)
{
	struct out o = { NULL, 0, 0 };
	puts_(&o, "\xEF\xBB\xBF");
	for (size_t c = 0; c < n; c++) {
		if (c)
			put(&o, ",", 1);
		if (is_fen(cols[c])) {
			put(&o, cols[c], strlen(cols[c]) - 4);
			puts_(&o, "_yuan");
		} else
			puts_(&o, cols[c]);
	}
	puts_(&o, "\r\n");
	size_t i;
	const json_t *it;
	json_array_foreach(items, i, it) {
		for (size_t c = 0; c < n; c++) {
			if (c)
				put(&o, ",", 1);
			field(&o, cols[c], json_object_get(it, cols[c]));
		}
		puts_(&o, "\r\n");
	}
	return o.p;
}
