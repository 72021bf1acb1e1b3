/* Group commit's flush (durable.h). */
#ifndef PROCURD_FLUSH_H
#define PROCURD_FLUSH_H

#include <stdbool.h>

struct db;

/* One transaction of its own, committed at the session's synchronous_commit
 * level, so that every commit made before it started is on disk when it
 * returns true. */
bool flush_commit(struct db *db);

#endif
