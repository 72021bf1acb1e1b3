/* Rows as the store returns them: a result's values by row and column, as
 * text (NULL for SQL NULL), for the renderers to read. The store makes and
 * frees them (store/db.c); nothing here knows SQL or libpq. */
#ifndef PROCURD_ROWS_H
#define PROCURD_ROWS_H

#include <stdbool.h>
#include <stdint.h>

struct rows;

int rows_count(const struct rows *r);
/* Column COL of row I as text, or NULL when it is SQL NULL. */
const char *rows_text(const struct rows *r, int i, int col);
/* The same as a number (0 when NULL) and as a boolean (false when NULL). */
int64_t rows_i64(const struct rows *r, int i, int col);
bool rows_bool(const struct rows *r, int i, int col);
void rows_free(struct rows *r);

#endif
