/* procurctl ocds export: every public release, streamed from the database
 * a page of projects at a time, in constant memory. */
#ifndef PROCURD_OCDSEXPORT_H
#define PROCURD_OCDSEXPORT_H

#include <stdbool.h>
#include <stdio.h>
#include "util.h"

struct db;

struct ocds_export {
	const char *prefix;	/* [ocds] ocid_prefix */
	const char *public_kinds;	/* [documents] public */
	int offset;		/* the calendar's, seconds east of UTC */
	bool has_since;
	usec_t since;		/* only the releases of history rows at or after it */
	bool lines;		/* JSON lines, one release a line; else one release package */
	bool progress;		/* a progress line on stderr */
	usec_t now;		/* the package's publishedDate */
};

/* Write the releases to OUT: 0, or -1 when the database failed (the
 * output is then incomplete). *RELEASES and *PROJECTS count them. */
int ocds_export(struct db *db, const struct ocds_export *x, FILE *out, long *releases,
    long *projects);

#endif
