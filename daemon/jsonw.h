/* JSON text from a jansson tree, fast: what json_dumps(J, JSON_COMPACT |
 * JSON_ENCODE_ANY) prints, byte for byte. */
#ifndef PROCURD_JSONW_H
#define PROCURD_JSONW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A new NUL-terminated string (free()), its length in *LEN when LEN is not
 * NULL; NULL when J is NULL or memory ran out. */
char *jsonw_dump(const json_t *j, size_t *len);
/* The same but reals in the fewest digits that read back the same value
 * (money as yuan from fen: 0.29, not 0.28999999999999998): OCDS's amounts. */
char *jsonw_dump_decimal(const json_t *j, size_t *len);

/* A writer for text built straight from data, in the same compact form:
 *   jsonw_init(&w); jsonw_open(&w); jsonw_key(&w, "id"); jsonw_int(&w, 7);
 *   jsonw_close(&w); text = jsonw_finish(&w, NULL);
 * Members are separated for the caller; jsonw_raw() takes a value that is
 * already JSON text (a column PostgreSQL printed as json). */
struct jsonw {
	char *p;
	size_t n, cap;
	bool oom;
	bool first;	/* no member yet in the innermost object */
	bool short_reals;	/* jsonw_dump_decimal() */
};
void jsonw_init(struct jsonw *w);
void jsonw_open(struct jsonw *w);		/* { */
void jsonw_close(struct jsonw *w);		/* } */
void jsonw_key(struct jsonw *w, const char *k);	/* ,"k": */
void jsonw_str(struct jsonw *w, const char *s);	/* NULL: null */
void jsonw_int(struct jsonw *w, int64_t v);
void jsonw_bool(struct jsonw *w, bool v);
void jsonw_null(struct jsonw *w);
void jsonw_raw(struct jsonw *w, const char *json_text);
/* A value as PostgreSQL printed it (jsonb::text: a space after each ':'
 * and ','), written compact, as jansson would print it parsed. */
void jsonw_pg_json(struct jsonw *w, const char *json_text);
void jsonw_value(struct jsonw *w, const json_t *j);
/* The text (free()), or NULL when memory ran out; W is spent. */
char *jsonw_finish(struct jsonw *w, size_t *len);

#endif
