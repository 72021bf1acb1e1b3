/* Audit verification: every project's hash chain, recomputed. */
#ifndef PROCURD_VERIFY_H
#define PROCURD_VERIFY_H

#include <stddef.h>

struct db;

/* Walk every project's hash chain; the first broken link, or a summary,
 * into REPORT. 0 intact, 1 broken, -1 database error. */
int verify_chains(struct db *db, char *report, size_t len);

#endif
