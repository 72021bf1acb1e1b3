/* Inside the store: JSON as a statement's text parameter, and the values
 * of a body the edge has checked. Answers are rendered by render.h. */
#ifndef PROCURD_JSONIO_H
#define PROCURD_JSONIO_H

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include "jsonw.h"

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
