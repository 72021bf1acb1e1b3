/* Audit verification: every project's hash chain, recomputed. */
#ifndef PROCURD_VERIFY_H
#define PROCURD_VERIFY_H

#include <stddef.h>
#include <stdint.h>

struct db;

/* Walk every project's hash chain; the first broken link, or a summary,
 * into REPORT. 0 intact, 1 broken, -1 database error. */
int verify_chains(struct db *db, char *report, size_t len);

/* One project's chain: EVENTS checked; WHY NULL when intact, else what
 * broke at BROKEN_SEQ. */
struct verify_result {
	int events;
	int64_t broken_seq;
	const char *why;
};
/* 0 (see OUT), or -1 on a database error. The caller checks the scope. */
int verify_project(struct db *db, int64_t id, struct verify_result *out);

#endif
