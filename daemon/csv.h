/* Reports as CSV for spreadsheet programs (RFC 4180): UTF-8 with a byte
 * order mark (so Excel and WPS read Chinese as Chinese), CRLF line ends,
 * fields quoted when they hold a comma, quote or line end. Amounts in fen
 * (a column named *_fen) become yuan with two decimals (*_yuan): what a
 * reader of a spreadsheet counts in. Text that a spreadsheet would take
 * for a formula (= + - @, tab, CR at its start) is prefixed with ' (the
 * OWASP advice on CSV injection): a unit's name comes from a request.
 * Pure. */
#ifndef PROCURD_CSV_H
#define PROCURD_CSV_H

#include <jansson.h>
#include <stddef.h>

/* ITEMS (an array of flat objects) under a header of the N columns COLS
 * (keys; a missing key or null is an empty field): a new string. */
char *csv_render(const json_t *items, const char *const *cols, size_t n);

#endif
