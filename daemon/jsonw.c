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

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"

static bool
grow(struct jsonw *b, size_t more)
{
	if (b->oom)
		return false;
	if (b->n + more + 1 <= b->cap)
		return true;
	/* 1 kB holds an event's parameters and is still a small request to
	 * malloc; an answer grows once */
	size_t cap = b->cap ? b->cap : 1024;
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
put(struct jsonw *b, const char *s, size_t n)
{
	if (!grow(b, n))
		return;
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

static void
put_c(struct jsonw *b, char c)
{
	if (!grow(b, 1))
		return;
	b->p[b->n++] = c;
}

static void
put_int(struct jsonw *b, json_int_t v)
{
	char tmp[21];
	put(b, tmp, i64_dec(tmp, (int64_t)v));
}

/* As jansson's jsonp_dtostr(): %.17g, ".0" when it reads as an integer, no
 * '+' and no leading zeros in the exponent. */
static void
put_real(struct jsonw *b, double v)
{
	char tmp[64];
	int n = snprintf(tmp, sizeof tmp, "%.17g", v);
	/* jsonw_dump_decimal(): the fewest digits that read back as V, so
	 * 1234.29 (yuan from fen) is written 1234.29, not 1234.2899999999999 */
	for (int prec = 15; b->short_reals && prec < 17; prec++) {
		char t[64];
		int m = snprintf(t, sizeof t, "%.*g", prec, v);
		if (m > 0 && (size_t)m < sizeof t && strtod(t, NULL) == v) {
			memcpy(tmp, t, (size_t)m + 1);
			n = m;
			break;
		}
	}
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

/* The rest of a string from its first byte that needs an escape, and the
 * closing quote. */
static void
put_str_escaped(struct jsonw *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
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

/* Whether none of the eight bytes in X needs an escape: no control byte
 * (< 0x20), no quote, no backslash. The classic word-at-a-time tests: each
 * is exact about whether such a byte exists, which is all this asks. */
static bool
chunk_plain(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	uint64_t q = x ^ (ones * (uint64_t)'"'), bs = x ^ (ones * (uint64_t)'\\');
	uint64_t control = (x - ones * 0x20) & ~x & highs;
	uint64_t quote = (q - ones) & ~q & highs;
	uint64_t backslash = (bs - ones) & ~bs & highs;
	return (control | quote | backslash) == 0;
}

/* Most strings (keys, codes, times, hashes) need no escape: one
 * reservation, then eight bytes at a time while none needs one, then byte
 * by byte. */
static void
put_str(struct jsonw *b, const char *s, size_t n)
{
	if (!grow(b, n + 2))
		return;
	char *o = b->p + b->n;
	*o++ = '"';
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t x;
		memcpy(&x, s + i, 8);
		if (!chunk_plain(x))
			break;
		memcpy(o, &x, 8);
		o += 8;
	}
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!plain(c)) {
			b->n = (size_t)(o - b->p);
			put_str_escaped(b, s + i, n - i);
			return;
		}
		*o++ = (char)c;
	}
	*o++ = '"';
	b->n = (size_t)(o - b->p);
}

static void
put_value(struct jsonw *b, const json_t *j)
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

/* --- the writer ----------------------------------------------------------- */

void
jsonw_init(struct jsonw *w)
{
	memset(w, 0, sizeof *w);
	w->first = true;
}

/* A comma unless this is the first member of the innermost object. */
static void
sep(struct jsonw *w)
{
	if (!w->first)
		put_c(w, ',');
	w->first = false;
}

void
jsonw_open(struct jsonw *w)
{
	put_c(w, '{');
	w->first = true;
}

void
jsonw_close(struct jsonw *w)
{
	put_c(w, '}');
	w->first = false;
}

void
jsonw_key(struct jsonw *w, const char *k)
{
	sep(w);
	put_str(w, k, strlen(k));
	put_c(w, ':');
}

void
jsonw_str(struct jsonw *w, const char *s)
{
	if (s == NULL)
		put(w, "null", 4);
	else
		put_str(w, s, strlen(s));
}

void
jsonw_int(struct jsonw *w, int64_t v)
{
	put_int(w, (json_int_t)v);
}

void
jsonw_bool(struct jsonw *w, bool v)
{
	if (v)
		put(w, "true", 4);
	else
		put(w, "false", 5);
}

void
jsonw_null(struct jsonw *w)
{
	put(w, "null", 4);
}

void
jsonw_raw(struct jsonw *w, const char *json_text)
{
	put(w, json_text, strlen(json_text));
}

void
jsonw_pg_json(struct jsonw *w, const char *t)
{
	size_t n = strlen(t);
	if (!grow(w, n))
		return;
	char *o = w->p + w->n;
	bool in_str = false;
	for (const char *p = t; *p; p++) {
		if (in_str) {
			if (*p == '\\' && p[1]) {
				*o++ = *p++;	/* the escaped character with it */
			} else if (*p == '"') {
				in_str = false;
			}
		} else if (*p == '"') {
			in_str = true;
		} else if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') {
			continue;
		}
		*o++ = *p;
	}
	w->n = (size_t)(o - w->p);
}

void
jsonw_value(struct jsonw *w, const json_t *j)
{
	if (j == NULL)
		put(w, "null", 4);
	else
		put_value(w, j);
}

char *
jsonw_finish(struct jsonw *w, size_t *len)
{
	if (w->oom || !grow(w, 0)) {
		free(w->p);
		w->p = NULL;
		return NULL;
	}
	w->p[w->n] = '\0';
	if (len)
		*len = w->n;
	char *out = w->p;
	w->p = NULL;
	return out;
}

char *
jsonw_dump(const json_t *j, size_t *len)
{
	struct jsonw w;
	if (j == NULL)
		return NULL;
	jsonw_init(&w);
	put_value(&w, j);
	return jsonw_finish(&w, len);
}

char *
jsonw_dump_decimal(const json_t *j, size_t *len)
{
	struct jsonw w;
	if (j == NULL)
		return NULL;
	jsonw_init(&w);
	w.short_reals = true;
	put_value(&w, j);
	return jsonw_finish(&w, len);
}
