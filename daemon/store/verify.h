/* Audit verification: every project's hash chain, recomputed. */
#ifndef PROCURD_VERIFY_H
#define PROCURD_VERIFY_H

#include <stddef.h>
#include <stdint.h>

struct db;

/* Every hash chain, in parts, for several processes at once (procurctl
 * verify), each streamed a page of events at a time whatever the history's
 * size: the range of project ids [*LO, *HI); the chains of projects in [LO, HI)
 * (N counts them; PROGRESS, when not NULL, after each page); then, once,
 * what spans every project: heads, documents, funding plans (N is the sum
 * of the ranges'). Each 0 intact, 1 broken (REPORT), -1 database. */
struct verify_count {
	int64_t events, projects;
};
int verify_ids(struct db *db, int64_t *lo, int64_t *hi);
int verify_range(struct db *db, int64_t lo, int64_t hi, struct verify_count *n, char *report,
    size_t len, void (*progress)(const struct verify_count *, void *), void *arg);
int verify_rest(struct db *db, const struct verify_count *n, char *report, size_t len);

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
