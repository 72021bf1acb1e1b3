/* The database watch: a connection of its own, on the event loop, that asks
 * PostgreSQL four times a second whether it answers (an empty query: no
 * SQL, one round trip) and tells outage.h. Readiness follows it within a
 * second of the database going away or coming back. */
#ifndef PROCURD_DBWATCH_H
#define PROCURD_DBWATCH_H

#include <event2/event.h>

struct dbwatch;

/* Start watching CONNINFO on BASE. The caller frees with dbwatch_free(). */
struct dbwatch *dbwatch_start(struct event_base *base, const char *conninfo);
void dbwatch_free(struct dbwatch *w);

#endif
