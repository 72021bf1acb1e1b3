/* JSON text from a jansson tree, fast: what json_dumps(J, JSON_COMPACT |
 * JSON_ENCODE_ANY) prints, byte for byte. */
#ifndef PROCURD_JSONW_H
#define PROCURD_JSONW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* A new NUL-terminated string (free()), its length in *LEN when LEN is not
 * NULL; NULL when J is NULL or memory ran out. */
char *jsonw_dump(const json_t *j, size_t *len);

#endif
