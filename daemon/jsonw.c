/* JSON text from a jansson tree, the same bytes as json_dumps(j,
 * JSON_COMPACT | JSON_ENCODE_ANY), in a quarter of the instructions.
 *
 * Every answer and every event's parameters go through here. jansson's
 * dumper writes through a callback per token and formats every integer with
 * snprintf(); on the hot path that was a third of procurd's own
 * instructions (callgrind, bench/README.md). This walks the same tree into
 * one growing buffer. Reals still go through snprintf("%.17g") and
 * jansson's clean-up of the exponent, so the text is byte for byte what
 * jansson prints; tests/unit/test_jsonw.c holds it to that. */
#include "jsonw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"

struct wbuf {
	char *p;
	size_t n, cap;
	bool oom;
};

static bool
grow(struct wbuf *b, size_t more)
{
	if (b->oom)
		return false;
	if (b->n + more + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->n + more + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (p == NULL) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static void
put(struct wbuf *b, const char *s, size_t n)
{
	if (!grow(b, n))
		return;
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

static void
put_c(struct wbuf *b, char c)
{
	if (!grow(b, 1))
		return;
	b->p[b->n++] = c;
}

static void
put_int(struct wbuf *b, json_int_t v)
{
	char tmp[21];
	put(b, tmp, i64_dec(tmp, (int64_t)v));
}

/* As jansson's jsonp_dtostr(): %.17g, ".0" when it reads as an integer, no
 * '+' and no leading zeros in the exponent. */
static void
put_real(struct wbuf *b, double v)
{
	char tmp[64];
	int n = snprintf(tmp, sizeof tmp, "%.17g", v);
	if (n < 0 || (size_t)n >= sizeof tmp - 3)
		n = (int)strlen(tmp);
	if (strchr(tmp, '.') == NULL && strchr(tmp, 'e') == NULL) {
		tmp[n++] = '.';
		tmp[n++] = '0';
		tmp[n] = '\0';
	}
	char *e = strchr(tmp, 'e');
	if (e) {
		char *start = e + 1, *end = e + 2;
		if (*start == '-')
			start++;
		while (*end == '0')
			end++;
		if (end != start) {
			memmove(start, end, (size_t)(tmp + n - end) + 1);
			n -= (int)(end - start);
		}
	}
	put(b, tmp, (size_t)n);
}

/* Which bytes need an escape: the quote, the backslash and the controls. */
static bool
plain(unsigned char c)
{
	return c >= 0x20 && c != '"' && c != '\\';
}

static void
put_str(struct wbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	put_c(b, '"');
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (plain(c))
			continue;
		put(b, s + run, i - run);
		run = i + 1;
		char esc[6] = { '\\', 0, 0, 0, 0, 0 };
		size_t len = 2;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			len = 6;
		}
		put(b, esc, len);
	}
	put(b, s + run, n - run);
	put_c(b, '"');
}

static void
put_value(struct wbuf *b, const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *v;
		bool first = true;
		put_c(b, '{');
		json_object_foreach((json_t *)j, k, v) {
			if (!first)
				put_c(b, ',');
			first = false;
			put_str(b, k, strlen(k));
			put_c(b, ':');
			put_value(b, v);
		}
		put_c(b, '}');
		break;
	}
	case JSON_ARRAY: {
		size_t n = json_array_size(j);
		put_c(b, '[');
		for (size_t i = 0; i < n; i++) {
			if (i)
				put_c(b, ',');
			put_value(b, json_array_get(j, i));
		}
		put_c(b, ']');
		break;
	}
	case JSON_STRING:
		put_str(b, json_string_value(j), json_string_length(j));
		break;
	case JSON_INTEGER:
		put_int(b, json_integer_value(j));
		break;
	case JSON_REAL:
		put_real(b, json_real_value(j));
		break;
	case JSON_TRUE:
		put(b, "true", 4);
		break;
	case JSON_FALSE:
		put(b, "false", 5);
		break;
	case JSON_NULL:
		put(b, "null", 4);
		break;
	}
}

char *
jsonw_dump(const json_t *j, size_t *len)
{
	struct wbuf b = { .p = NULL };
	if (j == NULL)
		return NULL;
	put_value(&b, j);
	if (b.oom || !grow(&b, 0)) {
		free(b.p);
		return NULL;
	}
	b.p[b.n] = '\0';
	if (len)
		*len = b.n;
	return b.p;
}
