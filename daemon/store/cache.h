/* Inside the store: what is kept of rows between requests. Every agency's
 * path, parent and languages (they never change), and projects as last
 * read or written, so a supervision record is decided without a read. */
#ifndef PROCURD_CACHE_H
#define PROCURD_CACHE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;

struct cache_agency {
	char path[160];
	char parent[40];
	bool has_parent;
	char lang[8], parent_lang[8];
};
/* What the daemon needs of agency CODE: 0, or -1 with db_error() set. */
int cache_agency(struct db *db, const char *code, struct cache_agency *ai);

/* Keep the rows of up to SLOTS projects (0: none; drops what was kept). */
void cache_project_slots(size_t slots);
/* Drop every kept row (the slots stay). */
void cache_project_forget(void);

/* A column's new value for cache_project_put(). */
struct cache_patch {
	int col;
	const char *value;		/* NULL: NULL */
};
/* Keep ROW of R (a project read or written, committed), with PATCH's N
 * columns replaced. */
void cache_project_put(const PGresult *r, int row, const struct cache_patch *patch, int n);
/* Project ID as a result of one row, as a read would return it, or NULL. */
PGresult *cache_project_get(int64_t id);
void cache_project_drop(int64_t id);

#endif
